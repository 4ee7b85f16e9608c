"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.schemas import HealthOut, ReadyOut
from kb.errors import KBError

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=HealthOut)
def health() -> HealthOut:
    """The process is up."""
    return HealthOut(status="ok")


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def ready(services: ServicesDep) -> ReadyOut | JSONResponse:
    """The backend answers and holds data."""
    backend = "sqlite" if services.settings.store.startswith("sqlite") else "elasticsearch"
    try:
        counts = services.store.stats()
        version = services.store.data_version()
    except KBError:
        body = ReadyOut(status="unavailable", backend=backend, data_version=None, counts={})
        return JSONResponse(body.model_dump(), status_code=503)
    status = "ok" if counts.get("evidence", 0) or counts.get("articles", 0) else "empty"
    return ReadyOut(status=status, backend=backend, data_version=version, counts=counts)
