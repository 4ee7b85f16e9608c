"""Dependency aliases for the routes: the services, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from kb.editorial.accounts import ANONYMOUS, Principal
from kb.errors import RateLimited
from kb.services import EditorialServices, Services

__all__ = ["EditorialDep", "PrincipalDep", "ServicesDep", "get_principal"]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_editorial(request: Request) -> EditorialServices:
    editorial: EditorialServices = request.app.state.editorial
    return editorial


ServicesDep = Annotated[Services, Depends(get_services)]
EditorialDep = Annotated[EditorialServices, Depends(get_editorial)]


def get_principal(
    request: Request,
    editorial: EditorialDep,
    authorization: Annotated[str | None, Header(description="Bearer <token from /v1/auth/login>")] = None,
    x_api_key: Annotated[str | None, Header(description="A partner API key")] = None,
) -> Principal:
    """A partner key (checked and rate limited, RateLimit-* headers on the answer), a bearer token, or nobody."""
    if x_api_key:
        principal = editorial.accounts.from_key(x_api_key)
        assert principal.key_id is not None
        limit = principal.rate_limit
        try:
            remaining, reset = editorial.limiter.hit(principal.key_id, limit)
        except RateLimited as exc:
            request.state.rate_headers = _rate_headers(limit, 0, exc.retry_after)
            raise
        request.state.rate_headers = _rate_headers(limit, remaining, reset)
        return principal
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token:
            return editorial.accounts.from_token(token.strip())
    return ANONYMOUS


def _rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(reset)}


PrincipalDep = Annotated[Principal, Depends(get_principal)]
