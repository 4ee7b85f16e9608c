"""A real HTTP server for the API tests, and the session fixtures that share one across test files.

:class:`LiveServer` runs uvicorn in a background thread on ``127.0.0.1`` with an ephemeral
port, waits for ``/v1/health`` with a deadline and stops cleanly. The fixtures build one
full store (genes, OncoTree, drugs, CIViC, catalogue and the PubMed oncology subset, tagged
by the concept tagger) per backend (SQLite and Elasticsearch, see :mod:`tests.backends`), and
serve ``create_app(settings, services=...)``; every API test runs against both.

``tests/conftest.py`` registers these fixtures for every test module, so the store and the
server are built once per session however many API test files run.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from kb.services import Services, build_services
from kb.settings import Settings
from kb.store import Backend
from kb.store.es import ElasticsearchStore
from tests.backends import BACKENDS, es_url, full_store, make_backend_settings

__all__ = ["LiveServer", "api", "empty_live_api", "es_url", "full_store", "live_api"]


class ServerDidNotStart(RuntimeError):
    """The server thread died or /v1/health did not answer before the deadline."""


class LiveServer:
    """uvicorn serving ``app`` from a background thread on 127.0.0.1 and an ephemeral port."""

    def __init__(self, app: FastAPI, services: Services, *, host: str = "127.0.0.1") -> None:
        self.app = app
        self.services = services
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="none")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=f"uvicorn-{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, *, timeout: float = 30.0) -> LiveServer:
        """Start the thread and poll ``/v1/health`` until it answers 200 or the deadline passes."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        last: str = "no answer yet"
        with httpx.Client(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self._thread.is_alive():
                    raise ServerDidNotStart(f"the server thread exited during startup ({last})")
                try:
                    response = client.get("/v1/health")
                except httpx.TransportError as exc:
                    last = repr(exc)
                else:
                    if response.status_code == 200:
                        return self
                    last = f"/v1/health answered {response.status_code}"
                self._thread.join(0.05)  # the poll interval; returns at once if the thread dies
        self.stop()
        raise ServerDidNotStart(f"{self.url}/v1/health did not answer within {timeout} s ({last})")

    def stop(self, *, timeout: float = 15.0) -> None:
        """Ask uvicorn to exit, then join the thread with a deadline."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._socket.close()
        if self._thread.is_alive():
            raise RuntimeError(f"the server on {self.url} did not stop within {2 * timeout} s")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def live_api(
    request: pytest.FixtureRequest, full_store: Callable[[str], tuple[Settings, Backend]]
) -> Iterator[LiveServer]:
    """One real server per backend over a full store (vocabularies, CIViC, catalogue, 1,500 tagged articles)."""
    settings, store = full_store(request.param)
    services = build_services(settings, embed=False, store=store)
    with LiveServer(create_app(settings, services=services), services) as server:
        yield server


@pytest.fixture(scope="session")
def api(live_api: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client on the live server."""
    with httpx.Client(base_url=live_api.url, timeout=30.0) as client:
        yield client


@pytest.fixture(params=BACKENDS)
def empty_live_api(request: pytest.FixtureRequest, tmp_path: Path, data_dir: Path) -> Iterator[LiveServer]:
    """A real server over a store that holds nothing (a fresh install before ``kb ingest``)."""
    if request.param == "es":
        request.getfixturevalue("es_url")
    settings = make_backend_settings(request.param, tmp_path, data_dir)
    services = build_services(settings, embed=False)
    try:
        with LiveServer(create_app(settings, services=services), services) as server:
            yield server
    finally:
        services.close()
        if isinstance(services.store, ElasticsearchStore):
            ElasticsearchStore(settings).drop()  # a fresh client: some tests close the server's
