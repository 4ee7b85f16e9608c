"""Doctors' follows and "new for you" feed, the pseudonymous search log and the editors'
content-gap report (aggregates only: no per-doctor data leaves the database)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from kb.domain import Article
from kb.editorial.accounts import Principal
from kb.editorial.audit import now, record_audit
from kb.editorial.db import Database
from kb.editorial.db.models import Change, Follow, SearchLog, User
from kb.editorial.publish import PENDING
from kb.editorial.views import ChangeView, FollowView
from kb.errors import ConflictError, DataError, NotFoundError
from kb.kinds import FOLLOWED, KINDS
from kb.store.base import Backend
from kb.text import fold

if TYPE_CHECKING:
    from kb.query import ParsedQuery

__all__ = ["ContentGaps", "FeedItem", "Follows", "followed_topics"]

log = logging.getLogger(__name__)

READERS = ("doctor", "curator", "editor", "admin")
# the audit actor of follows, unfollows and privacy choices: no user name, no pseudonym, so the audit log holds
# no per-doctor interest profile (the entries still show that such a write happened, and when)
PRIVATE_ACTOR = "reader"


def followed_topics(db: Database) -> list[tuple[str, str]]:
    """Every ``(kind, key)`` some doctor follows, once each and in order (no pseudonym leaves the database)."""
    with db.session() as s:
        return [
            (k, key)
            for k, key in s.execute(select(Follow.kind, Follow.key).distinct().order_by(Follow.kind, Follow.key))
        ]


@dataclass(frozen=True, slots=True)
class FeedItem:
    type: str  # article | evidence | a kind followed itself (reading_list)
    topic: str  # gene:EGFR
    article: Article | None = None
    change: ChangeView | None = None


@dataclass(frozen=True, slots=True)
class ContentGaps:
    """The content-gap report: (term, searches) pairs, each searched by at least ``min_doctors`` doctors."""

    zero_result_queries: list[tuple[str, int]]  # concept ids and unresolved words of searches that found nothing
    unresolved_terms: list[tuple[str, int]]  # whole words no concept matched, as the query parser left them
    top_terms: list[tuple[str, int]]  # the concepts searched most (type:id)
    min_doctors: int


class Follows:
    def __init__(self, db: Database, *, retention_days: int, gap_min_doctors: int = 5, max_follows: int = 200) -> None:
        self.db = db
        self.max_follows = max_follows  # topics one user may follow
        self.retention_days = retention_days
        self.gap_min_doctors = gap_min_doctors  # the content-gap report lists a term searched by this many doctors
        self._purged: datetime | None = None
        self._pending: queue.Queue[_Logged | None] = queue.Queue(maxsize=_MAX_PENDING)
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()

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
            mine = s.scalar(select(func.count()).select_from(Follow).where(Follow.pseudonym == actor.pseudonym))
            if (mine or 0) >= self.max_follows:
                raise ConflictError(
                    f"you follow {self.max_follows} topics, the most one may; unfollow one first",
                    details={"max_follows": self.max_follows},
                )
            row = Follow(pseudonym=actor.pseudonym or "", kind=kind, key=key, created_at=now())
            s.add(row)
            s.flush()
            record_audit(s, PRIVATE_ACTOR, "follow.add", f"{kind}:{key}")
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
            record_audit(s, PRIVATE_ACTOR, "follow.remove", f"{kind}:{key}")

    def following(self, actor: Principal) -> list[FollowView]:
        actor.require_role(*READERS)
        with self.db.session() as s:
            rows = s.scalars(select(Follow).where(Follow.pseudonym == actor.pseudonym).order_by(Follow.id))
            return [FollowView.of(f) for f in rows]

    def feed(self, actor: Principal, index: Backend, *, limit: int = 20) -> list[FeedItem]:
        """Newly accepted evidence and the articles of the followed topics that the library took in last (first
        ingested most recently, then the highest PMID)."""
        actor.require_role(*READERS)
        return self.feed_of(actor.pseudonym or "", index, limit=limit)

    def feed_of(self, pseudonym: str, index: Backend, *, limit: int = 20) -> list[FeedItem]:
        """The "new for you" feed of the reader behind ``pseudonym`` (a signed-in doctor, or a feed token's)."""
        with self.db.session() as s:
            follows = [FollowView.of(f) for f in s.scalars(
                select(Follow).where(Follow.pseudonym == pseudonym).order_by(Follow.id))]  # fmt: skip
        topics = [f"{f.kind}:{f.key}" for f in follows]
        items: list[FeedItem] = []
        for f in follows:
            items.extend(self.topic_evidence(f.kind, f.key, since=f.created_at))
        for art in index.newest_articles(topics, limit=limit) if topics else []:
            topic = next((t for t in topics if t in art.concepts), topics[0])  # the first followed topic it carries
            items.append(FeedItem("article", topic, article=art))
        return items[:limit]

    def topic_evidence(
        self, kind: str, key: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[FeedItem]:
        """The published evidence changes about one topic, newest first (those at or after ``since``); for a kind
        doctors follow itself (``Kind.follow_changes``: a reading list), the published changes of that record."""
        spec = KINDS[kind]
        field = spec.follow_field
        items: list[FeedItem] = []
        query = select(Change).where(Change.data_version != PENDING)
        if spec.follow_changes:
            query = query.where(Change.kind == kind, Change.key == key)
        else:
            query = query.where(Change.kind == "evidence")
        if since is not None:
            query = query.where(Change.at >= since)
        with self.db.session() as s:
            for change in s.scalars(query.order_by(Change.id.desc())):
                value = change.data.get(field) if field else None
                if spec.follow_changes or value == key or (isinstance(value, list) and key in value):
                    items.append(FeedItem(change.kind, f"{kind}:{key}", change=ChangeView.of(change)))
                    if limit is not None and len(items) >= limit:
                        break
        return items

    # -- search log -----------------------------------------------------------------------------
    def log_search(self, actor: Principal, query: ParsedQuery, results: int) -> None:
        """Keep what a search understood against the user's pseudonym: the ids of the concepts it resolved and
        the words it left unresolved, never its text (never for partner keys or opted-out users).

        Nothing is written on the request's path: the entry goes to a queue that a background thread writes in
        batches (:meth:`flush` waits for it). A full queue (the database is down) drops the entry: a search
        never waits for its log."""
        if actor.kind == "key" or self.retention_days == 0:
            return
        concepts = list(dict.fromkeys(c.key for c in query.concepts if not c.implied))[:_MAX_TERMS]
        words = list(dict.fromkeys(fold(w)[:_MAX_WORD] for w in query.unresolved if fold(w)))[:_MAX_TERMS]
        self._start_writer()
        with suppress(queue.Full):
            self._pending.put_nowait(_Logged(actor.user_id if actor.kind == "user" else None, actor.pseudonym,
                                             concepts, words, results, now()))  # fmt: skip

    def flush(self) -> None:
        """Wait until every queued search is written (or dropped)."""
        if self._writer is not None:
            self._pending.join()

    def close(self) -> None:
        """Write what is queued and stop the writer."""
        if self._writer is not None and self._writer.is_alive():
            self._pending.put(None)
            self._writer.join(timeout=30)

    def _start_writer(self) -> None:
        with self._writer_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._drain, name="search-log", daemon=True)
                self._writer.start()

    def _drain(self) -> None:
        while True:
            batch = [self._pending.get()]
            until = time.monotonic() + _LINGER  # a moment's wait gathers a busy server's searches in one transaction
            while len(batch) < 200 and batch[-1] is not None:
                try:
                    batch.append(self._pending.get(timeout=max(0.0, until - time.monotonic())))
                except queue.Empty:
                    break
            try:
                self._write([b for b in batch if b is not None])
            except Exception:  # logged; the writer keeps going (the entries are lost, the searches were answered)
                log.exception("writing %d search log entries failed", len(batch))
            finally:
                for _ in batch:
                    self._pending.task_done()
            if None in batch:
                return

    def _write(self, batch: list[_Logged]) -> None:
        if not batch:
            return
        users = {b.user_id for b in batch if b.user_id is not None}
        with self.db.session() as s:
            opted = set(s.scalars(select(User.id).where(User.id.in_(users), User.search_opt_out))) if users else set()
            s.add_all(
                SearchLog(pseudonym=b.pseudonym, concepts=b.concepts, unresolved=b.words, results=b.results, at=b.at)
                for b in batch
                if b.user_id not in opted
            )
        if self._purged is None or now() - self._purged > timedelta(hours=1):  # retention, not per search
            self.purge_expired()

    def purge_expired(self) -> int:
        """Delete the searches older than the retention (all of them when it is 0 days); the number deleted.

        Runs when the editorial services start and then at most hourly beside new searches, so a shortened
        retention holds even on a server nobody searches."""
        with self.db.session() as s:
            gone = s.execute(delete(SearchLog).where(SearchLog.at < now() - timedelta(days=self.retention_days)))
        self._purged = now()
        return int(getattr(gone, "rowcount", 0) or 0)

    def set_opt_out(self, actor: Principal, opt_out: bool) -> None:
        """Opting out stops the logging and deletes what was kept under the user's pseudonym."""
        user_id = actor.require_role(*READERS)
        self.flush()  # the searches made before the choice are written first, so an opt-out deletes them too
        with self.db.session() as s:
            user = s.get(User, user_id)
            assert user is not None
            user.search_opt_out = opt_out
            if opt_out:
                s.execute(delete(SearchLog).where(SearchLog.pseudonym == actor.pseudonym))
            record_audit(s, PRIVATE_ACTOR, "privacy.opt_out" if opt_out else "privacy.opt_in", "privacy:search-log")

    def content_gaps(self, actor: Principal, *, top: int = 20, min_doctors: int | None = None) -> ContentGaps:
        """Zero-result queries, unresolved words and the most searched concepts, counted over everyone; a term is
        listed once ``min_doctors`` (the setting by default) distinct pseudonyms searched it (anonymous searches add to
        its count only)."""
        actor.require_role("editor", "admin")
        self.flush()
        min_doctors = self.gap_min_doctors if min_doctors is None else min_doctors
        zero, words, concepts = _Tally(), _Tally(), _Tally()
        with self.db.session() as s:
            rows = s.execute(select(SearchLog.pseudonym, SearchLog.concepts, SearchLog.unresolved, SearchLog.results))
            for pseudonym, ids, unresolved, results in rows:
                if results == 0:
                    zero.add(pseudonym, [" ".join([*ids, *unresolved])])
                words.add(pseudonym, unresolved)
                concepts.add(pseudonym, ids)
        return ContentGaps(
            zero_result_queries=zero.top(min_doctors, top),
            unresolved_terms=words.top(min_doctors, top),
            top_terms=concepts.top(min_doctors, top),
            min_doctors=min_doctors,
        )


_MAX_TERMS = 40  # concepts and words kept per search
_MAX_PENDING = 10_000  # searches queued for the writer


@dataclass(frozen=True, slots=True)
class _Logged:
    user_id: int | None  # a signed-in user's id, checked for an opt-out when written
    pseudonym: str | None
    concepts: list[str]
    words: list[str]
    results: int
    at: datetime


_MAX_WORD = 100  # characters kept per word
_LINGER = 0.25  # seconds the search-log writer waits for more entries before it writes a batch


class _Tally:
    """Searches and distinct pseudonyms per term."""

    def __init__(self) -> None:
        self.searches: Counter[str] = Counter()
        self.doctors: dict[str, set[str]] = {}

    def add(self, pseudonym: str | None, terms: Iterable[str]) -> None:
        for term in dict.fromkeys(t for t in terms if t):
            self.searches[term] += 1
            if pseudonym:
                self.doctors.setdefault(term, set()).add(pseudonym)

    def top(self, min_doctors: int, n: int) -> list[tuple[str, int]]:
        kept = [(t, c) for t, c in self.searches.items() if len(self.doctors.get(t, ())) >= min_doctors]
        return sorted(kept, key=lambda tc: (-tc[1], tc[0]))[:n]
