"""Leased anonymous rate limits (issue 16) over real SQLite and PostgreSQL editorial databases.

The statements are counted as the engine sends them (SQLAlchemy's ``before_cursor_execute`` event),
and the bucket row is read between hits; two limiters over one database stand for two API processes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from api.app import create_app
from kb.editorial.db import Database
from kb.editorial.db.models import RateBucket
from kb.editorial.leases import LEASE_SHARE
from kb.editorial.limits import RateLimiter
from kb.errors import RateLimited
from kb.services import build_services
from kb.store import SQLiteStore
from tests.conftest import make_settings
from tests.test_editorial import fresh_database


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Statements:
    """The statements an engine sends about the rate buckets, first word only (INSERT, SELECT, UPDATE, DELETE)."""

    def __init__(self, db: Database) -> None:
        self.seen: list[str] = []
        event.listen(db.engine, "before_cursor_execute", self._saw)

    def _saw(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "rate_buckets" in statement:
            self.seen.append(statement.split()[0].upper())

    def take(self) -> list[str]:
        seen, self.seen = self.seen, []
        return seen


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    address, drop = fresh_database(request.param, tmp_path)
    database = Database(address)
    database.upgrade()
    database.close()
    yield address
    drop()


@pytest.fixture()
def db(url: str) -> Iterator[Database]:
    database = Database(url)
    yield database
    database.close()


def tokens_in(db: Database, bucket: str) -> float:
    with db.session() as s:
        return float(s.scalars(select(RateBucket.tokens).where(RateBucket.bucket == bucket)).one())


def spend_until_refused(limiter: RateLimiter, bucket: str, limit: int) -> tuple[list[int], int]:
    """Hit until refused: the RateLimit-Remaining of every hit let through, and the refusal's Retry-After."""
    remaining = []
    while True:
        try:
            remaining.append(limiter.hit_leased(bucket, limit)[0])
        except RateLimited as refused:
            return remaining, refused.retry_after
        if len(remaining) > 10 * limit:
            pytest.fail("the limit never took effect")


def test_a_hundred_anonymous_reads_make_one_bucket_update_a_lease_where_exact_hits_make_a_hundred(
    db: Database,
) -> None:
    limiter, statements = RateLimiter(db, Clock()), Statements(db)
    for _ in range(100):
        limiter.hit("ip:exact", 300)
    assert statements.take().count("UPDATE") == 100  # the counter sees every write of today's accounting
    for _ in range(100):
        limiter.hit_leased("ip:leased", 300)
    lease = math.ceil(300 / LEASE_SHARE)
    assert statements.take().count("UPDATE") == math.ceil(100 / lease) == 7


def test_reads_inside_a_lease_send_nothing_to_the_database(db: Database) -> None:
    limiter, statements = RateLimiter(db, Clock()), Statements(db)
    limiter.hit_leased("ip:a", 300)
    assert statements.take()[:3] == ["INSERT", "SELECT", "UPDATE"]  # then the periodic purge of full buckets
    for _ in range(14):
        limiter.hit_leased("ip:a", 300)
    assert statements.take() == []
    limiter.hit_leased("ip:a", 300)  # the 16th: the lease of 15 is spent
    assert statements.take() == ["INSERT", "SELECT", "UPDATE"]
    assert tokens_in(db, "ip:a") == 270


def test_remaining_counts_down_to_zero_then_429_until_the_bucket_refills(db: Database) -> None:
    clock = Clock()
    limiter, statements = RateLimiter(db, clock), Statements(db)
    remaining, retry_after = spend_until_refused(limiter, "ip:a", 100)
    assert remaining == list(range(99, -1, -1))
    assert retry_after == 1  # 100 a minute: a token every 0.6 s
    statements.take()
    with pytest.raises(RateLimited) as again:
        limiter.hit_leased("ip:a", 100)
    assert again.value.retry_after == 1 and statements.take() == []  # a refusal is remembered, not asked again
    clock.now += 1.0  # 1.67 tokens: one request
    assert spend_until_refused(limiter, "ip:a", 100)[0] == [0]
    clock.now += 60.0
    remaining, retry_after = spend_until_refused(limiter, "ip:a", 100)
    assert remaining == list(range(99, -1, -1)) and retry_after == 1


def test_an_expired_lease_gives_its_unspent_tokens_back_when_the_next_is_taken(db: Database) -> None:
    clock = Clock()
    limiter = RateLimiter(db, clock)
    for _ in range(20):  # two leases of 15: 5 of the second spent
        limiter.hit_leased("ip:a", 300)
    assert tokens_in(db, "ip:a") == 270
    clock.now += 60.0 / LEASE_SHARE  # the lease has lived its 3 s: 15 tokens refilled, 10 given back, 15 taken
    assert limiter.hit_leased("ip:a", 300) == (300 - 21 + 15, 2)  # 6 short of full: 2 s
    assert tokens_in(db, "ip:a") == pytest.approx(270 + 15 + 10 - 15)


