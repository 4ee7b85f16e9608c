"""The derived index fields are computed once, in kb.store.documents, and both backends store exactly those."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from kb.domain import ArticleStatus, Citation
from kb.errors import StoreError
from kb.store import SQLiteStore
from kb.store.documents import article_doc, article_seq, evidence_doc, evidence_seq, text_hash
from kb.store.es_schema import build_doc
from tests.records import article, evidence

ARTICLE = article(
    31415,
    "EGFR T790M resistance to osimertinib",
    "Lung adenocarcinoma patients progressed.",
    year=None,  # the year comes from the publication date
    pub_date=date(2019, 5, 2),
    concepts=("gene:EGFR", "tumor:LUAD"),
)
EVIDENCE = evidence(
    1409, rating=4, drugs=("gefitinib", "erlotinib"), citations=(Citation(pmid="123"), Citation(pmid=""))
)


def test_the_text_hash_does_not_move() -> None:
    # cached vectors are found by this hash: a change would orphan every stored embedding
    assert text_hash("EGFR T790M") == "dbeb3b20756eb528d1ecc30c6e72436a"
    assert article_doc(ARTICLE).text_hash == text_hash(ARTICLE.text)


def test_an_article_without_a_year_takes_the_year_of_its_publication_date() -> None:
    assert article_doc(ARTICLE).year == 2019
    assert article_doc(replace(ARTICLE, year=2020)).year == 2020
    assert article_doc(replace(ARTICLE, pub_date=None)).year is None


def test_a_deleted_article_keeps_its_hash_but_has_no_terms_or_concepts() -> None:
    doc = article_doc(replace(ARTICLE, status=ArticleStatus.DELETED))
    assert (doc.active, doc.status, doc.concepts, doc.title, doc.abstract) == (False, "deleted", (), "", "")
    assert doc.text_hash == article_doc(ARTICLE).text_hash


def test_articles_and_evidence_are_ordered_by_their_numbers() -> None:
    assert article_seq("31415") == 31415
    with pytest.raises(StoreError, match="not a number"):
        article_seq("PMC123")
    assert [evidence_seq(i) for i in ("civic:EID1409", "civic:EID7", "civic:EIDx")] == [1409, 7, 0]
    assert evidence_doc(EVIDENCE).citations == ("123",)  # a citation without a PMID is left out


def test_the_elasticsearch_documents_carry_the_derived_fields() -> None:
    art, ev = article_doc(ARTICLE), evidence_doc(EVIDENCE)
    es_article, es_evidence = build_doc(ARTICLE), build_doc(EVIDENCE)
    for field in ("seq", "year", "text_hash", "title", "abstract", "status"):
        assert es_article[field] == getattr(art, field)
    assert es_article["concepts"] == list(art.concepts)
    for field in ("seq", "gene", "alteration", "tumor_code", "level", "statement", "fields", "text_hash"):
        assert es_evidence[field] == getattr(ev, field)
    assert (es_evidence["drugs"], es_evidence["citations"]) == (list(ev.drugs), list(ev.citations))


def test_the_embedded_store_indexes_the_derived_fields(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "kb.sqlite3")
    try:
        store.upsert_articles([ARTICLE])
        store.upsert_evidence([EVIDENCE])
        art, ev = article_doc(ARTICLE), evidence_doc(EVIDENCE)
        db = store._db
        assert db.execute("SELECT year, text_hash FROM articles").fetchone() == (art.year, art.text_hash)
        fts = db.execute("SELECT rowid, title, abstract FROM articles_fts").fetchone()
        assert fts == (art.seq, art.title, art.abstract)
        assert {r[0] for r in db.execute("SELECT concept FROM article_concepts")} == set(art.concepts)
        assert db.execute("SELECT text_hash FROM evidence").fetchone() == (ev.text_hash,)
        assert db.execute("SELECT statement, fields FROM evidence_fts").fetchone() == (ev.statement, ev.fields)
    finally:
        store.close()
