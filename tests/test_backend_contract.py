"""The backend contract: every test runs on the embedded SQLite store and on a real Elasticsearch.

Both implement :class:`~kb.store.base.Backend`; what one returns for a write or a query,
the other must return too (scores may differ).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kb import domain
from kb.analysis import analyze
from kb.domain import AlterationKind, Article, ArticleStatus, EvidenceLevel, EvidenceType, Gene, TumorType
from kb.embedding import encode_vector
from kb.errors import StoreError
from kb.store import Backend, text_hash
from kb.store.base import ArticleFilter, ArticleQuery, EvidenceFilter, EvidenceQuery
from kb.store.documents import evidence_text
from tests.records import article, evidence

MODEL = "test-model"  # the embedding model of the backend_store fixture
NONE = ArticleFilter()
ANY = EvidenceFilter()

TOPICS = [
    "EGFR T790M resistance to osimertinib in lung adenocarcinoma",
    "BRAF V600E melanoma treated with vemurafenib",
    "KRAS G12C colorectal cancer sotorasib",
    "ALK fusion crizotinib non-small cell lung cancer",
    "HER2 amplification breast cancer trastuzumab",
    "BRCA1 germline mutation ovarian cancer olaparib",
]


def corpus() -> list[Article]:
    """60 articles over six topics, years 2010-2021, concepts from the topic's first word."""
    out = []
    for i in range(60):
        topic = TOPICS[i % len(TOPICS)]
        gene = topic.split()[0]
        out.append(
            article(
                100 + i,
                f"{topic} study {i}",
                f"We report cohort {i} with {topic.lower()} and outcome number {i % 7}.",
                year=2010 + i % 12,
                concepts=(f"gene:{gene}",) + (("tumor:NSCLC",) if "lung" in topic else ()),
            )
        )
    return out


def terms(text: str) -> list[str]:
    return analyze(text)


def ids(scored: list[tuple[str, float]]) -> list[str]:
    return [i for i, _ in scored]


# -- the Protocol and idempotent writes ----------------------------------------------------------
def test_the_backend_implements_the_protocol(backend_store: Backend) -> None:
    assert isinstance(backend_store, Backend)


def test_upserts_count_new_unchanged_and_updated_records(backend_store: Backend) -> None:
    first = backend_store.upsert_evidence([evidence(1), evidence(2)])
    again = backend_store.upsert_evidence([evidence(1), evidence(2)])
    changed = backend_store.upsert_evidence([evidence(1, level=EvidenceLevel.A)])
    assert (first.inserted, again.unchanged, changed.updated) == (2, 2, 1)
    assert backend_store.stats()["evidence"] == 2
    stored = backend_store.get_evidence("civic:EID1")
    assert stored is not None and stored.level is EvidenceLevel.A
    assert backend_store.get_evidence("civic:EID404") is None


def test_the_data_version_moves_only_when_data_changes(backend_store: Backend) -> None:
    backend_store.upsert_genes([Gene("EGFR", "HGNC:3236")])
    before = backend_store.data_version()
    backend_store.upsert_genes([Gene("EGFR", "HGNC:3236")])
    assert backend_store.data_version() == before
    backend_store.upsert_genes([Gene("EGFR", "HGNC:3236", name_zh="表皮生长因子受体")])
    assert backend_store.data_version() != before


def test_records_round_trip_and_iterate_in_key_order(backend_store: Backend) -> None:
    genes = [Gene("KRAS", "HGNC:6407"), Gene("EGFR", "HGNC:3236", aliases=("ERBB1", "HER1"))]
    tumors = [TumorType("NSCLC", "Non-Small Cell Lung Cancer", name_zh="非小细胞肺癌", parent="LUNG")]
    backend_store.upsert_genes(genes)
    backend_store.upsert_tumors(tumors)
    backend_store.upsert_evidence([evidence(10), evidence(9), evidence(100)])
    assert list(backend_store.iter_genes()) == sorted(genes, key=lambda g: g.symbol)
    assert list(backend_store.iter_tumors()) == tumors
    assert [e.id for e in backend_store.iter_evidence()] == ["civic:EID9", "civic:EID10", "civic:EID100"]


