"""The FastAPI app: ``create_app(settings)`` builds everything, nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import entities, health, search
from kb.services import Services, build_services
from kb.settings import Settings

__all__ = ["create_app"]

DESCRIPTION = """
genekb answers an oncologist's keywords (Chinese, English or mixed) with the concepts they
mean, curated gene-variant-tumor-drug evidence, ranked PubMed literature, and the company's
test items. Test items are product suggestions (`"sponsored": true`), kept apart from the
evidence. Every error has the shape `{"error": {"code", "message", "details"}}`.
"""


def create_app(settings: Settings, *, services: Services | None = None, embed: bool = True) -> FastAPI:
    """The app for ``settings``; pass ``services`` to share already-built ones (tests, benchmarks)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services if services is not None else build_services(settings, embed=embed)
        try:
            yield
        finally:
            if owned:
                app.state.services.close()

    app = FastAPI(title="genekb", version="1.0", description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    for module in (search, entities, health):
        app.include_router(module.router)
    return app
