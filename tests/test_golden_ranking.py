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
* ``EVIDENCE``: the ranked evidence (id, level), in the clinical order of :mod:`kb.ordering`; the result
  carries no evidence score, the concept scores above, the kinds and the levels explain the order;
* ``SUMMARIES``: the clinical statements (key, best level, items, direction, tumor relation);
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


def current_summaries(results: Mapping[str, SearchResult]) -> dict[str, list[tuple[str, str, int, str, str]]]:
    """Clinical statements per query: (key, best level, items, direction, tumor relation)."""
    return {
        text: [(st.key, st.best_level.value, len(st.items), st.direction, st.relation.value) for st in result.summaries]
        for text, result in results.items()
    }


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
        "SUMMARIES": current_summaries(results),
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
    ],
    "BRAF 结直肠癌": [
        ("civic:EID9008", "A"),
        ("civic:EID9007", "B"),
        ("civic:EID9006", "A"),
    ],
    "ALK融合 肺癌": [
        ("civic:EID9010", "A"),
        ("civic:EID9011", "B"),
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
        ("civic:EID9013", "C"),
    ],
}

SUMMARIES = {
    "EGFR T790M 奥希替尼": [
        ("EGFR:T790M|NSCLC|osimertinib|predictive|sensitivity", "A", 1, "supports", "any"),
        ("EGFR:T790M|NSCLC|gefitinib|predictive|resistance", "B", 1, "supports", "any"),
        ("EGFR:T790M/C797S|NSCLC|osimertinib|predictive|resistance", "C", 1, "supports", "any"),
        ("EGFR:EXON19DEL(exon19deletion)|NSCLC|osimertinib|predictive|sensitivity", "A", 1, "supports", "any"),
    ],
    "BRAF 结直肠癌": [
        ("BRAF:V600E|COADREAD|cetuximab+encorafenib|predictive|sensitivity", "A", 1, "supports", "exact"),
        ("BRAF:V600E|COADREAD|vemurafenib|predictive|sensitivity", "B", 1, "does_not_support", "exact"),
        ("BRAF:V600E|MEL|vemurafenib|predictive|sensitivity", "A", 1, "supports", "other"),
    ],
    "ALK融合 肺癌": [
        ("ALK:EML4-ALK|NSCLC|crizotinib|predictive|sensitivity", "A", 1, "supports", "family"),
        ("ALK:FUSION|LUAD|alectinib|predictive|sensitivity", "B", 1, "supports", "family"),
    ],
    "肺癌": [
        ("EGFR:T790M|NSCLC|osimertinib|predictive|sensitivity", "A", 1, "supports", "family"),
        ("EGFR:L858R|LUAD|erlotinib|predictive|sensitivity", "A", 1, "supports", "family"),
        ("ALK:EML4-ALK|NSCLC|crizotinib|predictive|sensitivity", "A", 1, "supports", "family"),
        ("EGFR:EXON19DEL(exon19deletion)|NSCLC|osimertinib|predictive|sensitivity", "A", 1, "supports", "family"),
        ("EGFR:T790M|NSCLC|gefitinib|predictive|resistance", "B", 1, "supports", "family"),
        ("ALK:FUSION|LUAD|alectinib|predictive|sensitivity", "B", 1, "supports", "family"),
        ("EGFR:T790M/C797S|NSCLC|osimertinib|predictive|resistance", "C", 1, "supports", "family"),
        ("ALK:C1156Y(eml4alkc1156y)|NSCLC|crizotinib|predictive|resistance", "C", 1, "supports", "family"),
    ],
    "EGFR T790M leptomeningeal": [
        ("EGFR:T790M|NSCLC|gefitinib|predictive|resistance", "B", 1, "supports", "any"),
        ("EGFR:T790M|NSCLC|osimertinib|predictive|sensitivity", "A", 1, "supports", "any"),
        ("EGFR:T790M/C797S|NSCLC|osimertinib|predictive|resistance", "C", 1, "supports", "any"),
        ("ERBB2:AMPLIFICATION|BRCA||prognostic|poor_outcome", "C", 1, "supports", "any"),
    ],
}

