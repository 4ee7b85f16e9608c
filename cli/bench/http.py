"""A real HTTP server in a background thread, for benchmarks that go through HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from kb.errors import SourceUnavailable

__all__ = ["serve_in_thread"]


@contextmanager
def serve_in_thread(app: FastAPI, *, timeout: float = 60.0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (ephemeral port); yields the base URL; stops on exit."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/v1/health", timeout=1.0).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.should_exit = True
            raise SourceUnavailable(f"the API did not start within {timeout:.0f}s")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
