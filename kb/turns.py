"""Turns for threads: :class:`Turns`, first come, first served; :class:`ReadWriteLock`, many readers or one writer.

``threading.Semaphore`` lets a thread that arrives just as a turn is freed take it before the threads already waiting
(they are woken, but the newcomer runs first), so under load some searches waited many turns: the p99 of ``kb bench
load`` grew with it. In :class:`Turns` a freed turn is handed to the longest waiter directly.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

__all__ = ["ReadWriteLock", "Turns"]


class Turns:
    """A fair counting semaphore, used as ``with turns: ...``."""

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"turns need at least one holder, not {n}")
        self._lock = threading.Lock()
        self._free = n
        self._waiting: deque[threading.Event] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def __enter__(self) -> None:
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return
            mine = threading.Event()
            self._waiting.append(mine)
        mine.wait()  # the turn is handed over by the holder that leaves: nothing to take here

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()
