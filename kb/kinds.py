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
from kb.guidance import GuidelineRecommendation, ReadingList, Regulatory
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
    GUIDANCE = auto()  # regulatory status and guideline recommendations behind the badges (cheap: re-read them)


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
    follow_changes: bool = False  # a doctor follows the record itself: its published changes reach the feed
    refresh: Refresh = Refresh.NOTHING


def _record(plural: str, cls: type[R]) -> Callable[[Backend, Vocabularies, str], R | None]:
    """The ``find`` of a kind kept whole (:meth:`Backend.iter_records`): a few hundred records at most."""
    return lambda store, _, key: next((r for r in store.iter_records(plural, cls) if getattr(r, "id", "") == key), None)


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
            "regulatory", Regulatory, lambda r: r.id, "regulatory", lambda s, rs: s.upsert_records("regulatory", rs),
            _record("regulatory", Regulatory), curated=True, refresh=Refresh.GUIDANCE,
        ),
        Kind(
            "guideline", GuidelineRecommendation, lambda r: r.id, "guidelines",
            lambda s, rs: s.upsert_records("guidelines", rs),
            _record("guidelines", GuidelineRecommendation), curated=True, refresh=Refresh.GUIDANCE,
        ),
        Kind(
            "reading_list", ReadingList, lambda r: r.id, "reading_lists",
            lambda s, rs: s.upsert_records("reading_lists", rs), _record("reading_lists", ReadingList),
            curated=True, follow_changes=True,
        ),
        Kind(
            "article", Article, lambda r: r.pmid, "articles", lambda s, rs: s.upsert_articles(rs),
            lambda s, _, key: s.get_article(key),
        ),
    )
}  # fmt: skip

#: The kinds editors curate, and the ones doctors follow.
CURATED: dict[str, Kind[Any]] = {name: k for name, k in KINDS.items() if k.curated}
FOLLOWED: dict[str, Kind[Any]] = {name: k for name, k in KINDS.items() if k.follow_field or k.follow_changes}


def refresh_for(names: Iterable[str]) -> Refresh:
    """What publishing records of these kinds asks the services to refresh."""
    out = Refresh.NOTHING
    for name in names:
        out |= KINDS[name].refresh
    return out
