"""The rate limits: token buckets in a real editorial database, driven here by an explicit clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.editorial.db import Database
from kb.editorial.limits import RateLimiter
from kb.errors import RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'editorial.sqlite3'}")
    database.upgrade()
    yield database
    database.close()


def test_a_burst_up_to_the_limit_then_429_with_the_wait_for_one_request(db: Database) -> None:
    clock = Clock()
    limiter = RateLimiter(db, clock)
    assert [limiter.hit("k", 3)[0] for _ in range(3)] == [2, 1, 0]
    with pytest.raises(RateLimited) as refused:
        limiter.hit("k", 3)
    assert refused.value.retry_after == 20  # 3 a minute: one every 20 s
    clock.now += 20
    assert limiter.hit("k", 3) == (0, 60)  # one request back; the full limit in 60 s


def test_no_double_allowance_across_a_minute_boundary(db: Database) -> None:
    clock = Clock()
    clock.now = 59.9  # just before a fixed window would have reset
    limiter = RateLimiter(db, clock)
    for _ in range(10):
        limiter.hit("k", 10)
    clock.now = 60.1
    allowed = 0
    for _ in range(10):
        try:
            limiter.hit("k", 10)
            allowed += 1
        except RateLimited:
            pass
    assert allowed == 0  # 0.2 s refills 0.03 of a request


def test_evenly_spaced_requests_at_the_limit_are_never_refused_and_keys_are_separate(db: Database) -> None:
    clock = Clock()
    limiter = RateLimiter(db, clock)
    for _ in range(120):  # two minutes at exactly 30 a minute
        limiter.hit("a", 30)
        clock.now += 2.0
    for _ in range(5):
        limiter.hit("b", 5)
    with pytest.raises(RateLimited):
        limiter.hit("b", 5)
    assert limiter.hit("a", 30)[0] == 29
