"""The generated library of ``kb bench scale``: real titles and abstracts resampled with fresh PMIDs, each with a
real vector or a realistic synthetic one.

The source pool is the active articles of a real store that have a real vector of the model (read through a
read-only connection: the file may be another job's live store). Article ``i`` of the library:

* gets PMID ``90,000,000 + i`` and its source record's other fields (year, date, journal, MeSH terms, concepts);
* pass 0 (the first ``len(pool)`` articles) is the pool verbatim, in a shuffled order, with the real vectors;
* every later pass draws each source once more, in a new order, with one unit swapped for a random donor's
  unit of the same kind: an abstract sentence (sources with an abstract) or a title word (title-only
  sources), so every text stays real prose with the pool's term statistics and differs from all others (its
  own text hash, hence its own vector). The concepts stay the source's;
* its synthetic vector is the source's real vector plus Gaussian noise (per dimension scaled to the spread of
  the real vectors), set to a length that puts it at a distance from its source drawn from the real
  nearest-neighbour distances of the pool, and renormalised.

Everything is deterministic for a pool and a seed; generation is sequential (the uniqueness of texts is checked
against all earlier ones), and resuming regenerates the earlier texts without their vectors.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kb.codec import from_dict
from kb.domain import Article
from kb.errors import DataError
from kb.store import text_hash

__all__ = ["FIRST_PMID", "Generated", "Library", "SourcePool", "load_pool", "units"]

FIRST_PMID = 90_000_000
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
_NN_SAMPLE = 1000  # pool vectors whose nearest real neighbour is measured
_TRIES = 100  # swaps tried before a unit is appended instead


@dataclass(frozen=True, slots=True)
class SourcePool:
    """Real articles with their real vectors (unit rows), and the statistics the synthetic vectors follow."""

    articles: list[Article]
    vectors: npt.NDArray[np.float32]
    nn_distances: npt.NDArray[np.float32]  # Euclidean distance to the nearest other pool vector, for a sample
    spread: npt.NDArray[np.float32]  # standard deviation of each dimension over the pool
    total: int  # active articles in the source store, with or without a vector
    evidence_vectors: dict[str, bytes]  # the store's vectors of its evidence statements, by text hash

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256("\n".join(text_hash(a.text) for a in self.articles).encode()).hexdigest()
        return f"{len(self.articles)}:{digest[:16]}"


def load_pool(path: Path, model: str) -> SourcePool:
    """The pool of the SQLite store at ``path``: its active articles with a vector of ``model`` (one per text)."""
    if not path.is_file():
        raise DataError(f"no source store at {path}", details={"path": str(path)})
    db = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT a.data, c.vector FROM articles a JOIN embedding_cache c ON c.model = ? AND c.text_hash = "
            "a.text_hash WHERE a.status = 'active' ORDER BY a.rowid",
            (model,),
        ).fetchall()
        (total,) = db.execute("SELECT COUNT(*) FROM articles WHERE status = 'active'").fetchone()
        evidence = db.execute(
            "SELECT c.text_hash, c.vector FROM evidence e JOIN embedding_cache c ON c.model = ? AND c.text_hash = "
            "e.text_hash",
            (model,),
        ).fetchall()
    except sqlite3.Error as exc:
        raise DataError(f"cannot read the source store at {path}: {exc}") from exc
    finally:
        db.close()
    articles: list[Article] = []
    blobs: list[bytes] = []
    seen: set[str] = set()
    for data, blob in rows:
        article = from_dict(Article, json.loads(data))
        key = text_hash(article.text)
        if article.title.strip() and key not in seen:
            seen.add(key)
            articles.append(article)
            blobs.append(blob)
    if len(articles) < 2:
        raise DataError(
            f"the source store at {path} holds {len(articles)} articles with a {model!r} vector; run kb embed"
        )
    vectors = np.stack([np.frombuffer(b, dtype="<f2") for b in blobs]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return SourcePool(
        articles, vectors, _nn_distances(vectors), vectors.std(axis=0).astype(np.float32), int(total), dict(evidence)
    )


def _nn_distances(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(0)
    sample = rng.choice(len(vectors), size=min(_NN_SAMPLE, len(vectors)), replace=False)
    best = np.empty(len(sample), dtype=np.float32)
    for start in range(0, len(sample), 256):
        rows = sample[start : start + 256]
        sims = vectors[rows] @ vectors.T
        sims[np.arange(len(rows)), rows] = -np.inf  # not itself
        best[start : start + len(rows)] = sims.max(axis=1)
    distances: npt.NDArray[np.float32] = np.sqrt(np.clip(2.0 - 2.0 * best, 0.0, None)).astype(np.float32)
    return distances


def units(article: Article) -> tuple[list[str], bool]:
    """What a copy swaps one of: the abstract's sentences, or the title's words for a title-only article (then
    ``True``)."""
    abstract = article.abstract.strip()
    return (_SENTENCE.split(abstract), False) if abstract else (article.title.split(), True)


@dataclass(frozen=True, slots=True)
class Generated:
    article: Article
    source: int  # index of the source in the pool
    vector: npt.NDArray[np.float32] | None  # None for articles regenerated only to resume
    real: bool  # the source's own vector (pass 0)


class Library:
    """The library of a pool and a seed, generated in order (see the module docstring)."""

    def __init__(self, pool: SourcePool, seed: int = 13, batch: int = 500) -> None:
        self.pool = pool
        self.seed = seed
        self.batch = batch
        self._units = [units(a) for a in pool.articles]
        self._orders: dict[int, npt.NDArray[np.int64]] = {}
        self._seen: set[str] = set()
        self._next = 0  # the next block to generate
        self._last: tuple[int, list[Generated]] | None = None

    def batches(self, start: int, stop: int) -> Iterator[list[Generated]]:
        """Articles ``start`` to ``stop - 1`` with their vectors, in batches that never cross a multiple of
        ``batch``. Blocks of ``batch`` articles are generated whole and in order (the blocks before ``start`` are
        regenerated without vectors, so that texts are unique as in one run); the last block is kept."""
        for block in range(start // self.batch, -(-stop // self.batch)):
            first = block * self.batch
            items = self._block(block)[max(start, first) - first : min(stop, first + self.batch) - first]
            if items:
                yield items

    def _block(self, block: int) -> list[Generated]:
        if self._last is not None and self._last[0] == block:
            return self._last[1]
        if block < self._next:
            raise DataError(f"the library is generated in order: block {block} comes before {self._next}")
        while self._next < block:
            self._generate(self._next, with_vectors=False)
            self._next += 1
        out = self._generate(block, with_vectors=True)
        self._next = block + 1
        self._last = (block, out)
        return out

    def _order(self, rnd: int) -> npt.NDArray[np.int64]:
        if rnd not in self._orders:
            self._orders = {rnd: np.random.default_rng([self.seed, 2, rnd]).permutation(len(self.pool.articles))}
        return self._orders[rnd]

    def _generate(self, block: int, *, with_vectors: bool) -> list[Generated]:
        text_rng = np.random.default_rng([self.seed, 0, block])
        vector_rng = np.random.default_rng([self.seed, 1, block])
        size = len(self.pool.articles)
        out = []
        for i in range(block * self.batch, (block + 1) * self.batch):
            rnd, source = divmod(i, size)
            s = int(self._order(rnd)[source])
            article = self._text(s, text_rng) if rnd else self.pool.articles[s]
            self._seen.add(text_hash(article.text))
            vector = None
            if with_vectors:
                vector = self.pool.vectors[s] if rnd == 0 else self._near(s, vector_rng)
            out.append(Generated(replace(article, pmid=str(FIRST_PMID + i)), s, vector, rnd == 0))
        return out

    def _text(self, s: int, rng: np.random.Generator) -> Article:
        """The source with one unit swapped for a donor's (appended after :data:`_TRIES` collisions)."""
        source = self.pool.articles[s]
        units, title_only = self._units[s]
        for attempt in range(10 * _TRIES):
            donor_units, donor_title_only = self._units[int(rng.integers(len(self._units)))]
            if donor_title_only != title_only or not donor_units:
                continue
            unit = donor_units[int(rng.integers(len(donor_units)))]
            changed = list(units)
            if attempt < _TRIES and changed:
                changed[int(rng.integers(len(changed)))] = unit
            else:
                changed.append(unit)
            joined = " ".join(changed)
            article = replace(source, title=joined) if title_only else replace(source, abstract=joined)
            if text_hash(article.text) not in self._seen:
                return article
        raise DataError(f"no unique text found for source article {source.pmid}")

    def _near(self, s: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
        """A unit vector at a real nearest-neighbour distance from source ``s``, in the directions real vectors vary."""
        pool = self.pool
        target = float(min(pool.nn_distances[int(rng.integers(len(pool.nn_distances)))], 1.3))
        # |v + n| for |n| = r orthogonal to unit v is sqrt(1 + r^2); the renormalised distance is then ``target``
        radius = float(np.sqrt((2.0 / (2.0 - target * target)) ** 2 - 1.0))
        noise = rng.standard_normal(len(pool.spread)).astype(np.float32) * pool.spread
        noise -= float(noise @ pool.vectors[s]) * pool.vectors[s]  # orthogonal to the source
        moved = pool.vectors[s] + noise * (radius / max(float(np.linalg.norm(noise)), 1e-12))
        unit: npt.NDArray[np.float32] = (moved / np.linalg.norm(moved)).astype(np.float32)
        return unit
