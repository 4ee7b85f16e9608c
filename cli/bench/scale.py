"""``kb bench scale``: the cost curve of a store as the library grows (50k, 200k, 1M articles), on either backend.

One store per backend grows in steps: the knowledge sources first (genes, OncoTree, drugs, biomarkers, CIViC, the
catalogue: the real ingest jobs over ``KB_DATA_DIR``, with the source store's evidence vectors), then the generated
library (:mod:`cli.bench.scale_corpus`) up to each size in turn, so the largest size costs one load. After each
step:

* load throughput: articles/s of the store writes, vectors first then the records as the ingest writes them
  (``put_embeddings`` + ``upsert_articles`` per batch; generating the library is not timed);
* disk: the store's files (the SQLite file, its WAL and vector index folder) or its Elasticsearch indices
  (primaries, after a flush), and per article the growth over the knowledge-only store;
* memory: this process's RSS after the searches (vocabularies, query encoder, the store's caches and vector
  index), and on Elasticsearch the JVM heap in use on the node;
* search: the first search after the load (caches and vector index catching up), then ``services.search.search``
  in process over the doctors' queries, after one untimed pass that encodes every query once: the timed pass reads
  the query vectors from the search service's cache, so the figures leave out encoding (3.9 ms per query on ONNX,
  docs/benchmarks.md "Encoders"). BM25 and kNN over the articles (the store's primitives, 200 candidates as the
  search asks) are timed alone beside it; the smallest size is the baseline of the run.

Progress is kept in the store's checkpoints (the knowledge load, the source pool, the rows measured), so an
interrupted run resumes where it stopped with the same command; a completed run drops its stores unless asked to
keep them.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.bench.load import load_queries
from cli.bench.metrics import percentile
from cli.bench.scale_corpus import Library, SourcePool, load_pool
from ingest.jobs import IngestContext, run_source
from kb.analysis import analyze
from kb.embedding import Embedder, encode_vector
from kb.errors import ConfigError, KBError, StoreError
from kb.services import Services, build_services
from kb.settings import Settings
from kb.store import Backend, open_store, text_hash
from kb.store.base import ArticleFilter

__all__ = [
    "ES_PREFIX",
    "ScaleRow",
    "bench_settings",
    "drop_store",
    "format_scale",
    "row_summary",
    "run_scale",
    "scale_run",
]

ES_PREFIX = "bench-scale"
KNOWLEDGE = ("genes", "oncotree", "drugs", "biomarkers", "civic", "catalogue")
_DONE, _BASE, _POOL, _ROWS = (f"bench-scale:{k}" for k in ("knowledge", "base-bytes", "pool", "rows"))


@dataclass(frozen=True, slots=True)
class ScaleRow:
    backend: str
    articles: int
    loaded: int  # articles written in this step by this run
    load_seconds: float
    store_bytes: int
    article_bytes: int  # of the articles and their vectors (see :func:`_disk_bytes`)
    rss_mb: float
    heap_mb: float | None  # Elasticsearch JVM heap in use (None on SQLite)
    first_search_s: float
    search_p50_ms: float
    search_p95_ms: float
    bm25_p50_ms: float
    knn_p50_ms: float
    knn_p95_ms: float
    resumed: bool = False  # the step started from an interrupted run's articles

    @property
    def rate(self) -> float:
        return self.loaded / self.load_seconds if self.load_seconds else 0.0

    @property
    def bytes_per_article(self) -> float:
        return self.article_bytes / self.articles if self.articles else 0.0


def bench_settings(
    settings: Settings, backend: str, folder: Path, es_url: str, *, es_prefix: str = ES_PREFIX
) -> Settings:
    """Settings of the bench store of ``backend``: its own folder (store, editorial database, ingest work files)
    and, on Elasticsearch, index prefix; the encoder models stay where ``settings`` keeps them."""
    folder = folder.resolve()
    update: dict[str, object] = {
        "work_dir": folder,
        "db_url": f"sqlite:///{folder / 'editorial.sqlite3'}",
        "model_dir": settings.model_dir or settings.work_dir.resolve() / "models",
        "store": f"sqlite:///{folder / 'store' / 'kb.sqlite3'}" if backend == "sqlite" else es_url,
    }
    if backend != "sqlite":
        update["es_index_prefix"] = es_prefix
    return settings.model_copy(update=update)


def scale_run(
    settings: Settings,
    sizes: str,
    backend: str,
    *,
    work_dir: Path,
    source: Path,
    queries: int,
    es_url: str,
    keep: bool,
    fresh: bool,
    console: Console,
) -> str:
    """``kb bench scale``: the pool of ``source``, a run per backend (``sqlite``, ``es`` or ``both``), the table."""
    parts = [part.strip().replace("_", "") for part in sizes.split(",") if part.strip()]
    backends = {"sqlite": ["sqlite"], "es": ["es"], "both": ["sqlite", "es"]}.get(backend)
    if backends is None or not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ConfigError("--backend is sqlite, es or both; --sizes positive numbers such as 50000,200000")
    steps = sorted({int(p) for p in parts})
    model = Embedder.from_settings(settings).model_name
    pool = load_pool(source, model)
    console.print(f"[dim]source pool: {len(pool.articles):,} articles with a {model} vector of {pool.total:,}[/]")
    texts = load_queries(settings.data_dir)[0][:queries]
    rows: list[ScaleRow] = []
    for name in backends:
        scale_settings = bench_settings(settings, name, work_dir / name, es_url)
        if fresh:
            drop_store(scale_settings)
        rows += run_scale(scale_settings, pool, sizes=steps, queries=texts, model=model, keep=keep, console=console,
                          on_row=lambda row: console.print(row_summary(row)))  # fmt: skip
    return format_scale(rows, pool, queries=len(texts))


def run_scale(
    settings: Settings,
    pool: SourcePool,
    *,
    sizes: Sequence[int],
    queries: Sequence[str],
    model: str,
    batch: int = 500,
    keep: bool = False,
    console: Console,
    on_row: Callable[[ScaleRow], None] = lambda row: None,
) -> list[ScaleRow]:
    """Grow the store of ``settings`` (from :func:`bench_settings`) through ``sizes`` and measure each step."""
    backend = "sqlite" if settings.store.startswith("sqlite:///") else "es"
    store = open_store(settings)
    done = False
    try:
        _prepare(settings, store, pool, model, console)
        services = build_services(settings, store=store)
        saved = {r.articles: r for r in _saved_rows(store)}
        library = Library(pool, batch=batch)
        rows: list[ScaleRow] = []
        step_start = 0
        for size in sorted(set(sizes)):
            have = store.stats()["articles"]
            if have >= size:
                if size not in saved:
                    raise KBError(f"the {backend} bench store holds {have:,} articles, more than {size:,}: use --fresh")
                rows.append(saved[size])  # measured by the run that was interrupted later
            else:
                seconds = _load(store, library, have, size, model, console, f"{backend}: {have:,} → {size:,}")
                row = _measure(services, settings, backend, size, size - have, seconds, queries, model)
                rows.append(row if have == step_start else _flag_resumed(row))
                saved[size] = rows[-1]
                store.set_checkpoint(_ROWS, json.dumps([asdict(r) for r in saved.values()]))
            on_row(rows[-1])
            step_start = size
        done = True
        return rows
    finally:
        _close(store, settings, drop=done and not keep)


def drop_store(settings: Settings) -> None:
    """Delete the bench store of ``settings`` (``--fresh``)."""
    _close(open_store(settings), settings, drop=True)


def _close(store: Backend, settings: Settings, *, drop: bool) -> None:
    """Close the store; with ``drop``, delete it (every index of the bench prefix, or the SQLite store) and the
    backend's bench folder (:func:`bench_settings`)."""
    try:
        remove = getattr(store, "drop", None)
        if drop and callable(remove):
            remove()
    finally:
        store.close()
    if drop:
        if settings.store.startswith("sqlite:///"):
            shutil.rmtree(settings.sqlite_path.parent, ignore_errors=True)
        shutil.rmtree(settings.work_dir, ignore_errors=True)


