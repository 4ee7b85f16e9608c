"""The embedded store's database: one SQLite file in WAL mode, migrated on open, one connection
shared by threads under a lock, IMMEDIATE transactions and chunked reads."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from kb.codec import from_dict
from kb.errors import MigrationError, StoreError
from kb.store.base import VERSION_TTL
from kb.store.documents import evidence_seq
from kb.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["SQLiteDatabase", "marks"]

R = TypeVar("R")


def marks(n: int) -> str:
    """``?, ?, ?`` for ``n`` values: the placeholders of an ``IN (...)`` or ``VALUES (...)`` list."""
    return ", ".join("?" * n)


class SQLiteDatabase:
    """The connection and its plumbing; :class:`~kb.store.sqlite.SQLiteStore` builds on it."""

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
            # the evidence order every backend shares, from kb.store.documents
            self._db.create_function("evidence_seq", 1, evidence_seq, deterministic=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._version_read: tuple[float, str] | None = None  # (monotonic time, version) of the last read
        self._migrate()

    # -- schema ---------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        # under the store lock like every use of the one connection: an unlocked statement beside a locked one
        # on another thread deadlocked two concurrent requests
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        # one process migrates at a time (the workers of one `kb serve` open the store together), and each looks
        # at the version again once it holds the lock
        memory = str(self.path) == ":memory:"
        with open(os.devnull if memory else self.path.with_name(f"{self.path.name}.migrate-lock"), "ab") as lock:
            if not memory:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
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
        self._version_read = None  # before and after: a search that reads the version meanwhile can't keep it
        return _Transaction(self._db, self._lock, self._forget_version)

    def _forget_version(self) -> None:
        self._version_read = None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store read failed: {exc}") from exc

    def _bump(self, db: sqlite3.Connection, key: str = "data_version") -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES (?, '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            (key,),
        )

    def _iter(self, sql: str, cls: type[R], chunk: int = 1000) -> Iterator[R]:
        """Stream records in chunks, so memory does not grow with the table.

        A file's records stream on a connection of their own: a statement left open on the shared one would hold
        its read snapshot for every other reader of this store, which then missed what another process wrote
        meanwhile (a rebuild reading the evidence for seconds hid a record another server process published)."""
        own = str(self.path) != ":memory:"
        reader: sqlite3.Connection | None = None
        try:
            with self._lock:
                self._db.execute("SELECT 1")  # a closed store reads nothing, on any connection
            if own:
                reader = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
                reader.execute("PRAGMA busy_timeout=10000")
                reader.create_function("evidence_seq", 1, evidence_seq, deterministic=True)
                cursor = reader.execute(sql)
            else:
                with self._lock:
                    cursor = self._db.execute(sql)
        except sqlite3.Error as exc:
            if reader is not None:
                reader.close()
            raise StoreError(f"store read failed: {exc}") from exc
        try:
            while True:
                if own:
                    rows = cursor.fetchmany(chunk)
                else:
                    with self._lock:
                        rows = cursor.fetchmany(chunk)
                if not rows:
                    return
                for row in rows:
                    yield from_dict(cls, json.loads(row[0]))
        finally:
            cursor.close()
            if reader is not None:
                reader.close()

    def data_version(self) -> str:
        """The data version, read at most every :data:`~kb.store.base.VERSION_TTL` seconds (a search asks several
        times, and each read waited for the connection's lock); another process's writes show within that time,
        this store's own at once (a transaction forgets the version it read)."""
        read = self._version_read
        if read is not None and time.monotonic() - read[0] < VERSION_TTL:
            return read[1]
        rows = self._read("SELECT value FROM meta WHERE key = 'data_version'")
        version = f"{self.schema_version}.{rows[0][0] if rows else 0}"
        self._version_read = (time.monotonic(), version)
        return version

    def vectors_version(self) -> str:
        """Moves when vectors are stored (records keep their data version: the background embedder writes
        vectors while searches run, and dense retrieval picks them up without other caches emptying)."""
        rows = self._read("SELECT value FROM meta WHERE key = 'vectors_version'")
        return str(rows[0][0]) if rows else "0"

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Transaction:
    """``with store._tx() as db:`` runs one IMMEDIATE transaction under the store lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock, done: Callable[[], None]) -> None:
        self._db = db
        self._lock = lock
        self._done = done

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
            self._done()
            self._lock.release()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"store write failed: {exc}") from exc
