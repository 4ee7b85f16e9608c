"""The clinical order of evidence: what a doctor needs first (docs/search.md, "Evidence order").

Evidence is compared, in this order, by:

1. **the match on what was asked** (gene, variant, biomarker, drug; :func:`kb.ranking.evidence_concept_score`
   without its tumor part and without the weak pull of a gene implied by a drug or variant);
2. **the tumor**: items in the asked tumor's OncoTree family (the tumor itself, its subtypes, its ancestors)
   before items of other tumors (no tumor asked: all alike);
3. **the intent** of the query (耐药, 预后 ...): items that answer the first intent, then a later one, then the
   rest; ``INTENT_ANSWERS`` says which items answer each;
4. **the kind of evidence**: predictive (therapy) before prognostic and diagnostic, then predisposing,
   then oncogenic and functional;
5. **the tumor relation**: the exact tumor before its family;
6. an item of a gene the query implies (a drug's target) before one that shares only the named concepts;
7. **the level**, A to E;
8. **the direction**: supports before "does not support";
9. the rating, then text relevance.

The items a source assertion cites (a CIViC assertion on FLT3 ITD cites items filed under FLT3 mutation)
match the query as the assertion's alteration too (:func:`kb.ranking.evidence_concept_score`).

So "BRAF V600E 结直肠癌" shows colorectal therapy rows before colorectal prognostic rows, and both before
melanoma; "厄洛替尼 耐药" shows erlotinib resistance first, then the resistance variants of its target gene.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

from kb.domain import Evidence, EvidenceDirection, EvidenceType
from kb.ranking import LEVEL_WEIGHT, ConceptTargets, evidence_place
from kb.vocab.words import Intent

__all__ = ["INTENT_ANSWERS", "Relation", "clinical_key", "intent_answers", "tumor_relation"]

#: The evidence that answers each intent (docs/query.md, "Intent").
INTENT_ANSWERS: Mapping[Intent, Callable[[Evidence], bool]] = {
    Intent.RESISTANCE: lambda e: (
        e.evidence_type is EvidenceType.PREDICTIVE and e.significance in ("resistance", "reduced_sensitivity")
    ),
    Intent.SENSITIVITY: lambda e: e.evidence_type is EvidenceType.PREDICTIVE and e.significance == "sensitivity",
    Intent.PROGNOSIS: lambda e: e.evidence_type is EvidenceType.PROGNOSTIC,
    Intent.DIAGNOSIS: lambda e: e.evidence_type is EvidenceType.DIAGNOSTIC,
    Intent.GERMLINE: lambda e: (
        e.evidence_type is EvidenceType.PREDISPOSING or "germline" in e.variant_origin.casefold()
    ),
}

#: Therapy first, then what informs prognosis and diagnosis, then risk, then biology.
TYPE_RANK: Mapping[EvidenceType, int] = {
    EvidenceType.PREDICTIVE: 0,
    EvidenceType.PROGNOSTIC: 1,
    EvidenceType.DIAGNOSTIC: 1,
    EvidenceType.PREDISPOSING: 2,
    EvidenceType.ONCOGENIC: 3,
    EvidenceType.FUNCTIONAL: 3,
}
_DIRECTION_RANK = {EvidenceDirection.SUPPORTS: 0, EvidenceDirection.NA: 1, EvidenceDirection.DOES_NOT_SUPPORT: 2}


class Relation(StrEnum):
    """How an item's tumor stands to the query's."""

    EXACT = "exact"  # the tumor asked (or the unmapped disease the query names)
    FAMILY = "family"  # a subtype or an ancestor of it in OncoTree
    OTHER = "other"  # another tumor, or an unmapped disease
    ANY = "any"  # the query names no tumor


_RELATION_RANK = {Relation.EXACT: 0, Relation.ANY: 0, Relation.FAMILY: 1, Relation.OTHER: 2}


def tumor_relation(item: Evidence, q: ConceptTargets) -> Relation:
    place = evidence_place(item, q)
    if place >= 1.0:
        return Relation.EXACT
    if not q.tumor_family:
        return Relation.ANY
    return Relation.FAMILY if place > 0 else Relation.OTHER


def intent_answers(intents: Sequence[str]) -> list[Callable[[Evidence], bool]]:
    """The answer tests of the query's intents, in the order written (unknown intents ignored)."""
    known = {i.value for i in Intent}
    return [INTENT_ANSWERS[Intent(i)] for i in intents if i in known]


def clinical_key(
    item: Evidence,
    q: ConceptTargets,
    concept: float,
    text: float,
    answers: Sequence[Callable[[Evidence], bool]] = (),
) -> tuple[float, ...]:
    """Sort key (ascending) of an evidence item in the clinical order above.

    ``concept`` is the item's concept score (with any text weight the search adds for unresolved words),
    ``text`` its text relevance, ``answers`` from :func:`intent_answers`.
    """
    relation = tumor_relation(item, q)
    implied = 0.5 if item.gene in q.implied_genes and item.gene not in q.genes else 0.0
    what = round(concept - evidence_place(item, q) - implied, 3)
    intent = next((n for n, answer in enumerate(answers) if answer(item)), len(answers))
    return (
        -what,
        float(relation is Relation.OTHER),
        float(intent),
        float(TYPE_RANK.get(item.evidence_type, 4)),
        float(_RELATION_RANK[relation]),
        -implied,
        -float(LEVEL_WEIGHT.get(item.level.value, 0)),
        float(_DIRECTION_RANK.get(item.direction, 1)),
        -float(item.rating or 0),
        -text,
    )