def test_tests_keep_their_published_flag(backend_store: Backend) -> None:
    item = domain.TestItem(
        "T1", "Lung panel", "肺癌套餐", ("EGFR", "ALK"), (AlterationKind.MUTATION,), ("NSCLC",), ("tissue",), "NGS", 7
    )
    backend_store.upsert_tests([item, replace(item, id="T2", published=False)])
    assert [t.id for t in backend_store.iter_tests()] == ["T1", "T2"]
    counts = backend_store.stats()
    assert (counts["tests"], counts["tests_published"]) == (2, 1)


def test_biomarkers_round_trip_with_their_cut_offs_and_count_changes(backend_store: Backend) -> None:
    tmb = domain.Biomarker(
        "TMB-H", "Tumor mutational burden-high", "肿瘤突变负荷高", group="TMB", synonyms=("TMB high",),
        cutoffs=(domain.Cutoff("TMB", ">=", 10.0, "mut/Mb", defining=True),),
    )  # fmt: skip
    mmr = domain.Biomarker("dMMR", "Mismatch repair deficient", genes=("MLH1", "MSH2"), alterations=("MSH2:LOSS",))
    first = backend_store.upsert_biomarkers([tmb, mmr])
    again = backend_store.upsert_biomarkers([tmb, mmr])
    version = backend_store.data_version()
    changed = backend_store.upsert_biomarkers([replace(mmr, synonyms_zh=("错配修复缺陷",))])
    assert (first.inserted, again.unchanged, changed.updated) == (2, 2, 1)
    assert backend_store.data_version() != version
    stored = list(backend_store.iter_biomarkers())
    assert [b.id for b in stored] == ["TMB-H", "dMMR"]  # in key order
    assert stored[0] == tmb and stored[1].synonyms_zh == ("错配修复缺陷",)
    assert backend_store.stats()["biomarkers"] == 2


def test_a_pmid_that_is_not_a_number_is_refused(backend_store: Backend) -> None:
    with pytest.raises(StoreError, match="not a number"):
        backend_store.upsert_articles([replace(article(1, "A", "B"), pmid="x1")])


# -- articles: versions, updates, deletions ------------------------------------------------------
def test_a_newer_article_version_replaces_and_an_older_one_is_ignored(backend_store: Backend) -> None:
    backend_store.upsert_articles([article(100, "second version", "text", version=2)])
    assert backend_store.upsert_articles([article(100, "first version", "text", version=1)]).unchanged == 1
    assert backend_store.upsert_articles([article(100, "third version", "text", version=3)]).updated == 1
    stored = backend_store.get_article("100")
    assert stored is not None and (stored.version, stored.title) == (3, "third version")
    assert backend_store.stats()["articles"] == 1


def test_an_updated_article_is_found_by_its_new_words_only(backend_store: Backend) -> None:
    backend_store.upsert_articles([article(7, "Imatinib in leukemia", "Chronic phase outcomes.")])
    assert ids(backend_store.bm25_articles(terms("imatinib"), limit=10, filters=NONE)) == ["7"]
    backend_store.upsert_articles([article(7, "Dasatinib in leukemia", "Chronic phase outcomes.", version=2)])
    assert backend_store.bm25_articles(terms("imatinib"), limit=10, filters=NONE) == []
    assert ids(backend_store.bm25_articles(terms("dasatinib"), limit=10, filters=NONE)) == ["7"]


