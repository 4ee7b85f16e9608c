"""What the editorial services hand out: frozen dataclasses built from the database rows
inside the session that read them, so no ORM row (and no lazy load) leaves :mod:`kb.editorial`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kb.editorial.audit import aware
from kb.editorial.db.models import ApiKey, AuditEntry, Change, Comment, Follow, Submission, User, Webhook

__all__ = [
    "ApiKeyView",
    "AuditView",
    "ChangeView",
    "CommentView",
    "FollowView",
    "SubmissionView",
    "UserView",
    "WebhookView",
]


@dataclass(frozen=True, slots=True)
class SubmissionView:
    id: int
    kind: str
    key: str
    data: dict[str, Any]
    base_version: int
    state: str
    version: int
    reason: str
    author_id: int
    reviewer_id: int | None
    review_comment: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Submission) -> SubmissionView:
        return cls(
            row.id, row.kind, row.key, dict(row.data), row.base_version, row.state, row.version, row.reason,
            row.author_id, row.reviewer_id, row.review_comment, aware(row.created_at), aware(row.updated_at),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class CommentView:
    id: int
    submission_id: int
    author_id: int
    text: str
    flag: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Comment) -> CommentView:
        return cls(row.id, row.submission_id, row.author_id, row.text, row.flag, aware(row.created_at))


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One published change; ``data_version`` is the store's version once the change was applied."""

    id: int
    at: datetime
    kind: str
    key: str
    action: str
    entry_version: int
    data_version: str
    data: dict[str, Any]

    @classmethod
    def of(cls, row: Change) -> ChangeView:
        return cls(
            row.id, aware(row.at), row.kind, row.key, row.action, row.entry_version, row.data_version, dict(row.data)
        )


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str

    @classmethod
    def of(cls, row: AuditEntry) -> AuditView:
        return cls(row.id, aware(row.at), row.actor, row.action, row.target, row.before, row.after, row.reason)


@dataclass(frozen=True, slots=True)
class FollowView:
    kind: str
    key: str
    created_at: datetime

    @classmethod
    def of(cls, row: Follow) -> FollowView:
        return cls(row.kind, row.key, aware(row.created_at))


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    role: str
    active: bool

    @classmethod
    def of(cls, row: User) -> UserView:
        return cls(row.id, row.username, row.role, row.active)


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    key_id: str
    name: str
    scope: str
    rate_limit: int
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyView:
        revoked = aware(row.revoked_at) if row.revoked_at is not None else None
        return cls(row.key_id, row.name, row.scope, row.rate_limit, aware(row.expires_at), revoked)


@dataclass(frozen=True, slots=True)
class WebhookView:
    id: int
    url: str
    active: bool

    @classmethod
    def of(cls, row: Webhook) -> WebhookView:
        return cls(row.id, row.url, row.active)