def _prepare(settings: Settings, store: Backend, pool: SourcePool, model: str, console: Console) -> None:
    """The knowledge sources (once), and the check that a resumed store was grown from the same pool."""
    if store.get_checkpoint(_DONE) is None:
        with console.status("loading the knowledge sources (genes, OncoTree, drugs, biomarkers, CIViC, catalogue)"):
            ctx = IngestContext(settings, store, console=Console(quiet=True), progress=False, embed=False)
            for source in KNOWLEDGE:
                run_source(ctx, source, settings.data_dir)
            store.put_embeddings(model, pool.evidence_vectors)
            store.set_checkpoint(_BASE, str(_disk_bytes(store, settings, 0)[0]))
            store.set_checkpoint(_DONE, "done")
    known = store.get_checkpoint(_POOL)
    if known not in (None, pool.fingerprint) and store.stats()["articles"]:
        raise KBError(
            f"the bench store was grown from another source pool ({known}, now {pool.fingerprint}): "
            "the source store changed; rerun with --fresh"
        )
    store.set_checkpoint(_POOL, pool.fingerprint)


def _saved_rows(store: Backend) -> list[ScaleRow]:
    raw = store.get_checkpoint(_ROWS)
    return [ScaleRow(**r) for r in json.loads(raw)] if raw else []


