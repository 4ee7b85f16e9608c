"""Ranking as pure functions over ``(id, score)`` lists, shared by every backend.

* :func:`rrf` — reciprocal rank fusion of several rankings (evidence);
* :func:`convex_fusion` — weighted sum of min-max normalised scores (articles: BM25 + kNN);
* :func:`feedback_vector` — Rocchio pseudo-relevance feedback for the dense query;
* :func:`evidence_concept_score` — how well an evidence item matches the query's concepts (the clinical
  order built on it is in :mod:`kb.ordering`);
* :func:`article_scores` — articles carrying more of the query's concepts first, then hybrid text score
  plus concept and citation boosts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kb.domain import Alteration, AlterationKind, Evidence
from kb.literature import ConceptSlot, slot_match
from kb.text import name_key
from kb.vocab.variants import alteration_components

if TYPE_CHECKING:
    from kb.vocab.tumors import TumorVocabulary

__all__ = [
    "FEEDBACK_DOCS",
    "FEEDBACK_WEIGHT",
    "LEVEL_WEIGHT",
    "LEXICAL_WEIGHT",
    "ConceptTargets",
    "answers_variant",
    "article_scores",
    "convex_fusion",
    "evidence_concept_score",
    "evidence_place",
    "feedback_vector",
    "rrf",
    "tumor_family",
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
    intents: tuple[str, ...] = ()  # what the query asks (Intent values), for kb.ordering
    biomarkers: frozenset[str] = frozenset()  # biomarker ids named (MSI-H, PD-L1; an ambiguous one's candidates)
    biomarker_alterations: frozenset[str] = frozenset()  # alteration ids that report them (CD274:EXPRESSION)
    # the other states of their groups, not named (HER2-positive beside HER2-low), and their alterations
    other_states: frozenset[str] = frozenset()
    other_alterations: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.genes or self.implied_genes or self.variants or self.tumors or self.drugs or self.biomarkers)


def tumor_family(codes: Iterable[str], tumors: TumorVocabulary) -> dict[str, float]:
    """OncoTree family weights of the asked tumor codes: 1 for a code, 0.9 for its descendants, 0.6 for its
    ancestors (:attr:`ConceptTargets.tumor_family`)."""
    family: dict[str, float] = {}
    codes = list(codes)
    for code in codes:
        for anc in tumors.ancestors(code):
            family[anc] = max(family.get(anc, 0.0), 0.6)
        for desc in tumors.descendants(code):
            family[desc] = max(family.get(desc, 0.0), 0.9)
    family.update({code: 1.0 for code in codes})
    return family


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
    place = evidence_place(item, q)
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


def evidence_place(item: Evidence, q: ConceptTargets) -> float:
    """How well an item's tumor matches the query's: the OncoTree family weight of its code (1 for a named
    code), or 1 when the query text names its unmapped disease; 0 when the query names no tumor."""
    if item.tumor_code and q.tumor_family:
        return q.tumor_family.get(item.tumor_code, 0.0)
    if q.text_key and item.disease and not q.tumor_family.get(item.tumor_code or "", 0.0):
        return 1.0 if name_key(item.disease) in q.text_key else 0.0
    return 0.0


def _variant_score(item: Evidence, q: ConceptTargets) -> float:
    """The best match of the item's alteration, or of the alteration of a source assertion that cites it (a
    CIViC assertion on FLT3 ITD cites items filed under FLT3 mutation: they support the ITD statement)."""
    scores = [_alteration_score(item.alteration, q)]
    scores += [
        _alteration_score(a.alteration, q) for a in item.assertions if a.alteration and a.alteration.gene == item.gene
    ]
    return max(scores)


def _alteration_score(alteration: Alteration, q: ConceptTargets) -> float:
    prefix = f"{alteration.gene}:"
    asked = {v.removeprefix(prefix) for v in q.variants if v.startswith(prefix)}
    generic = q.variant_kinds.get(alteration.gene, frozenset())
    if asked:
        events = alteration_components(alteration)
        overlap = len(asked & events) / len(asked | events)
        if overlap:
            return 1.5 * overlap
        if alteration.kind in generic:
            return 0.3
        return 0.5 if alteration.kind is AlterationKind.MUTATION else 0.0
    return 1.5 if alteration.kind in generic else 0.0


def answers_variant(item: Evidence, q: ConceptTargets) -> bool | None:
    """Whether an item answers the variant the query names for its gene (None: the query names none for it).

    Another alteration of the gene, or "any mutation" of it, does not: EGFR exon 20 insertions are not
    answered by EGFR-mutation sensitivity rows.
    """
    if not any(v.startswith(f"{item.gene}:") for v in q.variants) and item.gene not in q.variant_kinds:
        return None
    score = _variant_score(item, q)
    return score > 0.5 or (score > 0 and item.alteration.kind is not AlterationKind.MUTATION)


def article_scores(
    text: Scored,
    concepts: Mapping[str, Sequence[str]],
    slots: Sequence[ConceptSlot],
    cited: Mapping[str, float],
    *,
    strict: bool = True,
    concept_weight: float = 0.5,
    cited_weight: float = 0.5,
) -> Scored:
    """Articles by the query concepts they carry, then hybrid text score plus concept and citation boosts.

    ``text``: the fused text scores (any scale, divided by the best); ``concepts`` maps a PMID to its tagged
    concepts; ``slots`` are the query's concepts as tags carry them (:func:`kb.literature.concept_slots`);
    ``cited`` maps a PMID cited by matching curated evidence to the strength of that evidence (0-1).

    With no slot (nothing resolved, or nothing a tag can carry) the score is text and citation:
    ``(text + cited_weight * cited) / (1 + concept_weight + cited_weight)``.

    With slots and ``strict`` (the concepts are the whole question), an article carrying more of them ranks
    first (every slot before some), one that neither carries nor hints at any is left out, and among
    articles carrying as many, ``text + concept_weight * credit + cited_weight * cited`` (over the same norm;
    ``credit``: the mean slot weight, hints and family weights included) orders them. The score is
    ``(slots carried + that) / (len(slots) + 1)``, in [0, 1] and falling as the rank does.

    Not ``strict`` (words the concepts don't account for remain, which the text may answer): the hybrid score
    ``text + concept_weight * share + cited_weight * cited`` over the norm (``share``: of the slots' ids the
    article is tagged with) ranks every article, text-only ones included; then, in the places the articles
    with a concept hold, those carrying more slots come first, each taking the score of its place.
    """
    top = max((s for _, s in text), default=0.0) or 1.0
    base = {doc: s / top for doc, s in text}
    norm = 1.0 + concept_weight + cited_weight
    ranked: list[tuple[str, float, int]] = []
    ids = {i for slot in slots for i in slot.ids}
    matched = {doc: slot_match(concepts.get(doc, ()), slots) for doc in set(base) | set(concepts) | set(cited)}
    for doc, (carried, credit) in matched.items():
        tags = concepts.get(doc, ())
        if strict and slots and credit <= 0:
            continue
        share = len(ids.intersection(tags)) / len(ids) if ids else 0.0
        boost = concept_weight * (credit if strict else share) + cited_weight * cited.get(doc, 0.0)
        inner = (base.get(doc, 0.0) + boost) / norm
        score = (carried + inner) / (len(slots) + 1) if strict and slots else inner
        ranked.append((doc, score, carried if strict else 0))
    ranked.sort(key=lambda r: (-r[2], -r[1], r[0]))
    if strict or not slots:
        return [(doc, score) for doc, score, _ in ranked]
    places = [n for n, (doc, _, _) in enumerate(ranked) if matched[doc][1] > 0]
    movers = sorted(places, key=lambda n: -matched[ranked[n][0]][0])
    order = [doc for doc, _, _ in ranked]
    for place, mover in zip(places, movers, strict=True):
        order[place] = ranked[mover][0]
    return [(doc, ranked[n][1]) for n, doc in enumerate(order)]
