"""``kb bench load``: /v1/search and /v1/suggest under concurrent load against a live local server.

Bounded in time and count, local only: the target is the server this process starts on 127.0.0.1, or a
``--url`` whose host is 127.0.0.1 or localhost. Each of ``concurrency`` workers sends requests in turn until
the time is up or the request cap is reached, after one untimed request per endpoint that warms the server up;
``/v1/health`` under the same load is the baseline of the run.
"""

from __future__ import annotations

import csv
import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from cli.bench.metrics import percentile
from kb.errors import ConfigError

__all__ = ["LoadRun", "check_local", "format_load", "load_queries", "run_load"]

#: Endpoints of the run, in the order of the table; the first is the baseline.
ENDPOINTS = ("health", "search", "suggest")
_LOCAL = {"127.0.0.1", "localhost", "::1"}


@dataclass
class LoadRun:
    endpoint: str
    latencies: list[float] = field(default_factory=list)  # seconds, of the answered requests
    errors: int = 0  # 5xx, other non-2xx or no answer
    throttled: int = 0  # 429
    elapsed: float = 0.0


def check_local(url: str) -> str:
    """The base URL when its host is local; load tests never target another machine."""
    host = urlsplit(url).hostname or ""
    if host not in _LOCAL:
        raise ConfigError(f"kb bench load only targets 127.0.0.1 or localhost, not {host or url!r}")
    return url.rstrip("/")


def load_queries(data_dir: Path, limit: int = 200) -> tuple[list[str], list[str]]:
    """Search queries (the CIViC dev queries, English, and a set of Chinese ones) and suggest prefixes."""
    path = data_dir / "benchmarks" / "civic2021_dev_queries.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        english = [row["query_en"] for row in csv.DictReader(fh, delimiter="\t")][:limit]
    chinese = ["EGFR T790M 奥希替尼", "肺腺癌", "HER2低表达 乳腺癌", "MSI-H 结直肠癌", "ALK融合 克唑替尼 耐药"]
    queries = [q for pair in itertools.zip_longest(english, chinese) for q in pair if q]
    prefixes = sorted({q.split()[0][:3] for q in queries if q.split()} | {"奥希", "吉非", "her", "egf"})
    return queries, prefixes


def run_load(
    base_url: str,
    queries: Sequence[str],
    prefixes: Sequence[str],
    *,
    concurrency: int = 16,
    seconds: float = 20.0,
    max_requests: int = 20000,
    headers: dict[str, str] | None = None,
) -> list[LoadRun]:
    """Each endpoint in turn under ``concurrency`` workers for ``seconds`` (at most ``max_requests``)."""
    base = check_local(base_url)
    paths: dict[str, Iterator[tuple[str, dict[str, str]]]] = {
        "health": itertools.repeat(("/v1/health", {})),
        "search": itertools.cycle([("/v1/search", {"q": q}) for q in queries]),
        "suggest": itertools.cycle([("/v1/suggest", {"q": p}) for p in prefixes]),
    }
    with httpx.Client(base_url=base, timeout=120.0, headers=headers) as client:  # untimed: warm the server up
        for endpoint in ENDPOINTS:
            path, params = next(paths[endpoint])
            client.get(path, params=params)
    return [_run(base, e, paths[e], concurrency, seconds, max_requests, headers) for e in ENDPOINTS]


def _run(
    base: str,
    endpoint: str,
    source: Iterator[tuple[str, dict[str, str]]],
    concurrency: int,
    seconds: float,
    max_requests: int,
    headers: dict[str, str] | None,
) -> LoadRun:
    run = LoadRun(endpoint)
    lock = threading.Lock()
    sent = itertools.count()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30.0, headers=headers) as client:
            while time.monotonic() < deadline:
                with lock:
                    if next(sent) >= max_requests:
                        return
                    path, params = next(source)
                start = time.perf_counter()
                try:
                    status = client.get(path, params=params).status_code
                except httpx.HTTPError:
                    status = 0
                took = time.perf_counter() - start
                with lock:
                    if status == 429:
                        run.throttled += 1
                    elif 200 <= status < 300:
                        run.latencies.append(took)
                    else:
                        run.errors += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    run.elapsed = time.perf_counter() - started
    return run


def format_load(runs: Sequence[LoadRun], *, concurrency: int, seconds: float) -> str:
    lines = [
        f"{concurrency} concurrent clients, {seconds:g} s per endpoint, over HTTP on 127.0.0.1; "
        "`/v1/health` under the same load is the baseline.",
        "",
        "| endpoint | requests | throughput (req/s) | errors | throttled (429) | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        ms = [x * 1000 for x in run.latencies]
        answered = len(ms) + run.errors + run.throttled
        pct = [f"{percentile(ms, p):.1f}" if ms else "—" for p in (50, 95, 99)]
        label = f"`/v1/{run.endpoint}`" + (" (baseline)" if run.endpoint == "health" else "")
        rate = answered / run.elapsed if run.elapsed else 0.0
        lines.append(f"| {label} | {answered:,} | {rate:.1f} | {run.errors} | {run.throttled} | {' | '.join(pct)} |")
    return "\n".join(lines)
