"""The FastAPI app: ``create_app(settings)`` builds everything, nothing happens at import."""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.access_log import install_private_access_log
from api.deps import get_principal
from api.errors import ErrorResponse, install_error_handlers
from api.limits import Guard
from api.links import install_links
from api.routes import (
    accounts,
    annotate,
    changes,
    doctors,
    editorial,
    entities,
    feeds,
    health,
    oncokb,
    reading_lists,
    regulatory,
    review,
    search,
    workbench,
)
from api.routes.pages import install_pages
from kb.embed_worker import BackgroundEmbedder, claim_embedding
from kb.services import Services, build_editorial, build_services
from kb.settings import Settings

__all__ = ["SERVE_EMBED", "app_from_environment", "create_app"]

SERVE_EMBED = "GENEKB_SERVE_EMBED"  # how `kb serve --no-embed` reaches its worker processes (not a setting)

log = logging.getLogger("genekb.api")

DESCRIPTION = """
genekb answers an oncologist's keywords (Chinese, English or mixed) with the concepts they
mean, curated gene-variant-tumor-drug evidence, ranked PubMed literature, and the company's
test items. Test items are product suggestions (`"sponsored": true`), kept apart from the
evidence. The web pages for doctors and editors are served at `/`.
Every error has the shape `{"error": {"code", "message", "details"}}`.

Reads are open; a partner sends `X-API-Key` (rate limited per key, `RateLimit-*` headers).
Editors and doctors sign in at `/v1/auth/login` and send `Authorization: Bearer <token>`.
Curated content changes through submissions reviewed by a second person; see docs/editorial.md.
"""


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``kb serve`` with ``KB_WORKERS`` > 1 (uvicorn imports it by name in each
    process): the settings come from the environment, which ``kb serve`` filled from its options."""
    return create_app(Settings(), embed=os.environ.get(SERVE_EMBED, "1") == "1")


def create_app(settings: Settings, *, services: Services | None = None, embed: bool = True) -> FastAPI:
    """The app for ``settings``; pass ``services`` to share already-built ones (tests, benchmarks).

    With services of its own and dense retrieval on (``embed``), the app also runs the background embedder while
    it serves (``KB_EMBED_IN_BACKGROUND``); shared services are the caller's, and so is embedding their store."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services if services is not None else build_services(settings, embed=embed)
        app.state.editorial = build_editorial(settings, app.state.services)
        app.state.embedder = None
        claimed = None
        if owned:  # load the model and build the highlighter now rather than during the first doctor's search
            threading.Thread(target=_warm_up, args=(app.state.services,), name="warm-up", daemon=True).start()
            if settings.embed_in_background and app.state.services.search.embedder is not None:
                # serve now; the records without vectors are embedded meanwhile (kb/embed_worker.py), by one process
                claimed = claim_embedding(settings.work_dir) if settings.workers > 1 else None
                app.state.embedding_elsewhere = settings.workers > 1 and claimed is None
                if not app.state.embedding_elsewhere:
                    app.state.embedder = BackgroundEmbedder(settings).start()
        try:
            yield
        finally:
            if app.state.embedder is not None:
                app.state.embedder.stop()
            if claimed is not None:
                claimed.close()
            app.state.editorial.close()
            if owned:
                app.state.services.close()

    docs = settings.api_docs  # the docs pages load scripts from a CDN: off unless asked for
    app = FastAPI(
        title="genekb",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_private_access_log()  # no query strings, no client addresses in the access log
    app.add_middleware(_RateHeaders)
    app.add_middleware(Guard, settings=settings)  # added last, so it runs first: before any body is read
    keyed: dict[int | str, dict[str, object]] = {401: {"model": ErrorResponse}, 429: {"model": ErrorResponse}}
    for module in (
        search,
        entities,
        annotate,
        oncokb,
        feeds,
        regulatory,
        reading_lists,
    ):  # reads: a key is checked and counted, a bearer token identifies the doctor
        app.include_router(module.router, dependencies=[Depends(get_principal)], responses=keyed)
    for module in (health, accounts, workbench, review, editorial, changes, doctors):  # review: before editorial
        app.include_router(module.router)
    install_pages(app)
    install_links(app)  # /openapi.json says where each answer's ids lead (api/links.py)
    return app


def _warm_up(services: Services) -> None:
    """Best effort: a failure here is logged, and the first search that needs the part raises it properly."""
    try:
        services.search.vector("EGFR")
        _ = services.highlighter.tagger
    except Exception:  # logged; the request that needs the part meets the error again
        log.warning("warm-up failed; the first search will load the model and tagger itself", exc_info=True)
    # the vocabularies, indexes and model are a million objects that live as long as the process: a full pass of
    # the cyclic garbage collector over them stalled every request for 330 ms; frozen, the passes skip them
    gc.freeze()


class _RateHeaders:
    """Copy the RateLimit-* headers of a keyed request (``request.state.rate_headers``, set by the dependency that
    counted it) onto its answer: a plain ASGI middleware (Starlette's BaseHTTPMiddleware cost every request a task
    and a stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = scope.get("state", {}).get("rate_headers") or {}
                if extra:
                    have = {k.lower() for k, _ in message.get("headers", [])}
                    added = [
                        (k.lower().encode(), v.encode()) for k, v in extra.items() if k.lower().encode() not in have
                    ]
                    message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, headed)
