"""Golden ranking: exact orders and scores of evidence, articles and test recommendations.

A tiny authored corpus (``tests/fixtures/golden/corpus.json``: 13 evidence items, 12 tagged
articles, 7 test items, made up for this test) is written through the store's ``upsert_*``
methods into a real :class:`~kb.store.sqlite.SQLiteStore` in a temporary folder; the query
index is built from it as :func:`kb.services.build_services` builds it, and five doctors' queries
go through the real :meth:`kb.search.SearchService.search` (no embedding model, so BM25 and
concepts only: the kNN pass and its Rocchio feedback are not exercised here). Nothing in this
module repeats a step of the search: the tables pin what the service returns.

* ``TARGETS``: each query's :class:`~kb.ranking.ConceptTargets` (``SearchResult.targets``);
* ``CONCEPT_SCORES``: :func:`~kb.ranking.evidence_concept_score` of every stored item against them;
* ``EVIDENCE``: the ranked evidence (id, level); the result carries no evidence score, the
  concept scores above and the levels explain the order;
* ``ARTICLES``: the ranked articles (PMID, score, the query concepts each is tagged with);
* ``TESTS``: the recommended tests (id, score, matched genes, matched tumors);
* ``FUSION``: the pure fusion functions and Rocchio feedback on authored inputs.

These are golden values. A relevance regression fails here with a visible diff; when a
deliberate ranking change moves them, print the current tables (from the repository root) with

    .venv/bin/python -m tests.test_golden_ranking

paste them over the literal tables at the end of this module, run ``ruff format`` on it, and
review the diff as part of the change.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kb import domain
from kb.codec import from_dict
from kb.domain import Article, Drug, Evidence, EvidenceLevel, Gene, TumorType
from kb.query import build_query_index
from kb.ranking import convex_fusion, evidence_concept_score, feedback_vector, rrf
from kb.search import SearchResult, SearchService
from kb.store.sqlite import SQLiteStore
from kb.vocab import vocabularies_from_store

CORPUS = Path(__file__).parent / "fixtures" / "golden" / "corpus.json"

QUERIES = [
    "EGFR T790M 奥希替尼",  # gene + variant + drug (the drug in Chinese)
    "BRAF 结直肠癌",  # gene + tumor; civic:EID9007 "does not support" vemurafenib alone in colorectal cancer
    "ALK融合 肺癌",  # a generic alteration kind + a tumor whose OncoTree family weighs in
    "肺癌",  # tumor only: the tumor's evidence, and tests by indication
    "EGFR T790M leptomeningeal",  # a word that matches no concept: text relevance counts, text-only hits join
]
#: readable pytest ids for the queries, in QUERIES order
QUERY_IDS = [
    "gene-variant-drug",
    "gene-tumor-does-not-support",
    "fusion-kind-tumor-family",
    "tumor-only",
    "unresolved-word",
]
#: one page holds every hit, so the tables see the whole ranking
PAGE = 50


# --- the real search over the corpus -------------------------------------------------------------


def build_service(folder: Path, levels: Mapping[str, EvidenceLevel] | None = None) -> SearchService:
    """A SQLite store in ``folder`` holding the corpus, and the search service over it, as
    :func:`kb.services.build_services` builds it with ``embed=False``. ``levels`` overrides
    the level of some evidence items (for perturbations). The caller closes ``service.backend``."""
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    levels = levels or {}
    evidence = [from_dict(Evidence, e) for e in data["evidence"]]
    evidence = [dataclasses.replace(e, level=levels.get(e.id, e.level)) for e in evidence]
    store = SQLiteStore(folder / "kb.sqlite3")
    store.upsert_genes([from_dict(Gene, g) for g in data["genes"]])
    store.upsert_tumors([from_dict(TumorType, t) for t in data["tumors"]])
    store.upsert_drugs([from_dict(Drug, d) for d in data["drugs"]])
    store.upsert_evidence(evidence)
    store.upsert_tests([from_dict(domain.TestItem, t) for t in data["tests"]])
    store.upsert_articles([from_dict(Article, a) for a in data["articles"]])
    index = build_query_index(vocabularies_from_store(store), list(store.iter_evidence()))
    return SearchService(store, index, embedder=None)


def search_all(service: SearchService) -> dict[str, SearchResult]:
    return {text: service.search(text, size=PAGE) for text in QUERIES}


# --- the current values, in the shape of the literal tables ------------------------------------------


def _r(x: float) -> float:
    return round(x, 6)


def current_targets(results: Mapping[str, SearchResult]) -> dict[str, dict[str, Any]]:
    """The non-empty fields of each query's ConceptTargets (sorted; the text key left out)."""
    out: dict[str, dict[str, Any]] = {}
    for text, result in results.items():
        q = result.targets
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