def test_a_deleted_citation_disappears_from_every_search(backend_store: Backend) -> None:
    arts = [article(7, "EGFR T790M", "Osimertinib.", concepts=("gene:EGFR",)), article(8, "EGFR exon 19", "Gefitinib.")]
    vectors = {text_hash(a.text): encode_vector(np.eye(8, dtype=np.float32)[i]) for i, a in enumerate(arts)}
    backend_store.put_embeddings(MODEL, vectors)
    backend_store.upsert_articles(arts)
    assert set(ids(backend_store.bm25_articles(terms("EGFR"), limit=10, filters=NONE))) == {"7", "8"}

    assert backend_store.delete_articles(["7", "999"]) == ["999"]

    assert ids(backend_store.bm25_articles(terms("EGFR"), limit=10, filters=NONE)) == ["8"]
    assert backend_store.articles_with_concepts(["gene:EGFR"], limit=10, filters=NONE) == {}
    assert ids(backend_store.knn_articles(MODEL, np.eye(8)[0].tolist(), limit=10, filters=NONE)) == ["8"]
    assert [a.pmid for a in backend_store.articles_missing_embeddings(MODEL, 10)] == []
    counts = backend_store.stats()
    assert (counts["articles"], counts["articles_deleted"], counts["article_concepts"]) == (1, 1, 0)
    deleted = backend_store.get_article("7")
    assert deleted is not None and deleted.status is ArticleStatus.DELETED


# -- embeddings and checkpoints ------------------------------------------------------------------
def test_the_embedding_cache_round_trips_float16_vectors(backend_store: Backend) -> None:
    vector = np.linspace(-1, 1, 384, dtype=np.float32)
    backend_store.put_embeddings(MODEL, {"h1": encode_vector(vector)})
    cached = backend_store.cached_embeddings(MODEL, ["h1", "h2"])
    assert list(cached) == ["h1"] and cached["h1"] == encode_vector(vector)
    assert backend_store.cached_embeddings("other-model", ["h1"]) == {}


@pytest.mark.parametrize("model", [MODEL, "other-model"])
def test_articles_missing_embeddings_lists_only_unembedded_active_articles(backend_store: Backend, model: str) -> None:
    arts = [article(1, "a", "x"), article(2, "b", "y"), article(3, "c", "z")]
    backend_store.upsert_articles(arts)
    backend_store.put_embeddings(model, {text_hash(arts[0].text): encode_vector(np.ones(4, np.float32))})
    backend_store.delete_articles(["3"])
    assert [a.pmid for a in backend_store.articles_missing_embeddings(model, 10)] == ["2"]


def test_evidence_missing_embeddings_shrinks_as_vectors_arrive(backend_store: Backend) -> None:
    items = [evidence(1), evidence(2, statement="Another statement.")]
    backend_store.upsert_evidence(items)
    assert [e.id for e in backend_store.evidence_missing_embeddings(MODEL, 10)] == ["civic:EID1", "civic:EID2"]
    from kb.analysis import evidence_text

    backend_store.put_embeddings(MODEL, {text_hash(evidence_text(items[1])): encode_vector(np.ones(4, np.float32))})
    assert [e.id for e in backend_store.evidence_missing_embeddings(MODEL, 10)] == ["civic:EID1"]


def test_checkpoints_are_set_read_and_cleared(backend_store: Backend) -> None:
    assert backend_store.get_checkpoint("job") is None
    backend_store.set_checkpoint("job", "42")
    backend_store.set_checkpoint("job", "43")
    assert backend_store.get_checkpoint("job") == "43"
    backend_store.set_checkpoint("job", None)
    backend_store.set_checkpoint("job", None)
    assert backend_store.get_checkpoint("job") is None


# -- retrieval, filters and limits ---------------------------------------------------------------
def test_bm25_ranks_the_matching_topic_first_and_honours_limits(backend_store: Backend) -> None:
    backend_store.upsert_articles(corpus())
    hits = backend_store.bm25_articles(terms("KRAS G12C sotorasib"), limit=10, filters=NONE)
    assert len(hits) == 10
    topic = {str(100 + i) for i in range(60) if TOPICS[i % 6].startswith("KRAS")}
    assert set(ids(hits)) == topic
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert ids(backend_store.bm25_articles(terms("KRAS G12C sotorasib"), limit=3, filters=NONE)) == ids(hits)[:3]
    assert backend_store.bm25_articles(terms("nonexistentword"), limit=10, filters=NONE) == []
    assert backend_store.bm25_articles([], limit=10, filters=NONE) == []


