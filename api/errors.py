"""One error shape for every failure: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.errors import (
    AuthError,
    ConflictError,
    InvalidRecord,
    KBError,
    MigrationError,
    NotFoundError,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
    QueryError,
    RateLimited,
    SourceUnavailable,
    StoreError,
)

__all__ = ["ErrorBody", "ErrorResponse", "error_response", "install_error_handlers", "status_of"]

log = logging.getLogger("genekb.api")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorResponse(BaseModel):
    error: ErrorBody


_STATUS: list[tuple[type[KBError], int]] = [
    (RateLimited, 429),
    (AuthError, 401),
    (PermissionDenied, 403),
    (PreconditionFailed, 412),
    (PreconditionRequired, 428),
    (ConflictError, 409),
    (NotFoundError, 404),
    (QueryError, 422),
    (PayloadTooLarge, 413),
    (InvalidRecord, 422),
    (MigrationError, 503),
    (StoreError, 503),
    (SourceUnavailable, 503),
]


def status_of(exc: KBError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def _body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(exc: KBError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The answer for ``exc`` in the one shape, with ``Retry-After`` or ``WWW-Authenticate`` where it applies."""
    extra: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        extra["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, AuthError):
        extra["WWW-Authenticate"] = "Bearer"
    extra.update(headers or {})
    return JSONResponse(_body(exc.code, exc.message, exc.details), status_code=status_of(exc), headers=extra)


def install_error_handlers(app: FastAPI) -> None:
    """Map the exception tree, validation errors and HTTP errors to the one shape."""

    @app.exception_handler(KBError)
    async def kb_error(request: Request, exc: KBError) -> JSONResponse:
        return error_response(exc, getattr(request.state, "rate_headers", {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "problem": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return JSONResponse(
            _body("invalid_request", "the request parameters are invalid", {"problems": problems}), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(_body("internal_error", "an unexpected error occurred; it has been logged"), 500)
