"""Ranking as pure functions over ``(id, score)`` lists, shared by every backend.

* :func:`rrf` — reciprocal rank fusion of several rankings (evidence);
* :func:`convex_fusion` — weighted sum of min-max normalised scores (articles: BM25 + kNN);
* :func:`feedback_vector` — Rocchio pseudo-relevance feedback for the dense query;
* :func:`evidence_key` — concept match first, then level, then rating, then text relevance;
* :func:`steer_by_intent` — then, only when the query names an intent (耐药, 预后 ...), the evidence
  that answers it first among items of equal concept match;
* :func:`article_scores` — hybrid text score plus concept-aware boosts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kb.domain import AlterationKind, Evidence, EvidenceType
from kb.text import name_key
from kb.vocab.variants import alteration_components
from kb.vocab.words import Intent

__all__ = [
    "FEEDBACK_DOCS",
    "FEEDBACK_WEIGHT",
    "INTENT_ANSWERS",
    "LEVEL_WEIGHT",
    "LEXICAL_WEIGHT",
    "ConceptTargets",
    "article_scores",
    "convex_fusion",
    "evidence_concept_score",
    "evidence_key",
    "feedback_vector",
    "rrf",
    "steer_by_intent",
]

Scored = list[tuple[str, float]]

#: CIViC levels from validated (A) to inferential (E).
LEVEL_WEIGHT = {"A": 5, "B": 4, "C": 3, "D": 2, "E": 1}

# Hybrid article retrieval, compared on the dev split of BEIR NFCorpus (docs/benchmarks.md, "BEIR"),
# where plain BM25 and MiniLM kNN are about equally good. Convex fusion tied RRF there (0.001-0.002
# nDCG@10 above it for any RRF k from 10 to 100) and was chosen because it keeps the score gaps and gives
# article_scores a [0, 1] base to add concept boosts to; the feedback pass added about 0.01.
# The values are round ones from flat stretches of the dev curves, not fitted to the last digit,
# so that they carry over to other corpora and to doctors' keyword queries:
#: Share of BM25 in :func:`convex_fusion` of articles (kNN gets the rest). Equal shares: neither
#: retriever is trusted more; 0.4-0.6 were within 0.004 nDCG@10 of each other, 0.3 and 0.7 lower.
LEXICAL_WEIGHT = 0.5
#: Top fused articles whose vectors are averaged into the dense query (Rocchio feedback).
FEEDBACK_DOCS = 3
#: Weight of that average against the query vector (1: as much as the query itself).
FEEDBACK_WEIGHT = 1.0


def rrf(rankings: Sequence[Scored], *, k: int = 60, weights: Sequence[float] | None = None) -> Scored:
    """Reciprocal rank fusion: ``sum(w / (k + rank))``; ties broken by first appearance."""
    scores: dict[str, float] = {}
    for i, ranking in enumerate(rankings):
        weight = weights[i] if weights is not None else 1.0
        for rank, (doc, _score) in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def convex_fusion(rankings: Sequence[Scored], weights: Sequence[float] | None = None) -> Scored:
    """``sum(w * minmax(score))`` over the rankings, in [0, 1] when the weights sum to 1.

    Each ranking's scores are scaled to [0, 1] by its own minimum and maximum (a ranking whose
    scores are all equal gives 1), so BM25 scores and cosine similarities add up on one scale;
    a document missing from a ranking gets 0 there, as its lowest-ranked one does. Unlike
    :func:`rrf` it keeps how far apart the scores are, not only their order. Equal weights
    when ``weights`` is None; ties broken by first appearance.
    """
    if weights is None:
        weights = [1.0 / len(rankings)] * len(rankings) if rankings else []
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        values = [s for _, s in ranking]
        low, high = min(values), max(values)
        span = high - low
        for doc, score in ranking:
            scores[doc] = scores.get(doc, 0.0) + weight * ((score - low) / span if span > 0 else 1.0)
    return sorted(scores.items(), key=lambda item: -item[1])


def feedback_vector(
    query: Sequence[float], feedback: Sequence[Sequence[float]], *, weight: float = FEEDBACK_WEIGHT
) -> list[float]:
    """Rocchio pseudo-relevance feedback: ``normalize(q + weight * mean(feedback))``.

    The query vector moved towards the documents the first pass ranked highest, so the
    second kNN pass also finds their neighbours (other wordings of the same topic). Vectors
    are unit length (cosine scores); with no feedback the query comes back unchanged.
    """
    q = np.asarray(query, dtype=np.float64)
    if len(feedback):
        q = q + weight * np.asarray(feedback, dtype=np.float64).mean(axis=0)
    norm = float(np.linalg.norm(q))
    return [float(x) for x in (q / norm if norm > 0 else q)]


@dataclass(frozen=True, slots=True)
class ConceptTargets:
    """The resolved concepts of a query, as ranking needs them."""

    genes: frozenset[str] = frozenset()  # named in the query
    implied_genes: frozenset[str] = frozenset()  # from a variant or a drug's targets
    variants: frozenset[str] = frozenset()  # specific alteration ids, EGFR:T790M
    variant_kinds: Mapping[str, frozenset[AlterationKind]] = field(default_factory=dict)  # gene -> generic kinds
    # (ALK fusion, MET amplification: any alteration of that kind of that gene matches)
    tumors: frozenset[str] = frozenset()  # named codes
    tumor_family: Mapping[str, float] = field(default_factory=dict)  # code -> weight (descendants 0.9, ancestors 0.6)
    drugs: frozenset[str] = frozenset()
    text_key: str = ""  # the query's name key, for diseases that have no OncoTree code
    unresolved: bool = False  # some query words matched no concept: text relevance counts more
    intents: tuple[str, ...] = ()  # what the query asks (Intent values), for steer_by_intent
    biomarkers: frozenset[str] = frozenset()  # biomarker ids named (MSI-H, PD-L1; an ambiguous one's candidates)
    biomarker_alterations: frozenset[str] = frozenset()  # alteration ids that report them (CD274:EXPRESSION)
    # the other states of their groups, not named (HER2-positive beside HER2-low), and their alterations
    other_states: frozenset[str] = frozenset()
    other_alterations: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.genes or self.implied_genes or self.variants or self.tumors or self.drugs or self.biomarkers)


def evidence_concept_score(item: Evidence, q: ConceptTargets) -> float:
    """How well an evidence item matches the query's concepts (0 = not at all).

    Gene 1 (implied 0.5). Variant up to 1.5: the overlap (Jaccard) of the events the
    query names for this gene with the events of the evidence's alteration (``EML4-ALK
    C1156Y`` matches best the evidence that names both), or 1.5 for an alteration of a
    generic kind asked for alone (ALK fusion), 0.3 when only that generic kind matches
    beside specific events, 0.5 for evidence about any mutation of the gene. Tumor by
    the OncoTree family weight (1 for the named code), or 1 when an unmapped disease is
    named in the query. Drug 1. The variant outweighs the tumor: the same variant in
    another disease is more relevant than another variant in the same disease.

    Biomarker 1.5, like a variant: an item about a biomarker the query names (its
    ``biomarkers``), or filed under an alteration that reports it (CD274 EXPRESSION for
    PD-L1). When the query names a biomarker, an item that matches no biomarker, gene,
    variant or drug of it scores 0: the tumor alone does not answer a biomarker question;
    so does an item about another state of the biomarker's group that the query does not
    name (HER2-low breast cancer is not answered by HER2-positive's ERBB2 amplification,
    even when a drug implies ERBB2), also when a variant names the state (HER2阳性 is
    ERBB2:AMPLIFICATION, HER2-positive's alteration: HER2-low facts do not answer it).
    """
    score = 0.0
    if item.gene in q.genes:
        score += 1.0
    elif item.gene in q.implied_genes:
        score += 0.5
    if q.variants or q.variant_kinds:
        score += _variant_score(item, q)
    place = 0.0
    if item.tumor_code and q.tumor_family:
        place = q.tumor_family.get(item.tumor_code, 0.0)
    elif q.text_key and item.disease and not q.tumor_family.get(item.tumor_code or "", 0.0):
        place = 1.0 if name_key(item.disease) in q.text_key else 0.0
    score += place
    if q.drugs and q.drugs.intersection(item.drugs):
        score += 1.0
    if q.biomarkers or q.other_states:
        about = q.biomarkers.intersection(item.biomarkers) or item.alteration.id in q.biomarker_alterations
        other = q.other_states.intersection(item.biomarkers) or item.alteration.id in q.other_alterations
        if not about and (other or (q.biomarkers and score - place <= 0)):
            return 0.0
        score += 1.5 if about else 0.0
    return score


def _variant_score(item: Evidence, q: ConceptTargets) -> float:
    prefix = f"{item.gene}:"
    asked = {v.removeprefix(prefix) for v in q.variants if v.startswith(prefix)}
    generic = q.variant_kinds.get(item.gene, frozenset())
    alteration = item.alteration
    if asked:
        events = alteration_components(alteration)
        overlap = len(asked & events) / len(asked | events)
        if overlap:
            return 1.5 * overlap
        if alteration.kind in generic:
            return 0.3
        return 0.5 if alteration.kind is AlterationKind.MUTATION else 0.0
    return 1.5 if alteration.kind in generic else 0.0


def evidence_key(item: Evidence, concept: float, text: float) -> tuple[float, int, int, float]:
    """Sort key (ascending) for evidence: concept match, level, rating, then text relevance."""
    return (-round(concept, 3), -LEVEL_WEIGHT.get(item.level.value, 0), -(item.rating or 0), -text)


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


def steer_by_intent(ranked: Sequence[tuple[Evidence, float]], intents: Sequence[str]) -> list[tuple[Evidence, float]]:
    """Evidence ranked by :func:`evidence_key`, with what answers the query's intents moved first among items of
    equal concept match (``(item, concept score)`` pairs, best first; the concept score rounded as
    :func:`evidence_key` rounds it).

    An item answering the first intent comes before one answering only a later one, which comes before the
    rest; within each group the order is kept (level, rating, text). A better concept match always stays
    ahead, and with no intent the ranking comes back as it was. Unknown intents are ignored.
    """
    answers = [INTENT_ANSWERS[Intent(i)] for i in intents if i in {known.value for known in Intent}]
    if not answers:
        return list(ranked)

    def group(pair: tuple[Evidence, float]) -> tuple[float, int]:
        first = next((n for n, answer in enumerate(answers) if answer(pair[0])), len(answers))
        return (-round(pair[1], 3), first)

    return sorted(ranked, key=group)


def article_scores(
    text: Scored,
    concepts: Mapping[str, Sequence[str]],
    query_concepts: Sequence[str],
    cited: Mapping[str, float],
    *,
    concept_weight: float = 0.5,
    cited_weight: float = 0.5,
) -> Scored:
    """Hybrid text scores (already fused, any scale) plus concept and citation boosts, in [0, 1].

    ``concepts`` maps a PMID to its tagged concepts; ``cited`` maps a PMID cited by
    matching curated evidence to the strength of that evidence (0-1).
    """
    top = max((s for _, s in text), default=0.0) or 1.0
    base = {doc: s / top for doc, s in text}
    wanted = set(query_concepts)
    docs = set(base) | set(concepts) | set(cited)
    scores: dict[str, float] = {}
    for doc in docs:
        overlap = len(wanted.intersection(concepts.get(doc, ()))) / len(wanted) if wanted else 0.0
        scores[doc] = base.get(doc, 0.0) + concept_weight * overlap + cited_weight * cited.get(doc, 0.0)
    norm = 1.0 + concept_weight + cited_weight
    return sorted(((d, s / norm) for d, s in scores.items()), key=lambda item: (-item[1], item[0]))
