"""``kb bench ann``: the embedded store's vector index, exact scan against the HNSW graph, at sizes up to 1M.

Vectors: the real ones of a store's embedding cache (MiniLM, 384-d) as the sample, and for the rest synthetic
neighbours of them: a real vector plus Gaussian noise, renormalised (cosine 0.7-0.93 to its parent), so the
collection keeps the clusters and density of real abstracts; uniform random vectors would make every
neighbour equally far and the graph's task unrealistic. Queries: real vectors held out of the sample (never
indexed, never a parent). Searches run with one BLAS thread, as the API's do (kb.services). Both indexes are
:class:`kb.store.vectors.VectorIndex`, the class the store searches with, built in the same run; recall@10 is
measured against the exact scan's answers.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from cli.bench.metrics import percentile
from kb.errors import KBError
from kb.store.vectors import AnnParams, Batch, Columns, VectorIndex

__all__ = ["AnnRun", "format_ann", "load_sample", "run_ann_bench", "synthetic"]

CHUNK = 50_000  # rows per apply while building: the path the store takes
YEARS = (1990, 2026)


@dataclass(frozen=True, slots=True)
class AnnRun:
    size: int
    method: str  # "exact" or "hnsw"
    build_s: float
    memory_mb: float
    p50_ms: float
    p95_ms: float
    p95_k200_ms: float
    recall10: float
    recall10_wide: float  # at twice the efSearch
    filtered_p95_ms: float
    filtered_recall10: float
    add_batch_ms: float  # applying one batch of 256 new vectors
    save_s: float
    load_s: float


def load_sample(store_path: Path, model: str) -> npt.NDArray[np.float32]:
    """The store's vectors of ``model``, read-only (the store may be written by ``kb embed`` meanwhile)."""
    if not store_path.exists():
        raise KBError(f"no store at {store_path}")
    db = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT vector FROM embedding_cache WHERE model = ?", (model,)).fetchall()
    finally:
        db.close()
    if len(rows) < 1000:
        raise KBError(f"the store at {store_path} has {len(rows)} vectors of {model}; the sample needs 1,000 or more")
    dim = len(rows[0][0]) // 2
    vectors = np.frombuffer(b"".join(r[0] for r in rows if len(r[0]) == 2 * dim), "<f2").reshape(-1, dim)
    return _normalised(vectors.astype(np.float32))


def synthetic(parents: npt.NDArray[np.float32], n: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """``n`` neighbours of random parents: parent + N(0, s²) per dimension with s in [0.02, 0.05], renormalised."""
    out = np.empty((n, parents.shape[1]), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        base = parents[rng.integers(0, len(parents), m)]
        scale = rng.uniform(0.02, 0.05, (m, 1)).astype(np.float32)
        out[start : start + m] = _normalised(base + rng.standard_normal(base.shape, dtype=np.float32) * scale)
    return out


def _normalised(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    out: npt.NDArray[np.float32] = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def _years(columns: Columns, n: int) -> npt.NDArray[np.bool_]:
    years: npt.NDArray[np.bool_] = columns["year"][:n] >= 2020
    return years


def run_ann_bench(
    sample: npt.NDArray[np.float32],
    sizes: list[int],
    *,
    queries: int,
    params: AnnParams,
    seed: int = 7,
    log: Callable[[str], None] = lambda _: None,
) -> list[AnnRun]:
    with threadpool_limits(limits=1, user_api="blas"):  # one BLAS thread per query, as the server runs
        return _run(sample, sizes, queries=queries, params=params, seed=seed, log=log)


def _run(
    sample: npt.NDArray[np.float32],
    sizes: list[int],
    *,
    queries: int,
    params: AnnParams,
    seed: int,
    log: Callable[[str], None],
) -> list[AnnRun]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sample))
    held, parents = sample[order[:queries]], sample[order[queries:]]
    runs: list[AnnRun] = []
    for size in sizes:
        real = parents[: min(size, len(parents))]
        vectors = np.concatenate([real, synthetic(parents, size - len(real), rng)]) if size > len(real) else real
        years = rng.integers(*YEARS, size).astype(np.float64)  # about 17% from 2020 on: the filtered queries
        log(f"{size:,} vectors ({len(real):,} real): exact scan")
        exact = AnnParams(threshold=size + 1)
        exact_run, truth, truth_f = _measure(size, "exact", vectors, years, held, exact, grown_from=size)
        runs.append(exact_run)
        ann = AnnParams(1, params.connectivity, params.expansion_add, params.expansion_search)
        for method, grown_from in (("hnsw", size), ("hnsw, grown", size // 2)):
            log(f"{size:,} vectors: {method} (connectivity {params.connectivity}, ef {params.expansion_search})")
            run, found, found_f = _measure(size, method, vectors, years, held, ann, grown_from=grown_from)
            recalls = [_recall(f, truth[0]) for f in found] + [_recall(found_f[0], truth_f[0])]
            runs.append(replace(run, recall10=recalls[0], recall10_wide=recalls[1], filtered_recall10=recalls[2]))
            log(f"  p95 {run.p95_ms:.2f} ms against {exact_run.p95_ms:.1f} ms, recall@10 {recalls[0]:.3f}")
    return runs


def _recall(found: list[list[str]], truth: list[list[str]]) -> float:
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)]))


