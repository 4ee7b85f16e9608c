"""The registry of record kinds: one place that says, per kind, its type and key, how the
store writes it, how the current record is found, whether editors curate it and doctors
follow it, and what must be refreshed once it is published.

Editorial, follows, the services, the Elasticsearch schema, ingestion and the CLI read
this registry instead of branching on kind names. A new kind (a biomarker, say) is one
:class:`Kind` added to :data:`KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Flag, auto
from typing import Any, Generic, TypeVar

from kb.domain import Article, Biomarker, Drug, Evidence, Gene, TestItem, TumorType
from kb.store.base import Backend, UpsertResult
from kb.vocab import Vocabularies

__all__ = ["CURATED", "FOLLOWED", "KINDS", "Kind", "Refresh", "refresh_for"]

R = TypeVar("R")


class Refresh(Flag):
    """What the running services rebuild after a kind is published."""

    NOTHING = 0
    CATALOGUE = auto()  # the test catalogue behind recommendations (cheap: re-read the tests)
    EVIDENCE = auto()  # evidence-derived links: drug targets, variant genes, fusion counts (the query index)
    VOCABULARY = auto()  # names and synonyms: vocabularies, parser, suggester, tagger (a full rebuild)


@dataclass(frozen=True, slots=True)
class Kind(Generic[R]):
    """One kind of record."""

    name: str  # the kind's name in submissions, entries, follows and the change feed
    type: type[R]
    key: Callable[[R], str]  # the stable key
    plural: str  # the store's collection (SQLite table, Elasticsearch alias suffix)
    write: Callable[[Backend, Sequence[R]], UpsertResult]  # idempotent upsert of a batch
    find: Callable[[Backend, Vocabularies, str], R | None]  # the record as the running services see it
    curated: bool = False  # editors propose and accept changes to it
    follow_field: str | None = None  # the evidence field a doctor's follow of this kind matches
    refresh: Refresh = Refresh.NOTHING


def _test(store: Backend, _: Vocabularies, key: str) -> TestItem | None:
    return next((t for t in store.iter_tests() if t.id == key), None)


KINDS: dict[str, Kind[Any]] = {
    k.name: k
    for k in (
        Kind(
            "gene", Gene, lambda r: r.symbol, "genes", lambda s, rs: s.upsert_genes(rs),
            lambda _, v, key: v.genes.genes.get(key),
            curated=True, follow_field="gene", refresh=Refresh.VOCABULARY,
        ),
        Kind(
            "tumor", TumorType, lambda r: r.code, "tumors", lambda s, rs: s.upsert_tumors(rs),
            lambda _, v, key: v.tumors.nodes.get(key),
            curated=True, follow_field="tumor_code", refresh=Refresh.VOCABULARY,
        ),
        Kind(
            "drug", Drug, lambda r: r.inn, "drugs", lambda s, rs: s.upsert_drugs(rs),
            lambda _, v, key: v.drugs.drugs.get(key),
            curated=True, follow_field="drugs", refresh=Refresh.VOCABULARY,
        ),
        Kind(
            "biomarker", Biomarker, lambda r: r.id, "biomarkers", lambda s, rs: s.upsert_biomarkers(rs),
            lambda _, v, key: v.biomarkers.biomarkers.get(key),
            curated=True, follow_field="biomarkers", refresh=Refresh.VOCABULARY,
        ),
        Kind(
            "evidence", Evidence, lambda r: r.id, "evidence", lambda s, rs: s.upsert_evidence(rs),
            lambda s, _, key: s.get_evidence(key),
            curated=True, refresh=Refresh.EVIDENCE,
        ),
        Kind(
            "test", TestItem, lambda r: r.id, "tests", lambda s, rs: s.upsert_tests(rs), _test,
            curated=True, refresh=Refresh.CATALOGUE,
        ),
        Kind(
            "article", Article, lambda r: r.pmid, "articles", lambda s, rs: s.upsert_articles(rs),
            lambda s, _, key: s.get_article(key),
        ),
    )
}  # fmt: skip

#: The kinds editors curate, and the ones doctors follow.
CURATED: dict[str, Kind[Any]] = {name: k for name, k in KINDS.items() if k.curated}
FOLLOWED: dict[str, Kind[Any]] = {name: k for name, k in KINDS.items() if k.follow_field}


def refresh_for(names: Iterable[str]) -> Refresh:
    """What publishing records of these kinds asks the services to refresh."""
    out = Refresh.NOTHING
    for name in names:
        out |= KINDS[name].refresh
    return out
