"""Webhooks reach public addresses only, and their deliveries are signed over time, key and body.

Registration is refused on a live server (SQLite and PostgreSQL editorial databases) for every address
of the service's own network; delivery checks again, connects to the address it checked (a name that
rebinds after the check gains nothing), follows no redirect, and signs ``timestamp.key.body`` so that
the receiver snippet of docs/editorial.md accepts it and refuses a replay or a changed key.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import sqlalchemy as sa

from api.app import create_app
from kb.editorial.accounts import Accounts, Principal
from kb.editorial.audit import now
from kb.editorial.db import Database
from kb.editorial.db.models import Change, Delivery, Webhook
from kb.editorial.webhooks import WebhookDispatcher, append_change, register_webhook
from kb.services import build_services
from kb.settings import Settings
from tests.api_server import LiveServer
from tests.conftest import make_settings
from tests.test_editorial import PASSWORD, fresh_database

REPO = Path(__file__).resolve().parents[1]
REFUSED = [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://10.0.0.1/hook",
    "http://[fd00::1]/hook",
    "http://0.0.0.0:8000/hook",
    "http://2130706433/hook",  # 127.0.0.1 written as a number
    "http://0x7f.1/hook",
    "http://127.0.0.1:8000/hook",  # the service itself
    "http://localhost:8000/hook",
    "http://[::1]:8000/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/hook",  # 169.254.169.254, mapped
    "http://100.100.100.200/hook",  # shared address space (another cloud's metadata)
    "http://224.0.0.1/hook",
]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path, data_dir: Path) -> Iterator[tuple[Settings, Database]]:
    """A migrated editorial database of each kind with one admin, and settings as production has them
    (loopback webhooks not allowed)."""
    url, drop = fresh_database(request.param, tmp_path)
    settings = make_settings(tmp_path, data_dir).model_copy(
        update={"db_url": url, "secret_key": "test-signing-key-of-at-least-32-bytes"}
    )
    db = Database(url)
    db.upgrade()
    Accounts(db, settings).create_user("admin", PASSWORD, "admin", actor="test-setup")
    try:
        yield settings, db
    finally:
        db.close()
        drop()


def _admin(db: Database) -> Principal:
    with db.session() as s:
        user_id = s.scalar(sa.text("SELECT id FROM users WHERE username = 'admin'"))
    return Principal("user", user_id=int(user_id), username="admin", role="admin")


def test_webhook_targets_in_the_services_own_network_are_refused_at_registration(
    database: tuple[Settings, Database],
) -> None:
    settings, db = database
    services = build_services(settings, embed=False)  # an empty store: registration needs none
    try:
        with LiveServer(create_app(settings, services=services), services) as server:
            token = httpx.post(f"{server.url}/v1/auth/login", json={"username": "admin", "password": PASSWORD})
            auth = {"Authorization": f"Bearer {token.json()['token']}"}
            for url in REFUSED:
                answer = httpx.post(f"{server.url}/v1/webhooks", json={"url": url}, headers=auth, timeout=30)
                assert answer.status_code == 400, (url, answer.text)
                error = answer.json()["error"]
                assert set(error) == {"code", "message", "details"} and "address" in error["details"], url
            public = httpx.post(f"{server.url}/v1/webhooks", json={"url": "https://93.184.215.14/hook"}, headers=auth)
            assert public.status_code == 201, public.text  # a public address literal needs no DNS
    finally:
        services.close()
    with db.session() as s:
        assert s.scalars(sa.select(Webhook.url)).all() == ["https://93.184.215.14/hook"]


class _Receiver(BaseHTTPRequestHandler):
    """Records every request; ``/redirect`` answers 307 to ``/landed``."""

    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((self.path, dict(self.headers), body))
        if self.path == "/redirect":
            self.send_response(307)
            self.send_header("Location", f"http://{self.headers['Host']}/landed")
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[int]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _hook_and_changes(db: Database, url: str, count: int = 1) -> str:
    """Register ``url`` as the test suite does (loopback allowed) and publish ``count`` changes; the secret."""
    _, secret = register_webhook(db, url, _admin(db), allow_loopback=True)
    with db.session() as s:
        for n in range(count):
            data = {"id": f"civic:EID{n}", "gene": "EGFR"}
            append_change(s, Change(at=now(), kind="evidence", key=data["id"], action="published", entry_version=1,
                                    data_version=f"v{n}", data=data))  # fmt: skip
    return secret


def _deliveries(db: Database) -> list[tuple[str, int, str | None]]:
    with db.session() as s:
        rows = s.execute(sa.select(Delivery.status, Delivery.attempts, Delivery.last_error).order_by(Delivery.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_delivery_checks_the_target_again_and_refuses_it_without_connecting(
    database: tuple[Settings, Database], receiver: int
) -> None:
    _, db = database
    _hook_and_changes(db, f"http://127.0.0.1:{receiver}/hook")
    dispatcher = WebhookDispatcher(db, max_attempts=1)  # production: loopback not allowed
    try:
        assert dispatcher.run_once() == 0
    finally:
        dispatcher.stop()
    assert _Receiver.received == []
    [(status, attempts, error)] = _deliveries(db)
    assert (status, attempts) == ("failed", 1) and error and error.startswith("refused") and "127.0.0.1" in error


@pytest.fixture
def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``hooks.rebind.test`` answers 127.0.0.1 to the first lookup and the metadata address after it (a
    hostile name server); every other name resolves as usual. Returns the answers given, in order."""
    answers: list[str] = []
    real = socket.getaddrinfo

    def lookup(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host != "hooks.rebind.test":
            return real(host, port, *args, **kw)
        answers.append("127.0.0.1" if not answers else "169.254.169.254")
        return real(answers[-1], port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return answers


def test_a_name_that_rebinds_after_the_check_is_delivered_to_the_checked_address_only(
    database: tuple[Settings, Database], receiver: int, rebinding_dns: list[str]
) -> None:
    _, db = database
    _hook_and_changes(db, f"http://hooks.rebind.test:{receiver}/hook", count=2)
    assert rebinding_dns == ["127.0.0.1"]  # registration checked it
    rebinding_dns.clear()
    dispatcher = WebhookDispatcher(db, max_attempts=1, allow_loopback=True)
    try:
        dispatcher.run_once()
    finally:
        dispatcher.stop()
    # the first delivery looked the name up once and connected to that address; the second lookup
    # answered the metadata address, which was refused before any connection
    assert rebinding_dns == ["127.0.0.1", "169.254.169.254"]
    assert [(path, headers["Host"]) for path, headers, _ in _Receiver.received] == [
        ("/hook", f"hooks.rebind.test:{receiver}")
    ]
    first, second = _deliveries(db)
    assert first[0] == "delivered"
    assert second[0] == "failed" and second[2] and second[2].startswith("refused") and "169.254.169.254" in second[2]


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(database: tuple[Settings, Database], receiver: int) -> None:
    _, db = database
    _hook_and_changes(db, f"http://127.0.0.1:{receiver}/redirect")
    dispatcher = WebhookDispatcher(db, max_attempts=1, allow_loopback=True)
    try:
        assert dispatcher.run_once() == 0
    finally:
        dispatcher.stop()
    assert [path for path, _, _ in _Receiver.received] == ["/redirect"]
    assert _deliveries(db) == [("failed", 1, "HTTP 307")]


def _documented_verify() -> Callable[..., bool]:
    """The receiver snippet of docs/editorial.md, run as written."""
    text = (REPO / "docs" / "editorial.md").read_text(encoding="utf-8")
    [code] = [c for c in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify(" in c]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/editorial.md", "exec"), namespace)  # our own documentation's snippet
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def test_deliveries_are_signed_over_timestamp_key_and_body_as_the_docs_verify(
    database: tuple[Settings, Database], receiver: int
) -> None:
    _, db = database
    secret = _hook_and_changes(db, f"http://127.0.0.1:{receiver}/hook", count=2)
    dispatcher = WebhookDispatcher(db, max_attempts=1, allow_loopback=True)
    try:
        assert dispatcher.run_once() == 2
    finally:
        dispatcher.stop()
    verify = _documented_verify()
    assert len(_Receiver.received) == 2
    for _, headers, body in _Receiver.received:
        sent = int(headers["X-Genekb-Timestamp"])
        assert verify(secret, headers, body, now=sent)
        assert not verify(secret, headers, body, now=sent + 301)  # a replay after the 5-minute window
        assert not verify(secret, {**headers, "Idempotency-Key": "genekb-1-999"}, body, now=sent)
        assert not verify(secret, {**headers, "X-Genekb-Timestamp": str(sent + 60)}, body, now=sent)
        assert not verify(secret, headers, body.replace(b"EGFR", b"KRAS"), now=sent)
        assert verify(secret, headers, body)  # fresh by the receiver's own clock
