"""Dependency aliases for the routes: the services, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from kb.editorial.accounts import ANONYMOUS, Principal
from kb.errors import RateLimited
from kb.services import EditorialServices, Services
from kb.settings import Settings

__all__ = ["MAX_ROW_ID", "EditorialDep", "Offset", "PrincipalDep", "RowId", "ServicesDep", "get_principal"]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_editorial(request: Request) -> EditorialServices:
    editorial: EditorialServices = request.app.state.editorial
    return editorial


ServicesDep = Annotated[Services, Depends(get_services)]
MAX_ROW_ID = 2**31 - 1  # ids of the editorial database are 32-bit integers (PostgreSQL's integer)
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id of the editorial database.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Items to skip.")]
EditorialDep = Annotated[EditorialServices, Depends(get_editorial)]


def get_principal(
    request: Request,
    editorial: EditorialDep,
    authorization: Annotated[str | None, Header(description="Bearer <token from /v1/auth/login>")] = None,
    x_api_key: Annotated[str | None, Header(description="A partner API key")] = None,
) -> Principal:
    """A partner key (checked and rate limited per key), a bearer token, or nobody (rate limited per
    client address, ``KB_ANON_RATE_LIMIT``). Limited answers carry RateLimit-* headers. The buckets live
    in the editorial database, so every API process over it counts together."""
    if x_api_key:
        principal = editorial.accounts.from_key(x_api_key)
        _count(request, editorial, f"key:{principal.key_id}", principal.rate_limit)
        return principal
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token:
            return editorial.accounts.from_token(token.strip())
    settings: Settings = request.app.state.settings
    if settings.anon_rate_limit:
        _count(
            request, editorial, f"ip:{request.client.host if request.client else 'unknown'}", settings.anon_rate_limit
        )
    return ANONYMOUS


def _count(request: Request, editorial: EditorialServices, bucket: str, limit: int) -> None:
    try:
        remaining, reset = editorial.limiter.hit(bucket, limit)
    except RateLimited as exc:
        request.state.rate_headers = _rate_headers(limit, 0, exc.retry_after)
        raise
    request.state.rate_headers = _rate_headers(limit, remaining, reset)


def _rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(reset)}


PrincipalDep = Annotated[Principal, Depends(get_principal)]
