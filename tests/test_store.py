"""What only the embedded SQLite store has: WAL, migrations, its FTS tables. The behaviour both
backends share is in test_backend_contract.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kb.codec import from_dict, to_dict
from kb.domain import Citation, Evidence
from kb.errors import MigrationError
from kb.store import Backend, SQLiteStore
from kb.store.schema import SCHEMA_VERSION
from tests.records import article, evidence


def test_sqlite_store_satisfies_the_backend_protocol(store: SQLiteStore) -> None:
    assert isinstance(store, Backend)


def test_new_store_is_migrated_to_the_current_schema_in_wal_mode(store: SQLiteStore) -> None:
    assert store.schema_version == SCHEMA_VERSION
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_store_from_newer_code_is_refused_with_a_migration_error(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(MigrationError, match="newer than this code"):
        SQLiteStore(path)


def test_deleted_citation_leaves_search_index_and_counts(store: SQLiteStore) -> None:
    title, abstract = "EGFR T790M in lung cancer", "Placeholder abstract text."
    store.upsert_articles(
        [
            article("7", title, abstract, year=None, journal="", concepts=("gene:EGFR",)),
            article("8", title, abstract, year=None, journal=""),
        ]
    )
    unknown = store.delete_articles(["7", "999"])
    assert unknown == ["999"]
    assert store.stats()["articles"] == 1 and store.stats()["articles_deleted"] == 1
    fts = sqlite3.connect(store.path).execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'egfr'")
    assert [r[0] for r in fts] == [8]
    assert store.stats()["article_concepts"] == 0


def test_records_round_trip_through_the_codec() -> None:
    item = evidence(5, rating=4, citations=(Citation(pmid="123"),), statement="")
    assert from_dict(Evidence, to_dict(item)) == item
