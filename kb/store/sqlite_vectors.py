"""The embedded store's vector indexes (:mod:`kb.store.vectors`), kept in step with the database.

One index per kind and model, built from the records joined to ``embedding_cache`` by text hash and keyed by
the record's rowid. Triggers (schema 3) write every change that matters to ``vector_changes``: a record
inserted, updated or deleted, a vector stored. Before a search the index reads the log from the position it
holds and applies only those rows, so the background embedder's batches cost their own size. Indexes are
saved beside the database (``<file>.vectors/``) once enough has changed, on close and after a rebuild, and
loaded (then caught up) instead of rebuilt; the log is pruned up to the oldest saved position.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.store.base import Scored
from kb.store.sqlite_db import SQLiteDatabase, marks
from kb.store.vectors import AnnParams, Batch, Keep, VectorIndex

__all__ = ["SOURCES", "SQLiteVectors", "VectorSource"]

log = logging.getLogger("genekb.vectors")

CHUNK = 20_000  # records read per query while building
LOG_CHUNK = 4_096  # log rows applied at a time while catching up (searches wait only for one such batch)
IN_CHUNK = 500  # keys per IN (...) list
SAVE_EVERY = 10_000  # rows changed since the last save before an index is saved again (or a tenth of it)


@dataclass(frozen=True, slots=True)
class VectorSource:
    """Where one kind's searchable rows are: the table, the id column, the filter columns (name, SQL, numeric)
    and the condition a row must meet to be searched."""

    kind: str
    table: str
    ident: str
    columns: tuple[tuple[str, str, bool], ...]
    searchable: str


SOURCES: dict[str, VectorSource] = {
    s.kind: s
    for s in (
        VectorSource("articles", "articles", "pmid", (("year", "year", True),), "t.status = 'active'"),
        VectorSource(
            "evidence",
            "evidence",
            "id",
            (("type", "evidence_type", False), ("level", "level", False), ("tumor", "tumor_code", False)),
            "1",
        ),
    )
}


def _file_name(kind: str, model: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", model)[-60:]  # no dots: the name ends at the first one
    return f"{kind}-{slug}-{hashlib.sha1(model.encode()).hexdigest()[:8]}"


class SQLiteVectors(SQLiteDatabase):
    """Dense retrieval for :class:`~kb.store.sqlite_search.SQLiteSearch`: the indexes, their log and files."""

    def __init__(self, path: Path | str, *, ann: AnnParams | None = None) -> None:
        super().__init__(path)
        self.ann = ann or AnnParams()
        self.vector_folder = None if str(path) == ":memory:" else self.path.with_name(f"{self.path.name}.vectors")
        self._indexes: dict[tuple[str, str], VectorIndex] = {}
        self._index_locks: dict[tuple[str, str], threading.Lock] = {}
        self._indexes_lock = threading.Lock()

    # -- search -----------------------------------------------------------------------------------
    def vector_search(self, kind: str, model: str, vector: Sequence[float], limit: int, keep: Keep | None) -> Scored:
        return self.vector_index(kind, model).search(vector, limit, keep)

    def vector_index(self, kind: str, model: str) -> VectorIndex:
        """The index of ``kind`` and ``model``, loaded or built on first use and caught up with the log. While
        another thread catches it up, a search answers from the state it has (as a refresh interval would)."""
        key = (kind, model)
        head = self._log_head()
        with self._indexes_lock:
            lock = self._index_locks.setdefault(key, threading.Lock())
            index = self._indexes.get(key)
        if index is not None and (index.seq >= head or not lock.acquire(blocking=False)):
            return index
        if index is None:
            lock.acquire()
        try:
            with self._indexes_lock:
                index = self._indexes.get(key)
            if index is None:
                index = self._open_index(kind, model, head)
            index = self._catch_up(index, kind, model, head)
            with self._indexes_lock:
                self._indexes[key] = index
            return index
        finally:
            lock.release()

    # -- building and catching up -----------------------------------------------------------------
    def _log_head(self) -> int:
        rows = self._read("SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'")
        return int(rows[0][0]) if rows else 0

    def _log_floor(self) -> int:
        rows = self._read("SELECT value FROM meta WHERE key = 'vector_log_floor'")
        return int(rows[0][0]) if rows else 0

    def _open_index(self, kind: str, model: str, head: int) -> VectorIndex:
        source = SOURCES[kind]
        if self.vector_folder is not None:
            names = [c[0] for c in source.columns]
            for _ in range(2):  # a second try when another process replaced the files while they were read
                index = VectorIndex.load(self.vector_folder, _file_name(kind, model), self.ann, names)
                if index is not None and index.seq >= self._log_floor():
                    return index
        return self._build_index(kind, model, head)

    def _build_index(
        self, kind: str, model: str, head: int, progress: Callable[[int], None] | None = None
    ) -> VectorIndex:
        """A fresh index of every searchable row with a vector, as of log position ``head`` (rows that change
        meanwhile are in the log after ``head`` too, and applying them again is harmless)."""
        source = SOURCES[kind]
        index = VectorIndex(self.ann, [c[0] for c in source.columns], seq=head, bulk=True)
        columns = ", ".join(f"t.{c[1]}" for c in source.columns)
        last = -(2**63)
        while True:
            rows = self._read(
                f"SELECT t.rowid, t.{source.ident}, {columns}, 1, c.vector FROM {source.table} t "
                "JOIN embedding_cache c ON c.model = ? AND c.text_hash = t.text_hash "
                f"WHERE {source.searchable} AND t.rowid > ? ORDER BY t.rowid LIMIT ?",
                (model, last, CHUNK),
            )
            if not rows:
                break
            batch, removed = _batch(source, rows, index.dim)
            index.apply(batch, removed, head)
            last = int(rows[-1][0])
            if progress is not None:
                progress(index.count)
        index.finish()  # the graph, when there are enough rows, in one pass
        self._save(index, kind, model)
        return index

    def _catch_up(self, index: VectorIndex, kind: str, model: str, head: int) -> VectorIndex:
        source = SOURCES[kind]
        while index.seq < head:
            changes = self._read(
                "SELECT seq, kind, row, model, text_hash FROM vector_changes WHERE seq > ? AND seq <= ? "
                "ORDER BY seq LIMIT ?",
                (index.seq, head, LOG_CHUNK),
            )
            if self._log_floor() > index.seq:  # read after the changes: pruned past this index, so rebuild
                return self._build_index(kind, model, head)
            end = int(changes[-1][0]) if len(changes) == LOG_CHUNK else head
            keys = {int(c[2]) for c in changes if c[1] == kind}
            hashes = [c[4] for c in changes if c[1] == "vector" and c[3] == model]
            keys.update(self._rows_with_hashes(source, hashes))
            batch, removed = self._current_rows(source, model, keys, index.dim)
            index.apply(batch, removed, end)
        if index.dirty >= max(SAVE_EVERY, index.count // 10):
            self._save(index, kind, model)
        return index

    def _rows_with_hashes(self, source: VectorSource, hashes: Sequence[str]) -> set[int]:
        found: set[int] = set()
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), IN_CHUNK):
            chunk = unique[start : start + IN_CHUNK]
            rows = self._read(f"SELECT rowid FROM {source.table} WHERE text_hash IN ({marks(len(chunk))})", chunk)
            found.update(int(r[0]) for r in rows)
        return found

    def _current_rows(
        self, source: VectorSource, model: str, keys: Iterable[int], dim: int
    ) -> tuple[Batch | None, list[int]]:
        """The current state of rows ``keys``: those searchable with a vector to put, the others to remove."""
        wanted = sorted(keys)
        columns = ", ".join(f"t.{c[1]}" for c in source.columns)
        rows: list[Any] = []
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            rows += self._read(
                f"SELECT t.rowid, t.{source.ident}, {columns}, {source.searchable}, c.vector FROM {source.table} t "
                "LEFT JOIN embedding_cache c ON c.model = ? AND c.text_hash = t.text_hash "
                f"WHERE t.rowid IN ({marks(len(chunk))})",
                (model, *chunk),
            )
        batch, removed = _batch(source, rows, dim)
        present = {int(r[0]) for r in rows}
        return batch, removed + [k for k in wanted if k not in present]

    # -- files and the log ------------------------------------------------------------------------
    def _save(self, index: VectorIndex, kind: str, model: str) -> None:
        if self.vector_folder is None or (not index.count and not index.dirty):
            return
        try:
            index.save(self.vector_folder, _file_name(kind, model), {"kind": kind, "model": model})
        except OSError as exc:  # a read-only folder costs a rebuild at the next start, never a search
            log.warning("vector index %s/%s not saved: %s", kind, model, exc)
            return
        self._prune_log()

    def _prune_log(self) -> None:
        """Drop the log up to the oldest position a saved index holds; an index held in memory behind that
        (another process's) finds the floor above it and reloads or rebuilds."""
        if self.vector_folder is None:
            return
        seqs = []
        for sidecar in self.vector_folder.glob("*.json"):
            try:
                seqs.append(int(json.loads(sidecar.read_text("utf-8"))["seq"]))
            except (OSError, ValueError, KeyError):
                continue
        if not seqs:
            return
        floor = min(seqs)
        with self._tx() as db:
            db.execute("DELETE FROM vector_changes WHERE seq <= ?", (floor,))
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('vector_log_floor', ?) ON CONFLICT(key) DO UPDATE SET "
                "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                (str(floor),),
            )

    def rebuild_vectors(self, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Build every kind's index for every model in the embedding cache afresh and save it (``kb reindex``);
        the files of other models are removed."""
        models = [r[0] for r in self._read(
            "WITH RECURSIVE m(model) AS (SELECT MIN(model) FROM embedding_cache UNION ALL "
            "SELECT (SELECT MIN(model) FROM embedding_cache WHERE model > m.model) FROM m WHERE m.model IS NOT NULL) "
            "SELECT model FROM m WHERE model IS NOT NULL"
        )]  # fmt: skip
        counts: dict[str, int] = {}
        head = self._log_head()
        kept: set[str] = set()
        for model in models:
            for kind in SOURCES:
                with self._indexes_lock:
                    lock = self._index_locks.setdefault((kind, model), threading.Lock())
                report = (lambda n, k=kind: progress(f"vectors:{k}", n)) if progress is not None else None
                with lock:
                    index = self._build_index(kind, model, head, report)
                    with self._indexes_lock:
                        self._indexes[(kind, model)] = index
                counts[f"vectors:{kind}"] = counts.get(f"vectors:{kind}", 0) + index.count
                kept.add(_file_name(kind, model))
        if self.vector_folder is not None and self.vector_folder.exists():
            for path in self.vector_folder.iterdir():
                if not path.name.startswith(".") and path.name.split(".")[0] not in kept:  # not another's temp file
                    path.unlink(missing_ok=True)
            self._prune_log()
        return counts

    def close(self) -> None:
        """Save the indexes changed since their last save, then close the database."""
        with self._indexes_lock:
            indexes = dict(self._indexes)
        for (kind, model), index in indexes.items():
            if index.dirty:
                self._save(index, kind, model)
        super().close()


def _batch(source: VectorSource, rows: Sequence[Any], dim: int) -> tuple[Batch | None, list[int]]:
    """Rows ``(rowid, id, *columns, searchable, vector)`` as a batch of those searchable with a vector of the
    index's dimension (the first one's when the index is empty), and the keys of the others."""
    width = len(source.columns)
    dim = dim or next((len(r[-1]) // 2 for r in rows if r[-1] is not None and r[2 + width]), 0)
    good = [r for r in rows if r[2 + width] and r[-1] is not None and len(r[-1]) == 2 * dim]
    removed = [int(r[0]) for r in rows if not (r[2 + width] and r[-1] is not None and len(r[-1]) == 2 * dim)]
    if not good:
        return None, removed
    columns = {
        name: np.array([np.nan if r[2 + i] is None else r[2 + i] for r in good], np.float64)
        if numeric
        else np.array([r[2 + i] for r in good], object)
        for i, (name, _, numeric) in enumerate(source.columns)
    }
    vectors = np.frombuffer(b"".join(r[-1] for r in good), dtype="<f2").reshape(len(good), dim)
    return Batch(np.array([r[0] for r in good], np.int64), [str(r[1]) for r in good], columns, vectors), removed
