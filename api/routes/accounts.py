"""Sign-in, users (admin) and partner API keys (admin)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import EditorialDep, PrincipalDep, RowId
from api.editorial_schemas import KeyIn, KeyOut, LoginIn, PrivacyIn, TokenOut, UserIn, UserOut
from api.errors import ErrorResponse
from kb.editorial.accounts import ROLES
from kb.editorial.views import ApiKeyView

router = APIRouter(prefix="/v1", tags=["accounts"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 422, 429)
}


@router.post("/auth/login", response_model=TokenOut, responses=_ERRORS)
def login(body: LoginIn, editorial: EditorialDep) -> TokenOut:
    """A short-lived bearer token; repeated failures for a user name are refused for 15 minutes (429)."""
    token, expires, end, role = editorial.accounts.login(body.username, body.password)
    return TokenOut(token=token, expires_at=expires, role=role, session_expires_at=end)


@router.post("/auth/refresh", response_model=TokenOut, responses=_ERRORS)
def refresh(editorial: EditorialDep, principal: PrincipalDep) -> TokenOut:
    """A new token for the caller's still valid one: a fresh idle lifetime (`KB_TOKEN_MINUTES`), never past
    the session's end (`KB_SESSION_HOURS` from the sign-in)."""
    token, expires, end, role = editorial.accounts.refresh(principal)
    return TokenOut(token=token, expires_at=expires, role=role, session_expires_at=end)


@router.post("/auth/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
def logout_all(editorial: EditorialDep, principal: PrincipalDep) -> None:
    """Sign out everywhere: every token of the caller's account, this one included, answers 401 from now on."""
    user_id = principal.require_role(*ROLES)
    editorial.accounts.logout_all(user_id, actor=principal.actor)


@router.post("/users/{user_id}/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
def logout_user_everywhere(user_id: RowId, editorial: EditorialDep, principal: PrincipalDep) -> None:
    """Sign an account out everywhere (admin): its tokens answer 401 until it signs in again."""
    principal.require_role("admin")
    editorial.accounts.logout_all(user_id, actor=principal.actor)


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def create_user(body: UserIn, editorial: EditorialDep, principal: PrincipalDep) -> UserOut:
    """Create an account (admin)."""
    admin = principal.require_role("admin")
    user = editorial.accounts.create_user(
        body.username, body.password, body.role, actor=principal.actor, created_by=admin
    )
    return UserOut(id=user.id, username=user.username, role=user.role, active=user.active)


@router.post("/keys", response_model=KeyOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def create_key(body: KeyIn, editorial: EditorialDep, principal: PrincipalDep) -> KeyOut:
    """A partner API key (admin). The key is in this answer only; genekb keeps an HMAC digest of it."""
    key, plain = editorial.accounts.create_key(
        body.name, body.scope, days=body.days, actor=principal, rate_limit=body.rate_limit
    )
    return _key_out(key, plain)


@router.get("/keys", response_model=list[KeyOut], responses=_ERRORS)
def list_keys(editorial: EditorialDep, principal: PrincipalDep) -> list[KeyOut]:
    """Every key, without the keys themselves (admin)."""
    principal.require_role("admin")
    return [_key_out(k) for k in editorial.accounts.api_keys()]


@router.delete("/keys/{key_id}", response_model=KeyOut, responses=_ERRORS)
def revoke_key(key_id: str, editorial: EditorialDep, principal: PrincipalDep) -> KeyOut:
    """Revoke a key at once (admin)."""
    return _key_out(editorial.accounts.revoke_key(key_id, actor=principal))


@router.put("/me/privacy", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
def privacy(body: PrivacyIn, editorial: EditorialDep, principal: PrincipalDep) -> None:
    """Opt out of (or back into) the pseudonymous search log; opting out deletes what was kept."""
    editorial.follows.set_opt_out(principal, body.opt_out)


def _key_out(key: ApiKeyView, plain: str | None = None) -> KeyOut:
    return KeyOut(
        key_id=key.key_id,
        name=key.name,
        scope=key.scope,
        rate_limit=key.rate_limit,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        key=plain,
    )