def _flag_resumed(row: ScaleRow) -> ScaleRow:
    return ScaleRow(**{**asdict(row), "resumed": True})


def _load(store: Backend, library: Library, start: int, stop: int, model: str, console: Console, label: str) -> float:
    """Write articles ``start`` to ``stop - 1``, vectors first; the seconds spent in the store's writes."""
    seconds = 0.0
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=stop - start)
        for items in library.batches(start, stop):
            vectors = {text_hash(g.article.text): encode_vector(g.vector) for g in items if g.vector is not None}
            began = time.perf_counter()
            store.put_embeddings(model, vectors)
            store.upsert_articles([g.article for g in items])
            seconds += time.perf_counter() - began
            bar.advance(task, len(items))
    return seconds


def _measure(
    services: Services,
    settings: Settings,
    backend: str,
    size: int,
    loaded: int,
    seconds: float,
    queries: Sequence[str],
    model: str,
) -> ScaleRow:
    search, store = services.search, services.store
    began = time.perf_counter()
    search.search(queries[0])
    first = time.perf_counter() - began
    for query in queries[1:]:  # untimed: encodes each query once (the timed pass reads the cache)
        search.search(query)
    full = [_timed(partial(search.search, q)) for q in queries]
    none = ArticleFilter()
    limit = search.candidates
    terms = [analyze(q) for q in queries]
    bm25 = [_timed(partial(store.bm25_articles, t, limit=limit, filters=none)) for t in terms]
    vectors = [v for v in map(search.vector, queries) if v is not None]
    knn = [_timed(partial(store.knn_articles, model, v, limit=limit, filters=none)) for v in vectors]
    total, articles = _disk_bytes(store, settings, int(store.get_checkpoint(_BASE) or 0))
    return ScaleRow(
        backend=backend,
        articles=size,
        loaded=loaded,
        load_seconds=seconds,
        store_bytes=total,
        article_bytes=articles,
        rss_mb=psutil.Process().memory_info().rss / 2**20,
        heap_mb=None if backend == "sqlite" else _heap_mb(settings.store),
        first_search_s=first,
        search_p50_ms=percentile(full, 50),
        search_p95_ms=percentile(full, 95),
        bm25_p50_ms=percentile(bm25, 50),
        knn_p50_ms=percentile(knn, 50),
        knn_p95_ms=percentile(knn, 95),
    )