def current_concept_scores(service: SearchService, results: Mapping[str, SearchResult]) -> dict[str, tuple[float, ...]]:
    """``evidence_concept_score`` of every stored evidence item (rows) for every query (columns, in QUERIES order)."""
    qs = [results[text].targets for text in QUERIES]
    items = sorted(service.backend.iter_evidence(), key=lambda e: e.id)
    return {e.id: tuple(_r(evidence_concept_score(e, q)) for q in qs) for e in items}


def current_evidence(results: Mapping[str, SearchResult]) -> dict[str, list[tuple[str, str]]]:
    """Ranked evidence per query: (id, level)."""
    return {text: [(e.id, e.level.value) for e in result.evidence] for text, result in results.items()}


def current_articles(results: Mapping[str, SearchResult]) -> dict[str, list[tuple[str, float, tuple[str, ...]]]]:
    """Ranked articles per query: (PMID, score, the query concepts it is tagged with)."""
    return {
        text: [(hit.article.pmid, _r(hit.score), hit.concepts) for hit in result.articles]
        for text, result in results.items()
    }


def current_tests(
    results: Mapping[str, SearchResult],
) -> dict[str, list[tuple[str, float, tuple[str, ...], tuple[str, ...]]]]:
    """Recommended tests per query: (test id, score, matched genes, matched tumors)."""
    return {
        text: [(r.item.id, _r(r.score), r.matched_genes, r.matched_tumors) for r in result.tests]
        for text, result in results.items()
    }


#: authored BM25 and kNN hit lists (best first) for the fusion functions
EVIDENCE_BM25 = [("civic:EID9001", 7.9), ("civic:EID9002", 6.1), ("civic:EID9005", 5.4)]
EVIDENCE_KNN = [("civic:EID9001", 0.71), ("civic:EID9005", 0.66), ("civic:EID9004", 0.58), ("civic:EID9002", 0.55)]
ARTICLE_BM25 = [("90000001", 12.4), ("90000005", 10.8), ("90000002", 9.1), ("90000004", 4.2)]
ARTICLE_KNN = [("90000005", 0.74), ("90000001", 0.72), ("90000004", 0.61), ("90000012", 0.52), ("90000002", 0.49)]
QUERY_VECTOR = [0.6, 0.8, 0.0]
FEEDBACK_VECTORS = [[0.0, 0.6, 0.8], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def current_fusion() -> dict[str, Any]:
    """The fusion functions on the authored hit lists, and Rocchio feedback on small unit vectors."""
    evidence, articles = [EVIDENCE_BM25, EVIDENCE_KNN], [ARTICLE_BM25, ARTICLE_KNN]
    return {
        "rrf": [(d, _r(s)) for d, s in rrf(evidence)],
        "rrf_weighted": [(d, _r(s)) for d, s in rrf(evidence, k=10, weights=[2.0, 1.0])],
        "convex": [(d, _r(s)) for d, s in convex_fusion(articles)],
        "convex_weighted": [(d, _r(s)) for d, s in convex_fusion(articles, [0.7, 0.3])],
        "feedback": [_r(x) for x in feedback_vector(QUERY_VECTOR, FEEDBACK_VECTORS)],
    }


def current_tables(service: SearchService) -> dict[str, Any]:
    results = search_all(service)
    return {
        "TARGETS": current_targets(results),
        "CONCEPT_SCORES": current_concept_scores(service, results),
        "EVIDENCE": current_evidence(results),
        "ARTICLES": current_articles(results),
        "TESTS": current_tests(results),
        "FUSION": current_fusion(),
    }


def print_tables() -> None:
    """Print the current values as the literal tables of this module (one row a line; then ruff format)."""
    with tempfile.TemporaryDirectory() as folder:
        service = build_service(Path(folder))
        try:
            tables = current_tables(service)
        finally:
            service.backend.close()
    for name, table in tables.items():
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
    "civic:EID9013": (0.0, 0.0, 0.0, 0.0, 0.0),
}

