"""The API's "low" hardening (issue 14) on live servers over SQLite and PostgreSQL editorial databases.

Numbers and ids out of range are 4xx in the error shape; bodies are capped before they are read;
logins are throttled per client address with backoff; anonymous reads are limited per address and
a key's limit holds across two API processes over one database; docs pages are off by default;
token answers are not cached; files are created owner-only; compose keeps the editorial database.
Client addresses are told apart by binding the client to 127.0.0.x (Linux routes all of 127/8).
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml

from api.app import create_app
from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.services import build_services
from kb.settings import Settings, load_settings
from kb.store import SQLiteStore
from tests.api_server import LiveServer
from tests.conftest import REPO, make_settings
from tests.test_editorial import fresh_database

PASSWORD = "correct horse battery"
SECRET = "test-signing-key-of-at-least-32-bytes"
USERS = {"admin": "admin", "editor": "editor", "doctor": "doctor"}
LIMITS = {"anon_rate_limit": 6, "login_ip_limit": 3, "max_follows": 2}


class Twin:
    """Two API processes (apps with their own editorial services) over one editorial database."""

    def __init__(self, servers: list[LiveServer], settings: Settings) -> None:
        self.servers = servers
        self.settings = settings
        self.tokens = {name: self.login(name).json()["token"] for name in USERS}

    def client(self, address: str = "127.0.0.1", server: int = 0) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        return httpx.Client(base_url=self.servers[server].url, transport=transport, timeout=30.0)

    def login(self, name: str, password: str = PASSWORD, address: str = "127.0.0.1", server: int = 0) -> httpx.Response:
        with self.client(address, server) as client:
            return client.post("/v1/auth/login", json={"username": name, "password": password})

    def call(self, who: str | None, method: str, path: str, address: str = "127.0.0.1", **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if who in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        elif who is not None:
            headers["X-API-Key"] = who
        with self.client(address, kw.pop("server", 0)) as client:
            return client.request(method, path, headers=headers, **kw)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def twin(
    request: pytest.FixtureRequest, vocab_store: SQLiteStore, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Twin]:
    tmp = tmp_path_factory.mktemp(f"hardening-{request.param}")
    url, drop = fresh_database(request.param, tmp)
    settings = make_settings(tmp, data_dir).model_copy(
        update={"store": f"sqlite:///{vocab_store.path}", "db_url": url, "secret_key": SECRET, **LIMITS}
    )
    db = Database(url)
    db.upgrade()
    accounts = Accounts(db, settings)
    for name, role in USERS.items():
        accounts.create_user(name, PASSWORD, role, actor="test-setup")
    db.close()
    services = build_services(settings, embed=False, store=vocab_store)
    servers = [LiveServer(create_app(settings, services=services), services) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield Twin(servers, settings)
    finally:
        for server in servers:
            if server._thread.is_alive():
                server.stop()
        drop()


def error_shape(response: httpx.Response) -> bool:
    body = response.json()
    return set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])


# -- 500s ---------------------------------------------------------------------------------------------
HUGE = "9" * 30


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/v1/submissions", {"offset": str(2**63)}),
        ("GET", "/v1/audit", {"after": str(2**63)}),
        ("GET", "/v1/changes", {"since": "99999999999999999999"}),
        ("GET", "/v1/changes", {"since": "²"}),
        ("GET", f"/v1/submissions/{HUGE}", {}),
        ("POST", f"/v1/submissions/{HUGE}/submit", {}),
        ("POST", f"/v1/submissions/{HUGE}/comments", {}),
    ],
)
def test_out_of_range_numbers_and_ids_are_4xx_in_the_error_shape(
    twin: Twin, method: str, path: str, params: dict[str, str]
) -> None:
    body = {"text": "a note"} if path.endswith("comments") else None
    response = twin.call("editor", method, path, params=params, json=body, headers={"If-Match": '"1"'})
    assert 400 <= response.status_code < 500, response.text
    assert error_shape(response)


def test_a_signed_token_whose_subject_is_not_a_user_id_is_401(twin: Twin) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    for sub in ("admin", "1e3", "٣", HUGE):
        claims = {"sub": sub, "exp": expires, "auth_time": int(expires.timestamp()) - 60, "sv": 0}
        token = jwt.encode(claims, SECRET, algorithm="HS256")
        response = twin.call(None, "GET", "/v1/follows", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and error_shape(response), (sub, response.text)


# -- body size and follows ----------------------------------------------------------------------------
def raw_exchange(server: LiveServer, head: bytes, body: bytes) -> bytes:
    """Send ``head`` and ``body`` on one connection and read the answer's status line and headers."""
    with socket.create_connection((server.host, server.port), timeout=20) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_20_mb_login_body_is_refused_with_413_before_it_is_read(twin: Twin) -> None:
    server = twin.servers[0]
    head = (
        b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n"
    )
    answer = raw_exchange(server, head, b'{"username": "admin", "password": "')  # the rest never comes
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    chunked = head.replace(b"Content-Length: 20000000", b"Transfer-Encoding: chunked")
    piece = b"a" * 65536
    chunks = (b"%x\r\n" % len(piece) + piece + b"\r\n") * 20  # 1.3 MB and no end: refused once past 1 MB
    assert raw_exchange(server, chunked, chunks).startswith(b"HTTP/1.1 413")
    with twin.client() as client:
        big = client.post("/v1/auth/login", content=b"x" * (twin.settings.max_body_bytes + 1))
    assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"