def test_year_filters_bound_every_article_retrieval(backend_store: Backend) -> None:
    arts = corpus()
    backend_store.put_embeddings(
        MODEL, {text_hash(a.text): encode_vector(np.full(4, 1.0 + i, np.float32)) for i, a in enumerate(arts)}
    )
    backend_store.upsert_articles(arts)
    window = ArticleFilter(year_from=2015, year_to=2016)
    years = {a.pmid: a.year for a in arts}
    lexical = backend_store.bm25_articles(terms("lung cancer melanoma breast"), limit=100, filters=window)
    dense = backend_store.knn_articles(MODEL, [1.0, 1.0, 1.0, 1.0], limit=100, filters=window)
    tagged = backend_store.articles_with_concepts(["gene:EGFR", "gene:ALK"], limit=100, filters=window)
    for found in (ids(lexical), ids(dense), list(tagged)):
        assert found and all(2015 <= (years[p] or 0) <= 2016 for p in found)
    assert len(dense) == sum(1 for y in years.values() if y in (2015, 2016))


def test_articles_with_concepts_ranks_by_how_many_concepts_match(backend_store: Backend) -> None:
    backend_store.upsert_articles(corpus())
    found = backend_store.articles_with_concepts(["gene:EGFR", "tumor:NSCLC"], limit=100, filters=NONE)
    both = [p for p, c in found.items() if c == ("gene:EGFR", "tumor:NSCLC")]
    assert both and list(found)[: len(both)] == both
    assert all(set(c) <= {"gene:EGFR", "tumor:NSCLC"} for c in found.values())
    assert len(backend_store.articles_with_concepts(["gene:EGFR"], limit=3, filters=NONE)) == 3


def test_evidence_filters_and_concept_candidates(backend_store: Backend) -> None:
    items = [
        evidence(1),
        evidence(2, level=EvidenceLevel.A, tumor="LUAD"),
        evidence(3, gene="BRAF", etype=EvidenceType.PROGNOSTIC, drugs=(), statement="Poor outcome in melanoma."),
        evidence(4, gene="KRAS", tumor="COAD", drugs=("sotorasib",), statement="Sotorasib response in colorectal."),
    ]
    backend_store.upsert_evidence(items)
    matching = backend_store.evidence_matching(genes=["BRAF"], tumors=["COAD"], drugs=["gefitinib"], filters=ANY)
    assert [e.id for e in matching] == ["civic:EID1", "civic:EID2", "civic:EID3", "civic:EID4"]
    level_a_only = EvidenceFilter(levels=("A",))
    level_a = backend_store.evidence_matching(genes=["EGFR"], tumors=[], drugs=[], filters=level_a_only)
    assert [e.id for e in level_a] == ["civic:EID2"]
    assert backend_store.evidence_matching(genes=[], tumors=[], drugs=[], filters=ANY) == []
    prognostic = EvidenceFilter(types=("prognostic",))
    assert ids(backend_store.bm25_evidence(terms("melanoma outcome"), limit=10, filters=prognostic)) == ["civic:EID3"]
    luad = EvidenceFilter(tumors=("LUAD",))
    assert ids(backend_store.bm25_evidence(terms("gefitinib resistance"), limit=10, filters=luad)) == ["civic:EID2"]
    statement = backend_store.bm25_evidence(terms("KRAS"), limit=10, filters=ANY, statement_only=True)
    assert statement == []  # the gene is a structured field, not in the statement
    assert ids(backend_store.bm25_evidence(terms("KRAS"), limit=10, filters=ANY)) == ["civic:EID4"]
    assert set(backend_store.get_evidence_many(["civic:EID4", "civic:EID9"])) == {"civic:EID4"}