EVIDENCE = {
    "EGFR T790M 奥希替尼": [
        ("civic:EID9001", "A"),
        ("civic:EID9002", "B"),
        ("civic:EID9005", "C"),
        ("civic:EID9004", "A"),
        ("civic:EID9003", "A"),
    ],
    "BRAF 结直肠癌": [
        ("civic:EID9008", "A"),
        ("civic:EID9007", "B"),
        ("civic:EID9006", "A"),
    ],
    "ALK融合 肺癌": [
        ("civic:EID9010", "A"),
        ("civic:EID9011", "B"),
        ("civic:EID9012", "C"),
    ],
    "肺癌": [
        ("civic:EID9001", "A"),
        ("civic:EID9003", "A"),
        ("civic:EID9010", "A"),
        ("civic:EID9004", "A"),
        ("civic:EID9002", "B"),
        ("civic:EID9011", "B"),
        ("civic:EID9005", "C"),
        ("civic:EID9012", "C"),
    ],
    "EGFR T790M leptomeningeal": [
        ("civic:EID9002", "B"),
        ("civic:EID9001", "A"),
        ("civic:EID9005", "C"),
        ("civic:EID9003", "A"),
        ("civic:EID9004", "A"),
        ("civic:EID9013", "C"),
    ],
}

ARTICLES = {
    "EGFR T790M 奥希替尼": [
        ("90000004", 0.9167, ("drug:osimertinib", "gene:EGFR")),
        ("90000001", 0.8918, ("drug:osimertinib", "gene:EGFR", "variant:EGFR:T790M")),
        ("90000005", 0.8859, ("drug:osimertinib", "gene:EGFR", "variant:EGFR:T790M")),
        ("90000002", 0.443, ("gene:EGFR", "variant:EGFR:T790M")),
        ("90000003", 0.3333, ("gene:EGFR",)),
        ("90000007", 0.0833, ("gene:EGFR",)),
        ("90000012", 0.0833, ("gene:EGFR",)),
    ],
    "BRAF 结直肠癌": [
        ("90000008", 0.9167, ("gene:BRAF", "tumor:COADREAD")),
        ("90000007", 0.8371, ("gene:BRAF", "tumor:COADREAD")),
        ("90000003", 0.3866, ()),
        ("90000006", 0.3333, ("gene:BRAF",)),
        ("90000009", 0.0833, ("tumor:COADREAD",)),
    ],
    "ALK融合 肺癌": [
        ("90000010", 0.85, ("gene:ALK", "tumor:NSCLC")),
        ("90000011", 0.5477, ("gene:ALK", "tumor:LUAD")),
        ("90000003", 0.05, ("tumor:LUAD",)),
        ("90000012", 0.05, ("tumor:LUNG",)),
        ("90000004", 0.05, ("tumor:NSCLC",)),
        ("90000001", 0.05, ("tumor:NSCLC",)),
        ("90000002", 0.05, ("tumor:NSCLC",)),
    ],
    "肺癌": [
        ("90000003", 0.8125, ("tumor:LUAD",)),
        ("90000011", 0.7625, ("tumor:LUAD",)),
        ("90000010", 0.5453, ("tumor:NSCLC",)),
        ("90000012", 0.4921, ("tumor:LUNG",)),
        ("90000004", 0.425, ("tumor:NSCLC",)),
        ("90000001", 0.3125, ("tumor:NSCLC",)),
        ("90000002", 0.2625, ("tumor:NSCLC",)),
        ("90000005", 0.15, ()),
    ],
    "EGFR T790M leptomeningeal": [
        ("90000004", 0.875, ("gene:EGFR",)),
        ("90000002", 0.763, ("gene:EGFR", "variant:EGFR:T790M")),
        ("90000005", 0.6885, ("gene:EGFR", "variant:EGFR:T790M")),
        ("90000001", 0.5955, ("gene:EGFR", "variant:EGFR:T790M")),
        ("90000003", 0.375, ("gene:EGFR",)),
        ("90000007", 0.125, ("gene:EGFR",)),
        ("90000012", 0.125, ("gene:EGFR",)),
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


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    kb_service = build_service(tmp_path_factory.mktemp("golden"))
    yield kb_service
    kb_service.backend.close()


@pytest.fixture(scope="module")
def results(service: SearchService) -> dict[str, SearchResult]:
    return search_all(service)


def test_one_page_holds_every_hit(results: dict[str, SearchResult]) -> None:
    for result in results.values():
        assert (result.total_evidence, result.total_articles) == (len(result.evidence), len(result.articles))
        assert len(result.evidence) < PAGE and len(result.articles) < PAGE


def test_queries_resolve_to_the_pinned_concept_targets(results: dict[str, SearchResult]) -> None:
    assert current_targets(results) == TARGETS


def test_evidence_concept_scores_are_pinned(service: SearchService, results: dict[str, SearchResult]) -> None:
    assert current_concept_scores(service, results) == CONCEPT_SCORES


@pytest.mark.parametrize("text", QUERIES, ids=QUERY_IDS)
def test_evidence_ranking_is_pinned(results: dict[str, SearchResult], text: str) -> None:
    assert current_evidence(results)[text] == EVIDENCE[text]


@pytest.mark.parametrize("text", QUERIES, ids=QUERY_IDS)
def test_article_ranking_is_pinned(results: dict[str, SearchResult], text: str) -> None:
    assert current_articles(results)[text] == ARTICLES[text]


@pytest.mark.parametrize("text", QUERIES, ids=QUERY_IDS)
def test_test_recommendations_are_pinned(results: dict[str, SearchResult], text: str) -> None:
    assert current_tests(results)[text] == TESTS[text]


def test_recommendation_reason_is_pinned(results: dict[str, SearchResult]) -> None:
    top = results["BRAF 结直肠癌"].tests[0]
    assert (top.item.id, top.reason, top.reason_zh, top.sponsored) == ("T-CRC-RAS", *REASON, True)


def test_fusion_functions_are_pinned() -> None:
    assert current_fusion() == FUSION


def _search_with_levels(folder: Path, text: str, levels: Mapping[str, EvidenceLevel]) -> SearchResult:
    service = build_service(folder, levels)
    try:
        return service.search(text, size=PAGE)
    finally:
        service.backend.close()


def test_swapping_two_levels_swaps_the_pinned_evidence_order(tmp_path: Path) -> None:
    # EID9002 (B) and EID9005 (C) tie on concept score for this query; the level breaks the tie
    text = "EGFR T790M 奥希替尼"
    swapped = {
        text: _search_with_levels(tmp_path, text, {"civic:EID9002": EvidenceLevel.C, "civic:EID9005": EvidenceLevel.B})
    }
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


def test_weaker_evidence_lowers_the_pinned_test_score(tmp_path: Path) -> None:
    text = "BRAF 结直肠癌"
    weaker = {
        text: _search_with_levels(tmp_path, text, {"civic:EID9007": EvidenceLevel.C, "civic:EID9008": EvidenceLevel.C})
    }
    (test, score, *_), *_ = current_tests(weaker)[text]
    (pinned_test, pinned_score, *_), *_ = TESTS[text]
    assert test == pinned_test == "T-CRC-RAS" and score < pinned_score
    assert current_tests(weaker)[text] != TESTS[text]


if __name__ == "__main__":
    print_tables()