def test_a_lease_left_unspent_for_minutes_lapses_and_is_forgotten(db: Database) -> None:
    clock = Clock()
    limiter = RateLimiter(db, clock)
    for _ in range(20):  # 300 an hour: leases of 15 that live 180 s; 10 left unspent
        limiter.hit_leased("ip:a", 300, period=3600.0)
    assert tokens_in(db, "ip:a") == 270
    clock.now += 300.0  # 25 tokens refilled; the lease expired 120 s ago and is dropped, its 10 tokens lapse
    limiter.hit_leased("ip:a", 300, period=3600.0)
    assert tokens_in(db, "ip:a") == pytest.approx(270 + 25 - 15)


def test_two_processes_allow_the_limit_once_and_a_lease_left_elsewhere_is_still_spent(url: str) -> None:
    clock = Clock()
    one, two = Database(url), Database(url)
    try:
        a, b = RateLimiter(one, clock), RateLimiter(two, clock)
        a.hit_leased("ip:a", 100)  # a holds a lease of 5, 4 of them unspent
        spent_by_b, _ = spend_until_refused(b, "ip:a", 100)
        assert len(spent_by_b) == 95  # refused while 4 tokens sit in the other process's lease
        spent_by_a, retry_after = spend_until_refused(a, "ip:a", 100)
        assert len(spent_by_a) == 4 and retry_after >= 1
        assert tokens_in(one, "ip:a") == 0
        with pytest.raises(RateLimited):
            b.hit_leased("ip:a", 100)
    finally:
        one.close()
        two.close()


def test_threads_of_two_processes_hitting_together_get_exactly_the_limit(url: str) -> None:
    clock = Clock()
    engines = [Database(url), Database(url)]
    try:
        limiters = [RateLimiter(engine, clock) for engine in engines]

        def hit(i: int) -> bool:
            try:
                limiters[i % 2].hit_leased("ip:a", 100)
            except RateLimited:
                return False
            return True

        with ThreadPoolExecutor(max_workers=8) as pool:
            allowed = list(pool.map(hit, range(400)))
        assert sum(allowed) == 100
        assert tokens_in(engines[0], "ip:a") == 0
    finally:
        for engine in engines:
            engine.close()


def test_a_burst_just_before_a_lease_expires_gets_at_most_a_twentieth_more_than_the_exact_bucket(url: str) -> None:
    """The price of leasing, pinned: a lease taken 2.9 s ago and the bucket refilled behind it."""
    bursts = {}
    for leased in (False, True):
        clock = Clock()
        one, two = Database(url), Database(url)
        try:
            a, b = RateLimiter(one, clock), RateLimiter(two, clock)
            hits = [a.hit_leased, b.hit_leased] if leased else [a.hit, b.hit]
            hits[0](f"ip:{leased}", 300)
            clock.now += 2.9
            burst = 0
            for hit in hits:
                while True:
                    try:
                        hit(f"ip:{leased}", 300)
                    except RateLimited:
                        break
                    burst += 1
            bursts[leased] = burst
        finally:
            one.close()
            two.close()
    assert bursts[False] == 300  # 299 left, 14.5 refilled, capped at the limit
    assert bursts[False] < bursts[True] <= 300 + 300 // LEASE_SHARE  # 14 still leased + 299 in the bucket


def test_anonymous_api_reads_take_leases_and_keep_their_headers(
    vocab_store: SQLiteStore, tmp_path: Path, data_dir: Path
) -> None:
    settings = make_settings(tmp_path, data_dir).model_copy(
        update={"store": f"sqlite:///{vocab_store.path}", "anon_rate_limit": 300}
    )
    services = build_services(settings, embed=False, store=vocab_store)
    with TestClient(create_app(settings, services=services)) as http:
        editorial = http.app.state.editorial  # type: ignore[attr-defined]
        editorial.limiter = RateLimiter(editorial.db, Clock())  # the app's own kind of limiter, on a clock that stands
        statements = Statements(editorial.db)
        answers = [http.get("/v1/genes/EGFR") for _ in range(31)]
    assert [a.status_code for a in answers] == [200] * 31
    assert statements.take().count("UPDATE") == 3  # three leases of 15, not 31 writes
    assert [int(a.headers["RateLimit-Remaining"]) for a in answers] == list(range(299, 268, -1))
    assert answers[0].headers["RateLimit-Limit"] == "300"
