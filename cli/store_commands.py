"""``kb stats``, ``kb reindex``, ``kb serve`` and ``kb search``: looking after the store and querying it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from cli.common import StoreOpt, build_settings, err, friendly, out
from kb.store import open_store

__all__ = ["reindex", "search", "serve", "stats"]


@friendly
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    store: StoreOpt = None,
) -> None:
    """Counts per entity in the store."""
    kb_store = open_store(build_settings(store))
    try:
        counts = kb_store.stats()
        version = kb_store.data_version()
    finally:
        kb_store.close()
    if as_json:
        print(json.dumps({"data_version": version, **counts}, indent=2))
        return
    table = Table("entity", "count", title=f"genekb store (data version {version})")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    print(table)


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
    store: StoreOpt = None,
) -> None:
    """Serve the /v1 API and its OpenAPI schema (/openapi.json; /docs with KB_API_DOCS=true)."""
    import uvicorn  # the server and the app (FastAPI, the editorial database) load only for this command

    from api.app import create_app

    settings = build_settings(store)
    err.print(f"genekb serving {settings.store} on http://{host or settings.host}:{port or settings.port}")
    uvicorn.run(create_app(settings, embed=embed), host=host or settings.host, port=port or settings.port)


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
