"""Literature on all the concepts: articles carrying every concept of the query come first.

A small authored corpus (``tests/fixtures/literature/corpus.json``: 16 made-up articles with the tags the
tagger would give them, and per query the articles judged to carry all, some or none of its concepts) is
written into a real :class:`~kb.store.sqlite.SQLiteStore`; queries go through the real
:meth:`kb.search.SearchService.search` (no embedding model: BM25 and concepts). The judgements are authored
with the corpus from what each article is about; the tests compare the service's ranking with them and with
the backend's own BM25 ranking.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.analysis import analyze
from kb.codec import from_dict
from kb.domain import Article, Drug, Gene, TumorType
from kb.literature import RELATED_GENE, VARIANT_GENE, ConceptSlot, concept_slots, organ_words, slot_match
from kb.query import Concept, ParsedQuery, build_query_index
from kb.search import SearchService, targets
from kb.store.base import ArticleFilter
from kb.store.sqlite import SQLiteStore
from kb.vocab import Vocabularies, vocabularies_from_store

CORPUS = json.loads((Path(__file__).parent / "fixtures" / "literature" / "corpus.json").read_text(encoding="utf-8"))
JUDGED: dict[str, dict[str, list[str]]] = CORPUS["judged"]
#: larger than the number of articles carrying any concept, so today's text hits would reach the page
PAGE = 10
#: English words that name no gene, variant, tumor, drug or biomarker of the corpus
UNRESOLVED = "sleep quality among night-shift nurses"


def build_service(folder: Path, *, candidates: int = 200) -> SearchService:
    """The corpus in a SQLite store in ``folder`` and the search service over it (no embeddings)."""
    store = SQLiteStore(folder / "kb.sqlite3")
    store.upsert_genes([from_dict(Gene, g) for g in CORPUS["genes"]])
    store.upsert_tumors([from_dict(TumorType, t) for t in CORPUS["tumors"]])
    store.upsert_drugs([from_dict(Drug, d) for d in CORPUS["drugs"]])
    store.upsert_articles([from_dict(Article, a) for a in CORPUS["articles"]])
    index = build_query_index(vocabularies_from_store(store), [])
    return SearchService(store, index, embedder=None, candidates=candidates)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    built = build_service(tmp_path_factory.mktemp("literature"))
    yield built
    built.backend.close()


@pytest.fixture(scope="module")
def vocab(service: SearchService) -> Vocabularies:
    return service.index.vocab


def ranked(service: SearchService, text: str, size: int = PAGE) -> list[str]:
    return [hit.article.pmid for hit in service.search(text, size=size).articles]


@pytest.mark.parametrize("text", sorted(JUDGED))
def test_articles_with_every_concept_rank_before_those_with_some(service: SearchService, text: str) -> None:
    """The articles with more query text than those carrying every concept carry only some: by text alone they
    would lead. A tumor carries its OncoTree family: one 'all' article of 结直肠癌 (COADREAD) is tagged COAD."""
    order = ranked(service, text, size=len(CORPUS["articles"]))
    judged = JUDGED[text]
    assert set(judged["all"]) <= set(order) and set(judged["some"]) <= set(order)
    assert max(order.index(p) for p in judged["all"]) < min(order.index(p) for p in judged["some"])


@pytest.mark.parametrize("text", sorted(JUDGED))
def test_no_article_without_a_query_concept_on_the_first_page(service: SearchService, text: str) -> None:
    result = service.search(text, size=PAGE)
    page = [hit.article.pmid for hit in result.articles]
    assert result.targets.genes or result.targets.variants  # concepts were resolved
    assert len(page) < PAGE  # fewer articles carry a concept than the page holds: text hits could fill it
    assert not set(page) & set(JUDGED[text]["none"])
    assert all(hit.concepts for hit in result.articles)  # each shows the query concepts it carries


def test_text_ranking_is_unchanged_when_nothing_resolves(service: SearchService) -> None:
    result = service.search(UNRESOLVED, size=PAGE)
    assert not result.query.concepts
    bm25 = service.backend.bm25_articles(analyze(UNRESOLVED), limit=PAGE, filters=ArticleFilter())
    assert len(bm25) >= 3  # several text hits, one of them tagged with a concept (EGFR) the query does not name
    assert [hit.article.pmid for hit in result.articles] == [pmid for pmid, _ in bm25]
    scores = [hit.score for hit in result.articles]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


def test_conjunctions_survive_a_concept_pool_crowded_by_family_codes(tmp_path: Path) -> None:
    """With room for two candidates per retrieval, the articles carrying every concept still lead."""
    small = build_service(tmp_path, candidates=2)
    try:
        order = ranked(small, "BRAF V600E 结直肠癌")
    finally:
        small.backend.close()
    assert set(order[:2]) == set(JUDGED["BRAF V600E 结直肠癌"]["all"])


def test_the_tumor_label_adds_only_its_organ_words(vocab: Vocabularies) -> None:
    tumors = vocab.tumors
    assert organ_words("COADREAD", "Colorectal Adenocarcinoma", tumors) == "colorectal"
    assert organ_words("LUAD", "Lung Adenocarcinoma", tumors) == "lung"
    assert organ_words("MEL", "Melanoma", tumors) == "Melanoma"  # a name with no organ word stays whole


def test_a_wrong_organ_adenocarcinoma_is_not_lifted_by_the_tumor_label(service: SearchService) -> None:
    """The melanoma and lung articles both carry BRAF V600E but not the tumor; the melanoma one has more
    BRAF V600E text, the lung one only the word adenocarcinoma more: the tumor's label must not decide."""
    order = ranked(service, "BRAF V600E 结直肠癌")
    melanoma, lung = (
        next(a["pmid"] for a in CORPUS["articles"] if f"tumor:{c}" in a["concepts"]) for c in ("MEL", "LUAD")
    )
    assert order.index(melanoma) < order.index(lung)


