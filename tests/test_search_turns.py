"""``KB_SEARCH_CONCURRENCY``: one process runs at most that many searches at once; the others wait their turn,
first come first served (kb/turns.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kb.search import SearchService
from kb.turns import Turns
from tests.test_literature_concepts import build_service


def _wait_for(check: object, seconds: float = 10.0) -> None:
    until = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < until, "timed out waiting"
        time.sleep(0.01)


def test_waiters_get_their_turns_in_the_order_they_came() -> None:
    turns = Turns(2)
    order: list[int] = []
    turns.__enter__()
    turns.__enter__()  # both turns held

    def take(n: int) -> None:
        with turns:
            order.append(n)

    threads = []
    for n in range(5):
        thread = threading.Thread(target=take, args=(n,), daemon=True)
        thread.start()
        threads.append(thread)
        _wait_for(lambda n=n: turns.waiting == n + 1)  # queued in this order
    assert order == []
    turns.__exit__(None, None, None)  # one turn, handed down the queue: each waiter passes it to the next
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4] and turns.waiting == 0
    turns.__exit__(None, None, None)
    with turns, turns:  # both turns are free again
        pass
    with pytest.raises(ValueError, match="at least one"):
        Turns(0)


def test_a_search_waits_while_the_turns_are_taken_and_runs_when_one_is_free(tmp_path: Path) -> None:
    service = build_service(tmp_path)
    limited = SearchService(service.backend, service.index, embedder=None, concurrency=1)
    try:
        assert limited._turns is not None
        limited._turns.__enter__()  # the one turn, held by "another search"
        done = threading.Event()
        answers: list[int] = []

        def search() -> None:
            answers.append(limited.search("BRAF V600E melanoma").total_articles)
            done.set()

        waiting = threading.Thread(target=search, daemon=True)
        waiting.start()
        _wait_for(lambda: limited._turns is not None and limited._turns.waiting == 1)
        assert not done.is_set()
        limited._turns.__exit__(None, None, None)
        assert done.wait(30) and answers == [service.search("BRAF V600E melanoma").total_articles]
        waiting.join(5)
        assert SearchService(service.backend, service.index, embedder=None)._turns is None
    finally:
        service.backend.close()
