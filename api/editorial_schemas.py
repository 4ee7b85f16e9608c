"""Request and response schemas of the editorial, account, feed and follow endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AuditOut",
    "ChangeOut",
    "ChangesOut",
    "CommentIn",
    "CommentOut",
    "DiffOut",
    "EntryOut",
    "FeedItemOut",
    "FeedOut",
    "FollowIn",
    "FollowOut",
    "GapsOut",
    "KeyIn",
    "KeyOut",
    "LoginIn",
    "PrivacyIn",
    "ReviewIn",
    "SubmissionIn",
    "SubmissionOut",
    "SubmissionUpdate",
    "TokenOut",
    "UserIn",
    "UserOut",
    "WebhookIn",
    "WebhookOut",
]


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime = Field(description="when this token lapses unless refreshed (the idle lifetime)")
    role: str
    session_expires_at: datetime | None = Field(
        default=None, description="when the session ends, counted from the sign-in: refreshing goes no further"
    )


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=10, max_length=200)
    role: str = Field(description="doctor | curator | editor | admin")


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    active: bool


class KeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    scope: str = Field(description="read | feed")
    days: int = Field(default=365, ge=1, le=3650, description="Days until the key expires.")
    rate_limit: int | None = Field(default=None, ge=1, le=100000, description="Requests per minute.")


class KeyOut(BaseModel):
    key_id: str
    name: str
    scope: str
    rate_limit: int
    expires_at: datetime
    revoked_at: datetime | None = None
    key: str | None = Field(default=None, description="The key itself: shown once, at creation, never again.")


class SubmissionIn(BaseModel):
    kind: str = Field(description="evidence | test | gene | tumor | drug")
    key: str = Field(
        min_length=1, max_length=200, description="The record's id: evidence id, test id, symbol, code, INN"
    )
    data: dict[str, Any] = Field(description="The whole proposed record, as the entity endpoints return it.")
    reason: str = Field(default="", max_length=2000)


class SubmissionUpdate(BaseModel):
    data: dict[str, Any]
    reason: str = Field(default="", max_length=2000)


class ReviewIn(BaseModel):
    comment: str = Field(default="", max_length=2000)


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    flag: bool = Field(default=False, description="Flag the submission for attention.")


class CommentOut(BaseModel):
    id: int
    author_id: int
    author: str = Field(default="", description="the commenter's user name")
    text: str
    flag: bool
    created_at: datetime


class DiffOut(BaseModel):
    field: str
    before: Any = None
    after: Any = None


class SubmissionOut(BaseModel):
    id: int
    kind: str
    key: str
    state: str = Field(description="draft | submitted | accepted | rejected")
    version: int = Field(description="Also the ETag; send it back in If-Match.")
    base_version: int
    author_id: int
    reviewer_id: int | None
    author: str = Field(default="", description="the author's user name")
    reviewer: str = Field(default="", description="the reviewer's user name, once accepted or rejected")
    summary: str = Field(default="", description="the entry in one Chinese line (evidence in words, else its name)")
    reason: str
    review_comment: str
    data: dict[str, Any]
    diff: list[DiffOut] = Field(default_factory=list, description="Field by field, published -> proposed.")
    comments: list[CommentOut] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    live: bool | None = Field(
        default=None,
        description="accepted (in the answers about one submission): whether search and the pages show it yet "
        "(false while the store write waits for a retry); null before it is accepted, and in lists",
    )
    live_at: str = Field(default="", description="the store's data version at which it went live; empty until then")


class EntryOut(BaseModel):
    kind: str
    key: str
    version: int = Field(description="0 while the record has only its ingested version")
    data: dict[str, Any]


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    history: str | None = Field(default=None, description="an entry.publish row: the entry's history")


class ChangeOut(BaseModel):
    cursor: str
    at: datetime
    kind: str
    key: str
    action: str
    entry_version: int
    data_version: str
    data: dict[str, Any]


class ChangesOut(BaseModel):
    changes: list[ChangeOut]
    next: str = Field(description="Pass as since= to get what comes after.")


class WebhookIn(BaseModel):
    url: str = Field(min_length=8, max_length=500)


class WebhookOut(BaseModel):
    id: int
    url: str
    secret: str | None = Field(default=None, description="Signs deliveries (HMAC-SHA256); shown once.")


class FollowIn(BaseModel):
    kind: str = Field(description="gene | tumor | drug | biomarker | reading_list")
    key: str = Field(min_length=1, max_length=200)


class FollowOut(BaseModel):
    kind: str
    key: str
    since: datetime


class FeedItemOut(BaseModel):
    type: str = Field(description="evidence | article | reading_list (a followed reading list was edited)")
    topic: str
    pmid: str | None = None
    title: str | None = None
    year: int | None = None
    evidence_id: str | None = None
    reading_list_id: str | None = Field(default=None, description="a reading_list item: the list's id")
    published_at: datetime | None = None
    new: bool = Field(default=True, description="published or taken in after your last visit (last_visit)")
    first_ingested: datetime | None = Field(default=None, description="an article: when the library first held it")
    text_zh: str = Field(description="what changed, in a Chinese sentence (新增证据：EGFR C797S 对奥希替尼耐药（B级）)")
    text_en: str = Field(description="the same sentence in English")


class FeedOut(BaseModel):
    follows: list[FollowOut]
    items: list[FeedItemOut]
    last_visit: datetime | None = Field(
        default=None, description="when you last marked the feed as read (POST /v1/feed/seen); null: never"
    )
    new: int = Field(default=0, description="how many of the items came after last_visit (all of them: never read)")


class FeedTokenOut(BaseModel):
    """Your secret Atom feed URL: ``url`` and ``token`` only in the answer that made them (they are not kept)."""

    url: str | None = Field(default=None, description="the feed's URL, shown once; keep it private")
    token: str | None = Field(default=None, description="the secret in the URL, shown once")
    created_at: datetime
    feed_id: str = Field(description="the feed's stable id while the token lives")


class PrivacyIn(BaseModel):
    opt_out: bool = Field(description="Stop keeping my searches (and delete the kept ones).")


class GapsOut(BaseModel):
    """Aggregates only: (term, searches) pairs, each searched by at least ``min_doctors`` distinct doctors."""

    zero_result_queries: list[tuple[str, int]] = Field(
        description="searches that found nothing, as their concept ids and unresolved words (never the text)"
    )
    unresolved_terms: list[tuple[str, int]] = Field(
        default_factory=list, description="whole words no concept matched, as the query parser left them"
    )
    top_terms: list[tuple[str, int]] = Field(description="the most searched concepts (type:id)")
    min_doctors: int = Field(default=1, description="distinct doctors who searched a term before it is listed")
