"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.health_schemas import EmbeddedOut, EmbeddingsOut, HealthOut, ReadyOut
from kb.embed_worker import BackgroundEmbedder
from kb.errors import KBError

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=HealthOut)
def health() -> HealthOut:
    """The process is up."""
    return HealthOut(status="ok")


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def ready(services: ServicesDep, request: Request) -> ReadyOut | JSONResponse:
    """The backend answers and holds data; how far the background embedder has got."""
    backend = "sqlite" if services.settings.store.startswith("sqlite") else "elasticsearch"
    embeddings = _embeddings(getattr(request.app.state, "embedder", None))
    if getattr(request.app.state, "embedding_elsewhere", False):
        embeddings = EmbeddingsOut(state="elsewhere")
    try:
        counts = services.store.stats()
        version = services.store.data_version()
    except KBError:
        body = ReadyOut(status="unavailable", backend=backend, data_version=None, counts={}, embeddings=embeddings)
        return JSONResponse(body.model_dump(), status_code=503)
    status = "ok" if counts.get("evidence", 0) or counts.get("articles", 0) else "empty"
    return ReadyOut(status=status, backend=backend, data_version=version, counts=counts, embeddings=embeddings)


def _embeddings(worker: BackgroundEmbedder | None) -> EmbeddingsOut:
    """The embedder's progress as it last saw it (no store query: readiness probes stay cheap)."""
    if worker is None:
        return EmbeddingsOut(state="off")
    now = worker.snapshot()
    return EmbeddingsOut(
        state=now.state,
        model=now.model,
        kinds={kind: EmbeddedOut(embedded=k.embedded, total=k.total) for kind, k in now.kinds.items()},
        rate=round(now.rate, 2) if now.rate is not None else None,
        eta_seconds=round(now.eta_seconds, 1) if now.eta_seconds is not None else None,
        error=now.error,
    )
