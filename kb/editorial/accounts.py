"""Identity: users with roles, password login with throttling, short-lived bearer tokens,
sliding sessions (a token renewed within an absolute lifetime from the sign-in, signed out
everywhere by a per-user epoch), and partner API keys (shown once, stored as HMAC digests, scoped, expiring, revocable,
rate limited per key).

User names are normalised (NFKC, case-folded, stripped) and refused when they hide characters
or mix Latin with Cyrillic or Greek letters, so ``Admin1``, ``admin1 `` and a Cyrillic ``аdmin1``
cannot stand for three people. Each account records who created it (:attr:`User.created_by`).
A login records its attempt, counted as a failure until the password proves right, before the
hash is checked, under a lock on the user name; a missing user is checked against a dummy hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from confusable_homoglyphs import confusables
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from kb.editorial.audit import aware, now, record_audit
from kb.editorial.db import Database
from kb.editorial.db.models import ApiKey, LoginAttempt, User
from kb.editorial.views import ApiKeyView, UserView
from kb.errors import AuthError, ConflictError, DataError, NotFoundError, PermissionDenied, RateLimited
from kb.settings import Settings

__all__ = ["ANONYMOUS", "ROLES", "SCOPES", "Accounts", "Principal", "normalise_username"]

ROLES = ("doctor", "curator", "editor", "admin")
SCOPES = ("read", "feed")
_WINDOW = timedelta(minutes=15)
_hasher = PasswordHasher()
KEY_PREFIX = "gk_"  # partner keys start so; a bearer credential that does is a key, not a login token
_NAME_PUNCTUATION = frozenset("._-@")
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})  # letters that look alike across these


def normalise_username(username: str) -> str:
    """The one spelling of a user name (NFKC, case-folded, stripped), or :class:`DataError` when it
    is empty or too long, holds anything but letters, digits and ``._-@`` (zero-width and control
    characters, spaces), or mixes Latin, Cyrillic and Greek letters (``аdmin1`` with a Cyrillic а)."""
    name = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold()).strip()
    if not name or len(name) > 80:
        raise DataError("a user name needs 1 to 80 characters")
    bad = [c for c in name if not (c.isalnum() or c in _NAME_PUNCTUATION)]
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
        raise DataError(f"a user name holds letters, digits and . _ - @ only, not {shown}")
    scripts = {unicodedata.name(c, "").split(" ")[0] for c in name if c.isalpha()} & _CONFUSABLE_SCRIPTS
    if len(scripts) > 1:
        raise DataError(f"a user name mixes {' and '.join(sorted(s.title() for s in scripts))} letters")
    if not name.isascii() and _latin_skeleton(name).isascii():
        raise DataError("a user name written in look-alikes of Latin letters (Cyrillic асе for ace) is refused")
    return name


def _latin_skeleton(name: str) -> str:
    """Each character replaced by the plain Latin letter or digit it is confusable with (Unicode TR39 data of
    confusable_homoglyphs), or kept: a name whose skeleton is plain ASCII reads as a Latin name."""
    out = []
    for char in name:
        found = [] if char.isascii() else confusables.is_confusable(char, preferred_aliases=["latin"]) or []
        glyphs = [h["c"] for hit in found for h in hit["homoglyphs"]]
        out.append(next((g for g in glyphs if g.isascii() and g.isalnum()), char))
    return "".join(out)


@cache
def _dummy_hash() -> str:
    """A hash of no one's password: a missing user's login costs what a real one costs."""
    return _hasher.hash(secrets.token_urlsafe(24))


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except VerificationError:
        return False


def _lock_name(s: Session, username: str) -> None:
    """Serialise logins for one name until the transaction ends: a row lock on PostgreSQL (an advisory
    lock keyed by the name); on SQLite the attempt's INSERT, the transaction's first write, takes the
    database's write lock."""
    if s.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(username.encode("utf-8"), digest_size=8).digest(), "big", signed=True)
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


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
    session_start: datetime | None = None  # a user's sign-in (claim ``auth_time``), carried over by refreshes
    session_epoch: int = 0  # the user's epoch the token carries (claim ``sv``)

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
    def create_user(
        self, username: str, password: str, role: str, *, actor: str, created_by: int | None = None
    ) -> UserView:
        """A new account; ``created_by`` is the user id of the admin who made it (none from the CLI)."""
        if role not in ROLES:
            raise DataError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
        if len(password) < 10:
            raise DataError("a password needs at least 10 characters")
        username = normalise_username(username)
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
                created_by=created_by,
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
    def login(self, username: str, password: str) -> tuple[str, datetime, datetime, str]:
        """A bearer token for a right password, with its expiry, the session's end and the role; too many
        failures in 15 minutes refuse every attempt.

        The attempt is committed first, as a failure, under a lock on the name, and only an attempt
        within the limit checks the hash; a right password then turns it into a success. So parallel
        guesses check at most ``login_max_failures`` hashes, and a missing user costs one hash too.
        """
        at = now()
        try:
            username = normalise_username(username)
        except DataError:
            username = ""  # no account has this name; it is throttled and hashed like any other
        with self.db.session() as s:
            _lock_name(s, username)
            attempt = LoginAttempt(username=username, success=False, at=at)
            s.add(attempt)
            s.flush()
            failures = list(
                s.scalars(
                    select(LoginAttempt.at)
                    .where(LoginAttempt.username == username, LoginAttempt.success.is_(False))
                    .where(LoginAttempt.at >= at - _WINDOW, LoginAttempt.id != attempt.id)
                    .order_by(LoginAttempt.at)
                )
            )
            if len(failures) >= self.settings.login_max_failures:  # refused: rolled back, not counted
                retry = max(1, int((aware(failures[0]) + _WINDOW - at).total_seconds()))
                raise RateLimited("too many failed logins; try again later", retry_after=retry)
            user = s.scalar(select(User).where(User.username == username)) if username else None
            attempt_id = attempt.id
        ok = _verify(user.password_hash if user is not None else _dummy_hash(), password)
        if not ok or user is None or not user.active:
            raise AuthError("wrong user name or password")
        with self.db.session() as s:
            s.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
        token, expires, end = self._mint(user.id, None, user.session_epoch)  # the session starts now
        return token, expires, end, user.role

    def session_end(self, start: datetime) -> datetime:
        """When a session signed in at ``start`` ends, however often its token is refreshed."""
        return start + timedelta(hours=self.settings.session_hours)

    def _mint(self, user_id: int, start: datetime | None, epoch: int) -> tuple[str, datetime, datetime]:
        """A token for ``user_id``'s session signed in at ``start`` (none: now): the idle lifetime from now,
        never past the session's end; with that expiry and the session's end."""
        at = now().replace(microsecond=0)
        start = at if start is None else start.replace(microsecond=0)
        end = self.session_end(start)
        expires = min(at + timedelta(minutes=self.settings.token_minutes), end)
        claims = {"sub": str(user_id), "iat": at, "exp": expires, "auth_time": int(start.timestamp()), "sv": epoch}
        token = jwt.encode({**claims, "jti": secrets.token_hex(8)}, self._key, algorithm="HS256")
        return token, expires, end

    def refresh(self, principal: Principal) -> tuple[str, datetime, datetime, str]:
        """A new token for a signed-in user's session (checked by :meth:`from_token`): a fresh idle
        lifetime, the same sign-in time and epoch; with its expiry, the session's end and the role."""
        user_id = principal.require_role(*ROLES)
        if principal.session_start is None or principal.role is None:
            raise AuthError("only a login token can be refreshed")
        token, expires, end = self._mint(user_id, principal.session_start, principal.session_epoch)
        return token, expires, end, principal.role

    def logout_all(self, user_id: int, *, actor: str) -> None:
        """Sign ``user_id`` out everywhere: every token minted before is refused from now on."""
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFoundError(f"no user {user_id}")
            user.session_epoch += 1
            record_audit(
                s, actor, "user.logout_all", f"user:{user.username}", after={"session_epoch": user.session_epoch}
            )

    def from_token(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self._key, algorithms=["HS256"], options={"require": ["exp", "sub", "auth_time", "sv"]}
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the token has expired; sign in again", details={"session": "expired"}) from exc
        except jwt.PyJWTError as exc:
            raise AuthError("the token is not valid") from exc
        sub, start, epoch = claims["sub"], claims["auth_time"], claims["sv"]
        if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) <= 9):
            raise AuthError("the token is not valid")  # a user id, signed by us: anything else is forged or stale
        if type(start) is not int or type(epoch) is not int or not 0 < start < 2**34:
            raise AuthError("the token is not valid")  # our tokens carry a sign-in time and an epoch
        started = datetime.fromtimestamp(start, UTC)
        if self.session_end(started) <= now():
            raise AuthError("the session has reached its time limit; sign in again", details={"session": "ended"})
        with self.db.session() as s:
            user = s.get(User, int(sub))
        if user is None or not user.active:
            raise AuthError("the token's user is not active")
        if epoch != user.session_epoch:
            raise AuthError("signed out everywhere; sign in again", details={"session": "signed_out"})
        return Principal(
            "user", user.id, user.username, user.role, user.pseudonym, session_start=started, session_epoch=epoch
        )

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
        plain = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
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


def _key_view(key: ApiKey) -> dict[str, object]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "scope": key.scope,
        "rate_limit": key.rate_limit,
        "expires_at": aware(key.expires_at).isoformat(),
        "revoked_at": aware(key.revoked_at).isoformat() if key.revoked_at else None,
    }
