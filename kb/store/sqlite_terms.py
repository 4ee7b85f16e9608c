"""BM25 of the embedded store from per-term scores, cached: FTS5's ``bm25()`` of an ``OR`` query is the sum,
phrase by phrase in query order, of each term's own contribution (its IDF times its saturated, length-normalised
frequency), so a term's scores over the rows that contain it can be read once and kept.

A doctor's query mixes rare words (a gene, a variant) with common ones (``cell``, ``lung``, ``carcinoma``), and
FTS5 scores every row any of them matches: on 50,790 PubMed abstracts ``cell`` alone is in 7,600 rows and costs
7 ms of a search. The common words come back in most queries, so their scores are read from the full-text index
once per data version (any write changes the IDF and the mean length, and empties the cache) and summed with
numpy in the order FTS5 sums them: the totals are bit for bit FTS5's, and so is the order of equal scores (row id).

The cache holds at most ``capacity`` (row, score) pairs, least recently used terms leaving first (16 bytes a
pair: 4 million pairs are 64 MB).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TermScores"]

Read = Callable[[str, Sequence[Any]], list[Any]]
_Postings = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]  # row ids, the term's (positive) scores


class TermScores:
    """Per-term BM25 scores of the FTS5 tables of one store, for one data version at a time."""

    def __init__(self, capacity: int = 4_000_000) -> None:
        self.capacity = capacity
        self._version: str | None = None
        self._terms: OrderedDict[tuple[str, str], _Postings] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def top(
        self, read: Read, version: str, table: str, bm25: str, terms: Sequence[str], n: int
    ) -> list[tuple[int, float]]:
        """The ``n`` best (row id, score) of ``terms`` (unique, quote-free, in query order) in the FTS5 ``table``
        by ``bm25`` (the SQL call, e.g. ``bm25(articles_fts, 2.0, 1.0)``), ordered by score, then row id, as FTS5
        orders them."""
        if not terms or n <= 0:
            return []
        postings = [self._postings(read, version, table, bm25, term) for term in terms]
        rows = np.concatenate([p[0] for p in postings])
        if not len(rows):
            return []
        scores = np.concatenate([p[1] for p in postings])
        unique, where = np.unique(rows, return_inverse=True)
        totals = np.zeros(len(unique))
        np.add.at(totals, where, scores)  # unbuffered, in order: each row's terms are added in query order
        best = np.lexsort((unique, -totals))[:n]
        return [(int(unique[i]), float(totals[i])) for i in best]

    def _postings(self, read: Read, version: str, table: str, bm25: str, term: str) -> _Postings:
        key = (bm25, term)
        with self._lock:
            if version != self._version:
                self._terms.clear()
                self._size, self._version = 0, version
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
                return found
        got = read(f"SELECT rowid, -{bm25} FROM {table} WHERE {table} MATCH ?", (f'"{term}"',))
        postings = (
            np.fromiter((r[0] for r in got), np.int64, len(got)),
            np.fromiter((r[1] for r in got), float, len(got)),
        )
        with self._lock:
            if version == self._version and key not in self._terms:
                self._terms[key] = postings
                self._size += len(got)
                while self._size > self.capacity and len(self._terms) > 1:
                    _, (old, _) = self._terms.popitem(last=False)
                    self._size -= len(old)
        return postings
