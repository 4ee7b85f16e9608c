"""``kb bench search --backend es``: the embedded store and Elasticsearch side by side, one run.

Both backends are filled from the same ingested embedded store (records and cached vectors),
timed as indexing throughput; then each answers the CIViC dev queries (nDCG@10) and serves
``/v1/search`` over HTTP (latency). The kNN recall of Elasticsearch's HNSW index against the
embedded store's exact search is reported beside them.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from cli.bench.metrics import mean
from cli.bench.search import LatencyRow, RankerRow, load_civic_bench, run_search_bench
from kb.analysis import evidence_text
from kb.settings import Settings
from kb.store import Backend, text_hash
from kb.store.base import ArticleFilter, EvidenceFilter

__all__ = ["BackendRun", "compare_backends", "copy_store", "format_backends"]

T = TypeVar("T")


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def copy_store(src: Backend, dst: Backend, model: str, *, batch: int = 500) -> dict[str, tuple[int, float]]:
    """Write every record of ``src`` (and the cached vectors of ``model``) into ``dst``.

    Returns, per kind, the records written and the seconds it took.
    """
    timings: dict[str, tuple[int, float]] = {}

    def timed(kind: str, items: Iterable[Any], write: Callable[[list[Any]], object]) -> None:
        start, written = time.perf_counter(), 0
        for chunk in _batches(items, batch):
            write(chunk)
            written += len(chunk)
        timings[kind] = (written, time.perf_counter() - start)

    def with_vectors(texts: Callable[[Any], str], upsert: Callable[[list[Any]], object]) -> Callable[[list[Any]], None]:
        def write(chunk: list[Any]) -> None:
            dst.put_embeddings(model, src.cached_embeddings(model, [text_hash(texts(r)) for r in chunk]))
            upsert(chunk)

        return write

    timed("genes", src.iter_genes(), dst.upsert_genes)
    timed("tumors", src.iter_tumors(), dst.upsert_tumors)
    timed("drugs", src.iter_drugs(), dst.upsert_drugs)
    timed("tests", src.iter_tests(), dst.upsert_tests)
    timed("evidence", src.iter_evidence(), with_vectors(evidence_text, dst.upsert_evidence))
    timed("articles", src.iter_articles(), with_vectors(lambda a: str(a.text), dst.upsert_articles))
    return timings


@dataclass
class BackendRun:
    name: str
    timings: dict[str, tuple[int, float]]
    relevance: list[RankerRow]
    latency: list[LatencyRow]
    sizes: dict[str, tuple[int, int]]  # kind -> (documents, bytes on disk); Elasticsearch only

    @property
    def records(self) -> int:
        return sum(n for n, _ in self.timings.values())

    def per_second(self, *kinds: str) -> float:
        chosen = [self.timings[k] for k in kinds or tuple(self.timings)]
        seconds = sum(t for _, t in chosen)
        return sum(n for n, _ in chosen) / seconds if seconds else 0.0


def compare_backends(
    source: Settings,
    es: Settings,
    *,
    latency_queries: int,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[list[BackendRun], dict[str, float]]:
    """Fill a fresh embedded store and a fresh Elasticsearch prefix from ``source``; measure both."""
    from api.app import create_app
    from cli.bench.http import serve_in_thread
    from kb.services import build_services
    from kb.store import open_store
    from kb.store.es import ElasticsearchStore

    origin = open_store(source)
    runs: list[BackendRun] = []
    services_by_name = {}
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        targets: list[tuple[str, Settings]] = [
            ("embedded (SQLite)", source.model_copy(update={"store": f"sqlite:///{Path(tmp) / 'copy.sqlite3'}"})),
            ("Elasticsearch", es.model_copy(update={"es_index_prefix": f"bench-{uuid.uuid4().hex[:8]}"})),
        ]
        try:
            for name, settings in targets:
                progress(f"indexing into {name}")
                store = open_store(settings)
                timings = copy_store(origin, store, source.embed_model)
                sizes = store.index_sizes() if isinstance(store, ElasticsearchStore) else {}
                services = build_services(settings, embed=True, store=store)
                services_by_name[name] = services
                progress(f"searching on {name}")
                with serve_in_thread(create_app(settings, services=services)) as base_url:
                    relevance, latency, _ = run_search_bench(
                        services, source.data_dir, latency_queries=latency_queries, base_url=base_url
                    )
                runs.append(BackendRun(name, timings, relevance, latency, sizes))
            recall = _knn_recall(services_by_name, source)
        finally:
            for services in services_by_name.values():
                if isinstance(services.store, ElasticsearchStore):
                    services.store.drop()
                services.close()
            origin.close()
    return runs, recall


def _knn_recall(services: dict[str, Any], source: Settings) -> dict[str, float]:
    """Recall@10 of Elasticsearch's kNN against the embedded store's exact kNN, on the dev queries."""
    exact, approx = services["embedded (SQLite)"], services["Elasticsearch"]
    queries, _ = load_civic_bench(source.data_dir)
    model = source.embed_model
    out: dict[str, list[float]] = {"articles": [], "evidence": []}
    for query in queries[:100]:
        vector = exact.search.vector(query.text)
        if vector is None:
            continue
        for kind in out:
            found = []
            for svc in (exact, approx):
                index: Backend = svc.store
                if kind == "articles":
                    found.append({d for d, _ in index.knn_articles(model, vector, limit=10, filters=ArticleFilter())})
                else:
                    found.append({d for d, _ in index.knn_evidence(model, vector, limit=10, filters=EvidenceFilter())})
            if found[0]:
                out[kind].append(len(found[0] & found[1]) / len(found[0]))
    return {kind: mean(values) for kind, values in out.items()}


def format_backends(runs: list[BackendRun], recall: dict[str, float], vector_index: str) -> str:
    def row(run: BackendRun) -> str:
        bm25, full, zh = run.relevance
        http = run.latency[-1]
        return (
            f"| {run.name} | {run.records:,} | {run.per_second():,.0f} | {run.per_second('articles'):,.0f} | "
            f"{bm25.ndcg10:.4f} | {full.ndcg10:.4f} | {full.recall100:.4f} | {zh.ndcg10:.4f} | "
            f"{http.p50_ms:.1f} | {http.p95_ms:.1f} |"
        )

    embedded, es = runs
    diff = es.relevance[1].ndcg10 - embedded.relevance[1].ndcg10
    sizes = ", ".join(
        f"{kind} {docs:,} docs {size / 2**20:,.1f} MiB ({size / max(docs, 1) / 1024:,.1f} KiB/doc)"
        for kind, (docs, size) in es.sizes.items()
        if kind in ("articles", "evidence", "genes")
    )
    lines = [
        "| backend | records indexed | indexing docs/s, all | articles docs/s (with vectors) | "
        "nDCG@10 BM25 statements (baseline) | nDCG@10 full | R@100 full | nDCG@10 full, Chinese | "
        "/v1/search p50 (ms) | p95 (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        row(embedded),
        row(es),
        "",
        f"nDCG@10 of the full pipeline, Elasticsearch minus embedded: {diff:+.4f} (goal: within 0.01). "
        f"{embedded.relevance[1].queries} CIViC dev queries; {embedded.latency[-1].queries} HTTP requests each.",
        f"Elasticsearch kNN ({vector_index}) recall@10 against the exact search of the embedded store "
        f"(100 dev queries): articles {recall['articles']:.3f}, evidence {recall['evidence']:.3f}.",
        f"Elasticsearch index sizes: {sizes}.",
    ]
    return "\n".join(lines)
