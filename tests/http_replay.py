"""A scripted local HTTP server for tests: real sockets, no network.

``replay_server()`` starts a threaded ``http.server`` on 127.0.0.1 with an
ephemeral port. Tests script the replies per path (optionally per query
parameter) and read back the requests it received::

    with replay_server() as server:
        server.script("/esearch.fcgi", Reply.json({...}))
        server.script("/efetch.fcgi", Reply(status=500), Reply.xml(body), params={"retstart": "0"})
        ...
        assert server.requests_to("/efetch.fcgi")[0].params["email"] == "me@example.org"

Replies of one script are served in order; the last one repeats for any
further request. A request no script matches gets a 404.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["RecordedRequest", "ReplayServer", "Reply", "replay_server", "unused_port"]


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: Mapping[str, str] = field(default_factory=dict)
    send_bytes: int | None = None  # send only this many body bytes, then hang up (Content-Length stays full)

    @classmethod
    def xml(cls, body: bytes, **kwargs: Any) -> Reply:
        return cls(body=body, content_type="text/xml; charset=UTF-8", **kwargs)

    @classmethod
    def json(cls, value: object, **kwargs: Any) -> Reply:
        return cls(body=json.dumps(value).encode(), content_type="application/json; charset=UTF-8", **kwargs)

    @classmethod
    def error(cls, status: int, **kwargs: Any) -> Reply:
        return cls(status=status, body=f"error {status}".encode(), content_type="text/plain", **kwargs)


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it; ``params`` merges the query string and a form body."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes


Responder = Reply | Callable[[RecordedRequest], Reply]


@dataclass
class _Script:
    path: str
    params: dict[str, str]
    replies: list[Responder]
    order: int

    def matches(self, request: RecordedRequest) -> bool:
        return request.path == self.path and all(request.params.get(k) == v for k, v in self.params.items())

    def next_reply(self) -> Responder:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class ReplayServer:
    """The scripted server; build it with :func:`replay_server`."""

    def __init__(self, host: str, port: int) -> None:
        self.base_url = f"http://{host}:{port}/"
        self._lock = threading.Lock()
        self._scripts: list[_Script] = []
        self._requests: list[RecordedRequest] = []

    def url(self, path: str = "/") -> str:
        return self.base_url + path.lstrip("/")

    def script(self, path: str, *replies: Responder, params: Mapping[str, str] | None = None) -> None:
        """Answer requests to ``path`` (whose parameters include ``params``) with ``replies`` in order.

        When several scripts match, the one with the most ``params`` wins, then the latest.
        """
        if not replies:
            raise ValueError("script() needs at least one reply")
        with self._lock:
            self._scripts.append(_Script(path, dict(params or {}), list(replies), len(self._scripts)))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            candidates = [script for script in self._scripts if script.matches(request)]
            if not candidates:
                return Reply.error(404)
            best = max(candidates, key=lambda script: (len(script.params), script.order))
            responder = best.next_reply()
        return responder(request) if callable(responder) else responder


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection; a hang-up ends the body

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            params = {key: values[0] for key, values in parse_qs(split.query).items()}
            if body and self.headers.get_content_type() == "application/x-www-form-urlencoded":
                params.update({key: values[0] for key, values in parse_qs(body.decode()).items()})
            request = RecordedRequest(self.command, split.path, params, dict(self.headers.items()), body)
            reply = server._answer(request)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            sent = reply.body if reply.send_bytes is None else reply.body[: reply.send_bytes]
            self.wfile.write(sent)
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@contextmanager
def replay_server() -> Iterator[ReplayServer]:
    """Run a :class:`ReplayServer` on 127.0.0.1 for the duration of the ``with`` block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.daemon_threads = True
    host, port = httpd.server_address[:2]
    replay = ReplayServer(str(host), int(port))
    httpd.RequestHandlerClass = _handler_for(replay)
    # A short poll interval keeps shutdown() (which waits for the next poll) quick.
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="http-replay", daemon=True
    )
    thread.start()
    try:
        yield replay
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def unused_port() -> int:
    """A local port nothing listens on (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
