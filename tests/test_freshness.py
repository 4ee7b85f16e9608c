"""Freshness: when the library first held each article, PubMed's entry and revision dates, and "new for you"
in ingestion order, on both backends."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from ingest.pubmed import parse_pubmed
from kb.codec import from_dict, to_dict
from kb.domain import Article
from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.editorial.follows import Follows
from kb.store import Backend, open_store
from kb.store.documents import canonical_json
from kb.store.es import ElasticsearchStore
from kb.store.es_schema import index_body
from kb.store.schema import MIGRATIONS
from kb.store.sqlite import SQLiteStore
from tests.backends import make_backend_settings
from tests.records import article

FIXTURES = Path(__file__).parent / "fixtures"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# -- the parser -----------------------------------------------------------------------------------
def test_the_entry_and_revision_dates_come_from_pubmeds_history_and_date_revised(data_dir: Path) -> None:
    with (data_dir / "pubmed" / "pubmed4.xml").open("rb") as fh:
        [record] = list(parse_pubmed(fh))
    assert isinstance(record, Article)
    assert (record.pmid, record.entrez_date, record.revised_date) == ("27797938", date(2016, 11, 1), date(2018, 4, 17))
    assert record.first_ingested is None  # the store sets it, never the parser


def test_a_citation_without_history_or_revision_has_no_such_dates() -> None:
    with (FIXTURES / "pubmed_update.xml").open("rb") as fh:
        articles = [r for r in parse_pubmed(fh) if isinstance(r, Article)]
    assert articles and all(a.entrez_date is None and a.revised_date is None for a in articles)


def test_an_old_record_without_the_new_fields_still_decodes() -> None:
    old = {
        k: v for k, v in to_dict(article(5, "t")).items() if k not in ("entrez_date", "revised_date", "first_ingested")
    }
    decoded = from_dict(Article, old)
    assert (decoded.entrez_date, decoded.first_ingested) == (None, None)
    stamped = replace(decoded, first_ingested=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), entrez_date=date(2025, 1, 1))
    assert from_dict(Article, json.loads(json.dumps(to_dict(stamped)))) == stamped
    with pytest.raises(ValueError, match="first_ingested"):
        from_dict(Article, {**old, "first_ingested": "yesterday"})


# -- the contract, on both backends -------------------------------------------------------------------
def test_the_store_stamps_the_first_write_and_keeps_it_through_later_ones(backend_store: Backend) -> None:
    before = _now()
    assert backend_store.upsert_articles([article(100, "first version", "text")]).inserted == 1
    after = _now()
    first = backend_store.get_article("100")
    assert first is not None and first.first_ingested is not None
    assert before <= first.first_ingested <= after and first.first_ingested.tzinfo is not None
    assert backend_store.upsert_articles([article(100, "first version", "text")]).unchanged == 1  # no new stamp
    assert backend_store.upsert_articles([article(100, "second version", "text", version=2)]).updated == 1
    backend_store.delete_articles(["100"])
    backend_store.upsert_articles([article(100, "third version", "text", version=3)])
    last = backend_store.get_article("100")
    assert last is not None and (last.title, last.first_ingested) == ("third version", first.first_ingested)
    assert [a.first_ingested for a in backend_store.iter_articles()] == [first.first_ingested]


def test_a_record_copied_from_another_store_keeps_its_time(backend_store: Backend) -> None:
    copied = replace(article(7, "copied"), first_ingested=datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC))
    backend_store.upsert_articles([copied])
    stored = backend_store.get_article("7")
    assert stored is not None and stored.first_ingested == datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_pubmed_dates_round_trip_through_the_store(backend_store: Backend, data_dir: Path) -> None:
    with (data_dir / "pubmed" / "pubmed4.xml").open("rb") as fh:
        parsed = [r for r in parse_pubmed(fh) if isinstance(r, Article)]
    assert backend_store.upsert_articles(parsed).inserted == 1
    stored = backend_store.get_article("27797938")
    assert stored is not None
    assert (stored.entrez_date, stored.revised_date) == (date(2016, 11, 1), date(2018, 4, 17))


def test_newest_articles_come_in_ingestion_order_not_pmid_order(backend_store: Backend) -> None:
    def at(pmid: int, day: int, *concepts: str) -> Article:
        return replace(article(pmid, f"t{pmid}", concepts=concepts), first_ingested=datetime(2026, 3, day, tzinfo=UTC))

    backend_store.upsert_articles(
        [at(900, 1, "gene:EGFR"), at(100, 5, "gene:EGFR"), at(500, 3, "gene:EGFR", "gene:KRAS"), at(300, 5, "gene:ALK")]
    )
    backend_store.upsert_articles([article(50, "held before the times were kept", concepts=("gene:EGFR",))])
    newest = backend_store.newest_articles(["gene:EGFR", "gene:ALK"], limit=10)
    # the stamped-now one first; then by day, the same day by the higher PMID
    assert [a.pmid for a in newest] == ["50", "300", "100", "500", "900"]
    assert [a.pmid for a in backend_store.newest_articles(["gene:KRAS"], limit=10)] == ["500"]
    assert [a.pmid for a in backend_store.newest_articles(["gene:EGFR"], limit=2)] == ["50", "100"]
    backend_store.delete_articles(["100"])
    assert "100" not in [a.pmid for a in backend_store.newest_articles(["gene:EGFR"], limit=10)]
    assert backend_store.newest_articles([], limit=10) == []


# -- stores written before the field --------------------------------------------------------------
def test_the_sqlite_migration_stamps_held_articles_with_its_own_time(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for version, script in enumerate(MIGRATIONS[:3]):
        db.executescript(f"{script}\nPRAGMA user_version = {version + 1};")
    old = {
        k: v
        for k, v in to_dict(article(42, "held")).items()
        if k not in ("entrez_date", "revised_date", "first_ingested")
    }
    db.execute(
        "INSERT INTO articles (rowid, pmid, version, status, year, text_hash, data) VALUES (42, '42', 1, 'active', "
        "2020, 'h', ?)",
        (canonical_json(old),),
    )
    db.commit()
    db.close()
    before = _now()
    store = SQLiteStore(path)
    after = _now()
    try:
        assert store.schema_version == len(MIGRATIONS)
        held = store.get_article("42")
        assert held is not None and held.first_ingested is not None and before <= held.first_ingested <= after
        result = store.upsert_articles([article(42, "held")])  # the same record: the migrated JSON matches
        assert (result.unchanged, result.updated) == (1, 0)
        store.upsert_articles([article(42, "held", version=2)])
        again = store.get_article("42")
        assert again is not None and (again.version, again.first_ingested) == (2, held.first_ingested)
    finally:
        store.close()


def test_an_older_elasticsearch_articles_index_gets_the_field_on_open(
    es_url: str, tmp_path: Path, data_dir: Path
) -> None:
    settings = make_backend_settings("es", tmp_path, data_dir)
    body = index_body("articles", shards=1, replicas=0, vector_index="hnsw")
    del body["mappings"]["properties"]["first_ingested"]
    es = Elasticsearch(es_url)
    alias = f"{settings.es_index_prefix}-articles"
    es.indices.create(index=f"{alias}-v1", aliases={alias: {}}, **body)
    store = open_store(settings)
    try:
        assert isinstance(store, ElasticsearchStore)
        mapping = es.indices.get_mapping(index=alias).body[f"{alias}-v1"]["mappings"]["properties"]
        assert mapping["first_ingested"] == {"type": "date"}
        store.upsert_articles([article(11, "t", concepts=("gene:EGFR",))])
        assert [a.pmid for a in store.newest_articles(["gene:EGFR"], limit=5)] == ["11"]
    finally:
        store.drop()
        store.close()
        es.close()


# -- "new for you" ------------------------------------------------------------------------------------
def test_new_for_you_lists_the_article_ingested_last_first_whatever_its_pmid(
    backend_store: Backend, tmp_path: Path, data_dir: Path
) -> None:
    settings = make_backend_settings("sqlite", tmp_path, data_dir).model_copy(
        update={"secret_key": "test-signing-key-of-at-least-32-bytes"}
    )
    db = Database(settings.db_url)
    db.upgrade()
    try:
        accounts = Accounts(db, settings)
        accounts.create_user("doc", "a long enough password 1", "doctor", actor="test-setup")
        doctor = accounts.from_token(accounts.login("doc", "a long enough password 1")[0])
        follows = Follows(db, retention_days=0)
        follows.follow(doctor, "gene", "EGFR", exists=lambda kind, key: True)
        backend_store.upsert_articles(
            [
                replace(article(pmid, f"t{pmid}", concepts=("gene:EGFR",)), first_ingested=when)
                for pmid, when in (
                    (30000000, datetime(2026, 1, 1, tzinfo=UTC)),
                    (20000000, datetime(2026, 2, 1, tzinfo=UTC)),
                )
            ]
        )
        backend_store.upsert_articles([article(1000, "an old paper taken in last", concepts=("gene:EGFR",))])
        feed = follows.feed(doctor, backend_store, limit=10)
        articles = [i.article.pmid for i in feed if i.article is not None]
        assert articles == ["1000", "20000000", "30000000"]
        assert {i.topic for i in feed} == {"gene:EGFR"}
    finally:
        db.close()
