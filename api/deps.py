"""Dependency aliases for the routes: the services, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from kb.editorial.accounts import ANONYMOUS, KEY_PREFIX, Principal
from kb.errors import AuthError, RateLimited
from kb.services import EditorialServices, Services
from kb.settings import Settings

__all__ = [
    "MAX_ROW_ID",
    "EditorialDep",
    "Offset",
    "PrincipalDep",
    "RowId",
    "ServicesDep",
    "charge_items",
    "get_principal",
]


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
    in the editorial database, so every API process over it counts together; anonymous reads take their
    tokens a lease at a time, so most of them make no database write."""
    scheme, _, token = (authorization or "").partition(" ")
    if not x_api_key and scheme.lower() == "bearer" and token.strip().startswith(KEY_PREFIX):
        x_api_key = token.strip()  # OncoKB's clients send their key as a bearer token
    if x_api_key:
        principal = editorial.accounts.from_key(x_api_key)
        _count(request, editorial, f"key:{principal.key_id}", principal.rate_limit)
        return principal
    if authorization and scheme.lower() == "bearer" and token:
        return editorial.accounts.from_token(token.strip())
    settings: Settings = request.app.state.settings
    if settings.anon_rate_limit:
        address = request.client.host if request.client else "unknown"
        _count(request, editorial, f"ip:{address}", settings.anon_rate_limit, leased=True)
    return ANONYMOUS


def charge_items(request: Request, principal: Principal, items: int) -> None:
    """A batch costs its caller one request per item (the request itself paid for one): a partner key from its
    own limit, a signed-in user from ``KB_KEY_RATE_LIMIT`` per user. Anonymous callers can't send batches."""
    editorial: EditorialServices = request.app.state.editorial
    settings: Settings = request.app.state.settings
    if principal.kind == "anonymous":
        raise AuthError("batch annotation needs a partner key: send Authorization: Bearer <key> or X-API-Key")
    if principal.kind == "key":
        bucket, limit, cost = f"key:{principal.key_id}", principal.rate_limit, items - 1
    else:
        bucket, limit, cost = f"user:{principal.user_id}", settings.key_rate_limit, items
    if cost <= 0:
        return
    try:
        _count(request, editorial, bucket, limit, cost=cost)
    except RateLimited:
        if principal.kind == "key":  # a refused batch costs nothing: so a retry after Retry-After goes through
            editorial.limiter.give_back(bucket, limit)
        raise


def _count(
    request: Request, editorial: EditorialServices, bucket: str, limit: int, *, cost: int = 1, leased: bool = False
) -> None:
    """Take ``cost`` tokens of ``bucket``; ``leased`` (anonymous reads) from this process's lease of it."""
    limiter = editorial.limiter
    try:
        if leased:
            remaining, reset = limiter.hit_leased(bucket, limit)
        else:
            remaining, reset = limiter.hit(bucket, limit, cost=cost)
    except RateLimited as exc:
        request.state.rate_headers = _rate_headers(limit, 0, exc.retry_after)
        raise
    request.state.rate_headers = _rate_headers(limit, remaining, reset)


def _rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(reset)}


PrincipalDep = Annotated[Principal, Depends(get_principal)]
