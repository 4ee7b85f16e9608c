"""Evidence summaries: ranked evidence rolled up into clinical statements (docs/search.md, "Summaries").

A statement is one gene · variant (or biomarker) × tumor × drug(s) × significance: the six CIViC items
that each report "EGFR L858R, NSCLC, gefitinib, sensitivity" are one statement with its best level,
how many items say it, whether they agree, their PMIDs, the newest review date and the source's
assertions that cite them (AMP/ASCO/CAP tier, NCCN guideline, FDA approval and companion test).
Statements keep the order of their best-ranked item, so the clinical order of :mod:`kb.ordering`
carries over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from kb.domain import Alteration, Assertion, Evidence, EvidenceDirection, EvidenceLevel, EvidenceType
from kb.ordering import Relation, tumor_relation
from kb.ranking import LEVEL_WEIGHT, ConceptTargets
from kb.text import name_key

__all__ = ["Statement", "grouped", "statements", "summarise"]


@dataclass(frozen=True, slots=True)
class Statement:
    key: str  # stable id of the statement: gene:variant|tumor|drugs|type|significance
    gene: str
    alteration: Alteration
    biomarkers: tuple[str, ...]
    tumor_code: str | None
    disease: str
    relation: Relation
    drugs: tuple[str, ...]
    drug_interaction: str
    evidence_type: EvidenceType
    significance: str
    direction: str  # supports | does_not_support | mixed
    best_level: EvidenceLevel  # the best level among the items that support it (all items when none does)
    items: tuple[Evidence, ...]  # in ranked order
    pmids: tuple[str, ...]
    last_review: date | None  # the newest review of its items
    assertions: tuple[Assertion, ...]

    @property
    def agree(self) -> bool:
        return self.direction != "mixed"


_key = lru_cache(maxsize=8192)(name_key)  # the same few hundred names come back in every search


def _group(item: Evidence) -> tuple[str, ...]:
    where = item.tumor_code or f"~{_key(item.disease)}"
    drugs = "+".join(sorted(item.drugs))
    alteration = item.alteration
    what = alteration.id if item.gene or not item.biomarkers else "/".join(sorted(item.biomarkers))
    if alteration.label and _key(alteration.label) != _key(alteration.name):
        what += f"({_key(alteration.label)})"  # "Ex19 del L858R" (either) is not "EXON19DEL" alone
    return (what, where, drugs, item.drug_interaction, item.evidence_type.value, item.significance)


def summarise(ranked: Sequence[Evidence], q: ConceptTargets) -> list[Statement]:
    """The statements of ranked evidence, in the order of each one's first item."""
    return statements(grouped(ranked), q)


def grouped(ranked: Sequence[Evidence]) -> list[tuple[tuple[str, ...], list[Evidence]]]:
    """Ranked evidence in statement groups, in the order of each group's first item (cheap: a page of them
    becomes :class:`Statement` objects with :func:`statements`, and the number of groups is the total)."""
    groups: dict[tuple[str, ...], list[Evidence]] = {}
    for item in ranked:
        groups.setdefault(_group(item), []).append(item)
    return list(groups.items())


def statements(groups: Sequence[tuple[tuple[str, ...], list[Evidence]]], q: ConceptTargets) -> list[Statement]:
    """The statements of these groups (:func:`grouped`)."""
    return [_statement(key, items, q) for key, items in groups]


def _statement(key: tuple[str, ...], items: list[Evidence], q: ConceptTargets) -> Statement:
    first = items[0]
    directions = {i.direction for i in items if i.direction is not EvidenceDirection.NA}
    direction = directions.pop().value if len(directions) == 1 else ("mixed" if directions else "na")
    backing = [i for i in items if i.direction is EvidenceDirection.SUPPORTS] or items
    best = max(backing, key=lambda i: LEVEL_WEIGHT.get(i.level.value, 0)).level
    pmids = dict.fromkeys(c.pmid for i in items for c in i.citations if c.pmid)
    reviews = [i.last_review for i in items if i.last_review is not None]
    assertions = {a.id: a for i in items for a in i.assertions}
    return Statement(
        key="|".join(key[:3] + key[4:]),
        gene=first.gene,
        alteration=first.alteration,
        biomarkers=tuple(dict.fromkeys(b for i in items for b in i.biomarkers)),
        tumor_code=first.tumor_code,
        disease=first.disease,
        relation=tumor_relation(first, q),
        drugs=first.drugs,
        drug_interaction=first.drug_interaction,
        evidence_type=first.evidence_type,
        significance=first.significance,
        direction=direction,
        best_level=best,
        items=tuple(items),
        pmids=tuple(pmids),
        last_review=max(reviews, default=None),
        assertions=tuple(sorted(assertions.values(), key=lambda a: a.id)),
    )
