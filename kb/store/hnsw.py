"""The HNSW graph behind :class:`kb.store.vectors.VectorIndex`: faiss ``IndexHNSWSQ`` over float16 codes.

faiss was chosen among usearch, hnswlib and faiss by measurement (docs/scaling.md, "Approximate kNN"); this
module is the only one that knows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np
import numpy.typing as npt

__all__ = ["Graph"]

faiss: Any = _faiss  # its bundled stubs disagree with the SWIG signatures (IndexHNSWSQ, SearchParametersHNSW)


class Graph:
    """The HNSW graph: faiss ``IndexHNSWSQ`` (float16 codes, inner product) behind an ``IndexIDMap`` keyed by
    rowid. Removing only counts a tombstone (faiss's HNSW cannot delete); searches skip removed keys."""

    def __init__(self, index: Any, dead: int = 0) -> None:
        self.index = index
        self.dead = dead

    @classmethod
    def build(
        cls, dim: int, connectivity: int, expansion: int, keys: npt.NDArray[np.int64], vectors: npt.NDArray[Any]
    ) -> Graph:
        """A graph of ``vectors`` under ``keys``: ``connectivity`` links per node, efConstruction ``expansion``."""
        hnsw = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, connectivity, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = expansion
        hnsw.train(np.zeros((1, dim), np.float32))  # float16 codes need no training; faiss wants the call
        graph = cls(faiss.IndexIDMap(hnsw))
        graph.add(keys, vectors)
        return graph

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def expansion_add(self) -> int:
        return int(faiss.downcast_index(self.index.index).hnsw.efConstruction)

    @expansion_add.setter
    def expansion_add(self, value: int) -> None:
        faiss.downcast_index(self.index.index).hnsw.efConstruction = value

    @property
    def memory_bytes(self) -> int:
        hnsw = faiss.downcast_index(self.index.index)
        links = int(hnsw.hnsw.neighbors.size()) * 4
        return self.size * (2 * int(self.index.d) + 8) + links

    def add(self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[Any]) -> None:
        for start in range(0, len(keys), 65_536):  # float32 copies a block at a time
            block = np.ascontiguousarray(vectors[start : start + 65_536], dtype=np.float32)
            self.index.add_with_ids(block, np.ascontiguousarray(keys[start : start + 65_536], dtype=np.int64))

    def search(self, query: npt.NDArray[np.float32], k: int, ef: int) -> npt.NDArray[np.int64]:
        params = faiss.SearchParametersHNSW(efSearch=max(ef, k))
        _, found = self.index.search(query[None, :], k, params=params)
        keys: npt.NDArray[np.int64] = found[0]
        return keys[keys >= 0]

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, dead: int) -> Graph:
        return cls(faiss.read_index(str(path)), dead)