def test_follows_are_capped_per_user(twin: Twin) -> None:
    for gene in ("EGFR", "ALK"):
        assert twin.call("doctor", "POST", "/v1/follows", json={"kind": "gene", "key": gene}).status_code in (200, 201)
    third = twin.call("doctor", "POST", "/v1/follows", json={"kind": "gene", "key": "KRAS"})
    assert third.status_code == 409 and error_shape(third)
    assert third.json()["error"]["details"]["max_follows"] == LIMITS["max_follows"]


# -- throttling -----------------------------------------------------------------------------------------
def test_failed_logins_slow_down_their_address_with_backoff_but_not_the_account(twin: Twin) -> None:
    limit = LIMITS["login_ip_limit"]
    name = f"nobody{uuid.uuid4().hex[:6]}"
    tries = [twin.login(name, "wrong one!", address="127.0.0.2", server=i % 2) for i in range(limit + 3)]
    assert [t.status_code for t in tries] == [401] * limit + [429] * 3
    waits = [int(t.headers["Retry-After"]) for t in tries[limit:]]
    assert waits == sorted(waits) and waits[0] < waits[-1]  # each attempt while waiting pushes the next further
    assert twin.login("doctor", "wrong one!", address="127.0.0.2").status_code == 429
    assert twin.login("doctor", address="127.0.0.3").status_code == 200  # elsewhere, the account still signs in
    assert [twin.login("doctor", address="127.0.0.4").status_code for _ in range(limit + 2)] == [200] * (limit + 2)


def test_parallel_failed_logins_from_one_address_get_only_its_limit_of_checks(twin: Twin) -> None:
    limit = LIMITS["login_ip_limit"]
    name = f"nobody{uuid.uuid4().hex[:6]}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda i: twin.login(name, "wrong!", "127.0.0.5", i % 2).status_code, range(24)))
    assert sorted(codes) == [401] * limit + [429] * (24 - limit)


def test_anonymous_reads_are_limited_per_address_across_two_api_processes(twin: Twin) -> None:
    limit = LIMITS["anon_rate_limit"]
    answers = [twin.call(None, "GET", "/v1/genes/EGFR", "127.0.0.6", server=i % 2) for i in range(limit + 1)]
    assert [a.status_code for a in answers] == [200] * limit + [429]
    assert answers[0].headers["RateLimit-Limit"] == str(limit) and int(answers[-1].headers["Retry-After"]) >= 1
    assert error_shape(answers[-1])
    assert twin.call(None, "GET", "/v1/genes/EGFR", "127.0.0.7").status_code == 200


def test_a_keys_limit_is_shared_by_two_api_processes(twin: Twin) -> None:
    created = twin.call("admin", "POST", "/v1/keys", json={"name": "p", "scope": "read", "rate_limit": 5}).json()
    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(
            pool.map(lambda i: twin.call(created["key"], "GET", "/v1/tests", server=i % 2).status_code, range(12))
        )
    assert sorted(codes) == [200] * 5 + [429] * 7


# -- docs pages and headers -----------------------------------------------------------------------------
def test_docs_pages_are_served_only_when_the_setting_asks(twin: Twin, tmp_path: Path) -> None:
    assert [twin.call(None, "GET", p, "127.0.0.8").status_code for p in ("/docs", "/redoc")] == [404, 404]
    on = create_app(load_settings(store=f"sqlite:///{tmp_path / 'kb.sqlite3'}", api_docs=True))
    assert {"/docs", "/redoc"} <= {getattr(r, "path", "") for r in on.routes}


def test_answers_with_tokens_or_keys_are_not_stored_and_json_is_nosniff(twin: Twin) -> None:
    login = twin.login("admin", address="127.0.0.9")
    key = twin.call("admin", "POST", "/v1/keys", json={"name": "p", "scope": "read"})
    for answer in (login, key, twin.call("admin", "GET", "/v1/keys")):
        assert answer.status_code in (200, 201) and answer.headers["Cache-Control"] == "no-store"
    public = twin.call(None, "GET", "/v1/genes/EGFR", "127.0.0.10")
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert public.headers["content-type"].startswith("application/json")


# -- files and compose ----------------------------------------------------------------------------------
def test_a_fresh_work_dir_gets_files_only_its_owner_can_read(tmp_path: Path) -> None:
    work = tmp_path / "var"
    env = {
        **os.environ,
        "KB_WORK_DIR": str(work),
        "KB_DB_URL": f"sqlite:///{work / 'editorial.sqlite3'}",
        "KB_STORE": f"sqlite:///{work / 'kb.sqlite3'}",
        "KB_NEW_PASSWORD": PASSWORD,
    }
    env.pop("KB_SECRET_KEY", None)
    old = os.umask(0o022)  # a usual umask in the parent, which the command must not inherit
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", "users", "create", "--username", "alice", "--role", "admin"],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    made = [work, work / "secret.key", work / "editorial.sqlite3", *work.iterdir()]
    assert {p.name for p in made} >= {"secret.key", "editorial.sqlite3"}
    loose = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in made if p.stat().st_mode & 0o077}
    assert loose == {}


def test_compose_keeps_the_editorial_database_and_secret_key_in_a_volume() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    api = compose["services"]["api"]
    env = {**compose["x-kb-env"], **(api.get("environment") or {})}
    work = env["KB_WORK_DIR"]
    database = env["KB_DB_URL"].removeprefix("sqlite:///")
    mounts = {target: source for source, target in (v.split(":")[:2] for v in api.get("volumes", []))}
    assert work in mounts and mounts[work] in compose["volumes"]  # secret.key: <work_dir>/secret.key
    assert Path(database).parent == Path(work)
