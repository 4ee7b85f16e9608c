"""``kb bench encoder``: torch against ONNX Runtime (full precision and int8) in one run.

Each encoder runs in a fresh process of its own (so its peak RSS is its own: the API process's cost of that
encoder) and measures, on real texts:

* query encoding: each of the CIViC dev queries alone, one thread, p50/p95 ms;
* bulk encoding: NFCorpus documents in the ingestion's batches, texts/s (the torch model's own ``encode`` is
  the baseline the ingestion path is held to);
* quality: dense-only nDCG@10 on NFCorpus (test queries over its 3,633 documents) and on the CIViC dev qrels
  (476 queries over the evidence statements of the store), from the vectors the process returns.

The ONNX model is exported before the runs, so no measured process pays for (or imports torch for) the export.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from cli.bench.beir import load_beir
from cli.bench.metrics import mean, ndcg_at, percentile
from cli.bench.search import load_civic_bench
from kb.settings import Settings

__all__ = ["VARIANTS", "EncoderRow", "format_encoder", "run_encoder_bench"]

VARIANTS = (("torch", False), ("onnx", False), ("onnx", True))  # (backend, int8), the first is the baseline


@dataclass(frozen=True, slots=True)
class EncoderRow:
    name: str
    query_p50_ms: float
    query_p95_ms: float
    bulk_per_s: float
    peak_rss_mb: float
    nfcorpus_ndcg: float
    civic_ndcg: float


@dataclass(frozen=True, slots=True)
class _Texts:
    queries: list[str]  # timed one at a time
    bulk: list[str]  # timed in batches
    nf_docs: list[str]
    nf_queries: list[str]
    civic_docs: list[str]
    civic_queries: list[str]


def _measure(settings: Settings, backend: str, quantize: bool, texts: _Texts) -> dict[str, Any]:
    """In a fresh process: timings, vectors and the process's peak RSS for one encoder."""
    from kb.embedding import Embedder

    one = Embedder.from_settings(
        settings.model_copy(update={"embed_backend": backend, "embed_quantize": quantize}), threads=1
    )
    one.encode(["warm up"])
    times = []
    for q in texts.queries:
        start = time.perf_counter()
        one.encode([q])
        times.append((time.perf_counter() - start) * 1000)
    bulk = Embedder.from_settings(settings.model_copy(update={"embed_backend": backend, "embed_quantize": quantize}))
    start = time.perf_counter()
    bulk.encode(texts.bulk)
    rate = len(texts.bulk) / (time.perf_counter() - start)
    vectors = {
        name: bulk.encode(getattr(texts, name)) for name in ("nf_docs", "nf_queries", "civic_docs", "civic_queries")
    }
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return {"times": times, "rate": rate, "rss": rss, "vectors": vectors}


def _ndcg(
    doc_vectors: Any, doc_ids: list[str], query_vectors: Any, qids: list[str], qrels: dict[str, dict[str, int]]
) -> float:
    scores = query_vectors @ doc_vectors.T
    top = np.argsort(-scores, axis=1)[:, :10]
    return mean([ndcg_at([doc_ids[i] for i in row], qrels[q]) for q, row in zip(qids, top, strict=True)])


def _civic(settings: Settings) -> tuple[list[str], list[str], list[str], list[str], dict[str, dict[str, int]]]:
    from kb.store import open_store

    store = open_store(settings)
    try:
        items = [(e.source_id, e.statement) for e in store.iter_evidence() if e.source == "CIViC" and e.statement]
    finally:
        store.close()
    queries, qrels = load_civic_bench(settings.data_dir)
    asked = [q for q in queries if q.qid in qrels]
    return (
        [f"civic:EID{i}" for i, _ in items],
        [t for _, t in items],
        [q.qid for q in asked],
        [q.text for q in asked],
        qrels,
    )


def run_encoder_bench(
    settings: Settings, *, queries: int = 200, bulk: int = 1000, log: Any = print
) -> list[EncoderRow]:
    from kb.embedding import Embedder

    Embedder.from_settings(settings.model_copy(update={"embed_backend": "onnx", "embed_quantize": True})).encode(["x"])
    Embedder.from_settings(settings.model_copy(update={"embed_backend": "onnx", "embed_quantize": False})).encode(["x"])
    nf = load_beir(settings.data_dir / "beir" / "nfcorpus")
    nf_ids = [d.id for d in nf.corpus]
    nf_docs = [f"{d.title}. {d.text}".strip(". ") for d in nf.corpus]
    nf_qids = [q for q in nf.queries if q in nf.qrels]
    civic_ids, civic_docs, civic_qids, civic_queries, civic_qrels = _civic(settings)
    texts = _Texts(civic_queries[:queries], nf_docs[:bulk], nf_docs, [nf.queries[q] for q in nf_qids], civic_docs,
                   civic_queries)  # fmt: skip
    rows = []
    context = multiprocessing.get_context("spawn")
    for backend, quantize in VARIANTS:
        name = f"{backend}{' int8' if quantize else ''}"
        log(f"encoder bench: {name} ({len(nf_docs) + len(civic_docs) + bulk:,} texts) ...")
        with context.Pool(1) as pool:
            got = pool.apply(_measure, (settings, backend, quantize, texts))
        v = got["vectors"]
        rows.append(
            EncoderRow(
                name=name,
                query_p50_ms=percentile(got["times"], 50),
                query_p95_ms=percentile(got["times"], 95),
                bulk_per_s=got["rate"],
                peak_rss_mb=got["rss"],
                nfcorpus_ndcg=_ndcg(v["nf_docs"], nf_ids, v["nf_queries"], nf_qids, nf.qrels),
                civic_ndcg=_ndcg(v["civic_docs"], civic_ids, v["civic_queries"], civic_qids, civic_qrels),
            )
        )
    return rows


def format_encoder(rows: list[EncoderRow], *, queries: int, bulk: int) -> str:
    base = rows[0]
    lines = [
        "| encoder | query p50 (ms) | query p95 (ms) | bulk texts/s | vs torch | peak RSS (MB) | NFCorpus nDCG@10 "
        "(dense) | Δ | CIViC dev nDCG@10 (dense) | Δ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name}{' (baseline)' if r is base else ''} | {r.query_p50_ms:.1f} | {r.query_p95_ms:.1f} | "
            f"{r.bulk_per_s:.1f} | {r.bulk_per_s / base.bulk_per_s:.2f}x | {r.peak_rss_mb:.0f} | "
            f"{r.nfcorpus_ndcg:.4f} | {r.nfcorpus_ndcg - base.nfcorpus_ndcg:+.4f} | {r.civic_ndcg:.4f} | "
            f"{r.civic_ndcg - base.civic_ndcg:+.4f} |"
        )
    lines.append("")
    lines.append(f"Queries timed one at a time on one thread ({queries} CIViC dev queries); bulk: {bulk} NFCorpus "
                 "documents in the ingestion's batches (KB_EMBED_BATCH_SIZE), default threads; each encoder in a "
                 "fresh process, whose peak RSS is shown.")  # fmt: skip
    return "\n".join(lines)
