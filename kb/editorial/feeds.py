"""Feeds a doctor can subscribe to: the secret per-doctor feed token and the items of a doctor's or a topic's feed.

A doctor's feed URL carries a random token (32 bytes, URL-safe). The database keeps its SHA-256 against the
doctor's pseudonym, never the token: the token is shown once, when it is created or rotated. One token per
doctor; rotating replaces it, revoking deletes it, and an unknown, replaced or revoked token (or a deactivated
account's) is not found. The feed a token opens is the "new for you" feed of that pseudonym and no other.

The page marks the feed as read when a reader has seen it (one row per pseudonym: when); the next visit calls what
came after it new.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from kb.editorial.accounts import Principal
from kb.editorial.audit import aware, now, record_audit
from kb.editorial.db import Database
from kb.editorial.db.models import FeedToken, FeedVisit, User
from kb.editorial.follows import PRIVATE_ACTOR, READERS, FeedItem, Follows
from kb.errors import DataError, NotFoundError
from kb.kinds import FOLLOWED
from kb.store.base import Backend

__all__ = ["FeedTokenView", "Feeds"]


@dataclass(frozen=True, slots=True)
class FeedTokenView:
    """A doctor's feed token: ``token`` is the plain token right after it is made, "" afterwards."""

    token: str
    created_at: datetime
    feed_id: str  # stable id of the feed while the token lives (a prefix of its digest)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Feeds:
    def __init__(self, db: Database, follows: Follows) -> None:
        self.db = db
        self.follows = follows

    def rotate_token(self, actor: Principal) -> FeedTokenView:
        """A new feed token for the signed-in reader; the one before (if any) stops working."""
        actor.require_role(*READERS)
        pseudonym = actor.pseudonym or ""
        token = secrets.token_urlsafe(32)
        digest = _digest(token)
        with self.db.session() as s:
            row = s.scalar(select(FeedToken).where(FeedToken.pseudonym == pseudonym))
            if row is None:
                row = FeedToken(pseudonym=pseudonym, digest=digest, created_at=now())
                s.add(row)
            else:
                row.digest, row.created_at = digest, now()
            record_audit(s, PRIVATE_ACTOR, "feed_token.rotate", "privacy:feed-token")
            created = row.created_at
        return FeedTokenView(token, aware(created), digest[:16])

    def token_of(self, actor: Principal) -> FeedTokenView:
        """When the reader's current token was made (never the token itself)."""
        actor.require_role(*READERS)
        with self.db.session() as s:
            row = s.scalar(select(FeedToken).where(FeedToken.pseudonym == (actor.pseudonym or "")))
            if row is None:
                raise NotFoundError("you have no feed URL; create one first")
            return FeedTokenView("", aware(row.created_at), row.digest[:16])

    def revoke_token(self, actor: Principal) -> None:
        actor.require_role(*READERS)
        with self.db.session() as s:
            gone = s.execute(delete(FeedToken).where(FeedToken.pseudonym == (actor.pseudonym or "")))
            if not getattr(gone, "rowcount", 0):
                raise NotFoundError("you have no feed URL to revoke")
            record_audit(s, PRIVATE_ACTOR, "feed_token.revoke", "privacy:feed-token")

    # -- "new for you" since the last visit ------------------------------------------------------
    def last_visit(self, actor: Principal) -> datetime | None:
        """When the reader last marked the feed as read (None: never)."""
        actor.require_role(*READERS)
        with self.db.session() as s:
            seen = s.scalar(select(FeedVisit.seen_at).where(FeedVisit.pseudonym == (actor.pseudonym or "")))
        return aware(seen) if seen is not None else None

    def mark_seen(self, actor: Principal) -> datetime:
        """Mark the reader's feed as read now: the next visit calls what came after it new."""
        actor.require_role(*READERS)
        pseudonym, at = actor.pseudonym or "", now()
        with self.db.session() as s:
            row = s.scalar(select(FeedVisit).where(FeedVisit.pseudonym == pseudonym))
            if row is None:
                s.add(FeedVisit(pseudonym=pseudonym, seen_at=at))
            else:
                row.seen_at = at
        return aware(at)

    def feed_of_token(self, token: str, index: Backend, *, limit: int = 50) -> tuple[FeedTokenView, list[FeedItem]]:
        """The token's feed: the "new for you" items of the one reader it belongs to."""
        digest = _digest(token)
        with self.db.session() as s:
            row = s.execute(
                select(FeedToken.pseudonym, FeedToken.created_at)
                .join(User, User.pseudonym == FeedToken.pseudonym)
                .where(FeedToken.digest == digest, User.active)
            ).first()
        if row is None:
            raise NotFoundError("no such feed (the link was revoked or replaced)")
        pseudonym, created = row
        return FeedTokenView("", aware(created), digest[:16]), self.follows.feed_of(pseudonym, index, limit=limit)

    def topic_feed(
        self, kind: str, key: str, index: Backend, *, exists: Callable[[str, str], bool], limit: int = 20
    ) -> list[FeedItem]:
        """A public topic's newest accepted evidence, then its newest articles (by first ingestion)."""
        if kind not in FOLLOWED:
            raise DataError(f"a feed is for a {', '.join(FOLLOWED)}, not {kind!r}", details={"kinds": list(FOLLOWED)})
        if not exists(kind, key):
            raise NotFoundError(f"no {kind} {key!r}")
        items = self.follows.topic_evidence(kind, key, limit=limit)
        topic = f"{kind}:{key}"
        items.extend(FeedItem("article", topic, article=a) for a in index.newest_articles([topic], limit=limit))
        return items
