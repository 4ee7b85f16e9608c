"""A server in a process of its own, as the benchmarks (and the tests that run ``kb serve``) handle one: a free
local port for it, polling it with a deadline while it is alive, and stopping it without hanging."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from kb.errors import SourceUnavailable

__all__ = ["free_port", "poll_until", "stop", "wait_ready"]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (the system picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll_until(
    proc: subprocess.Popen[Any],
    until: Callable[[], bool],
    *,
    deadline: float,
    what: str,
    log: Path,
    every: float = 0.1,
) -> None:
    """Call ``until`` every ``every`` seconds until it holds. Raises ``SourceUnavailable`` when ``proc`` exits
    (with the tail of its ``log``) or when ``time.monotonic()`` passes ``deadline`` (saying ``what``)."""
    while not until():
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
            raise SourceUnavailable(f"the server exited with status {proc.returncode} (see {log}): {tail}")
        if time.monotonic() > deadline:
            raise SourceUnavailable(f"{what} (see {log})")
        time.sleep(every)


def wait_ready(base: str, proc: subprocess.Popen[Any], *, timeout: float, log: Path) -> None:
    """Wait until ``{base}/v1/ready`` answers 200 (``poll_until``'s errors otherwise)."""

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/v1/ready", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False  # not listening yet

    what = f"the server at {base} was not ready within {timeout:.0f}s"
    poll_until(proc, ready, deadline=time.monotonic() + timeout, what=what, log=log, every=0.2)


def stop(proc: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """Terminate ``proc``, and kill it if it has not ended within ``timeout`` seconds. Its pipes, if any, are
    drained meanwhile, so a process that still writes cannot block its own exit."""
    proc.terminate()
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=timeout)
