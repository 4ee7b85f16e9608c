"""Golden ranking: exact scores and orders of evidence, articles and test recommendations.

A tiny authored corpus (``tests/fixtures/golden/corpus.json``: 12 evidence items, 12 tagged
articles, 7 test items, made up for this test) and five doctors' queries go through the same
steps as :class:`kb.search.SearchService`: the real query parser and :func:`kb.search.targets`
build the :class:`~kb.ranking.ConceptTargets`; the backends' BM25 and kNN hits are authored
literals (``RETRIEVED``), so no store, embedding model or network is involved; then the pure
functions of :mod:`kb.ranking` and :func:`kb.recommend.recommend_tests` rank. ``rank_evidence``
and ``rank_articles`` below repeat the steps of ``SearchService.rank_evidence`` and
``rank_articles``; keep them in step. The Rocchio second kNN pass needs stored vectors and is
left out here; :func:`~kb.ranking.feedback_vector` is pinned on its own.

These are golden values. A relevance regression fails here with a visible diff; when a
deliberate ranking change moves them, print the current tables (from the repository root) with

    .venv/bin/python -m tests.test_golden_ranking

paste them over the literal tables at the end of this module, run ``ruff format`` on it, and
review the diff as part of the change.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kb import domain
from kb.codec import from_dict
from kb.domain import Article, Drug, Evidence, EvidenceLevel, Gene, TumorType
from kb.query import QueryIndex, build_query_index, parse_query
from kb.ranking import (
    LEVEL_WEIGHT,
    LEXICAL_WEIGHT,
    ConceptTargets,
    article_scores,
    convex_fusion,
    evidence_concept_score,
    evidence_key,
    feedback_vector,
    rrf,
)
from kb.recommend import recommend_tests
from kb.search import _concept_ids, targets
from kb.vocab import DrugVocabulary, GeneVocabulary, TumorVocabulary, Vocabularies

CORPUS = Path(__file__).parent / "fixtures" / "golden" / "corpus.json"

Scored = list[tuple[str, float]]


# --- the corpus and the queries ------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    index: QueryIndex
    evidence: tuple[Evidence, ...]
    articles: Mapping[str, Article]
    tests: tuple[domain.TestItem, ...]


def load_corpus(evidence: Sequence[Evidence] | None = None) -> Corpus:
    """The authored corpus; ``evidence`` replaces its evidence items (for perturbations)."""
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    items = tuple(evidence) if evidence is not None else tuple(from_dict(Evidence, e) for e in data["evidence"])
    vocab = Vocabularies(
        genes=GeneVocabulary.build(from_dict(Gene, g) for g in data["genes"]),
        tumors=TumorVocabulary.build(from_dict(TumorType, t) for t in data["tumors"]),
        drugs=DrugVocabulary.build(from_dict(Drug, d) for d in data["drugs"]),
    )
    articles = {a["pmid"]: from_dict(Article, a) for a in data["articles"]}
    tests = tuple(from_dict(domain.TestItem, t) for t in data["tests"])
    return Corpus(build_query_index(vocab, items), items, articles, tests)


@cache
def corpus() -> Corpus:
    return load_corpus()


@dataclass(frozen=True)
class Retrieved:
    """What the backends return for one query (authored): BM25 and kNN hits, best first."""

    evidence_bm25: Scored
    evidence_knn: Scored
    article_bm25: Scored
    article_knn: Scored


RETRIEVED: dict[str, Retrieved] = {
    # gene + variant + drug (the drug in Chinese)
    "EGFR T790M 奥希替尼": Retrieved(
        evidence_bm25=[("civic:EID9001", 7.9), ("civic:EID9002", 6.1), ("civic:EID9005", 5.4)],
        evidence_knn=[
            ("civic:EID9001", 0.71),
            ("civic:EID9005", 0.66),
            ("civic:EID9004", 0.58),
            ("civic:EID9002", 0.55),
        ],
        article_bm25=[("90000001", 12.4), ("90000005", 10.8), ("90000002", 9.1), ("90000004", 4.2)],
        article_knn=[
            ("90000005", 0.74),
            ("90000001", 0.72),
            ("90000004", 0.61),
            ("90000012", 0.52),
            ("90000002", 0.49),
        ],
    ),
    # gene + tumor; civic:EID9007 "does not support" vemurafenib alone in colorectal cancer
    "BRAF 结直肠癌": Retrieved(
        evidence_bm25=[("civic:EID9007", 5.2), ("civic:EID9008", 5.0), ("civic:EID9006", 2.7), ("civic:EID9009", 2.1)],
        evidence_knn=[("civic:EID9008", 0.64), ("civic:EID9007", 0.61), ("civic:EID9009", 0.50)],
        article_bm25=[("90000007", 9.6), ("90000008", 9.3), ("90000006", 3.9), ("90000009", 3.5)],
        article_knn=[("90000008", 0.69), ("90000007", 0.67), ("90000009", 0.58), ("90000006", 0.44)],
    ),
    # a generic alteration kind + a tumor whose OncoTree family weighs in
    "ALK融合 肺癌": Retrieved(
        evidence_bm25=[("civic:EID9011", 6.3), ("civic:EID9010", 5.8), ("civic:EID9012", 3.1)],
        evidence_knn=[("civic:EID9010", 0.62), ("civic:EID9011", 0.60), ("civic:EID9012", 0.47)],
        article_bm25=[("90000011", 8.7), ("90000010", 8.2), ("90000012", 2.9)],
        article_knn=[("90000010", 0.66), ("90000011", 0.65), ("90000012", 0.51)],
    ),
    # tumor only: the tumor's evidence, and tests by indication
    "肺癌": Retrieved(
        evidence_bm25=[],
        evidence_knn=[("civic:EID9003", 0.41), ("civic:EID9010", 0.40), ("civic:EID9001", 0.39)],
        article_bm25=[("90000012", 6.8), ("90000003", 3.1), ("90000011", 3.0), ("90000010", 2.9)],
        article_knn=[("90000012", 0.55), ("90000010", 0.47), ("90000003", 0.46), ("90000001", 0.45)],
    ),
    # a word that matches no concept: text relevance counts in the evidence score
    "EGFR T790M leptomeningeal": Retrieved(
        evidence_bm25=[("civic:EID9002", 6.4), ("civic:EID9001", 6.2), ("civic:EID9005", 5.9)],
        evidence_knn=[("civic:EID9005", 0.52), ("civic:EID9001", 0.50), ("civic:EID9002", 0.47)],
        article_bm25=[("90000005", 7.7), ("90000001", 7.5), ("90000002", 7.0)],
        article_knn=[("90000001", 0.58), ("90000005", 0.57), ("90000012", 0.50)],
    ),
}
QUERIES = list(RETRIEVED)
#: readable pytest ids for the queries, in QUERIES order
QUERY_IDS = [
    "gene-variant-drug",
    "gene-tumor-does-not-support",
    "fusion-kind-tumor-family",
    "tumor-only",
    "unresolved-word",
]


# --- the search steps (as in kb.search.SearchService), on the corpus --------------------------------


def concept_targets(text: str, c: Corpus) -> ConceptTargets:
    return targets(parse_query(text, c.index), c.index)


def rank_evidence(text: str, c: Corpus) -> list[tuple[Evidence, float, float]]:
    """``SearchService.rank_evidence``: (item, concept score + text share, fused text relevance), ranked."""
    q, hits = concept_targets(text, c), RETRIEVED[text]
    fused = dict(rrf([hits.evidence_bm25, hits.evidence_knn]))
    top = max(fused.values(), default=0.0) or 1.0
    fused = {doc: score / top for doc, score in fused.items()}
    genes = q.genes | q.implied_genes
    by_tumor = set(q.tumor_family) if not genes else set()
    # Backend.evidence_matching, then the text hits it did not return
    pool = {e.id: e for e in c.evidence if e.gene in genes or e.tumor_code in by_tumor or q.drugs & set(e.drugs)}
    pool.update({e.id: e for e in c.evidence if e.id in fused and e.id not in pool})
    text_weight = 0.75 if q.unresolved else 0.0
    scored = [
        (e, evidence_concept_score(e, q) + text_weight * fused.get(e.id, 0.0), fused.get(e.id, 0.0))
        for e in pool.values()
    ]
    if not q.empty:
        scored = [s for s in scored if s[1] > 0 or (q.unresolved and s[2] > 0)]
    scored.sort(key=lambda s: evidence_key(s[0], s[1], s[2]) if not q.empty else (-s[2],))
    return scored


def rank_articles(text: str, c: Corpus, evidence: Sequence[Evidence]) -> tuple[Scored, Scored]:
    """``SearchService.rank_articles`` without the feedback pass: (fused text scores, final scores)."""
    q, hits = concept_targets(text, c), RETRIEVED[text]
    fused = convex_fusion([hits.article_bm25, hits.article_knn], [LEXICAL_WEIGHT, 1.0 - LEXICAL_WEIGHT])
    wanted = _concept_ids(q)
    # Backend.articles_with_concepts: PMIDs tagged with any wanted concept, with the ones each carries
    tagged = {
        pmid: tuple(sorted(set(wanted).intersection(a.concepts)))
        for pmid, a in c.articles.items()
        if set(wanted).intersection(a.concepts)
    }
    cited: dict[str, float] = {}
    for item in evidence[:50]:
        strength = LEVEL_WEIGHT.get(item.level.value, 0) / 5
        for citation in item.citations:
            if citation.pmid:
                cited[citation.pmid] = max(cited.get(citation.pmid, 0.0), strength)
    cited = {pmid: strength for pmid, strength in cited.items() if pmid in c.articles}  # only held PMIDs
    return fused, article_scores(fused, tagged, wanted, cited)


# --- the current values, in the shape of the literal tables ------------------------------------------


def _r(x: float) -> float:
    return round(x, 6)


def current_targets(c: Corpus) -> dict[str, dict[str, Any]]:
    """The non-empty fields of each query's ConceptTargets (sorted; the text key left out)."""
    out: dict[str, dict[str, Any]] = {}
    for text in QUERIES:
        q = concept_targets(text, c)
        fields = {
            "genes": tuple(sorted(q.genes)),
            "implied_genes": tuple(sorted(q.implied_genes)),
            "variants": tuple(sorted(q.variants)),
            "variant_kinds": {g: tuple(sorted(k.value for k in kinds)) for g, kinds in sorted(q.variant_kinds.items())},
            "tumor_family": {code: _r(w) for code, w in sorted(q.tumor_family.items())},
            "drugs": tuple(sorted(q.drugs)),
            "unresolved": q.unresolved,
        }
        out[text] = {name: value for name, value in fields.items() if value}
    return out


