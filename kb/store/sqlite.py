"""The embedded store: one SQLite file in WAL mode, FTS5 for text, float16 vectors.

Every derived column and FTS5 row comes from :mod:`kb.store.documents`, as in the
Elasticsearch store; the connection and transactions are in :mod:`kb.store.sqlite_db`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from kb.codec import from_dict
from kb.domain import Article, ArticleStatus, Biomarker, Drug, Evidence, Gene, TestItem, TumorType
from kb.errors import StoreError
from kb.store.base import UpsertResult
from kb.store.documents import (
    ArticleDoc,
    EvidenceDoc,
    article_doc,
    article_seq,
    canonical_json,
    evidence_doc,
    first_held,
    record_json,
)
from kb.store.sqlite_db import marks
from kb.store.sqlite_retrieval import SQLiteRetrieval

__all__ = ["SQLiteStore"]

R = TypeVar("R")


class SQLiteStore(SQLiteRetrieval):
    """The embedded default store: records, embeddings, checkpoints and reindexing; retrieval comes
    from :class:`~kb.store.sqlite_search.SQLiteSearch`. Thread-safe through one connection and a lock."""

    def _upsert(
        self,
        table: str,
        key: str,
        records: Sequence[R],
        ident: Callable[[R], str],
        write: Callable[[sqlite3.Connection, R, str], None],
    ) -> UpsertResult:
        """Generic upsert keyed by ``ident``, counting what changed: a record whose canonical JSON is
        stored already is left alone, ``write(db, record, json)`` stores each of the others."""
        inserted = updated = unchanged = 0
        with self._tx() as db:
            for record in records:
                data = record_json(record)
                old = db.execute(f"SELECT data FROM {table} WHERE {key} = ?", (ident(record),)).fetchone()
                if old is not None and old[0] == data:
                    unchanged += 1
                    continue
                write(db, record, data)
                if old is None:
                    inserted += 1
                else:
                    updated += 1
            if inserted or updated:
                self._bump(db)
        return UpsertResult(inserted, updated, unchanged)

    # -- knowledge records ----------------------------------------------------------------------
    def upsert_genes(self, genes: Sequence[Gene]) -> UpsertResult:
        def write(db: sqlite3.Connection, g: Gene, data: str) -> None:
            _put(db, "genes", {"symbol": g.symbol, "hgnc_id": g.hgnc_id, "data": data})

        return self._upsert("genes", "symbol", genes, lambda g: g.symbol, write)

    def upsert_tumors(self, tumors: Sequence[TumorType]) -> UpsertResult:
        def write(db: sqlite3.Connection, t: TumorType, data: str) -> None:
            _put(db, "tumors", {"code": t.code, "parent": t.parent, "data": data})

        return self._upsert("tumors", "code", tumors, lambda t: t.code, write)

    def upsert_drugs(self, drugs: Sequence[Drug]) -> UpsertResult:
        def write(db: sqlite3.Connection, d: Drug, data: str) -> None:
            _put(db, "drugs", {"inn": d.inn, "data": data})

        return self._upsert("drugs", "inn", drugs, lambda d: d.inn, write)

    def upsert_evidence(self, items: Sequence[Evidence]) -> UpsertResult:
        def write(db: sqlite3.Connection, item: Evidence, data: str) -> None:
            doc = evidence_doc(item)
            columns = {
                "id": doc.id,
                "gene": doc.gene,
                "alteration": doc.alteration,
                "alteration_kind": doc.alteration_kind,
                "tumor_code": doc.tumor_code,
                "evidence_type": doc.evidence_type,
                "level": doc.level,
                "rating": doc.rating,
                "status": doc.status,
                "text_hash": doc.text_hash,
                "data": data,
            }
            _put(db, "evidence", columns)
            rowid = db.execute("SELECT rowid FROM evidence WHERE id = ?", (doc.id,)).fetchone()[0]
            db.execute("DELETE FROM evidence_fts WHERE rowid = ?", (rowid,))
            _index_evidence(db, rowid, doc)
            db.execute("DELETE FROM evidence_drugs WHERE evidence_id = ?", (doc.id,))
            db.execute("DELETE FROM evidence_citations WHERE evidence_id = ?", (doc.id,))
            db.executemany("INSERT OR IGNORE INTO evidence_drugs VALUES (?, ?)", [(doc.id, d) for d in doc.drugs])
            db.executemany(
                "INSERT OR IGNORE INTO evidence_citations VALUES (?, ?)", [(doc.id, p) for p in doc.citations]
            )

        return self._upsert("evidence", "id", items, lambda e: e.id, write)

    def upsert_tests(self, items: Sequence[TestItem]) -> UpsertResult:
        def write(db: sqlite3.Connection, t: TestItem, data: str) -> None:
            _put(db, "tests", {"id": t.id, "published": int(t.published), "data": data})
            db.execute("DELETE FROM test_genes WHERE test_id = ?", (t.id,))
            db.executemany("INSERT OR IGNORE INTO test_genes VALUES (?, ?)", [(t.id, g) for g in t.genes])

        return self._upsert("tests", "id", items, lambda t: t.id, write)

    def upsert_biomarkers(self, biomarkers: Sequence[Biomarker]) -> UpsertResult:
        def write(db: sqlite3.Connection, b: Biomarker, data: str) -> None:
            _put(db, "biomarkers", {"id": b.id, "data": data})

        return self._upsert("biomarkers", "id", biomarkers, lambda b: b.id, write)

    def upsert_records(self, plural: str, records: Sequence[Any]) -> UpsertResult:
        inserted = updated = unchanged = 0
        with self._tx() as db:
            for record in records:
                data = record_json(record)
                key = (plural, record.id)
                old = db.execute("SELECT data FROM records WHERE collection = ? AND id = ?", key).fetchone()
                if old is not None and old[0] == data:
                    unchanged += 1
                    continue
                db.execute("INSERT OR REPLACE INTO records (collection, id, data) VALUES (?, ?, ?)", (*key, data))
                inserted += old is None
                updated += old is not None
            if inserted or updated:
                self._bump(db)
        return UpsertResult(inserted, updated, unchanged)

    def iter_records(self, plural: str, cls: type[R]) -> Iterator[R]:
        rows = self._read("SELECT data FROM records WHERE collection = ? ORDER BY id", (plural,))
        return (from_dict(cls, json.loads(data)) for (data,) in rows)

    # -- articles -------------------------------------------------------------------------------
    def upsert_articles(self, articles: Sequence[Article]) -> UpsertResult:
        inserted = updated = unchanged = 0
        now = datetime.now(UTC).replace(microsecond=0)
        with self._tx() as db:
            for art in articles:
                rowid = article_seq(art.pmid)
                old = db.execute(
                    "SELECT version, data, first_ingested FROM articles WHERE rowid = ?", (rowid,)
                ).fetchone()
                art = first_held(art, datetime.fromisoformat(old[2]) if old and old[2] else None, now)
                data = record_json(art)
                # a record stored before schema 4 (or stamped by its migration) is the same record in another JSON
                if old is not None and (old[0] > art.version or old[1] == data or _decoded(old[1]) == art):
                    unchanged += 1
                    continue
                doc = article_doc(art)
                db.execute(
                    "INSERT INTO articles (rowid, pmid, version, status, year, text_hash, first_ingested, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(rowid) DO UPDATE SET version = excluded.version, "
                    "status = excluded.status, year = excluded.year, text_hash = excluded.text_hash, "
                    "data = excluded.data",  # first_ingested stays as it was
                    (doc.seq, doc.pmid, doc.version, doc.status, doc.year, doc.text_hash, doc.first_ingested, data),
                )
                db.execute("DELETE FROM articles_fts WHERE rowid = ?", (doc.seq,))
                db.execute("DELETE FROM article_concepts WHERE pmid = ?", (doc.pmid,))
                _index_article(db, doc)
                if old is None:
                    inserted += 1
                else:
                    updated += 1
            if inserted or updated:
                self._bump(db)
        return UpsertResult(inserted, updated, unchanged)

    def delete_articles(self, pmids: Sequence[str]) -> list[str]:
        unknown: list[str] = []
        with self._tx() as db:
            for pmid in pmids:
                rowid = article_seq(pmid)
                row = db.execute("SELECT data FROM articles WHERE rowid = ?", (rowid,)).fetchone()
                if row is None:
                    unknown.append(pmid)
                    continue
                data = json.loads(row[0])
                data["status"] = ArticleStatus.DELETED.value
                db.execute(
                    "UPDATE articles SET status = ?, data = ? WHERE rowid = ?",
                    (ArticleStatus.DELETED.value, canonical_json(data), rowid),
                )
                db.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
                db.execute("DELETE FROM article_concepts WHERE pmid = ?", (pmid,))
            if len(unknown) < len(pmids):
                self._bump(db)
        return unknown

    def get_article(self, pmid: str) -> Article | None:
        try:
            rowid = article_seq(pmid)
        except StoreError:
            return None
        rows = self._read("SELECT data FROM articles WHERE rowid = ?", (rowid,))
        return from_dict(Article, json.loads(rows[0][0])) if rows else None

    def newest_articles(self, concepts: Sequence[str], *, limit: int) -> list[Article]:
        if not concepts:
            return []
        rows = self._read(
            "SELECT data FROM articles WHERE status = 'active' AND rowid IN (SELECT CAST(pmid AS INTEGER) FROM "
            f"article_concepts WHERE concept IN ({marks(len(concepts))})) "
            "ORDER BY first_ingested IS NULL, first_ingested DESC, rowid DESC LIMIT ?",
            (*concepts, limit),
        )
        return [from_dict(Article, json.loads(r[0])) for r in rows]

    def iter_articles(self, *, active_only: bool = True) -> Iterator[Article]:
        where = "WHERE status = 'active'" if active_only else ""
        yield from self._iter(f"SELECT data FROM articles {where} ORDER BY rowid", Article)

    # -- reads ----------------------------------------------------------------------------------
    def iter_genes(self) -> Iterator[Gene]:
        return self._iter("SELECT data FROM genes ORDER BY symbol", Gene)

    def iter_tumors(self) -> Iterator[TumorType]:
        return self._iter("SELECT data FROM tumors ORDER BY code", TumorType)

    def iter_drugs(self) -> Iterator[Drug]:
        return self._iter("SELECT data FROM drugs ORDER BY inn", Drug)

    def iter_evidence(self) -> Iterator[Evidence]:
        return self._iter("SELECT data FROM evidence ORDER BY evidence_seq(id), id", Evidence)

    def iter_tests(self) -> Iterator[TestItem]:
        return self._iter("SELECT data FROM tests ORDER BY id", TestItem)

    def iter_biomarkers(self) -> Iterator[Biomarker]:
        return self._iter("SELECT data FROM biomarkers ORDER BY id", Biomarker)

    def get_evidence(self, evidence_id: str) -> Evidence | None:
        rows = self._read("SELECT data FROM evidence WHERE id = ?", (evidence_id,))
        return from_dict(Evidence, json.loads(rows[0][0])) if rows else None

    # -- embeddings -----------------------------------------------------------------------------
    def cached_embeddings(self, model: str, text_hashes: Iterable[str]) -> dict[str, bytes]:
        hashes = list(dict.fromkeys(text_hashes))
        out: dict[str, bytes] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            rows = self._read(
                f"SELECT text_hash, vector FROM embedding_cache WHERE model = ? AND text_hash IN ({marks(len(chunk))})",
                (model, *chunk),
            )
            out.update({r[0]: r[1] for r in rows})
        return out

    def put_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embedding_cache (model, text_hash, dim, vector) VALUES (?, ?, ?, ?)",
                [(model, h, len(v) // 2, v) for h, v in vectors.items()],
            )
            if vectors:
                self._bump(db, "vectors_version")

    def articles_missing_embeddings(self, model: str, limit: int, *, newest_first: bool = False) -> list[Article]:
        order = "a.year IS NULL, a.year DESC, a.rowid DESC" if newest_first else "a.rowid"
        rows = self._read(
            "SELECT a.data FROM articles a LEFT JOIN embedding_cache e ON e.model = ? AND e.text_hash = a.text_hash "
            f"WHERE a.status = 'active' AND e.text_hash IS NULL ORDER BY {order} LIMIT ?",
            (model, limit),
        )
        return [from_dict(Article, json.loads(r[0])) for r in rows]

    def embedding_coverage(self, model: str) -> dict[str, tuple[int, int]]:
        counted = "SELECT COUNT(e.text_hash), COUNT(*) FROM {} r "
        join = "LEFT JOIN embedding_cache e ON e.model = ? AND e.text_hash = r.text_hash"
        out: dict[str, tuple[int, int]] = {}
        for kind, where in (("evidence", ""), ("articles", " WHERE r.status = 'active'")):
            ((have, total),) = self._read(f"{counted.format(kind)}{join}{where}", (model,))
            out[kind] = (int(have), int(total))
        return out

    # -- reindex --------------------------------------------------------------------------------
    def reindex(self, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Rebuild the full-text and concept indexes from the stored records with the current
        analysis, in one transaction: readers see the old index until it commits; then the vector
        indexes of every model, each swapped in when built (``vectors:<kind>`` counts)."""
        counts = {"evidence": 0, "articles": 0}
        with self._tx() as db:
            db.execute("DELETE FROM evidence_fts")
            for rowid, data in db.execute("SELECT rowid, data FROM evidence ORDER BY rowid").fetchall():
                _index_evidence(db, rowid, evidence_doc(from_dict(Evidence, json.loads(data))))
                counts["evidence"] += 1
            if progress is not None:
                progress("evidence", counts["evidence"])
            db.execute("DELETE FROM articles_fts")
            db.execute("DELETE FROM article_concepts")
            cursor = db.execute("SELECT data FROM articles WHERE status = 'active' ORDER BY rowid")
            while rows := cursor.fetchmany(1000):
                for (data,) in rows:
                    _index_article(db, article_doc(from_dict(Article, json.loads(data))))
                counts["articles"] += len(rows)
                if progress is not None:
                    progress("articles", counts["articles"])
            self._bump(db)
        counts.update(self.rebuild_vectors(progress))
        return counts

    # -- checkpoints, stats ---------------------------------------------------------------------
    def get_checkpoint(self, job: str) -> str | None:
        rows = self._read("SELECT value FROM checkpoints WHERE job = ?", (job,))
        return str(rows[0][0]) if rows else None

    def set_checkpoint(self, job: str, value: str | None) -> None:
        with self._tx() as db:
            if value is None:
                db.execute("DELETE FROM checkpoints WHERE job = ?", (job,))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)",
                    (job, value, datetime.now(UTC).isoformat(timespec="seconds")),
                )

    def stats(self) -> dict[str, int]:
        queries = {
            "genes": "SELECT COUNT(*) FROM genes",
            "tumors": "SELECT COUNT(*) FROM tumors",
            "drugs": "SELECT COUNT(*) FROM drugs",
            "evidence": "SELECT COUNT(*) FROM evidence",
            "articles": "SELECT COUNT(*) FROM articles WHERE status = 'active'",
            "articles_deleted": "SELECT COUNT(*) FROM articles WHERE status = 'deleted'",
            "article_concepts": "SELECT COUNT(*) FROM article_concepts",
            "embeddings": "SELECT COUNT(*) FROM embedding_cache",
            "tests": "SELECT COUNT(*) FROM tests",
            "tests_published": "SELECT COUNT(*) FROM tests WHERE published = 1",
            "biomarkers": "SELECT COUNT(*) FROM biomarkers",
            **{c: f"SELECT COUNT(*) FROM records WHERE collection = '{c}'" for c in _RECORDS},
        }
        return {name: int(self._read(sql)[0][0]) for name, sql in queries.items()}


