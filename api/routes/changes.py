"""The partner change feed and webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import MAX_ROW_ID, EditorialDep, PrincipalDep
from api.editorial_schemas import ChangeOut, ChangesOut, WebhookIn, WebhookOut
from api.errors import ErrorResponse
from kb.editorial.accounts import Principal
from kb.editorial.webhooks import register_webhook
from kb.errors import AuthError, DataError, PermissionDenied

router = APIRouter(prefix="/v1", tags=["changes"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorResponse} for code in (400, 401, 403, 422, 429)}


def _feed_reader(principal: Principal) -> None:
    if principal.kind == "key":
        if principal.scope != "feed":
            raise PermissionDenied("this key's scope is read; the change feed needs a key with scope feed")
        return
    if principal.kind == "anonymous":
        raise AuthError("send X-API-Key with a feed key (or sign in as an editor)")
    principal.require_role("editor", "admin")


@router.get("/changes", response_model=ChangesOut, responses=_ERRORS)
def changes(
    editorial: EditorialDep,
    principal: PrincipalDep,
    since: Annotated[
        str, Query(max_length=20, description="The cursor of the last change you have; 0 from the start.")
    ] = "0",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangesOut:
    """Published changes in order, each with the data version it produced (feed keys, editors)."""
    _feed_reader(principal)
    if not (since.isascii() and since.isdigit()) or int(since) > MAX_ROW_ID:
        raise DataError("since is a cursor from an earlier answer (a number)")
    out = [
        ChangeOut(
            cursor=str(c.id),
            at=c.at,
            kind=c.kind,
            key=c.key,
            action=c.action,
            entry_version=c.entry_version,
            data_version=c.data_version,
            data=c.data,
        )
        for c in editorial.editorial.changes(int(since), limit)
    ]
    return ChangesOut(changes=out, next=out[-1].cursor if out else since)


@router.post("/webhooks", response_model=WebhookOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def create_webhook(body: WebhookIn, editorial: EditorialDep, principal: PrincipalDep) -> WebhookOut:
    """Register a URL that receives every published change (admin): POSTed as JSON, signed with
    ``X-Genekb-Signature: sha256=<HMAC of "<X-Genekb-Timestamp>.<Idempotency-Key>.<body>" with the secret>``,
    retried with backoff until it answers 2xx, in order. The URL must resolve to public addresses only."""
    hook, secret = register_webhook(editorial.db, body.url, principal, allow_loopback=editorial.webhooks.allow_loopback)
    return WebhookOut(id=hook.id, url=hook.url, secret=secret)