def current_concept_scores(c: Corpus) -> dict[str, tuple[float, ...]]:
    """``evidence_concept_score`` of every evidence item (rows) for every query (columns, in QUERIES order)."""
    qs = [concept_targets(text, c) for text in QUERIES]
    return {e.id: tuple(_r(evidence_concept_score(e, q)) for q in qs) for e in c.evidence}


def current_evidence(c: Corpus) -> dict[str, list[tuple[str, str, float, float]]]:
    """Ranked evidence per query: (id, level, score, fused text relevance)."""
    return {
        text: [(e.id, e.level.value, _r(score), _r(rel)) for e, score, rel in rank_evidence(text, c)]
        for text in QUERIES
    }


def current_articles(c: Corpus) -> dict[str, list[tuple[str, float, float]]]:
    """Ranked articles per query: (PMID, fused text score, final score)."""
    out: dict[str, list[tuple[str, float, float]]] = {}
    for text in QUERIES:
        fused, ranked = rank_articles(text, c, [e for e, _, _ in rank_evidence(text, c)])
        base = dict(fused)
        out[text] = [(pmid, _r(base.get(pmid, 0.0)), _r(score)) for pmid, score in ranked]
    return out


def current_tests(c: Corpus) -> dict[str, list[tuple[str, float, tuple[str, ...], tuple[str, ...]]]]:
    """Recommended tests per query: (test id, score, matched genes, matched tumors)."""
    out: dict[str, list[tuple[str, float, tuple[str, ...], tuple[str, ...]]]] = {}
    for text in QUERIES:
        evidence = [e for e, _, _ in rank_evidence(text, c)]
        recs = recommend_tests(c.tests, concept_targets(text, c), evidence, c.index.vocab.tumors)
        out[text] = [(r.item.id, r.score, r.matched_genes, r.matched_tumors) for r in recs]
    return out


