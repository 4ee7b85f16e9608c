"""``kb ingest``, ``kb embed`` and ``kb download``: getting sources into the store."""

from __future__ import annotations

import time
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cli.common import DataOpt, StoreOpt, build_settings, err, friendly
from ingest.jobs import SOURCES, IngestContext, ingest_all, ingest_pubmed_live, run_source
from kb.embed_worker import CHUNK, EMBED_KINDS, embed_missing
from kb.embedding import Embedder
from kb.settings import Settings
from kb.store import Backend, open_store

__all__ = ["Source", "download", "embed", "embed_stage", "ingest", "update"]

ALL = "all"
CITED = "cited"
Source = StrEnum("Source", [(name, name) for name in (ALL, *SOURCES, CITED)])  # type: ignore[misc]  # the registry
"""The choices of ``kb ingest``: 'all', every source of :data:`ingest.jobs.SOURCES` in its order, then 'cited'
(the PMIDs evidence cites, fetched from NCBI: never part of 'all', which reads files only)."""


@friendly
def ingest(
    source: Annotated[
        Source,
        typer.Argument(
            help="What to load; 'all' loads every source in dependency order; 'cited' fetches from NCBI every PMID "
            "that evidence cites and the library lacks (needs KB_NCBI_EMAIL)."
        ),
    ],
    data: DataOpt = None,
    path: Annotated[
        Path | None, typer.Option("--path", help="A specific file (or PubMed folder) instead of the default.")
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", help="pubmed only: fetch live from NCBI E-utilities with this search.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="pubmed --query only: entry date from (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="pubmed --query only: entry date to (YYYY-MM-DD).")
    ] = None,
    embed: Annotated[
        bool,
        typer.Option(
            "--embed/--no-embed",
            help="After the records, embed evidence and articles that lack vectors (--no-embed: kb serve does it "
            "in the background).",
        ),
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
    retry_unavailable: Annotated[
        bool,
        typer.Option(
            "--retry-unavailable",
            help="cited only: ask NCBI again for the PMIDs an earlier run found unavailable (not in PubMed, or "
            "rejected); they are remembered and skipped otherwise.",
        ),
    ] = False,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the store already holds evidence (used by make run).")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Load a source into the store: idempotent (upsert by stable id) and resumable.

    Each job ends with a summary line; rejected rows go to <work_dir>/rejects/<job>.jsonl. The records and
    their lexical indexes come first, then (with --embed) the embedding stage, with its own progress bar.

    'kb ingest cited' fetches the cited PMIDs the store lacks in batches of KB_NCBI_BATCH_SIZE,
    with NCBI's rate limits and retries; a rerun after a failure fetches only what is still missing.
    PMIDs PubMed does not have are named in the summary and remembered (see --retry-unavailable).
    """
    if retry_unavailable and source != CITED:
        raise typer.BadParameter("--retry-unavailable only applies to 'kb ingest cited'")
    if source == CITED and (query is not None or path is not None):
        raise typer.BadParameter("'kb ingest cited' reads the PMIDs from the stored evidence: no --query or --path")
    settings = build_settings(store, data)
    kb_store = open_store(settings)
    ctx = IngestContext(settings, kb_store, console=err, progress=progress, embed=False)
    if if_empty and kb_store.stats()["evidence"]:
        err.print(f"the store at {settings.store} already holds data; nothing to ingest")
        kb_store.close()
        return
    try:
        if source == CITED:
            from ingest.cited import ingest_cited  # Biopython: only for this source

            cited = ingest_cited(ctx, retry_unavailable=retry_unavailable)
            err.print(cited.summary())
            reports = []
        elif query is not None:
            if source != "pubmed":
                raise typer.BadParameter("--query only applies to 'kb ingest pubmed'")
            reports = [
                ingest_pubmed_live(
                    ctx, query, since=_date(since, "--since"), until=_date(until, "--until") if until else None
                )
            ]
        elif source == ALL:
            reports = ingest_all(ctx, settings.data_dir)
        else:
            reports = run_source(ctx, source.value, settings.data_dir, path)
        for report in reports:
            err.print(report.summary())
            for note in report.notes:
                err.print(f"  {note}")
        if embed:
            embed_stage(settings, kb_store, console=err, progress=progress)
    finally:
        kb_store.close()


@friendly
def update(
    folder: Annotated[
        Path | None,
        typer.Option(
            "--folder", help="Also load the MEDLINE update files (pubmed*n*.xml.gz) of this folder, each once."
        ),
    ] = None,
    show_query: Annotated[
        bool, typer.Option("--show-query", help="Print the PubMed query (one chunk a line) and do nothing else.")
    ] = False,
    embed: Annotated[
        bool, typer.Option("--embed/--no-embed", help="After the records, embed the articles that lack vectors.")
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
    store: StoreOpt = None,
) -> None:
    """The incremental PubMed update: E-utilities by entry date since the last successful run, the MEDLINE update
    files of --folder, then the cited papers (needs KB_NCBI_EMAIL).

    The query is built from the topics doctors follow and the genes, tumors and drugs with evidence
    (KB_UPDATE_QUERY replaces it); the first run looks back KB_UPDATE_LOOKBACK_DAYS. Resumable and idempotent:
    the window moves on only once all of it is stored, and a rerun after a failure resumes where it stopped.
    """
    from ingest.update import run_update, update_query  # Biopython: only for this command

    settings = build_settings(store)
    kb_store = open_store(settings)
    try:
        if show_query:
            for chunk in update_query(settings, kb_store):
                typer.echo(chunk)
            return
        ctx = IngestContext(settings, kb_store, console=err, progress=progress, embed=False)
        report = run_update(ctx, folder=folder)
        for job in [*report.files, *report.live]:
            err.print(job.summary())
        if report.cited is not None:
            err.print(report.cited.summary())
        err.print(report.summary())
        if embed:
            embed_stage(settings, kb_store, console=err, progress=progress)
    finally:
        kb_store.close()


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{option} must be a date like 2024-01-01, not {value!r}") from None


@friendly
def embed(
    store: StoreOpt = None,
    batch: Annotated[int, typer.Option(min=1, help="Records listed per store query.")] = CHUNK,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
) -> None:
    """Compute missing embeddings: evidence, then articles newest first (e.g. after 'kb ingest --no-embed')."""
    settings = build_settings(store)
    kb_store = open_store(settings)
    try:
        embed_stage(settings, kb_store, console=err, progress=progress, chunk=batch)
    finally:
        kb_store.close()


def embed_stage(
    settings: Settings,
    store: Backend,
    *,
    console: Console,
    progress: bool = True,
    embedder: Embedder | None = None,
    chunk: int = CHUNK,
) -> dict[str, int]:
    """Embed what lacks a vector (:func:`kb.embed_worker.embed_missing`) with a bar per kind, then a summary line;
    the texts encoded per kind."""
    embedder = embedder or Embedder.from_settings(settings)
    coverage = store.embedding_coverage(embedder.model_name)
    todo = {kind: total - have for kind, (have, total) in coverage.items() if total > have}
    started = time.perf_counter()
    with EmbedBar(console, todo, enabled=progress) as bar:
        computed = embed_missing(store, embedder, on_batch=bar.advance, chunk=chunk)
    seconds = time.perf_counter() - started
    after = store.embedding_coverage(embedder.model_name)
    covered = ", ".join(f"{after[k][0]:,}/{after[k][1]:,} {k}" for k in EMBED_KINDS if k in after)
    console.print(
        f"embed: {computed['evidence']:,} evidence and {computed['articles']:,} article texts embedded with "
        f"{embedder.model_name} in {seconds:.1f}s (others came from the cache); with vectors: {covered}"
    )
    return computed


class EmbedBar:
    """A rich bar per kind (records, rate, ETA) on a terminal; elsewhere (a log file, ``make run`` piped) one line
    every ``every`` seconds and one when a kind is done, since a bar there shows nothing until it ends."""

    def __init__(self, console: Console, todo: dict[str, int], *, enabled: bool = True, every: float = 15.0) -> None:
        self.console = console
        self.todo = {kind: n for kind, n in todo.items() if n > 0}
        self.enabled = enabled and bool(self.todo)
        self.every = every
        self.done = dict.fromkeys(self.todo, 0)
        self._started = self._said = time.monotonic()
        self._bar: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        if self.enabled and console.is_terminal:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[rate]}"),
                console=console,
            )
            self._tasks = {kind: self._bar.add_task(f"embed {kind}", total=n, rate="") for kind, n in self.todo.items()}

    def __enter__(self) -> EmbedBar:
        if self._bar is not None:
            self._bar.start()
        elif self.enabled:
            waiting = ", ".join(f"{n:,} {kind}" for kind, n in self.todo.items())
            self.console.print(f"embed: {waiting} without vectors")
        return self

    def advance(self, kind: str, records: int) -> None:
        if not self.enabled or kind not in self.done:
            return
        self.done[kind] = min(self.done[kind] + records, self.todo[kind])
        now = time.monotonic()
        if self._bar is not None:
            rate = sum(self.done.values()) / max(now - self._started, 1e-9)
            self._bar.update(self._tasks[kind], completed=self.done[kind], rate=f"{rate:.1f}/s")
            return
        if now - self._said >= self.every or self.done[kind] == self.todo[kind]:
            self._said = now
            self.console.print(self.line(kind, now - self._started))

    def line(self, kind: str, elapsed: float) -> str:
        """``embed articles: 1,234/5,158 (24%), 9.8/s, about 6m40s left`` (the rate over every kind so far)."""
        done, total = self.done[kind], self.todo[kind]
        rate = sum(self.done.values()) / elapsed if elapsed > 0 else 0.0
        left = sum(self.todo.values()) - sum(self.done.values())
        eta = f", about {_duration(left / rate)} left" if rate and left else ""
        return f"embed {kind}: {done:,}/{total:,} ({100 * done / max(total, 1):.0f}%), {rate:.1f}/s{eta}"

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@friendly
def download(
    source: Annotated[str, typer.Argument(help="civic, oncotree or hgnc (a public download URL each).")],
    dest: Annotated[Path, typer.Option("--dest", help="Folder to write into.")] = Path("var/downloads"),
) -> None:
    """Fetch a source file by URL (needs network access to the source's host)."""
    from ingest.download import KNOWN_SOURCES  # httpx: only for this command
    from ingest.download import download as fetch

    if source not in KNOWN_SOURCES:
        raise typer.BadParameter(f"unknown source {source!r}; choose from {', '.join(KNOWN_SOURCES)}")
    url = KNOWN_SOURCES[source]
    target = fetch(url, dest / url.rsplit("/", 1)[-1], progress=True)
    err.print(f"downloaded {url} -> {target}")
