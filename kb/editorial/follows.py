"""Doctors' follows and "new for you" feed, the pseudonymous search log and the editors'
content-gap report (aggregates only: no per-doctor data leaves the database)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from kb.analysis import analyze
from kb.domain import Article
from kb.editorial.accounts import Principal
from kb.editorial.audit import now, record_audit
from kb.editorial.db import Database
from kb.editorial.db.models import Change, Follow, SearchLog, User
from kb.editorial.publish import PENDING
from kb.editorial.views import ChangeView, FollowView
from kb.errors import DataError, NotFoundError
from kb.kinds import FOLLOWED, KINDS
from kb.store.base import ArticleFilter, Backend

__all__ = ["FeedItem", "Follows"]

READERS = ("doctor", "curator", "editor", "admin")


@dataclass(frozen=True, slots=True)
class FeedItem:
    type: str  # article | evidence
    topic: str  # gene:EGFR
    article: Article | None = None
    change: ChangeView | None = None


class Follows:
    def __init__(self, db: Database, *, retention_days: int) -> None:
        self.db = db
        self.retention_days = retention_days
        self._purged: datetime | None = None

    def follow(self, actor: Principal, kind: str, key: str, *, exists: Callable[[str, str], bool]) -> FollowView:
        """Follow a record of a followed kind that ``exists``."""
        actor.require_role(*READERS)
        if kind not in FOLLOWED:
            raise DataError(f"follow a {', '.join(FOLLOWED)}, not {kind!r}", details={"kinds": list(FOLLOWED)})
        if not exists(kind, key):
            raise NotFoundError(f"no {kind} {key!r}")
        with self.db.session() as s:
            found = s.scalar(
                select(Follow).where(Follow.pseudonym == actor.pseudonym, Follow.kind == kind, Follow.key == key)
            )
            if found is not None:
                return FollowView.of(found)
            row = Follow(pseudonym=actor.pseudonym or "", kind=kind, key=key, created_at=now())
            s.add(row)
            s.flush()
            record_audit(s, f"pseudonym:{actor.pseudonym}", "follow.add", f"{kind}:{key}")
            return FollowView.of(row)

    def unfollow(self, actor: Principal, kind: str, key: str) -> None:
        actor.require_role(*READERS)
        with self.db.session() as s:
            row = s.scalar(
                select(Follow).where(Follow.pseudonym == actor.pseudonym, Follow.kind == kind, Follow.key == key)
            )
            if row is None:
                raise NotFoundError(f"you do not follow {kind}:{key}")
            s.delete(row)
            record_audit(s, f"pseudonym:{actor.pseudonym}", "follow.remove", f"{kind}:{key}")

    def following(self, actor: Principal) -> list[FollowView]:
        actor.require_role(*READERS)
        with self.db.session() as s:
            rows = s.scalars(select(Follow).where(Follow.pseudonym == actor.pseudonym).order_by(Follow.id))
            return [FollowView.of(f) for f in rows]

    def feed(self, actor: Principal, index: Backend, *, limit: int = 20) -> list[FeedItem]:
        """Newly accepted evidence and the newest tagged articles (highest PMIDs) of the followed topics."""
        follows = self.following(actor)
        topics = [f"{f.kind}:{f.key}" for f in follows]
        items: list[FeedItem] = []
        with self.db.session() as s:
            for f in follows:
                field = KINDS[f.kind].follow_field
                changes = s.scalars(
                    select(Change)
                    .where(Change.kind == "evidence", Change.at >= f.created_at, Change.data_version != PENDING)
                    .order_by(Change.id.desc())
                )
                for change in changes:
                    value = change.data.get(field) if field else None
                    if value == f.key or (isinstance(value, list) and f.key in value):
                        items.append(FeedItem("evidence", f"{f.kind}:{f.key}", change=ChangeView.of(change)))
        tagged = index.articles_with_concepts(topics, limit=500, filters=ArticleFilter()) if topics else {}
        newest = sorted(tagged, key=lambda p: int(p) if p.isdigit() else 0, reverse=True)[:limit]
        articles = index.get_articles(newest)
        items += [FeedItem("article", tagged[p][0], article=articles[p]) for p in newest if p in articles]
        return items[:limit]

    # -- search log -----------------------------------------------------------------------------
    def log_search(self, actor: Principal, query: str, results: int) -> None:
        """Keep a search against the user's pseudonym (never for partner keys or opted-out users)."""
        if actor.kind == "key" or self.retention_days == 0:
            return
        with self.db.session() as s:
            if actor.kind == "user":
                user = s.get(User, actor.user_id)
                if user is not None and user.search_opt_out:
                    return
            s.add(SearchLog(pseudonym=actor.pseudonym, query=query[:500], results=results, at=now()))
            if self._purged is None or now() - self._purged > timedelta(hours=1):  # retention, not per search
                s.execute(delete(SearchLog).where(SearchLog.at < now() - timedelta(days=self.retention_days)))
                self._purged = now()

    def set_opt_out(self, actor: Principal, opt_out: bool) -> None:
        """Opting out stops the logging and deletes what was kept under the user's pseudonym."""
        user_id = actor.require_role(*READERS)
        with self.db.session() as s:
            user = s.get(User, user_id)
            assert user is not None
            user.search_opt_out = opt_out
            if opt_out:
                s.execute(delete(SearchLog).where(SearchLog.pseudonym == actor.pseudonym))
            record_audit(s, f"pseudonym:{actor.pseudonym}", "privacy.opt_out" if opt_out else "privacy.opt_in",
                         f"pseudonym:{actor.pseudonym}")  # fmt: skip

    def content_gaps(self, actor: Principal, *, top: int = 20) -> dict[str, list[tuple[str, int]]]:
        """Zero-result queries and the most searched terms, counted over everyone."""
        actor.require_role("editor", "admin")
        with self.db.session() as s:
            zero = s.execute(
                select(SearchLog.query, func.count())
                .where(SearchLog.results == 0)
                .group_by(SearchLog.query)
                .order_by(func.count().desc(), SearchLog.query)
                .limit(top)
            ).all()
            terms: Counter[str] = Counter()
            for (query,) in s.execute(select(SearchLog.query)):
                terms.update(set(analyze(query)))
        return {
            "zero_result_queries": [(q, int(n)) for q, n in zero],
            "top_terms": sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[:top],
        }