def current_fusion() -> dict[str, Any]:
    """The fusion functions on the first query's hits, and Rocchio feedback on small unit vectors."""
    hits = RETRIEVED[QUERIES[0]]
    return {
        "rrf": [(d, _r(s)) for d, s in rrf([hits.evidence_bm25, hits.evidence_knn])],
        "rrf_weighted": [(d, _r(s)) for d, s in rrf([hits.evidence_bm25, hits.evidence_knn], k=10, weights=[2.0, 1.0])],
        "convex": [(d, _r(s)) for d, s in convex_fusion([hits.article_bm25, hits.article_knn])],
        "convex_weighted": [(d, _r(s)) for d, s in convex_fusion([hits.article_bm25, hits.article_knn], [0.7, 0.3])],
        "feedback": [_r(x) for x in feedback_vector(QUERY_VECTOR, FEEDBACK_VECTORS)],
    }


QUERY_VECTOR = [0.6, 0.8, 0.0]
FEEDBACK_VECTORS = [[0.0, 0.6, 0.8], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def current_tables() -> dict[str, Any]:
    c = corpus()
    return {
        "TARGETS": current_targets(c),
        "CONCEPT_SCORES": current_concept_scores(c),
        "EVIDENCE": current_evidence(c),
        "ARTICLES": current_articles(c),
        "TESTS": current_tests(c),
        "FUSION": current_fusion(),
    }


def print_tables() -> None:
    """Print the current values as the literal tables of this module (one row a line; then ruff format)."""
    for name, table in current_tables().items():
        print(f"{name} = {{")
        if name == "CONCEPT_SCORES":
            print(f"    # columns: {', '.join(QUERIES)}")
        for key, value in table.items():
            if isinstance(value, list) and value and isinstance(value[0], tuple):
                print(f"    {key!r}: [")
                for row in value:
                    print(f"        {row!r},")
                print("    ],")
            else:
                print(f"    {key!r}: {value!r},")
        print("}\n")


# --- the golden tables (printed by print_tables) ---------------------------------------------------

TARGETS = {
    "EGFR T790M 奥希替尼": {"genes": ("EGFR",), "variants": ("EGFR:T790M",), "drugs": ("osimertinib",)},
    "BRAF 结直肠癌": {"genes": ("BRAF",), "tumor_family": {"BOWEL": 0.6, "COADREAD": 1.0}},
    "ALK融合 肺癌": {
        "genes": ("ALK",),
        "variant_kinds": {"ALK": ("fusion",)},
        "tumor_family": {"LUAD": 0.9, "LUNG": 1.0, "LUSC": 0.9, "NSCLC": 0.9},
    },
    "肺癌": {"tumor_family": {"LUAD": 0.9, "LUNG": 1.0, "LUSC": 0.9, "NSCLC": 0.9}},
    "EGFR T790M leptomeningeal": {"genes": ("EGFR",), "variants": ("EGFR:T790M",), "unresolved": True},
}

CONCEPT_SCORES = {
    # columns: EGFR T790M 奥希替尼, BRAF 结直肠癌, ALK融合 肺癌, 肺癌, EGFR T790M leptomeningeal
    "civic:EID9001": (3.5, 0.0, 0.9, 0.9, 2.5),
    "civic:EID9002": (2.5, 0.0, 0.9, 0.9, 2.5),
    "civic:EID9003": (1.0, 0.0, 0.9, 0.9, 1.0),
    "civic:EID9004": (2.0, 0.0, 0.9, 0.9, 1.0),
    "civic:EID9005": (2.5, 0.0, 0.9, 0.9, 1.5),
    "civic:EID9006": (0.0, 1.0, 0.0, 0.0, 0.0),
    "civic:EID9007": (0.0, 2.0, 0.0, 0.0, 0.0),
    "civic:EID9008": (0.0, 2.0, 0.0, 0.0, 0.0),
    "civic:EID9009": (0.0, 1.0, 0.0, 0.0, 0.0),
    "civic:EID9010": (0.0, 0.0, 3.4, 0.9, 0.0),
    "civic:EID9011": (0.0, 0.0, 3.4, 0.9, 0.0),
    "civic:EID9012": (0.0, 0.0, 1.9, 0.9, 0.0),
}

EVIDENCE = {
    "EGFR T790M 奥希替尼": [
        ("civic:EID9001", "A", 3.5, 1.0),
        ("civic:EID9002", "B", 2.5, 0.968498),
        ("civic:EID9005", "C", 2.5, 0.976062),
        ("civic:EID9004", "A", 2.0, 0.484127),
        ("civic:EID9003", "A", 1.0, 0.0),
    ],
    "BRAF 结直肠癌": [
        ("civic:EID9008", "A", 2.0, 1.0),
        ("civic:EID9007", "B", 2.0, 1.0),
        ("civic:EID9009", "A", 1.0, 0.9685),
        ("civic:EID9006", "A", 1.0, 0.488063),
    ],
    "ALK融合 肺癌": [
        ("civic:EID9010", "A", 3.4, 1.0),
        ("civic:EID9011", "B", 3.4, 1.0),
        ("civic:EID9012", "C", 1.9, 0.976126),
    ],
    "肺癌": [
        ("civic:EID9003", "A", 0.9, 1.0),
        ("civic:EID9010", "A", 0.9, 0.983871),
        ("civic:EID9001", "A", 0.9, 0.968254),
        ("civic:EID9004", "A", 0.9, 0.0),
        ("civic:EID9002", "B", 0.9, 0.0),
        ("civic:EID9011", "B", 0.9, 0.0),
        ("civic:EID9005", "C", 0.9, 0.0),
        ("civic:EID9012", "C", 0.9, 0.0),
    ],
    "EGFR T790M leptomeningeal": [
        ("civic:EID9001", "A", 3.249805, 0.99974),
        ("civic:EID9002", "B", 3.25, 1.0),
        ("civic:EID9005", "C", 2.25, 1.0),
        ("civic:EID9003", "A", 1.0, 0.0),
        ("civic:EID9004", "A", 1.0, 0.0),
    ],
}

ARTICLES = {
    "EGFR T790M 奥希替尼": [
        ("90000001", 0.96, 1.0),
        ("90000005", 0.902439, 0.87002),
        ("90000004", 0.24, 0.541667),
        ("90000002", 0.29878, 0.522282),
        ("90000003", 0.0, 0.333333),
        ("90000012", 0.06, 0.114583),
        ("90000007", 0.0, 0.083333),
    ],
    "BRAF 结直肠癌": [
        ("90000008", 0.97541, 0.916667),
        ("90000007", 0.96, 0.858768),
        ("90000009", 0.28, 0.476863),
        ("90000006", 0.032787, 0.35014),
    ],
    "ALK融合 肺癌": [
        ("90000010", 0.956897, 0.844946),
        ("90000011", 0.966667, 0.8),
        ("90000001", 0.0, 0.05),
        ("90000002", 0.0, 0.05),
        ("90000003", 0.0, 0.05),
        ("90000004", 0.0, 0.05),
        ("90000012", 0.0, 0.05),
    ],
    "肺癌": [
        ("90000012", 1.0, 0.5625),
        ("90000010", 0.1, 0.3625),
        ("90000003", 0.075641, 0.350321),
        ("90000001", 0.0, 0.3125),
        ("90000004", 0.0, 0.3125),
        ("90000011", 0.012821, 0.26891),
        ("90000002", 0.0, 0.2625),
        ("90000005", 0.0, 0.15),
    ],
    "EGFR T790M leptomeningeal": [
        ("90000001", 0.857143, 0.957143),
        ("90000005", 0.9375, 0.9),
        ("90000002", 0.0, 0.45),
        ("90000003", 0.0, 0.375),
        ("90000004", 0.0, 0.375),
        ("90000007", 0.0, 0.125),
        ("90000012", 0.0, 0.125),
    ],
}

TESTS = {
    "EGFR T790M 奥希替尼": [
        ("T-EGFR-DDPCR", 2.1961, ("EGFR",), ()),
        ("T-LUAD-PLASMA", 2.1887, ("EGFR",), ()),
        ("T-LUNG-9", 2.1695, ("EGFR",), ()),
        ("T-PAN-30", 1.825, ("EGFR",), ()),
    ],
    "BRAF 结直肠癌": [
        ("T-CRC-RAS", 2.3887, ("BRAF",), ("COADREAD",)),
        ("T-LUNG-9", 1.8695, ("BRAF",), ()),
        ("T-PAN-30", 1.825, ("BRAF",), ()),
    ],
    "ALK融合 肺癌": [
        ("T-ALK-FISH", 2.3961, ("ALK",), ("NSCLC",)),
        ("T-LUNG-9", 2.3695, ("ALK",), ("NSCLC",)),
        ("T-LUAD-PLASMA", 2.1887, ("ALK",), ("LUAD",)),
        ("T-PAN-30", 1.825, ("ALK",), ()),
    ],
    "肺癌": [
        ("T-ALK-FISH", 0.8961, (), ("NSCLC",)),
        ("T-EGFR-DDPCR", 0.8961, (), ("NSCLC",)),
        ("T-LUAD-PLASMA", 0.8887, (), ("LUAD",)),
        ("T-LUNG-9", 0.8695, (), ("NSCLC",)),
    ],
    "EGFR T790M leptomeningeal": [
        ("T-EGFR-DDPCR", 2.1961, ("EGFR",), ()),
        ("T-LUAD-PLASMA", 2.1887, ("EGFR",), ()),
        ("T-LUNG-9", 2.1695, ("EGFR",), ()),
        ("T-PAN-30", 1.825, ("EGFR",), ()),
    ],
}

FUSION = {
    "rrf": [
        ("civic:EID9001", 0.032787),
        ("civic:EID9005", 0.032002),
        ("civic:EID9002", 0.031754),
        ("civic:EID9004", 0.015873),
    ],
    "rrf_weighted": [
        ("civic:EID9001", 0.272727),
        ("civic:EID9002", 0.238095),
        ("civic:EID9005", 0.237179),
        ("civic:EID9004", 0.076923),
    ],
    "convex": [
        ("90000001", 0.96),
        ("90000005", 0.902439),
        ("90000002", 0.29878),
        ("90000004", 0.24),
        ("90000012", 0.06),
    ],
    "convex_weighted": [
        ("90000001", 0.976),
        ("90000005", 0.863415),
        ("90000002", 0.418293),
        ("90000004", 0.144),
        ("90000012", 0.036),
    ],
    "feedback": [0.565916, 0.808452, 0.16169],
}


# --- the tests --------------------------------------------------------------------------------------

REASON = (
    "Company test: detects BRAF; indicated for Colorectal Adenocarcinoma; "
    "curated CIViC evidence for BRAF (best level A, 2 items).",
    "本公司检测项目：检测BRAF；适用于结直肠癌；相关CIViC证据：BRAF（最高A级，2条）。",
)


def test_queries_resolve_to_the_pinned_concept_targets() -> None:
    assert current_targets(corpus()) == TARGETS


def test_evidence_concept_scores_are_pinned() -> None:
    assert current_concept_scores(corpus()) == CONCEPT_SCORES


@pytest.mark.parametrize("text", QUERIES, ids=QUERY_IDS)
def test_evidence_ranking_is_pinned(text: str) -> None:
    assert current_evidence(corpus())[text] == EVIDENCE[text]


@pytest.mark.parametrize("text", QUERIES, ids=QUERY_IDS)
def test_article_ranking_is_pinned(text: str) -> None:
    assert current_articles(corpus())[text] == ARTICLES[text]


@pytest.mark.parametrize("text", QUERIES, ids=QUERY_IDS)
def test_test_recommendations_are_pinned(text: str) -> None:
    assert current_tests(corpus())[text] == TESTS[text]


def test_recommendation_reason_is_pinned() -> None:
    c, text = corpus(), "BRAF 结直肠癌"
    evidence = [e for e, _, _ in rank_evidence(text, c)]
    top = recommend_tests(c.tests, concept_targets(text, c), evidence, c.index.vocab.tumors)[0]
    assert (top.item.id, top.reason, top.reason_zh, top.sponsored) == ("T-CRC-RAS", *REASON, True)


def test_fusion_functions_are_pinned() -> None:
    assert current_fusion() == FUSION


def _with_levels(levels: Mapping[str, EvidenceLevel]) -> Corpus:
    return load_corpus([dataclasses.replace(e, level=levels.get(e.id, e.level)) for e in corpus().evidence])


def test_swapping_two_levels_swaps_the_pinned_evidence_order() -> None:
    # EID9002 (B) and EID9005 (C) tie on concept score for this query; the level breaks the tie
    text = "EGFR T790M 奥希替尼"
    swapped = _with_levels({"civic:EID9002": EvidenceLevel.C, "civic:EID9005": EvidenceLevel.B})
    ranked = current_evidence(swapped)[text]
    assert [row[0] for row in ranked] == [
        "civic:EID9001",
        "civic:EID9005",
        "civic:EID9002",
        "civic:EID9004",
        "civic:EID9003",
    ]
    assert ranked != EVIDENCE[text]
    assert current_articles(swapped)[text] != ARTICLES[text]  # the citation boost follows the level


def test_weaker_evidence_lowers_the_pinned_test_score() -> None:
    text = "BRAF 结直肠癌"
    weaker = _with_levels({"civic:EID9007": EvidenceLevel.C, "civic:EID9008": EvidenceLevel.C})
    (test, score, *_), *_ = current_tests(weaker)[text]
    (pinned_test, pinned_score, *_), *_ = current_tests(corpus())[text]
    assert test == pinned_test == "T-CRC-RAS" and score < pinned_score
    assert current_tests(weaker)[text] != TESTS[text]


if __name__ == "__main__":
    print_tables()