#: the collections kept in the ``records`` table, counted by ``stats`` (kb.kinds names them)
_RECORDS = ("regulatory", "guidelines", "reading_lists")


def _decoded(data: str) -> Article:
    return from_dict(Article, json.loads(data))


def _put(db: sqlite3.Connection, table: str, columns: dict[str, Any]) -> None:
    """Insert or update one row; the first column is the key."""
    names = list(columns)
    db.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks(len(names))}) "
        f"ON CONFLICT({names[0]}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in names[1:]),
        tuple(columns.values()),
    )


def _index_evidence(db: sqlite3.Connection, rowid: int, doc: EvidenceDoc) -> None:
    db.execute(
        "INSERT INTO evidence_fts (rowid, id, statement, fields) VALUES (?, ?, ?, ?)",
        (rowid, doc.id, doc.statement, doc.fields),
    )


def _index_article(db: sqlite3.Connection, doc: ArticleDoc) -> None:
    """Index an active article's terms and concepts (a deleted one has none)."""
    if not doc.active:
        return
    db.execute("INSERT INTO articles_fts (rowid, title, abstract) VALUES (?, ?, ?)", (doc.seq, doc.title, doc.abstract))
    db.executemany("INSERT OR IGNORE INTO article_concepts VALUES (?, ?)", [(doc.pmid, c) for c in doc.concepts])
