"""Identity: users with roles, password login with throttling, short-lived bearer tokens,
and partner API keys (shown once, stored as HMAC digests, scoped, expiring, revocable,
rate limited per key)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import func, select

from kb.editorial.audit import aware, now, record_audit
from kb.editorial.db import Database
from kb.editorial.db.models import ApiKey, LoginAttempt, User
from kb.editorial.views import ApiKeyView, UserView
from kb.errors import AuthError, ConflictError, DataError, NotFoundError, PermissionDenied, RateLimited
from kb.settings import Settings

__all__ = ["ANONYMOUS", "ROLES", "SCOPES", "Accounts", "Principal", "RateLimiter"]

ROLES = ("doctor", "curator", "editor", "admin")
SCOPES = ("read", "feed")
_WINDOW = timedelta(minutes=15)
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in user, a partner key, or nobody."""

    kind: str  # user | key | anonymous
    user_id: int | None = None
    username: str = ""
    role: str | None = None
    pseudonym: str | None = None
    key_id: str | None = None
    scope: str | None = None
    rate_limit: int = 0

    @property
    def actor(self) -> str:
        if self.kind == "user":
            return self.username
        return f"key:{self.key_id}" if self.kind == "key" else "anonymous"

    def require_role(self, *roles: str) -> int:
        """The user id when the caller is a signed-in user with one of ``roles``."""
        if self.kind == "anonymous":
            raise AuthError("sign in first: send Authorization: Bearer <token>")
        if self.kind != "user" or self.role not in roles or self.user_id is None:
            raise PermissionDenied(f"this needs the role {' or '.join(roles)}", details={"roles": list(roles)})
        return self.user_id


ANONYMOUS = Principal("anonymous")


