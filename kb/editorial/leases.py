"""Leased tokens: anonymous rate limits without an editorial-database write per request.

A process takes tokens from the shared bucket (:mod:`kb.editorial.limits`) a lease at a time,
``ceil(limit / 20)`` and never more than the bucket holds, and spends them in memory. It goes back
to the database only when its lease is spent or has lived ``period / 20`` seconds (3 s for a
minute's limit); then, in the same transaction that takes the next lease, it gives back what the
old lease left unspent. Giving back costs nothing (that transaction happens anyway) and keeps a
client that is spread over several processes from being charged a whole lease per process every
few seconds. A lease whose client never comes back lapses: at most one lease a process, which the
bucket's refill replaces within ``period / 20`` seconds. A refusal is remembered until the bucket
holds a token again, so a client hammering past its limit costs no writes either.

What leasing costs in accuracy, with ``P`` processes and a lease of ``L = ceil(limit / 20)``:

- Tokens only ever come out of the shared bucket, and a given-back token only goes back (capped at
  the limit), so while the clock stands still all processes together allow ``limit`` once. Over
  time a leased token is spent at most one lease lifetime after it left the bucket: in any ``T``
  seconds a client gets at most what the exact bucket allows in ``T + period / 20`` seconds, at
  most ``limit / 20`` requests more (15 at the default 300 a minute).
- A client can be refused while tokens sit in the other processes' leases: at most ``(P - 1) * L``
  tokens, spendable through their own process until the lease is ``period / 20`` seconds old;
  after that they go back at that process's next renewal for the bucket, or lapse.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, text, update

from kb.editorial.db import Database
from kb.editorial.db.models import RateBucket
from kb.errors import RateLimited

__all__ = ["LEASE_SHARE", "Leases"]

LEASE_SHARE = 20  # a lease is 1/20 of the limit and lives 1/20 of the period
_KEEP = 60.0  # seconds an expired lease is kept to be given back; then it lapses
_INSERT = text("INSERT INTO rate_buckets (bucket, tokens, at) VALUES (:bucket, :tokens, :at) ON CONFLICT DO NOTHING")


@dataclass
class _Lease:
    """What one process holds of one bucket; ``lock`` guards every field."""

    tokens: int = 0  # leased and not yet spent
    taken_at: float = -math.inf  # when the lease was taken
    expires: float = -math.inf  # when it must be given back
    seen: float = 0.0  # what the bucket held right after, as far as this process knows
    refused_until: float = -math.inf  # the bucket had no token for us before then
    dead: bool = False  # dropped from the book: look the bucket up again
    lock: threading.Lock = field(default_factory=threading.Lock)


class Leases:
    """The leases one process holds, over the token buckets of ``db``; thread-safe."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self._clock = clock
        self._lock = threading.Lock()  # guards the book, never held while the database is asked
        self._book: dict[str, _Lease] = {}
        self._swept = clock()

    def hit(self, bucket: str, limit: int, period: float) -> tuple[int, int]:
        """Spend one token: (remaining as far as this process knows, seconds until the bucket is full again).
        Past the limit it raises :class:`RateLimited` with the seconds until a token is there."""
        rate = limit / period
        self._sweep()
        while True:
            lease = self._lease(bucket)
            with lease.lock:
                if lease.dead:
                    continue
                now = self._clock()
                if lease.refused_until > now:
                    raise _refused(limit, period, lease.refused_until - now)
                if lease.tokens < 1 or now >= lease.expires:
                    self._renew(bucket, lease, limit, period, now)
                lease.tokens -= 1
                known = min(float(limit), lease.tokens + lease.seen + max(0.0, now - lease.taken_at) * rate)
                return int(known), math.ceil((limit - known) / rate)

    def _renew(self, bucket: str, lease: _Lease, limit: int, period: float, now: float) -> None:
        """Give back what the lease left and take a new one, in one transaction; the caller holds ``lease.lock``.
        The insert takes SQLite's write lock and ``FOR UPDATE`` PostgreSQL's row lock before the bucket is read,
        so two processes see each other's leases."""
        size, rate = max(1, math.ceil(limit / LEASE_SHARE)), limit / period
        mine = RateBucket.bucket == bucket
        with self.db.session() as s:
            s.execute(_INSERT, {"bucket": bucket, "tokens": float(limit), "at": now})
            tokens, at = s.execute(select(RateBucket.tokens, RateBucket.at).where(mine).with_for_update()).one()
            # processes read their clocks a moment before they get the row: an earlier reading refills nothing
            there = min(float(limit), tokens + max(0.0, now - at) * rate + lease.tokens)
            taken = min(size, math.floor(there))
            if taken:  # nothing taken means nothing given back either (a lease holds whole tokens)
                s.execute(update(RateBucket).where(mine).values(tokens=there - taken, at=max(now, at)))
        lease.tokens, lease.taken_at, lease.expires, lease.seen = taken, now, now + period / LEASE_SHARE, there - taken
        if not taken:
            lease.refused_until = now + (1.0 - there) / rate
            raise _refused(limit, period, (1.0 - there) / rate)

    def _lease(self, bucket: str) -> _Lease:
        with self._lock:
            return self._book.setdefault(bucket, _Lease())

    def _sweep(self) -> None:
        """Now and then forget leases expired for a while (their tokens lapse) and refusals that are over."""
        now = self._clock()
        with self._lock:
            if now - self._swept < _KEEP:
                return
            self._swept = now
            for bucket, lease in list(self._book.items()):
                if max(lease.expires, lease.refused_until) < now - _KEEP and lease.lock.acquire(blocking=False):
                    lease.dead = True
                    del self._book[bucket]
                    lease.lock.release()


def _refused(limit: int, period: float, wait: float) -> RateLimited:
    message = f"the limit of {limit} requests per {period:g} s is used up"
    return RateLimited(message, retry_after=max(1, math.ceil(wait)))
