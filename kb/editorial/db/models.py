"""The editorial database: accounts, keys, curated entries, the workflow, the audit log,
the change feed, webhooks, follows and the search log (SQLAlchemy 2, typed mappings).

It is the source of truth for curated content; the search store is derived from it
(an accepted submission is written to the store when it is accepted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "Change",
    "Comment",
    "Delivery",
    "Entry",
    "FeedToken",
    "FeedVisit",
    "Follow",
    "LoginAttempt",
    "RateBucket",
    "SearchLog",
    "Submission",
    "User",
    "Webhook",
]


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # doctor | curator | editor | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)  # the only id searches and follows carry
    search_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # the admin who created the account (none from the CLI): they may not accept each other's work
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # carried by every login token (claim ``sv``); signing out everywhere adds one (migration 0008)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(index=True)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)  # the public part of the key
    digest: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 of the whole key; the key itself is not kept
    name: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(String(16))  # read | feed
    rate_limit: Mapped[int] = mapped_column(Integer)  # requests per minute
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Entry(Base):
    """The published version of a curated record (evidence, test item, vocabulary entry)."""

    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # evidence | test | gene | tumor | drug
    key: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Submission(Base):
    """A proposed change to one entry: draft -> submitted -> accepted | rejected."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
    base_version: Mapped[int] = mapped_column(Integer)  # the entry version it was written against (0: new)
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the ETag
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    flag: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only: who, when, what, the before and after, and why. Nothing updates or deletes it."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(240))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")


class Change(Base):
    """One published change, in order; the id is the partner feed's cursor."""

    __tablename__ = "changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))  # published
    entry_version: Mapped[int] = mapped_column(Integer)
    data_version: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]


class Webhook(Base):
    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))  # signs each delivery (HMAC-SHA256)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "change_id"), Index("deliveries_due", "status", "next_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"))
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"))
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("pseudonym", "kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # gene | tumor | drug
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class FeedToken(Base):
    """A doctor's secret Atom feed URL: the SHA-256 of its random token against the pseudonym, one per doctor
    (rotating replaces it, revoking deletes it; migration 0007)."""

    __tablename__ = "feed_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class SearchLog(Base):
    """Searches, against a pseudonym (or none); read only as aggregates. What a search understood is kept,
    never its text: the ids of the concepts it resolved and the words it left unresolved (migration 0003)."""

    __tablename__ = "search_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    concepts: Mapped[list[str]] = mapped_column(JSON, default=list)  # type:id of the written concepts
    unresolved: Mapped[list[str]] = mapped_column(JSON, default=list)  # whole words no concept matched, folded
    results: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(index=True)


class RateBucket(Base):
    """A token bucket of the rate limits (``kb.editorial.limits``), shared by every API process."""

    __tablename__ = "rate_buckets"
    bucket: Mapped[str] = mapped_column(String(120), primary_key=True)  # key:<id> | ip:<address> | login:<address>
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float, index=True)  # Unix time of the last change


class FeedVisit(Base):
    """When a reader last marked "new for you" as read (migration 0009): the next visit says what is new since."""

    __tablename__ = "feed_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    seen_at: Mapped[datetime]