ARTICLES = {
    "EGFR T790M 奥希替尼": [
        ("90000001", 0.9639, ("drug:osimertinib", "gene:EGFR", "variant:EGFR:T790M")),
        ("90000005", 0.962, ("drug:osimertinib", "gene:EGFR", "variant:EGFR:T790M")),
        ("90000004", 0.6458, ("drug:osimertinib", "gene:EGFR")),
        ("90000002", 0.4671, ("gene:EGFR", "variant:EGFR:T790M")),
        ("90000003", 0.0208, ("gene:EGFR",)),
        ("90000007", 0.0208, ("gene:EGFR",)),
        ("90000012", 0.0208, ("gene:EGFR",)),
    ],
    "BRAF 结直肠癌": [
        ("90000008", 1.0, ("gene:BRAF", "tumor:COADREAD")),
        ("90000007", 0.9735, ("gene:BRAF", "tumor:COADREAD")),
        ("90000006", 0.4583, ("gene:BRAF",)),
        ("90000009", 0.375, ("tumor:COADREAD",)),
    ],
    "ALK融合 肺癌": [
        ("90000010", 0.6417, ("gene:ALK", "tumor:NSCLC")),
        ("90000011", 0.5409, ("gene:ALK", "tumor:LUAD")),
        ("90000012", 0.375, ("tumor:LUNG",)),
        ("90000003", 0.3708, ("tumor:LUAD",)),
        ("90000004", 0.3708, ("tumor:NSCLC",)),
        ("90000001", 0.3708, ("tumor:NSCLC",)),
        ("90000002", 0.3708, ("tumor:NSCLC",)),
    ],
    "肺癌": [
        ("90000003", 0.9875, ("tumor:LUAD",)),
        ("90000011", 0.9625, ("tumor:LUAD",)),
        ("90000010", 0.8539, ("tumor:NSCLC",)),
        ("90000012", 0.8398, ("tumor:LUNG",)),
        ("90000004", 0.7938, ("tumor:NSCLC",)),
        ("90000001", 0.7375, ("tumor:NSCLC",)),
        ("90000002", 0.7125, ("tumor:NSCLC",)),
    ],
    "EGFR T790M leptomeningeal": [
        ("90000002", 0.6796, ("gene:EGFR", "variant:EGFR:T790M")),
        ("90000005", 0.6051, ("gene:EGFR", "variant:EGFR:T790M")),
        ("90000001", 0.5833, ("gene:EGFR", "variant:EGFR:T790M")),
        ("90000004", 0.5122, ("gene:EGFR",)),
        ("90000003", 0.0833, ("gene:EGFR",)),
        ("90000007", 0.0833, ("gene:EGFR",)),
        ("90000012", 0.0833, ("gene:EGFR",)),
    ],
}

TESTS = {
    "EGFR T790M 奥希替尼": [
        ("T-EGFR-DDPCR", 1.6961, ("EGFR",), ("NSCLC",)),
        ("T-LUAD-PLASMA", 1.6887, ("EGFR",), ("LUAD",)),
        ("T-LUNG-9", 1.6695, ("EGFR",), ("NSCLC",)),
        ("T-PAN-30", 1.425, ("EGFR",), ()),
    ],
    "BRAF 结直肠癌": [
        ("T-CRC-RAS", 1.6887, ("BRAF",), ("COADREAD",)),
        ("T-PAN-30", 1.425, ("BRAF",), ()),
    ],
    "ALK融合 肺癌": [
        ("T-ALK-FISH", 1.6961, ("ALK",), ("NSCLC",)),
        ("T-LUNG-9", 1.6695, ("ALK",), ("NSCLC",)),
        ("T-PAN-30", 1.425, ("ALK",), ()),
    ],
    "肺癌": [
        ("T-LUNG-9", 1.0, (), ("NSCLC",)),
        ("T-PAN-30", 1.0, (), ()),
        ("T-LUAD-PLASMA", 0.5, (), ("LUAD",)),
        ("T-ALK-FISH", 0.5, (), ("NSCLC",)),
        ("T-EGFR-DDPCR", 0.1667, (), ("NSCLC",)),
    ],
    "EGFR T790M leptomeningeal": [
        ("T-EGFR-DDPCR", 1.6961, ("EGFR",), ("NSCLC",)),
        ("T-LUAD-PLASMA", 1.6887, ("EGFR",), ("LUAD",)),
        ("T-LUNG-9", 1.6695, ("EGFR",), ("NSCLC",)),
        ("T-PAN-30", 1.425, ("EGFR",), ()),
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
    "Company test: covers hotspot mutations of BRAF, detects V600; indicated for Colorectal Adenocarcinoma; tissue; "
    "5 working days.",
    "本公司检测项目：检测BRAF热点突变，可检出V600；适用于结直肠癌；组织；5个工作日。",
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
def test_evidence_summaries_are_pinned(results: dict[str, SearchResult], text: str) -> None:
    assert current_summaries(results)[text] == SUMMARIES[text]


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
    ]
    assert ranked != EVIDENCE[text]
    assert current_articles(swapped)[text] != ARTICLES[text]  # the citation boost follows the level


def test_weaker_evidence_leaves_the_pinned_tests_alone(tmp_path: Path) -> None:
    """Tests are product suggestions ranked by what they detect and where they apply, never by evidence grades."""
    text = "BRAF 结直肠癌"
    weaker = {
        text: _search_with_levels(tmp_path, text, {"civic:EID9007": EvidenceLevel.C, "civic:EID9008": EvidenceLevel.C})
    }
    assert current_evidence(weaker)[text] != EVIDENCE[text]
    assert current_tests(weaker)[text] == TESTS[text]


if __name__ == "__main__":
    print_tables()
