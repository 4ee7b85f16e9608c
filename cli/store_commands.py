"""``kb stats``, ``kb reindex``, ``kb serve`` and ``kb search``: looking after the store and querying it."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from cli.common import StoreOpt, build_settings, err, friendly, out
from kb.embedding import Embedder
from kb.store import open_store

__all__ = ["reindex", "search", "serve", "stats"]


@friendly
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    store: StoreOpt = None,
) -> None:
    """Counts per entity in the store, and how many evidence items and articles have vectors."""
    settings = build_settings(store)
    model = Embedder.from_settings(settings).model_name  # +int8 when quantised; the model is not loaded
    kb_store = open_store(settings)
    try:
        counts = kb_store.stats()
        version = kb_store.data_version()
        coverage = kb_store.embedding_coverage(model)
    finally:
        kb_store.close()
    if as_json:
        vectors = {kind: {"embedded": have, "total": total} for kind, (have, total) in coverage.items()}
        print(json.dumps({"data_version": version, **counts, "vectors": {"model": model, **vectors}}, indent=2))
        return
    table = Table("entity", "count", title=f"genekb store (data version {version})")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    out.print(table)  # rich renders it on a terminal and in a pipe alike
    vectors_table = Table("kind", "with vectors", "records", "coverage", title=f"vectors ({model})")
    for kind, (have, total) in coverage.items():
        vectors_table.add_row(kind, f"{have:,}", f"{total:,}", f"{100 * have / total:.1f}%" if total else "-")
    out.print(vectors_table)


@friendly
def reindex(store: StoreOpt = None) -> None:
    """Rebuild the search indexes from the stored records, swapping atomically at the end.

    On Elasticsearch every kind is copied into the next versioned index (genekb-articles-v2, ...)
    and all aliases move in one request; searches use the old indices until then. On the embedded
    store the full-text and concept indexes are rebuilt in one transaction. Run it after upgrading
    genekb (a changed mapping or text analysis) or after changing KB_ES_VECTOR_INDEX.
    """
    kb_store = open_store(build_settings(store))
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


@friendly
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: KB_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: KB_PORT, 8000).")] = None,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval with the embedding model.")] = True,
    workers: Annotated[int | None, typer.Option(min=1, max=16, help="Server processes (default: KB_WORKERS).")] = None,
    store: StoreOpt = None,
) -> None:
    """Serve the /v1 API and its OpenAPI schema (/openapi.json; /docs with KB_API_DOCS=true).

    With dense retrieval on and KB_EMBED_IN_BACKGROUND (the default), records without vectors are embedded in a
    background thread while it serves; /v1/ready reports the progress. With --workers N (KB_WORKERS) N processes
    serve on one port, one per core: searches are CPU-bound; one of them embeds.
    """
    import uvicorn  # the server and the app (FastAPI, the editorial database) load only for this command

    from api.app import SERVE_EMBED, create_app
    from kb.services import migrate

    settings = build_settings(store)
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    bind = (host or settings.host, port or settings.port)
    n = settings.workers
    err.print(f"genekb serving {settings.store} on http://{bind[0]}:{bind[1]} ({n} process{'es' if n > 1 else ''})")
    if embed and settings.embed_in_background:
        err.print("records without vectors are embedded in the background; progress: /v1/ready, kb stats")
    if n == 1:
        uvicorn.run(create_app(settings, embed=embed), host=bind[0], port=bind[1])
        return
    migrate(settings)  # once, before the processes open the databases together
    # each worker process builds its app from the environment: hand it this command's store and options
    os.environ.update({"KB_STORE": settings.store, "KB_WORKERS": str(n), SERVE_EMBED: "1" if embed else "0"})
    uvicorn.run("api.app:app_from_environment", factory=True, workers=n, host=bind[0], port=bind[1])


@friendly
def search(
    query: Annotated[str, typer.Argument(help='Keywords, e.g. "EGFR T790M 奥希替尼".')],
    size: Annotated[int, typer.Option(help="Rows per section.")] = 5,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Dense retrieval with the embedding model.")] = True,
    store: StoreOpt = None,
) -> None:
    """Search from the terminal: concepts, evidence, literature and the company's tests."""
    from kb.present import print_result  # the search services (spaCy, the models) load only for this command
    from kb.services import build_services

    services = build_services(build_settings(store), embed=embed)
    try:
        result = services.search.search(query, size=size)
        print_result(out, result, services.vocab)
    finally:
        services.close()