def _measure(
    size: int,
    method: str,
    vectors: npt.NDArray[np.float32],
    years: npt.NDArray[np.float64],
    queries: npt.NDArray[np.float32],
    params: AnnParams,
    *,
    grown_from: int,
) -> tuple[AnnRun, list[list[list[str]]], list[list[list[str]]]]:
    """Load ``grown_from`` rows in one pass (as a build or ``kb reindex`` does), add the rest but 256 in batches of
    4,096 (as the store catches up with its log), then time one batch of 256 and the searches."""
    index = VectorIndex(params, ["year"], bulk=True)
    half = vectors.astype(np.float16)

    def put(start: int, stop: int) -> None:
        keys = np.arange(start, stop, dtype=np.int64)
        index.apply(Batch(keys, [str(k) for k in keys], {"year": years[start:stop]}, half[start:stop]), [], 1)

    started = time.perf_counter()
    first = min(grown_from, size - 256)
    for start in range(0, first, CHUNK):
        put(start, min(start + CHUNK, first))
    index.finish()
    for start in range(first, size - 256, 4096):
        put(start, min(start + 4096, size - 256))
    build = time.perf_counter() - started
    started = time.perf_counter()
    put(size - 256, size)
    add = time.perf_counter() - started
    lat, lat200, lat_f = [], [], []
    found: list[list[list[str]]] = [[], []]
    found_f: list[list[list[str]]] = [[]]
    for q in queries:
        t = time.perf_counter()
        hits = index.search(q, 10, None)
        lat.append(time.perf_counter() - t)
        found[0].append([h[0] for h in hits])
        t = time.perf_counter()
        index.search(q, 200, None)
        lat200.append(time.perf_counter() - t)
        t = time.perf_counter()
        hits = index.search(q, 10, _years)
        lat_f.append(time.perf_counter() - t)
        found_f[0].append([h[0] for h in hits])
    index.params = replace(params, expansion_search=2 * params.expansion_search)
    found[1] = [[h[0] for h in index.search(q, 10, None)] for q in queries]
    index.params = params
    with tempfile.TemporaryDirectory(prefix="kb-bench-ann-") as tmp:
        t = time.perf_counter()
        index.save(Path(tmp), "bench", {})
        save = time.perf_counter() - t
        t = time.perf_counter()
        VectorIndex.load(Path(tmp), "bench", params, ["year"])
        load = time.perf_counter() - t
    ms = [1000 * x for x in lat]
    run = AnnRun(size, method, build, index.memory_bytes / 2**20, percentile(ms, 50), percentile(ms, 95),
                 percentile([1000 * x for x in lat200], 95), 1.0, 1.0, percentile([1000 * x for x in lat_f], 95), 1.0,
                 1000 * add, save, load)  # fmt: skip
    return run, found, found_f


def format_ann(runs: list[AnnRun], *, queries: int, sample: int, params: AnnParams) -> str:
    lines = [
        f"Sample: {sample:,} real MiniLM vectors ({queries} held out as the queries); the rest of each size are "
        "synthetic neighbours of the sample (real + Gaussian noise, renormalised). "
        f"Graph: faiss IndexHNSWSQ (HNSW over float16 codes), connectivity {params.connectivity}, "
        f"efConstruction {params.expansion_add}, efSearch {params.expansion_search} (at least k). "
        "Filtered: year >= 2020 (about 17% of rows). "
        "hnsw: the graph built in one pass (a first build, `kb reindex`); hnsw, grown: half of it built in one "
        "pass, the other half added in batches of 4,096 (the store catching up with its change log). "
        "Recall@10 against the exact scan of the same run (the baseline, 1.000 by definition).",
        "",
        "| vectors | method | build s | memory MB | kNN p50 ms | kNN p95 ms | p95 k=200 ms | recall@10 | "
        "recall@10, 2×ef | filtered p95 ms | filtered recall@10 | add 256 ms | save s | load s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.size:,} | {r.method} | {r.build_s:.1f} | {r.memory_mb:,.0f} | {r.p50_ms:.2f} | {r.p95_ms:.2f} | "
            f"{r.p95_k200_ms:.2f} | {r.recall10:.3f} | {r.recall10_wide:.3f} | {r.filtered_p95_ms:.2f} | "
            f"{r.filtered_recall10:.3f} | {r.add_batch_ms:.0f} | {r.save_s:.1f} | {r.load_s:.1f} |"
        )
    return "\n".join(lines)
