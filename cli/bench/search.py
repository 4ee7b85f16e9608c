"""``kb bench search``: relevance on the CIViC dev qrels and /v1/search latency.

Rankers, all over the same store in one run:

* ``bm25``: plain BM25 over the evidence text (the baseline);
* ``full``: query understanding + concept ranking + hybrid BM25/kNN;
* ``full (zh)``: the full pipeline on Chinese versions of the queries (English
  tumor names swapped for the Chinese names of our vocabulary).
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli.bench.metrics import mean, ndcg_at, percentile, recall_at
from kb.analysis import analyze
from kb.search import targets
from kb.services import Services
from kb.store.base import EvidenceFilter
from kb.text import name_key

__all__ = ["BenchQuery", "load_civic_bench", "run_search_bench", "to_chinese"]


@dataclass(frozen=True, slots=True)
class BenchQuery:
    qid: str
    gene: str
    variant: str
    disease: str
    text: str


def load_civic_bench(data_dir: Path) -> tuple[list[BenchQuery], dict[str, dict[str, int]]]:
    folder = data_dir / "benchmarks"
    with (folder / "civic2021_dev_queries.tsv").open(encoding="utf-8", newline="") as fh:
        queries = [
            BenchQuery(r["qid"], r["gene"], r["variant"], r["disease"], r["query_en"])
            for r in csv.DictReader(fh, delimiter="\t")
        ]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with (folder / "civic2021_dev_qrels.txt").open(encoding="utf-8") as fh:
        for line in fh:
            qid, _, doc, grade = line.split()
            qrels[qid][f"civic:{doc}"] = int(grade)
    return queries, dict(qrels)


def to_chinese(query: BenchQuery, services: Services, disease_codes: dict[str, str]) -> str | None:
    """The query with its disease in Chinese (None when the vocabulary has no Chinese name for it)."""
    code = disease_codes.get(name_key(query.disease))
    node = services.vocab.tumors.nodes.get(code or "")
    if node is None or not node.name_zh:
        return None
    return query.text.replace(query.disease, node.name_zh)


@dataclass
class RankerRow:
    name: str
    queries: int
    ndcg10: float
    recall100: float


@dataclass
class LatencyRow:
    name: str
    queries: int
    p50_ms: float
    p95_ms: float


def _evaluate(name: str, runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> RankerRow:
    ndcg = [ndcg_at(runs[q], qrels.get(q, {}), 10) for q in runs]
    rec = [recall_at(runs[q], qrels.get(q, {}), 100) for q in runs]
    return RankerRow(name, len(runs), mean(ndcg), mean(rec))


def run_search_bench(
    services: Services, data_dir: Path, *, latency_queries: int = 200, base_url: str | None = None
) -> tuple[list[RankerRow], list[LatencyRow], int]:
    """Relevance rows, latency rows, and how many queries got a Chinese version."""
    from ingest.civic import DiseaseMap
    from kb.vocab import authored

    queries, qrels = load_civic_bench(data_dir)
    diseases = DiseaseMap.load(authored("civic_disease_oncotree.tsv"))
    codes = {**diseases.by_name}
    store = services.store
    bm25: dict[str, list[str]] = {}
    full: dict[str, list[str]] = {}
    full_zh: dict[str, list[str]] = {}
    bm25_ms: list[float] = []
    for q in queries:
        start = time.perf_counter()
        bm25[q.qid] = [
            d for d, _ in store.bm25_evidence(analyze(q.text), limit=100, filters=EvidenceFilter(), statement_only=True)
        ]
        bm25_ms.append((time.perf_counter() - start) * 1000)
        full[q.qid] = _full(services, q.text)
        zh = to_chinese(q, services, codes)
        full_zh[q.qid] = _full(services, zh if zh is not None else q.text)
    translated = sum(1 for q in queries if to_chinese(q, services, codes) is not None)
    rows = [
        _evaluate("plain BM25 over the statements (baseline)", bm25, qrels),
        _evaluate("full pipeline", full, qrels),
        _evaluate("full pipeline, Chinese queries", full_zh, qrels),
    ]
    latency = [LatencyRow("BM25 store call, in process (baseline)", len(bm25_ms), percentile(bm25_ms, 50),
                          percentile(bm25_ms, 95))]  # fmt: skip
    if base_url is not None:
        texts = [q.text for q in queries] + [z for q in queries if (z := to_chinese(q, services, codes))]
        texts = (texts * (latency_queries // max(len(texts), 1) + 1))[:latency_queries]
        timings: list[float] = []
        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            client.get("/v1/search", params={"q": "EGFR"})  # warm-up
            for text in texts:
                start = time.perf_counter()
                response = client.get("/v1/search", params={"q": text, "size": 10})
                timings.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
        latency.append(
            LatencyRow("GET /v1/search over HTTP", len(timings), percentile(timings, 50), percentile(timings, 95))
        )
    return rows, latency, translated


def _full(services: Services, text: str) -> list[str]:
    search = services.search
    parsed = search.parse(text)
    vector = search.vector(text)
    ranked = search.rank_evidence(text, targets(parsed, services.index), EvidenceFilter(), vector)
    return [e.id for e in ranked[:100]]


def format_tables(rows: list[RankerRow], latency: list[LatencyRow], translated: int) -> str:
    base = rows[0].ndcg10 or 1.0
    lines = [
        "| ranker | queries | nDCG@10 | R@100 | nDCG@10 vs BM25 |",
        "|---|---:|---:|---:|---:|",
        *(f"| {r.name} | {r.queries} | {r.ndcg10:.4f} | {r.recall100:.4f} | {r.ndcg10 / base:.2f}x |" for r in rows),
        "",
        f"Chinese queries: {translated} of {rows[0].queries} have a Chinese tumor name; the rest stay in English.",
        "",
        "| latency | requests | p50 (ms) | p95 (ms) |",
        "|---|---:|---:|---:|",
        *(f"| {r.name} | {r.queries} | {r.p50_ms:.1f} | {r.p95_ms:.1f} |" for r in latency),
    ]
    return "\n".join(lines)