# --- the slots on hand-made parsed queries -------------------------------------------------------------


def concept(type_: Any, id_: str, **kw: Any) -> Concept:
    return Concept(type=type_, id=id_, label=id_, label_zh="", matched=id_, match=kw.pop("match", "exact"), **kw)


def slots_of(service: SearchService, *concepts: Concept) -> dict[str, ConceptSlot]:
    parsed = ParsedQuery(" ".join(c.matched for c in concepts), tuple(concepts), ())
    return {s.concept: s for s in concept_slots(parsed, targets(parsed, service.index), service.index.vocab)}


def test_a_gene_written_with_its_variant_is_one_slot_the_gene_hints_at(service: SearchService) -> None:
    slots = slots_of(service, concept("gene", "BRAF"), concept("variant", "BRAF:V600E"))
    assert list(slots) == ["variant:BRAF:V600E"]
    assert slot_match(["gene:BRAF"], list(slots.values())) == (0, VARIANT_GENE)
    assert slot_match(["variant:BRAF:V600E"], list(slots.values())) == (1, 1.0)


def test_a_drugs_target_is_a_weaker_hint_than_a_variants_gene(service: SearchService) -> None:
    drug = concept("drug", "osimertinib")
    target = concept("gene", "EGFR", implied=True, implied_by=drug.key)
    slots = list(slots_of(service, drug, target).values())
    assert slot_match(["gene:EGFR"], slots) == (0, RELATED_GENE) and RELATED_GENE < VARIANT_GENE
    assert slot_match(["drug:osimertinib"], slots) == (1, 1.0)


def test_any_candidate_carries_an_ambiguous_concept(service: SearchService) -> None:
    slots = list(slots_of(service, concept("gene", "RAS", match="ambiguous", candidates=("KRAS", "NRAS"))).values())
    assert slot_match(["gene:NRAS"], slots) == (1, 1.0)
    assert slot_match(["gene:BRAF"], slots) == (0, 0.0)
