"""The embedded SQLite store: migrations, idempotent upserts, article versions, deletions, cache."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from kb.codec import from_dict, to_dict
from kb.domain import (
    Alteration,
    AlterationKind,
    Article,
    Citation,
    Evidence,
    EvidenceDirection,
    EvidenceLevel,
    EvidenceType,
    Gene,
)
from kb.embedding import decode_vector, encode_vector
from kb.errors import MigrationError
from kb.store import SQLiteStore, Store
from kb.store.schema import SCHEMA_VERSION


def article(pmid: str, version: int = 1, title: str = "EGFR T790M in lung cancer", **kw: object) -> Article:
    return Article(pmid=pmid, title=title, abstract="Placeholder abstract text.", version=version, **kw)  # type: ignore[arg-type]


def evidence(eid: int, level: EvidenceLevel = EvidenceLevel.B) -> Evidence:
    return Evidence(
        id=f"civic:EID{eid}",
        source="CIViC",
        source_id=str(eid),
        gene="EGFR",
        alteration=Alteration("EGFR", AlterationKind.PROTEIN_CHANGE, "T790M"),
        evidence_type=EvidenceType.PREDICTIVE,
        direction=EvidenceDirection.SUPPORTS,
        significance="resistance",
        level=level,
        rating=4,
        tumor_code="NSCLC",
        disease="Lung Non-small Cell Carcinoma",
        drugs=("gefitinib",),
        citations=(Citation(pmid="123"),),
        last_review=date(2021, 3, 1),
    )


def test_sqlite_store_satisfies_the_store_protocol(store: SQLiteStore) -> None:
    assert isinstance(store, Store)


def test_new_store_is_migrated_to_the_current_schema_in_wal_mode(store: SQLiteStore) -> None:
    assert store.schema_version == SCHEMA_VERSION
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_store_from_newer_code_is_refused_with_a_migration_error(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(MigrationError, match="newer than this code"):
        SQLiteStore(path)


def test_upsert_counts_new_unchanged_and_updated_records(store: SQLiteStore) -> None:
    first = store.upsert_evidence([evidence(1), evidence(2)])
    again = store.upsert_evidence([evidence(1), evidence(2)])
    changed = store.upsert_evidence([evidence(1, EvidenceLevel.A)])
    assert (first.inserted, again.unchanged, changed.updated) == (2, 2, 1)
    assert store.stats()["evidence"] == 2
    stored = store.get_evidence("civic:EID1")
    assert stored is not None and stored.level is EvidenceLevel.A


def test_data_version_moves_only_when_data_changes(store: SQLiteStore) -> None:
    store.upsert_genes([Gene("EGFR", "HGNC:3236")])
    before = store.data_version()
    store.upsert_genes([Gene("EGFR", "HGNC:3236")])
    assert store.data_version() == before
    store.upsert_genes([Gene("EGFR", "HGNC:3236", name_zh="表皮生长因子受体")])
    assert store.data_version() != before


def test_newer_article_version_replaces_and_older_is_ignored(store: SQLiteStore) -> None:
    store.upsert_articles([article("100", 2, "second version")])
    older = store.upsert_articles([article("100", 1, "first version")])
    assert older.unchanged == 1
    newer = store.upsert_articles([article("100", 3, "third version")])
    assert newer.updated == 1
    stored = store.get_article("100")
    assert stored is not None and (stored.version, stored.title) == (3, "third version")
    assert store.stats()["articles"] == 1


def test_deleted_citation_leaves_search_index_and_counts(store: SQLiteStore) -> None:
    store.upsert_articles([article("7", concepts=("gene:EGFR",)), article("8")])
    unknown = store.delete_articles(["7", "999"])
    assert unknown == ["999"]
    assert store.stats()["articles"] == 1 and store.stats()["articles_deleted"] == 1
    fts = sqlite3.connect(store.path).execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'egfr'")
    assert [r[0] for r in fts] == [8]
    assert store.stats()["article_concepts"] == 0


def test_embedding_cache_round_trips_compact_float16_vectors(store: SQLiteStore) -> None:
    vector = np.linspace(-1, 1, 384, dtype=np.float32)
    store.put_embeddings("m", {"h1": encode_vector(vector)})
    cached = store.cached_embeddings("m", ["h1", "h2"])
    assert list(cached) == ["h1"] and len(cached["h1"]) == 384 * 2
    assert np.allclose(decode_vector(cached["h1"]), vector, atol=1e-3)
    assert store.cached_embeddings("other-model", ["h1"]) == {}


def test_articles_missing_embeddings_lists_only_unembedded_active_articles(store: SQLiteStore) -> None:
    store.upsert_articles([article("1", title="a"), article("2", title="b")])
    from kb.store import text_hash

    store.put_embeddings("m", {text_hash(article("1", title="a").text): encode_vector(np.zeros(4, np.float32))})
    assert [a.pmid for a in store.articles_missing_embeddings("m", 10)] == ["2"]


def test_checkpoints_are_set_read_and_cleared(store: SQLiteStore) -> None:
    assert store.get_checkpoint("job") is None
    store.set_checkpoint("job", "42")
    assert store.get_checkpoint("job") == "42"
    store.set_checkpoint("job", None)
    assert store.get_checkpoint("job") is None


def test_records_round_trip_through_the_codec() -> None:
    item = evidence(5)
    assert from_dict(Evidence, to_dict(item)) == item
