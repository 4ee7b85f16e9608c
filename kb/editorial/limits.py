"""Rate limits kept in the editorial database, so every API process over it counts together.

One token bucket per name: ``key:<key id>`` (a partner key's requests a minute),
``ip:<address>`` (anonymous reads) and ``login:<address>`` (failed logins). A bucket holds at
most ``limit`` tokens and refills at ``limit`` per ``period``; a request takes one token. Unlike
a fixed window it never allows twice the limit around a boundary, and a client that spaces its
requests evenly is never refused.

Each hit is one short transaction of single-statement writes: an ``INSERT ... ON CONFLICT DO
NOTHING`` creates the bucket, and a conditional ``UPDATE`` takes a token only while one is there
(the row lock of the update, SQLite's write lock, makes two processes see each other's tokens).
Anonymous reads (:meth:`RateLimiter.hit_leased`) take their tokens from the same buckets a lease at
a time (:mod:`kb.editorial.leases`), so most of them make no write; partner keys (a contractual
limit) and logins (security) keep the exact accounting of :meth:`RateLimiter.hit`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sqlalchemy import case, delete, select, text, update

from kb.editorial.db import Database
from kb.editorial.db.models import RateBucket
from kb.editorial.leases import Leases
from kb.errors import RateLimited

__all__ = ["LOGIN_PERIOD", "RateLimiter"]

LOGIN_PERIOD = 15 * 60.0  # seconds over which a login bucket refills
_PURGE_EVERY = 300.0  # seconds between deletions of buckets that are full again
_INSERT = text("INSERT INTO rate_buckets (bucket, tokens, at) VALUES (:bucket, :tokens, :at) ON CONFLICT DO NOTHING")


class RateLimiter:
    """Token buckets in the editorial database; ``clock`` is Unix time (shared by every process)."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock
        self._purged = 0.0
        self.leases = Leases(db, clock)

    def hit(
        self, bucket: str, limit: int, *, period: float = 60.0, penalty: bool = False, cost: int = 1
    ) -> tuple[int, int]:
        """Take ``cost`` tokens (one per request, one per item of a batch): (remaining, seconds until the bucket
        is full again). Past the limit it raises :class:`RateLimited` with the seconds until they are there
        (a cost over the whole limit never is: its message says so); with ``penalty`` a refused attempt is
        counted too (down to one full period in debt), so hammering pushes the wait out."""
        if cost > limit:
            raise RateLimited(
                f"{cost} items cost more than the whole limit of {limit} per {period:g} s; send at most {limit}",
                retry_after=math.ceil(period),
            )
        rate = limit / period
        at = self._clock()
        # processes read their clocks a moment before they get the row: an earlier reading refills nothing
        elapsed = case((RateBucket.at < at, at - RateBucket.at), else_=0.0)
        latest = case((RateBucket.at < at, at), else_=RateBucket.at)
        refilled = case(
            (RateBucket.tokens + elapsed * rate > limit, float(limit)), else_=RateBucket.tokens + elapsed * rate
        )
        mine = RateBucket.bucket == bucket
        with self.db.session() as s:
            s.execute(_INSERT, {"bucket": bucket, "tokens": float(limit), "at": at})
            taken = s.execute(
                update(RateBucket)
                .where(mine, refilled >= float(cost))
                .values(tokens=refilled - float(cost), at=latest)
                .returning(RateBucket.tokens)
            ).scalar_one_or_none()
            if taken is None and penalty:
                floor = case((refilled - 1.0 < -limit, float(-limit)), else_=refilled - 1.0)
                s.execute(update(RateBucket).where(mine).values(tokens=floor, at=latest))
            left = taken if taken is not None else s.scalar(select(refilled).where(mine))
        self._purge(at, period)
        tokens = float(left if left is not None else 0.0)
        if taken is None:
            wait = max(1, math.ceil((float(cost) - tokens) / rate))
            raise RateLimited(f"the limit of {limit} requests per {period:g} s is used up", retry_after=wait)
        return int(tokens), math.ceil((limit - tokens) / rate)

    def hit_leased(self, bucket: str, limit: int, *, period: float = 60.0) -> tuple[int, int]:
        """Like :meth:`hit` for one request, from this process's lease of the bucket (see
        :mod:`kb.editorial.leases` for what that costs in accuracy): the database is asked once a lease."""
        answer = self.leases.hit(bucket, limit, period)
        self._purge(self._clock(), period)
        return answer

    def give_back(self, bucket: str, limit: int) -> None:
        """Return the token of a request that does not count (a successful login)."""
        with self.db.session() as s:
            s.execute(
                update(RateBucket)
                .where(RateBucket.bucket == bucket)
                .values(tokens=case((RateBucket.tokens + 1.0 > limit, float(limit)), else_=RateBucket.tokens + 1.0))
            )

    def _purge(self, at: float, period: float) -> None:
        """Now and then drop buckets untouched for a day or a period (whichever is longer): they are full."""
        if at - self._purged < _PURGE_EVERY:
            return
        self._purged = at
        with self.db.session() as s:
            s.execute(delete(RateBucket).where(RateBucket.at < at - max(period, 86400.0)))