def _timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def _disk_bytes(store: Backend, settings: Settings, base: int) -> tuple[int, int]:
    """The store's bytes on disk, and those of the articles with their vectors: on Elasticsearch the primaries of
    the articles index and the articles' share of the embeddings index (after a flush), on SQLite the growth of the
    store's files (the database, its WAL, the vector index folder) over ``base``, the knowledge-only store."""
    sizes = getattr(store, "index_sizes", None)
    if callable(sizes):
        found: dict[str, tuple[int, int]] = sizes()
        (articles, article_bytes), (vectors, vector_bytes) = found["articles"], found["embeddings"]
        return sum(b for _, b in found.values()), article_bytes + vector_bytes * articles // max(vectors, 1)
    folder = settings.sqlite_path.parent
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return total, total - base


def _heap_mb(es_url: str) -> float:
    try:
        nodes = httpx.get(f"{es_url.rstrip('/')}/_nodes/stats/jvm", timeout=30.0).json()["nodes"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise StoreError(f"cannot read the JVM heap of {es_url}: {exc}") from exc
    return float(sum(n["jvm"]["mem"]["heap_used_in_bytes"] for n in nodes.values())) / 2**20


def format_scale(rows: Sequence[ScaleRow], pool: SourcePool, *, queries: int) -> str:
    lines = [
        "| backend | articles | load (articles/s) | store (MB) | per article (KiB) | RSS (MB) | ES heap used (MB) "
        "| first search (s) | search p50 (ms) | p95 (ms) | p50 vs smallest | BM25 p50 (ms) | kNN p50 (ms) "
        "| kNN p95 (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    smallest: dict[str, float] = {}
    for row in rows:
        base = smallest.setdefault(row.backend, row.search_p50_ms or 1.0)
        name = {"sqlite": "embedded (SQLite)", "es": "Elasticsearch"}[row.backend]
        heap = "—" if row.heap_mb is None else f"{row.heap_mb:,.0f}"
        lines.append(
            f"| {name} | {row.articles:,} | {row.rate:,.0f}{' (resumed)' if row.resumed else ''} | "
            f"{row.store_bytes / 2**20:,.0f} | {row.bytes_per_article / 1024:.2f} | {row.rss_mb:,.0f} | {heap} | "
            f"{row.first_search_s:.2f} | {row.search_p50_ms:.1f} | {row.search_p95_ms:.1f} | "
            f"{row.search_p50_ms / base:.2f}x | {row.bm25_p50_ms:.1f} | {row.knn_p50_ms:.1f} | {row.knn_p95_ms:.1f} |"
        )
    real = len(pool.articles)
    lines += [
        "",
        f"Library: resampled from {real:,} real articles with a real vector (of {pool.total:,} in the source store): "
        f"the first {real:,} verbatim with their real vectors, the rest with one sentence (or title word) swapped "
        f"for another article's and a synthetic vector at a real nearest-neighbour distance from its source "
        f"(median {_median(pool):.3f}); fresh PMIDs from 90,000,000. Load: store writes (vectors, then records) per "
        "batch, generation not timed. Per article: the articles index and the articles' share of the embeddings "
        "index (Elasticsearch, primaries after a flush), or the growth of the store's files over the store with the "
        "knowledge sources only (SQLite). "
        f"Search: {queries} doctors' queries (CIViC dev and Chinese) through services.search.search in process, "
        "query vectors cached by an untimed first pass (encoding excluded); BM25 and kNN: the store's article "
        "primitives alone, 200 candidates. RSS: this process after the searches; ES heap: the node's JVM heap in use.",
    ]
    return "\n".join(lines)


def _median(pool: SourcePool) -> float:
    return float(sorted(pool.nn_distances)[len(pool.nn_distances) // 2])


def row_summary(row: ScaleRow) -> str:
    """One line per completed step, printed as the run goes."""
    heap = "" if row.heap_mb is None else f", ES heap {row.heap_mb:,.0f} MB"
    return (
        f"{row.backend} {row.articles:,} articles: load {row.rate:,.0f}/s, {row.bytes_per_article / 1024:.2f} KiB per "
        f"article, RSS {row.rss_mb:,.0f} MB{heap}, search p50 {row.search_p50_ms:.1f} ms p95 {row.search_p95_ms:.1f} ms"
    )