def test_knn_returns_the_nearest_vectors_with_cosine_scores(backend_store: Backend) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(200, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    arts = [article(1000 + i, f"Document {i}", f"Body {i}.") for i in range(200)]
    backend_store.put_embeddings(
        MODEL, {text_hash(a.text): encode_vector(v) for a, v in zip(arts, vectors, strict=True)}
    )
    backend_store.upsert_articles(arts)
    query = vectors[17] + 0.1 * vectors[42]
    query /= np.linalg.norm(query)
    hits = backend_store.knn_articles(MODEL, query.tolist(), limit=10, filters=NONE)
    exact = np.argsort(-(vectors @ query))[:10]
    assert ids(hits) == [str(1000 + i) for i in exact]
    assert hits[0][1] == pytest.approx(float(vectors[17] @ query), abs=0.01)
    assert backend_store.knn_articles("other-model", query.tolist(), limit=10, filters=NONE) == []


def _with_vectors(backend_store: Backend, arts: list[Article]) -> np.ndarray:
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(len(arts), 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    backend_store.put_embeddings(
        MODEL, {text_hash(a.text): encode_vector(v) for a, v in zip(arts, vectors, strict=True)}
    )
    backend_store.upsert_articles(arts)
    return vectors


@pytest.mark.parametrize("filters", [NONE, ArticleFilter(year_from=2014, year_to=2018)])
def test_one_article_retrieval_call_answers_as_the_separate_calls(
    backend_store: Backend, filters: ArticleFilter
) -> None:
    arts = corpus()
    vectors = _with_vectors(backend_store, arts)
    backend_store.delete_articles(["100", "106"])  # EGFR ones: the best text hits are gone
    query = (vectors[3] + 0.2 * vectors[9]).tolist()
    words = terms("EGFR osimertinib resistance cohort")
    sets = (("gene:EGFR", "tumor:NSCLC", "gene:BRAF"), ("tumor:NSCLC",), ())
    hits = backend_store.retrieve_articles(
        ArticleQuery(terms=tuple(words), filters=filters, limit=15, model=MODEL, vector=tuple(query), concepts=sets)
    )
    assert hits.lexical and hits.dense and hits.tagged[0]
    assert {"100", "106"}.isdisjoint(ids(hits.lexical) + ids(hits.dense) + list(hits.tagged[0]))
    assert hits.lexical == backend_store.bm25_articles(words, limit=15, filters=filters)
    assert ids(hits.dense) == ids(backend_store.knn_articles(MODEL, query, limit=15, filters=filters))
    assert hits.tagged == [backend_store.articles_with_concepts(c, limit=15, filters=filters) for c in sets]
    assert hits.tagged[2] == {}
    without = backend_store.retrieve_articles(ArticleQuery(terms=(), filters=filters, limit=15))
    assert (without.lexical, without.dense, without.tagged) == ([], [], [])


def test_one_evidence_retrieval_call_answers_as_the_separate_calls(backend_store: Backend) -> None:
    items = [
        evidence(1),
        evidence(2, level=EvidenceLevel.A, tumor="LUAD"),
        evidence(3, gene="BRAF", etype=EvidenceType.PROGNOSTIC, drugs=(), statement="Poor outcome in melanoma."),
        evidence(4, gene="KRAS", tumor="COAD", drugs=("sotorasib",), statement="Sotorasib response in colorectal."),
    ]
    backend_store.upsert_evidence(items)
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(len(items), 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    backend_store.put_embeddings(
        MODEL, {text_hash(evidence_text(e)): encode_vector(v) for e, v in zip(items, vectors, strict=True)}
    )
    words = terms("gefitinib resistance colorectal")
    for filters in (ANY, EvidenceFilter(levels=("A", "B")), EvidenceFilter(tumors=("COAD",))):
        hits = backend_store.retrieve_evidence(
            EvidenceQuery(
                terms=tuple(words),
                filters=filters,
                limit=10,
                model=MODEL,
                vector=tuple(vectors[1].tolist()),
                genes=("BRAF",),
                drugs=("gefitinib",),
            )
        )
        assert hits.lexical == backend_store.bm25_evidence(words, limit=10, filters=filters)
        assert ids(hits.dense) == ids(backend_store.knn_evidence(MODEL, vectors[1].tolist(), limit=10, filters=filters))
        separate = backend_store.evidence_matching(genes=["BRAF"], tumors=[], drugs=["gefitinib"], filters=filters)
        assert [e.id for e in hits.matching] == [e.id for e in separate]
    assert [e.id for e in hits.matching] == []  # COAD: neither BRAF's nor gefitinib's
    assert ids(hits.lexical) == ["civic:EID4"]


def test_both_kinds_in_one_retrieval_call_answer_as_each_kind_alone(backend_store: Backend) -> None:
    arts = corpus()
    vectors = _with_vectors(backend_store, arts)
    backend_store.upsert_evidence([evidence(1), evidence(2, level=EvidenceLevel.A, tumor="LUAD")])
    query = tuple((vectors[3] + 0.2 * vectors[9]).tolist())
    ev = EvidenceQuery(terms=tuple(terms("gefitinib resistance")), filters=ANY, limit=10, genes=("EGFR",))
    art = ArticleQuery(
        terms=tuple(terms("EGFR osimertinib resistance")),
        filters=NONE,
        limit=15,
        model=MODEL,
        vector=query,
        concepts=(("gene:EGFR", "tumor:NSCLC"),),
    )
    ev_hits, art_hits = backend_store.retrieve(ev, art)
    assert ev_hits.lexical and ev_hits.matching and art_hits.lexical and art_hits.dense and art_hits.tagged[0]
    assert ev_hits == backend_store.retrieve_evidence(ev)
    assert art_hits == backend_store.retrieve_articles(art)


def test_concepts_of_gives_the_asked_concepts_of_active_articles(backend_store: Backend) -> None:
    backend_store.upsert_articles(corpus()[:12])
    backend_store.delete_articles(["106"])
    found = backend_store.concepts_of(["100", "101", "103", "106", "404"], ["gene:EGFR", "tumor:NSCLC", "gene:KRAS"])
    assert found == {"100": ("gene:EGFR", "tumor:NSCLC"), "103": ("tumor:NSCLC",)}  # 101: BRAF; 106: deleted
    assert backend_store.concepts_of(["100"], []) == {}


def test_article_vectors_are_the_stored_ones(backend_store: Backend) -> None:
    arts = corpus()[:5]
    vectors = _with_vectors(backend_store, arts)
    found = backend_store.article_vectors(MODEL, ["100", "103", "404", "x"])
    assert sorted(found) == ["100", "103"]
    assert found["103"] == encode_vector(vectors[3])
    assert backend_store.article_vectors("other-model", ["100"]) == {}


def test_get_articles_returns_known_pmids_only(backend_store: Backend) -> None:
    backend_store.upsert_articles([article(5, "A", "B"), article(6, "C", "D")])
    found = backend_store.get_articles(["5", "6", "404", "not-a-pmid"])
    assert sorted(found) == ["5", "6"] and found["5"].title == "A"


def test_held_articles_are_the_ones_get_articles_finds(backend_store: Backend) -> None:
    backend_store.upsert_articles([article(5, "A", "B"), article(6, "C", "D"), article(7, "E", "F")])
    backend_store.delete_articles(["7"])
    asked = ["5", "6", "7", "404", "not-a-pmid", "5"]
    assert backend_store.held_articles(asked) == set(backend_store.get_articles(asked)) >= {"5", "6"}
    assert "404" not in backend_store.held_articles(asked) and backend_store.held_articles([]) == set()


def test_reindex_keeps_every_record_and_every_answer(backend_store: Backend) -> None:
    backend_store.upsert_articles(corpus())
    backend_store.upsert_evidence([evidence(1), evidence(2)])
    before = (
        backend_store.bm25_articles(terms("ALK fusion crizotinib"), limit=10, filters=NONE),
        backend_store.articles_with_concepts(["gene:ALK"], limit=100, filters=NONE),
        ids(backend_store.bm25_evidence(terms("gefitinib"), limit=10, filters=ANY)),
        backend_store.stats(),
    )
    counts = backend_store.reindex()
    assert counts["articles"] == 60 and counts["evidence"] == 2
    after = (
        backend_store.bm25_articles(terms("ALK fusion crizotinib"), limit=10, filters=NONE),
        backend_store.articles_with_concepts(["gene:ALK"], limit=100, filters=NONE),
        ids(backend_store.bm25_evidence(terms("gefitinib"), limit=10, filters=ANY)),
        backend_store.stats(),
    )
    assert ids(after[0]) == ids(before[0]) and after[1:] == before[1:]
