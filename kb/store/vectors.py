"""The embedded store's vector index of one kind and one model.

Below ``threshold`` vectors it is an exact scan: a float32 matrix and one matrix-vector product.
At and above it, an HNSW graph (faiss ``IndexHNSWSQ``, float16, inner product, keyed by rowid) finds
candidates, and a float16 copy of the vectors scores them (and a filtered subset, when the graph cannot)
exactly. Both are changed in place: :meth:`apply` removes and appends rows by key (the table rowid), so a
batch of new vectors costs that batch, not a rebuild. faiss's HNSW cannot delete: a removed row leaves a
tombstone in the graph that searches skip, and the graph is rebuilt beside the live one when tombstones
reach a quarter of it. Filters are numpy masks over per-row columns (the year; the evidence type, level and tumor);
the graph's candidates are oversampled and filtered, and when the filter is selective or the candidates
run short the filtered rows are scanned exactly, so results always respect the filter.

Searches run concurrently under a shared lock; :meth:`apply` takes it exclusively for the moment it
changes the arrays (a graph built when the index crosses the threshold is built beside the live one).
The files are written by :meth:`save` and read by :meth:`VectorIndex.load`; choosing when is the caller's.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from kb.store.hnsw import Graph
from kb.turns import ReadWriteLock

__all__ = ["AnnParams", "Batch", "Columns", "Keep", "VectorIndex"]

Columns = dict[str, npt.NDArray[Any]]
"""Per-row filter columns: float64 for numbers (NaN for none), object for strings."""
Keep = Callable[[Columns, int], npt.NDArray[np.bool_]]
"""A filter: given the columns and the row count, the mask of rows to keep."""

FORMAT = 2  # 2: the graph is a faiss index
EXACT_SUBSET = 20_000  # a filter keeping at most this many rows is answered by scanning them exactly
BLOCK = 16_384  # rows scored at a time by an exact scan of float16 rows
MAX_OVERSAMPLE = 4_096  # most graph candidates fetched for a filtered search before scanning exactly


@dataclass(frozen=True, slots=True)
class AnnParams:
    """When the graph replaces the exact scan, and its shape (see docs/scaling.md, "Approximate kNN")."""

    threshold: int = 50_000
    connectivity: int = 16
    expansion_add: int = 128
    expansion_search: int = 512


@dataclass(frozen=True, slots=True)
class Batch:
    """Rows to put: their keys (table rowids), ids, filter columns and float16 vectors."""

    keys: npt.NDArray[np.int64]
    ids: list[str]
    columns: Columns
    vectors: npt.NDArray[np.float16]


class VectorIndex:
    """Rows in slots: ``keys``, ``ids``, ``alive``, the filter columns and the vectors (float32 while exact,
    float16 beside the graph); ``seq`` is the position in the store's change log the index reflects."""

    def __init__(self, params: AnnParams, names: Sequence[str], *, seq: int = 0, bulk: bool = False) -> None:
        self.params = params
        self._bulk = bulk  # loading: float16 rows, no graph until finish() builds it in one pass
        self.seq = seq
        self.dirty = 0  # rows changed since the last save
        self.scans = 0  # searches on the graph path that its candidates could not answer (an exact scan did)
        self.dim = 0
        self._names = tuple(names)
        self._n = 0
        self._keys = np.zeros(0, np.int64)
        self._alive = np.zeros(0, bool)
        self._ids: list[str] = []
        self._columns: Columns = {}
        self._vectors: npt.NDArray[Any] = np.zeros((0, 0), np.float32)
        self._slot: dict[int, int] = {}
        self._graph: Graph | None = None
        self._rw = ReadWriteLock()
        self._writer = threading.Lock()

    # -- facts ------------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self._slot)

    @property
    def mode(self) -> str:
        return "ann" if self._graph is not None else "exact"

    @property
    def max_key(self) -> int:
        return int(self._keys[: self._n][self._alive[: self._n]].max()) if self._slot else 0

    @property
    def memory_bytes(self) -> int:
        """The arrays and the graph (ids and the key map, Python objects, are not counted)."""
        arrays = [self._keys, self._alive, self._vectors, *self._columns.values()]
        graph = self._graph.memory_bytes if self._graph is not None else 0
        return sum(a.nbytes for a in arrays) + graph

    @property
    def tombstones(self) -> int:
        """Removed rows the graph still holds (skipped by searches) until it is rebuilt."""
        return self._graph.dead if self._graph is not None else 0

    def __contains__(self, key: int) -> bool:
        return key in self._slot

    # -- changes ----------------------------------------------------------------------------------
    def apply(self, batch: Batch | None, removed: Sequence[int], seq: int) -> None:
        """Remove ``removed`` and the batch's keys, append the batch, and note ``seq``; one writer at a time."""
        with self._writer:
            with self._rw.write():
                batch = self._changed(batch)
                gone = [k for k in {*removed, *(batch.keys.tolist() if batch else [])} if k in self._slot]
                for key in gone:
                    self._alive[self._slot.pop(key)] = False
                if self._graph is not None:
                    self._graph.dead += len(gone)
                if batch is not None and len(batch.keys):
                    self._append(batch)
                self.seq = max(self.seq, seq)
                self.dirty += len(gone) + (len(batch.keys) if batch else 0)
                if self._graph is None and self._n > 2 * max(self.count, 512):
                    self._compact()
            if not self._bulk:
                self._settle()

    def _changed(self, batch: Batch | None) -> Batch | None:
        """The batch without rows the index holds with the same vector, whose id and columns are updated in place:
        a row seen twice by the change log (its vector stored, then its record written) leaves no tombstone."""
        if batch is None or not self._slot or batch.vectors.shape[1] != self.dim:
            return batch
        slots = np.fromiter((self._slot.get(k, -1) for k in batch.keys.tolist()), np.int64, len(batch.keys))
        held = np.flatnonzero(slots >= 0)
        same = held[(self._vectors[slots[held]] == batch.vectors[held]).all(axis=1)]
        if not len(same):
            return batch
        for i in same.tolist():
            self._ids[slots[i]] = batch.ids[i]
        for name in self._names:
            self._columns[name][slots[same]] = batch.columns[name][same]
        rest = np.setdiff1d(np.arange(len(batch.keys)), same, assume_unique=True)
        return Batch(
            batch.keys[rest], [batch.ids[i] for i in rest], {n: c[rest] for n, c in batch.columns.items()},
            batch.vectors[rest],
        ) if len(rest) else None  # fmt: skip

    def finish(self) -> None:
        """End a bulk load: build the graph in one pass when the rows reach the threshold (a graph built in one
        pass finds more than one grown batch by batch: docs/benchmarks.md, "Approximate kNN"), else widen the
        rows to float32 for the exact scan."""
        with self._writer:
            self._bulk = False
            if self.count < self.params.threshold:
                with self._rw.write():
                    self._vectors = self._vectors.astype(np.float32, copy=False)
            self._settle()

    def _settle(self) -> None:
        """Build the graph when the exact scan reached the threshold, or rebuild it when tombstones reach a quarter
        of it; the caller holds the writer lock."""
        stale = self._graph is not None and self._graph.dead * 4 > max(self._graph.size, 1024)
        if stale or (self._graph is None and self.count >= self.params.threshold):
            graph = self._build_graph()  # beside the live scan or graph: searches go on meanwhile
            with self._rw.write():
                if self._graph is None:
                    self._vectors = self._vectors.astype(np.float16, copy=False)
                else:
                    self._compact()
                self._graph = graph

    def _append(self, batch: Batch) -> None:
        if not self.dim:
            self.dim = int(batch.vectors.shape[1])
            exact = self._graph is None and not self._bulk
            self._vectors = np.zeros((0, self.dim), np.float32 if exact else np.float16)
        if not self._columns:
            self._columns = {n: np.zeros(0, np.float64 if batch.columns[n].dtype.kind == "f" else object)
                             for n in self._names}  # fmt: skip
        if batch.vectors.shape[1] != self.dim:
            return  # another dimension under the same model name: not searchable with this index
        n, m = self._n, len(batch.keys)
        if n + m > len(self._keys):
            self._grow(max(n + m, len(self._keys) + len(self._keys) // 4, 1024))
        self._keys[n : n + m] = batch.keys
        self._alive[n : n + m] = True
        self._ids.extend(batch.ids)
        for name in self._names:
            self._columns[name][n : n + m] = batch.columns[name]
        self._vectors[n : n + m] = batch.vectors
        self._slot.update(zip(batch.keys.tolist(), range(n, n + m), strict=True))
        self._n = n + m
        if self._graph is not None:
            self._graph.add(batch.keys, batch.vectors)

    def _grow(self, capacity: int) -> None:
        def grown(a: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
            out = np.full((capacity, *a.shape[1:]), fill, dtype=a.dtype)
            out[: self._n] = a[: self._n]
            return out

        self._keys = grown(self._keys, 0)
        self._alive = grown(self._alive, False)
        for name in self._names:
            column = self._columns[name]
            self._columns[name] = grown(column, np.nan if column.dtype == np.float64 else None)
        self._vectors = grown(self._vectors, 0)

    def _compact(self) -> None:
        """Drop the slots of removed rows (the graph is keyed by rowid, not slot)."""
        live = np.flatnonzero(self._alive[: self._n])
        self._keys, self._alive = self._keys[live], np.ones(len(live), bool)
        self._ids = [self._ids[i] for i in live]
        self._columns = {name: c[live] for name, c in self._columns.items()}
        self._vectors = self._vectors[live]
        self._slot = dict(zip(self._keys.tolist(), range(len(live)), strict=True))
        self._n = len(live)

    def _build_graph(self) -> Graph:
        with self._rw.read():
            live = np.flatnonzero(self._alive[: self._n])
            keys, vectors = self._keys[live], self._vectors[live]
        return Graph.build(self.dim, self.params.connectivity, self.params.expansion_add, keys, vectors)

    # -- search -----------------------------------------------------------------------------------
    def search(self, vector: Sequence[float], limit: int, keep: Keep | None) -> list[tuple[str, float]]:
        """The ``limit`` nearest rows by inner product that ``keep`` keeps, best first (then by key)."""
        query = np.asarray(vector, dtype=np.float32)
        with self._rw.read():
            if not self._slot or limit <= 0 or query.shape != (self.dim,):
                return []
            mask = self._alive[: self._n]
            if keep is not None:
                mask = mask & keep(self._columns, self._n)
            if self._graph is None:
                return self._exact(query, limit, mask)
            selected = int(mask.sum()) if keep is not None else self.count
            if selected == 0:
                return []
            if keep is not None and selected <= EXACT_SUBSET:
                return self._exact(query, limit, mask)
            return self._approximate(self._graph, query, limit, mask if keep is not None else None, selected)

    def _exact(
        self, query: npt.NDArray[np.float32], limit: int, mask: npt.NDArray[np.bool_]
    ) -> list[tuple[str, float]]:
        slots = np.flatnonzero(mask)
        if not len(slots):
            return []
        return self._ranked(slots, self._scores(slots, query), limit)

    def _scores(self, slots: npt.NDArray[np.int64], query: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Inner products of rows ``slots`` with the query, float32, a block at a time (float16 rows are widened
        a block at a time, never the whole matrix)."""
        if self._vectors.dtype == np.float32 and len(slots) * 2 > self._n:  # most rows: one product over all
            full: npt.NDArray[np.float32] = self._vectors[: self._n] @ query
            return full[slots]
        out = np.empty(len(slots), np.float32)
        for start in range(0, len(slots), BLOCK):
            block = self._vectors[slots[start : start + BLOCK]]
            out[start : start + len(block)] = block.astype(np.float32, copy=False) @ query
        return out

    def _approximate(
        self,
        graph: Graph,
        query: npt.NDArray[np.float32],
        limit: int,
        mask: npt.NDArray[np.bool_] | None,
        selected: int,
    ) -> list[tuple[str, float]]:
        want = min(limit, selected)
        fetch = want if mask is None else min(MAX_OVERSAMPLE, math.ceil(want * 1.5 * self.count / selected) + 16)
        if graph.size > self.count:  # removed and replaced rows the graph still returns take places too
            fetch = min(MAX_OVERSAMPLE, math.ceil(fetch * graph.size / max(self.count, 1)) + 16)
        while True:
            found = graph.search(query, max(fetch, want), self.params.expansion_search)
            slots = np.fromiter((self._slot.get(int(k), -1) for k in found), np.int64, len(found))
            slots = np.unique(slots[slots >= 0])  # a replaced row's tombstone and its new vector share the key
            if mask is not None:
                slots = slots[mask[slots]]
            if len(slots) >= want or fetch >= min(MAX_OVERSAMPLE, graph.size):
                break
            fetch = min(MAX_OVERSAMPLE, 2 * max(fetch, want))  # short: ask the graph for more before scanning
        if len(slots) < want:  # the graph's candidates ran short of the filter: scan what it keeps
            self.scans += 1
            return self._exact(query, limit, self._alive[: self._n] if mask is None else mask)
        return self._ranked(slots, self._scores(slots, query), limit)  # exact scores, as the exact path gives

    def _ranked(
        self, slots: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], limit: int
    ) -> list[tuple[str, float]]:
        if limit < len(scores):
            part = np.argpartition(-scores, limit - 1)[:limit]
            slots, scores = slots[part], scores[part]
        order = np.lexsort((self._keys[slots], -scores))
        return [(self._ids[s], float(scores[i])) for i, s in ((i, int(slots[i])) for i in order)]

    # -- files ------------------------------------------------------------------------------------
    def save(self, folder: Path, name: str, extra: dict[str, Any]) -> None:
        """Write ``<name>.<seq>.npz`` (and ``.faiss`` for the graph), then the sidecar ``<name>.json`` naming
        them; older files of ``name`` are removed. Each file is written under a temporary name, then renamed."""
        folder.mkdir(parents=True, exist_ok=True)
        with self._writer, self._rw.read():
            stem = f"{name}.{self.seq}"
            live = np.flatnonzero(self._alive[: self._n])
            arrays: dict[str, npt.NDArray[Any]] = {
                "keys": self._keys[live],
                "ids": np.array([self._ids[i] for i in live], dtype=str),
            }
            for column, values in self._columns.items():
                cut = values[live]
                if cut.dtype == np.float64:
                    arrays[f"col_{column}"] = cut
                else:  # strings, and which of them are missing (no pickles in the files)
                    arrays[f"col_{column}"] = np.array(["" if v is None else v for v in cut], dtype=str)
                    arrays[f"none_{column}"] = np.array([v is None for v in cut], dtype=bool)
            if self._graph is None:
                arrays["vectors"] = self._vectors[live].astype(np.float16)
            else:
                arrays["vectors"] = self._vectors[live]
                _replace(folder / f"{stem}.faiss", lambda tmp: self._graph.save(tmp) if self._graph else None)
            _replace(folder / f"{stem}.npz", lambda tmp: _savez(tmp, arrays))
            meta = {"format": FORMAT, "seq": self.seq, "count": self.count, "max_key": self.max_key, "dim": self.dim,
                    "mode": self.mode, "stem": stem, "connectivity": self.params.connectivity,
                    "dead": self._graph.dead if self._graph else 0, **extra}  # fmt: skip
            _replace(folder / f"{name}.json", lambda tmp: tmp.write_text(json.dumps(meta, indent=1), "utf-8"))
            self.dirty = 0
        for old in folder.glob(f"{name}.*"):
            if old.suffix in {".npz", ".faiss"} and not old.name.startswith(f"{stem}."):
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, name: str, params: AnnParams, names: Sequence[str]) -> VectorIndex | None:
        """The index the sidecar names, or None when there is none or it does not fit these params."""
        try:
            meta = json.loads((folder / f"{name}.json").read_text("utf-8"))
            if meta.get("format") != FORMAT or meta.get("connectivity") != params.connectivity:
                return None
            stem = folder / str(meta["stem"])
            use_graph = int(meta["count"]) >= params.threshold
            with np.load(f"{stem}.npz", allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            # the mode follows the threshold in force: a graph is read only when it still applies
            ann = meta["mode"] == "ann" and use_graph
            graph = Graph.load(Path(f"{stem}.faiss"), int(meta["dead"])) if ann else None
        except (OSError, ValueError, KeyError, RuntimeError):  # faiss reports a bad file as RuntimeError
            return None
        if ann and graph is None:
            return None
        index = cls(params, names, seq=int(meta["seq"]))
        columns: Columns = {}
        for name_ in names:
            raw = arrays[f"col_{name_}"]
            if raw.dtype == np.float64:
                columns[name_] = raw
            else:
                none = arrays[f"none_{name_}"].tolist()
                columns[name_] = np.array([None if n else v for v, n in zip(raw.tolist(), none, strict=True)], object)
        ids = arrays["ids"].tolist()
        vectors = arrays["vectors"]
        index.dim = int(meta["dim"])
        index._vectors = np.zeros((0, index.dim), np.float32 if graph is None else np.float16)
        vectors = vectors.astype(index._vectors.dtype)
        if len(ids):
            index._append(Batch(arrays["keys"].astype(np.int64), ids, columns, vectors))
        if graph is not None:  # the build setting in force (the search one is passed with each search)
            graph.expansion_add = params.expansion_add
        index._graph = graph
        if graph is None and index.count >= params.threshold:
            index._graph = index._build_graph()
            index._vectors = index._vectors.astype(np.float16)
        index.dirty = 0
        return index


def _savez(path: Path, arrays: dict[str, npt.NDArray[Any]]) -> None:
    with path.open("wb") as out:
        np.savez(out, **cast(dict[str, Any], arrays))


def _replace(path: Path, write: Callable[[Path], Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
