"""The embedded store: one SQLite file in WAL mode, FTS5 for text, float16 vectors."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from kb.analysis import analyzed_text, evidence_fields, evidence_text
from kb.codec import from_dict, to_dict
from kb.domain import Article, ArticleStatus, Drug, Evidence, Gene, TestItem, TumorType
from kb.errors import MigrationError, StoreError
from kb.store.base import UpsertResult
from kb.store.schema import MIGRATIONS, SCHEMA_VERSION
from kb.store.sqlite_search import SQLiteSearch

__all__ = ["SQLiteStore", "text_hash"]

R = TypeVar("R")


def text_hash(text: str) -> str:
    """Stable hash of a text, the embedding cache key."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class SQLiteStore(SQLiteSearch):
    """The embedded default store. Thread-safe through one connection and a lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=10000")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._migrate()

    # -- schema ---------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise MigrationError(
                f"the store at {self.path} has schema version {current}, newer than this code ({SCHEMA_VERSION})"
            )
        for version in range(current, SCHEMA_VERSION):
            script = f"BEGIN IMMEDIATE;\n{MIGRATIONS[version]}\nPRAGMA user_version = {version + 1};\nCOMMIT;"
            with self._lock:
                try:
                    self._db.executescript(script)
                except sqlite3.Error as exc:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise MigrationError(f"migration {version} -> {version + 1} failed: {exc}") from exc

    # -- plumbing -------------------------------------------------------------------------------
    def _tx(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store read failed: {exc}") from exc

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('data_version', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def _upsert(
        self,
        table: str,
        key: str,
        rows: Sequence[tuple[str, str, tuple[Any, ...]]],
        extra_cols: tuple[str, ...] = (),
        after: Callable[[sqlite3.Connection, str], None] | None = None,
    ) -> UpsertResult:
        """Generic upsert of ``(id, json, extra column values)`` rows, counting what changed."""
        inserted = updated = unchanged = 0
        cols = (key, *extra_cols, "data")
        sql = (
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT({key}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
        )
        with self._tx() as db:
            for ident, data, extra in rows:
                old = db.execute(f"SELECT data FROM {table} WHERE {key} = ?", (ident,)).fetchone()
                if old is not None and old[0] == data:
                    unchanged += 1
                    continue
                db.execute(sql, (ident, *extra, data))
                if after is not None:
                    after(db, ident)
                if old is None:
                    inserted += 1
                else:
                    updated += 1
            if inserted or updated:
                self._bump(db)
        return UpsertResult(inserted, updated, unchanged)

    # -- knowledge records ----------------------------------------------------------------------
    def upsert_genes(self, genes: Sequence[Gene]) -> UpsertResult:
        return self._upsert("genes", "symbol", [(g.symbol, _json(g), (g.hgnc_id,)) for g in genes], ("hgnc_id",))

    def upsert_tumors(self, tumors: Sequence[TumorType]) -> UpsertResult:
        return self._upsert("tumors", "code", [(t.code, _json(t), (t.parent,)) for t in tumors], ("parent",))

    def upsert_drugs(self, drugs: Sequence[Drug]) -> UpsertResult:
        return self._upsert("drugs", "inn", [(d.inn, _json(d), ()) for d in drugs])

    def upsert_evidence(self, items: Sequence[Evidence]) -> UpsertResult:
        by_id = {e.id: e for e in items}

        def links(db: sqlite3.Connection, ident: str) -> None:
            item = by_id[ident]
            rowid = db.execute("SELECT rowid FROM evidence WHERE id = ?", (ident,)).fetchone()[0]
            db.execute("DELETE FROM evidence_fts WHERE rowid = ?", (rowid,))
            db.execute(
                "INSERT INTO evidence_fts (rowid, id, statement, fields) VALUES (?, ?, ?, ?)",
                (rowid, ident, analyzed_text(item.statement), analyzed_text(evidence_fields(item))),
            )
            db.execute("DELETE FROM evidence_drugs WHERE evidence_id = ?", (ident,))
            db.execute("DELETE FROM evidence_citations WHERE evidence_id = ?", (ident,))
            db.executemany("INSERT OR IGNORE INTO evidence_drugs VALUES (?, ?)", [(ident, d) for d in item.drugs])
            db.executemany(
                "INSERT OR IGNORE INTO evidence_citations VALUES (?, ?)",
                [(ident, c.pmid) for c in item.citations if c.pmid],
            )

        rows = [
            (
                e.id,
                _json(e),
                (
                    e.gene,
                    e.alteration.id,
                    e.alteration.kind.value,
                    e.tumor_code,
                    e.evidence_type.value,
                    e.level.value,
                    e.rating,
                    e.status.value,
                    text_hash(evidence_text(e)),
                ),
            )
            for e in items
        ]
        cols = (
            "gene",
            "alteration",
            "alteration_kind",
            "tumor_code",
            "evidence_type",
            "level",
            "rating",
            "status",
            "text_hash",
        )
        return self._upsert("evidence", "id", rows, cols, links)

    def upsert_tests(self, items: Sequence[TestItem]) -> UpsertResult:
        by_id = {t.id: t for t in items}

        def genes(db: sqlite3.Connection, ident: str) -> None:
            db.execute("DELETE FROM test_genes WHERE test_id = ?", (ident,))
            db.executemany("INSERT OR IGNORE INTO test_genes VALUES (?, ?)", [(ident, g) for g in by_id[ident].genes])

        rows = [(t.id, _json(t), (int(t.published),)) for t in items]
        return self._upsert("tests", "id", rows, ("published",), genes)

    # -- articles -------------------------------------------------------------------------------
    def upsert_articles(self, articles: Sequence[Article]) -> UpsertResult:
        inserted = updated = unchanged = 0
        with self._tx() as db:
            for art in articles:
                rowid = _rowid(art.pmid)
                data = _json(art)
                old = db.execute("SELECT version, status, data FROM articles WHERE rowid = ?", (rowid,)).fetchone()
                if old is not None and (old[0] > art.version or old[2] == data):
                    unchanged += 1
                    continue
                year = art.year if art.year is not None else (art.pub_date.year if art.pub_date else None)
                db.execute(
                    "INSERT INTO articles (rowid, pmid, version, status, year, text_hash, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(rowid) DO UPDATE SET version = excluded.version, "
                    "status = excluded.status, year = excluded.year, text_hash = excluded.text_hash, "
                    "data = excluded.data",
                    (rowid, art.pmid, art.version, art.status.value, year, text_hash(art.text), data),
                )
                db.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
                db.execute("DELETE FROM article_concepts WHERE pmid = ?", (art.pmid,))
                if art.status is ArticleStatus.ACTIVE:
                    db.execute(
                        "INSERT INTO articles_fts (rowid, title, abstract) VALUES (?, ?, ?)",
                        (rowid, analyzed_text(art.title), analyzed_text(art.abstract)),
                    )
                    db.executemany(
                        "INSERT OR IGNORE INTO article_concepts VALUES (?, ?)", [(art.pmid, c) for c in art.concepts]
                    )
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
                rowid = _rowid(pmid)
                row = db.execute("SELECT data FROM articles WHERE rowid = ?", (rowid,)).fetchone()
                if row is None:
                    unknown.append(pmid)
                    continue
                data = json.loads(row[0])
                data["status"] = ArticleStatus.DELETED.value
                db.execute(
                    "UPDATE articles SET status = ?, data = ? WHERE rowid = ?",
                    (ArticleStatus.DELETED.value, json.dumps(data, ensure_ascii=False, sort_keys=True), rowid),
                )
                db.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
                db.execute("DELETE FROM article_concepts WHERE pmid = ?", (pmid,))
            if len(unknown) < len(pmids):
                self._bump(db)
        return unknown

    def get_article(self, pmid: str) -> Article | None:
        try:
            rowid = _rowid(pmid)
        except StoreError:
            return None
        rows = self._read("SELECT data FROM articles WHERE rowid = ?", (rowid,))
        return from_dict(Article, json.loads(rows[0][0])) if rows else None

    def iter_articles(self, *, active_only: bool = True) -> Iterator[Article]:
        where = "WHERE status = 'active'" if active_only else ""
        yield from self._iter(f"SELECT data FROM articles {where} ORDER BY rowid", Article)

    # -- reads ----------------------------------------------------------------------------------
    def _iter(self, sql: str, cls: type[R], chunk: int = 1000) -> Iterator[R]:
        """Stream records in chunks, so memory does not grow with the table."""
        with self._lock:
            try:
                cursor = self._db.cursor()
                cursor.execute(sql)
            except sqlite3.Error as exc:
                raise StoreError(f"store read failed: {exc}") from exc
        try:
            while True:
                with self._lock:
                    rows = cursor.fetchmany(chunk)
                if not rows:
                    return
                for row in rows:
                    yield from_dict(cls, json.loads(row[0]))
        finally:
            cursor.close()

    def iter_genes(self) -> Iterator[Gene]:
        return self._iter("SELECT data FROM genes ORDER BY symbol", Gene)

    def iter_tumors(self) -> Iterator[TumorType]:
        return self._iter("SELECT data FROM tumors ORDER BY code", TumorType)

    def iter_drugs(self) -> Iterator[Drug]:
        return self._iter("SELECT data FROM drugs ORDER BY inn", Drug)

    def iter_evidence(self) -> Iterator[Evidence]:
        return self._iter("SELECT data FROM evidence ORDER BY CAST(substr(id, 10) AS INTEGER), id", Evidence)

    def iter_tests(self) -> Iterator[TestItem]:
        return self._iter("SELECT data FROM tests ORDER BY id", TestItem)

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
                f"SELECT text_hash, vector FROM embedding_cache WHERE model = ? AND text_hash IN "
                f"({', '.join('?' * len(chunk))})",
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

    def articles_missing_embeddings(self, model: str, limit: int) -> list[Article]:
        rows = self._read(
            "SELECT a.data FROM articles a LEFT JOIN embedding_cache e ON e.model = ? AND e.text_hash = a.text_hash "
            "WHERE a.status = 'active' AND e.text_hash IS NULL ORDER BY a.rowid LIMIT ?",
            (model, limit),
        )
        return [from_dict(Article, json.loads(r[0])) for r in rows]

    # -- reindex --------------------------------------------------------------------------------
    def reindex(self, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Rebuild the full-text and concept indexes from the stored records with the current
        analysis, in one transaction: readers see the old index until it commits."""
        counts = {"evidence": 0, "articles": 0}
        with self._tx() as db:
            db.execute("DELETE FROM evidence_fts")
            for rowid, data in db.execute("SELECT rowid, data FROM evidence ORDER BY rowid").fetchall():
                item = from_dict(Evidence, json.loads(data))
                db.execute(
                    "INSERT INTO evidence_fts (rowid, id, statement, fields) VALUES (?, ?, ?, ?)",
                    (rowid, item.id, analyzed_text(item.statement), analyzed_text(evidence_fields(item))),
                )
                counts["evidence"] += 1
            if progress is not None:
                progress("evidence", counts["evidence"])
            db.execute("DELETE FROM articles_fts")
            db.execute("DELETE FROM article_concepts")
            cursor = db.execute("SELECT rowid, data FROM articles WHERE status = 'active' ORDER BY rowid")
            while rows := cursor.fetchmany(1000):
                for rowid, data in rows:
                    art = from_dict(Article, json.loads(data))
                    db.execute(
                        "INSERT INTO articles_fts (rowid, title, abstract) VALUES (?, ?, ?)",
                        (rowid, analyzed_text(art.title), analyzed_text(art.abstract)),
                    )
                    db.executemany(
                        "INSERT OR IGNORE INTO article_concepts VALUES (?, ?)", [(art.pmid, c) for c in art.concepts]
                    )
                counts["articles"] += len(rows)
                if progress is not None:
                    progress("articles", counts["articles"])
            self._bump(db)
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
        }
        return {name: int(self._read(sql)[0][0]) for name, sql in queries.items()}

    def data_version(self) -> str:
        rows = self._read("SELECT value FROM meta WHERE key = 'data_version'")
        return f"{self.schema_version}.{rows[0][0] if rows else 0}"

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Transaction:
    """``with store._tx() as db:`` runs one IMMEDIATE transaction under the store lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._lock.release()
            raise StoreError(f"cannot start a transaction: {exc}") from exc
        return self._db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                self._db.execute("COMMIT")
            else:
                self._db.execute("ROLLBACK")
        except sqlite3.Error as err:
            raise StoreError(f"transaction failed: {err}") from err
        finally:
            self._lock.release()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"store write failed: {exc}") from exc


def _json(record: object) -> str:
    return json.dumps(to_dict(record), ensure_ascii=False, sort_keys=True)


def _rowid(pmid: str) -> int:
    if not pmid.isdigit():
        raise StoreError(f"PMID {pmid!r} is not a number")
    return int(pmid)
