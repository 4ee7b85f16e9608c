"""``kb ingest``, ``kb embed`` and ``kb download``: getting sources into the store."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.common import DataOpt, StoreOpt, build_settings, err, friendly
from ingest.jobs import SOURCES, IngestContext, ingest_all, ingest_pubmed_live, run_source
from kb.embedding import Embedder, embed_with_cache
from kb.store import open_store

__all__ = ["Source", "download", "embed", "ingest"]

ALL = "all"
Source = StrEnum("Source", [(name, name) for name in (ALL, *SOURCES)])  # type: ignore[misc]  # from the registry
"""The choices of ``kb ingest``: 'all', then every source of :data:`ingest.jobs.SOURCES` in its order."""


@friendly
def ingest(
    source: Annotated[Source, typer.Argument(help="What to load; 'all' loads every source in dependency order.")],
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
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Compute sentence embeddings for articles.")] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the store already holds evidence (used by make run).")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Load a source into the store: idempotent (upsert by stable id) and resumable.

    Each job ends with a summary line; rejected rows go to <work_dir>/rejects/<job>.jsonl.
    """
    settings = build_settings(store, data)
    kb_store = open_store(settings)
    ctx = IngestContext(settings, kb_store, console=err, progress=progress, embed=embed)
    if if_empty and kb_store.stats()["evidence"]:
        err.print(f"the store at {settings.store} already holds data; nothing to ingest")
        kb_store.close()
        return
    try:
        if query is not None:
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
    batch: Annotated[int, typer.Option(help="Articles per batch.")] = 256,
) -> None:
    """Compute missing article embeddings (e.g. after 'kb ingest --no-embed')."""
    settings = build_settings(store)
    kb_store = open_store(settings)
    embedder = Embedder.from_settings(settings)
    done = 0
    try:
        while articles := kb_store.articles_missing_embeddings(embedder.model_name, batch):
            _, fresh = embed_with_cache(kb_store, embedder, [a.text for a in articles])
            done += fresh
            err.print(f"embedded {done:,} articles", end="\r")
    finally:
        kb_store.close()
    err.print(f"embed: {done:,} embeddings computed with {settings.embed_model}")


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