class Accounts:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._key = settings.signing_key()

    # -- users ----------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, role: str, *, actor: str) -> UserView:
        if role not in ROLES:
            raise DataError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
        if len(password) < 10:
            raise DataError("a password needs at least 10 characters")
        if not username or len(username) > 80:
            raise DataError("a user name needs 1 to 80 characters")
        with self.db.session() as s:
            if s.scalar(select(User).where(User.username == username)) is not None:
                raise ConflictError(f"user {username!r} exists")
            user = User(
                username=username,
                password_hash=_hasher.hash(password),
                role=role,
                active=True,
                pseudonym=secrets.token_hex(16),
                search_opt_out=False,
                created_at=now(),
            )
            s.add(user)
            s.flush()
            record_audit(s, actor, "user.create", f"user:{username}", after={"username": username, "role": role})
            return UserView.of(user)

    def users(self) -> list[UserView]:
        with self.db.session() as s:
            return [UserView.of(u) for u in s.scalars(select(User).order_by(User.id))]

    def count_admins(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(User).where(User.role == "admin")) or 0)

    # -- login and tokens -----------------------------------------------------------------------
    def login(self, username: str, password: str) -> tuple[str, datetime, str]:
        """A bearer token for a right password; too many failures in 15 minutes refuse every attempt."""
        at = now()
        with self.db.session() as s:
            since = at - _WINDOW
            failures = list(
                s.scalars(
                    select(LoginAttempt.at)
                    .where(LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
                    .order_by(LoginAttempt.at)
                )
            )
            if len(failures) >= self.settings.login_max_failures:
                oldest = aware(failures[0])
                retry = max(1, int((oldest + _WINDOW - at).total_seconds()))
                raise RateLimited("too many failed logins; try again later", retry_after=retry)
            user = s.scalar(select(User).where(User.username == username))
            ok = False
            if user is not None and user.active:
                try:
                    ok = _hasher.verify(user.password_hash, password)
                except VerificationError:
                    ok = False
            s.add(LoginAttempt(username=username, success=ok, at=at))
        if not ok or user is None:
            raise AuthError("wrong user name or password")
        expires = at + timedelta(minutes=self.settings.token_minutes)
        token = jwt.encode({"sub": str(user.id), "iat": at, "exp": expires}, self._key, algorithm="HS256")
        return token, expires, user.role

    def from_token(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the token has expired; sign in again") from exc
        except jwt.PyJWTError as exc:
            raise AuthError("the token is not valid") from exc
        with self.db.session() as s:
            user = s.get(User, int(claims["sub"]))
        if user is None or not user.active:
            raise AuthError("the token's user is not active")
        return Principal("user", user.id, user.username, user.role, user.pseudonym)

    # -- API keys -------------------------------------------------------------------------------
    def _digest(self, key: str) -> str:
        return hmac.new(self._key, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def create_key(
        self, name: str, scope: str, *, days: int, actor: Principal, rate_limit: int | None = None
    ) -> tuple[ApiKeyView, str]:
        """A new key; the returned plain key is shown once and never stored."""
        admin = actor.require_role("admin")
        if scope not in SCOPES:
            raise DataError(f"unknown scope {scope!r}; choose from {', '.join(SCOPES)}")
        key_id = secrets.token_hex(6)
        plain = f"gk_{key_id}_{secrets.token_urlsafe(24)}"
        with self.db.session() as s:
            key = ApiKey(
                key_id=key_id,
                digest=self._digest(plain),
                name=name,
                scope=scope,
                rate_limit=rate_limit or self.settings.key_rate_limit,
                expires_at=now() + timedelta(days=days),
                created_by=admin,
                created_at=now(),
            )
            s.add(key)
            record_audit(s, actor.actor, "key.create", f"key:{key_id}", after=_key_view(key))
            return ApiKeyView.of(key), plain

    def revoke_key(self, key_id: str, *, actor: Principal) -> ApiKeyView:
        actor.require_role("admin")
        with self.db.session() as s:
            key = s.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
            if key is None:
                raise NotFoundError(f"no API key {key_id!r}")
            if key.revoked_at is not None:
                raise ConflictError(f"API key {key_id!r} is already revoked")
            before = _key_view(key)
            key.revoked_at = now()
            record_audit(s, actor.actor, "key.revoke", f"key:{key_id}", before=before, after=_key_view(key))
            return ApiKeyView.of(key)

    def api_keys(self) -> list[ApiKeyView]:
        with self.db.session() as s:
            return [ApiKeyView.of(k) for k in s.scalars(select(ApiKey).order_by(ApiKey.id))]

    def from_key(self, plain: str) -> Principal:
        parts = plain.split("_")
        if len(parts) < 3 or parts[0] != "gk":
            raise AuthError("the API key is not valid")
        with self.db.session() as s:
            key = s.scalar(select(ApiKey).where(ApiKey.key_id == parts[1]))
        if key is None or not hmac.compare_digest(key.digest, self._digest(plain)):
            raise AuthError("the API key is not valid")
        if key.revoked_at is not None:
            raise AuthError("the API key has been revoked")
        if aware(key.expires_at) <= now():
            raise AuthError("the API key has expired")
        return Principal("key", key_id=key.key_id, scope=key.scope, rate_limit=key.rate_limit)


class RateLimiter:
    """A token bucket per key (per process): ``limit`` requests in a burst, refilled at ``limit`` a minute.

    Unlike a fixed window, it never allows twice the limit around a minute boundary, and a client
    that spaces its requests evenly is never refused.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, when)

    def hit(self, key_id: str, limit: int) -> tuple[int, int]:
        """(remaining, seconds until the bucket is full) after this request; raises
        :class:`RateLimited` (with the seconds until one request is allowed) past the limit."""
        rate = limit / 60.0
        now = self._clock()
        with self._lock:
            tokens, when = self._buckets.get(key_id, (float(limit), now))
            tokens = min(float(limit), tokens + (now - when) * rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / rate)
                raise RateLimited(f"the key's limit of {limit} requests a minute is used up", retry_after=wait)
            tokens -= 1.0
            self._buckets[key_id] = (tokens, now)
        return int(tokens), math.ceil((limit - tokens) / rate)


def _key_view(key: ApiKey) -> dict[str, object]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "scope": key.scope,
        "rate_limit": key.rate_limit,
        "expires_at": aware(key.expires_at).isoformat(),
        "revoked_at": aware(key.revoked_at).isoformat() if key.revoked_at else None,
    }
