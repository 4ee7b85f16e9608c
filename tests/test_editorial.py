"""The editorial API on a live server, over SQLite and PostgreSQL editorial databases.

Roles, keys, the permission matrix, ETags, double accepts, the audit log, publishing into
search, the change feed, webhooks that come back, follows, the search log and its report.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import sqlalchemy as sa

from api.app import create_app
from ingest.jobs import ingest_pubmed_files, run_source
from kb.editorial.accounts import Accounts
from kb.editorial.audit import now
from kb.editorial.db import Database
from kb.editorial.db.models import ApiKey
from kb.editorial.publish import Publisher
from kb.errors import StoreError
from kb.services import build_services
from kb.settings import Settings
from kb.store import SQLiteStore
from tests.api_server import LiveServer
from tests.conftest import make_context, make_settings

PG_URL = os.environ.get("KB_TEST_PG_URL", "postgresql+psycopg://genekb@127.0.0.1:5433/genekb")
PUBMED_SUBSET = Path("pubmed") / "pubmed21n1298.oncology_subset.xml.gz"
PASSWORD = "correct horse battery"
USERS = {"admin": "admin", "editor": "editor", "editor2": "editor", "curator": "curator", "doctor": "doctor"}


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[tuple[Settings, SQLiteStore]]:
    tmp = tmp_path_factory.mktemp("editorial-store")
    settings = make_settings(tmp, data_dir)
    store = SQLiteStore(settings.sqlite_path)
    ctx = make_context(settings, store)
    for source in ("genes", "oncotree", "drugs", "biomarkers", "civic", "catalogue"):
        run_source(ctx, source, data_dir)
    ingest_pubmed_files(ctx, [data_dir / PUBMED_SUBSET])
    yield settings, store
    store.close()


def fresh_database(kind: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """An empty editorial database: a SQLite file, or a new database on the test PostgreSQL."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'editorial.sqlite3'}", lambda: None
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {PG_URL} ({exc.__class__.__name__}); run `make pg-start` or set KB_TEST_PG_URL")

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_URL.rsplit("/", 1)[0] + f"/{name}", drop


class Site:
    """A live server, its editorial database and a signed-in client per user."""

    def __init__(self, server: LiveServer, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.db = Database(settings.db_url)
        self.tokens = {name: self.login(name) for name in USERS}

    def login(self, name: str) -> str:
        response = httpx.post(f"{self.server.url}/v1/auth/login", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def call(self, who: str | None, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if who in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        elif who is not None and who.startswith("gk_"):
            headers["X-API-Key"] = who
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30.0, **kw)

    def key(self, scope: str = "read", **kw: Any) -> tuple[str, str]:
        body = self.call("admin", "POST", "/v1/keys", json={"name": f"partner {scope}", "scope": scope, **kw}).json()
        return body["key_id"], body["key"]

    def expire(self, key_id: str) -> None:
        with self.db.session() as s:
            row = s.scalar(sa.select(ApiKey).where(ApiKey.key_id == key_id))
            assert row is not None
            row.expires_at = now() - timedelta(minutes=1)

    def submission(self, author: str = "curator", state: str = "draft", **data: Any) -> dict[str, Any]:
        record = evidence_record(**data)
        body = {"kind": "evidence", "key": record["id"], "data": record, "reason": "new trial"}
        sub = self.call(author, "POST", "/v1/submissions", json=body).json()
        if state in ("submitted", "accepted"):
            sub = self.call(author, "POST", f"/v1/submissions/{sub['id']}/submit", headers=match(sub)).json()
        if state == "accepted":
            sub = self.call("editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub)).json()
        return sub


def match(sub: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{sub["version"]}"'}


def evidence_record(word: str | None = None, gene: str = "EGFR", eid: str | None = None) -> dict[str, Any]:
    ident = eid or f"civic:EID9{uuid.uuid4().int % 10**8:08d}"
    return {
        "id": ident,
        "source": "genekb",
        "source_id": ident.split("EID")[-1],
        "gene": gene,
        "alteration": {"gene": gene, "kind": "protein_change", "name": "T790M"},
        "evidence_type": "predictive",
        "direction": "supports",
        "significance": "sensitivity",
        "level": "B",
        "rating": 4,
        "tumor_code": "NSCLC",
        "disease": "Lung Non-small Cell Carcinoma",
        "drugs": ["osimertinib"],
        "citations": [{"pmid": "26720286", "source": "PubMed", "source_id": "26720286"}],
        "statement": f"An authored statement about {word or 'a response'} in a curated trial.",
    }


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, module_store: tuple[Settings, SQLiteStore], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    base, store = module_store
    url, drop = fresh_database(request.param, tmp_path_factory.mktemp(f"db-{request.param}"))
    settings = base.model_copy(
        update={
            "db_url": url,
            "secret_key": "test-signing-key-of-at-least-32-bytes",
            "gap_min_doctors": 1,
            "webhook_allow_loopback": True,  # the receivers of these tests listen on 127.0.0.1
        }
    )
    db = Database(url)
    db.upgrade()
    accounts = Accounts(db, settings)
    for name, role in USERS.items():
        accounts.create_user(name, PASSWORD, role, actor="test-setup")
    db.close()
    services = build_services(settings, embed=False, store=store)
    try:
        with LiveServer(create_app(settings, services=services), services) as server:
            site = Site(server, settings)
            try:
                yield site
            finally:
                site.db.close()
    finally:
        drop()


# -- the permission matrix ------------------------------------------------------------------------
PRINCIPALS = ["anonymous", "doctor", "curator", "editor", "admin", "read key", "feed key", "expired key", "revoked key"]


def test_every_write_endpoint_answers_every_principal_as_documented(site: Site) -> None:
    keys: dict[str, str | None] = {"anonymous": None, **{n: n for n in ("doctor", "curator", "editor", "admin")}}
    keys["read key"] = site.key("read")[1]
    keys["feed key"] = site.key("feed")[1]
    expired_id, keys["expired key"] = site.key("read")
    site.expire(expired_id)
    revoked_id, keys["revoked key"] = site.key("read")
    assert site.call("admin", "DELETE", f"/v1/keys/{revoked_id}").status_code == 200

    def sub(state: str) -> Callable[[], tuple[str, dict[str, str]]]:
        def make() -> tuple[str, dict[str, str]]:
            s = site.submission("curator", state)
            return str(s["id"]), match(s)

        return make

    def nothing() -> tuple[str, dict[str, str]]:
        return "", {}

    def fresh_key() -> tuple[str, dict[str, str]]:
        return site.key("read")[0], {}

    def followed() -> tuple[str, dict[str, str]]:
        for who in ("doctor", "curator", "editor", "admin"):
            site.call(who, "POST", "/v1/follows", json={"kind": "gene", "key": "KRAS"})
        return "", {}

    record = evidence_record()
    endpoints: list[tuple[str, str, Callable[[], tuple[str, dict[str, str]]], Any, dict[str, int]]] = [
        (
            "POST",
            "/v1/users",
            nothing,
            lambda: {"username": f"u{uuid.uuid4().hex[:8]}", "password": PASSWORD, "role": "doctor"},
            {"admin": 201},
        ),
        ("POST", "/v1/keys", nothing, lambda: {"name": "k", "scope": "read"}, {"admin": 201}),
        ("DELETE", "/v1/keys/{id}", fresh_key, None, {"admin": 200}),
        (
            "POST",
            "/v1/submissions",
            nothing,
            lambda: {"kind": "evidence", "key": record["id"], "data": record},
            {"curator": 201, "editor": 201, "admin": 201},
        ),
        ("PATCH", "/v1/submissions/{id}", sub("draft"), None, {"curator": 200}),  # the author, nobody else
        ("POST", "/v1/submissions/{id}/submit", sub("draft"), None, {"curator": 200}),
        ("POST", "/v1/submissions/{id}/accept", sub("submitted"), lambda: {}, {"editor": 200, "admin": 200}),
        (
            "POST",
            "/v1/submissions/{id}/reject",
            sub("submitted"),
            lambda: {"comment": "no"},
            {"editor": 200, "admin": 200},
        ),
        (
            "POST",
            "/v1/submissions/{id}/comments",
            sub("submitted"),
            lambda: {"text": "see PMID 1"},
            {"curator": 201, "editor": 201, "admin": 201},
        ),
        ("POST", "/v1/webhooks", nothing, lambda: {"url": "http://127.0.0.1:9/hook"}, {"admin": 201}),
        (
            "POST",
            "/v1/follows",
            nothing,
            lambda: {"kind": "gene", "key": "EGFR"},
            {"doctor": 201, "curator": 201, "editor": 201, "admin": 201},
        ),
        (
            "DELETE",
            "/v1/follows/gene/KRAS",
            followed,
            None,
            {"doctor": 204, "curator": 204, "editor": 204, "admin": 204},
        ),
        (
            "PUT",
            "/v1/me/privacy",
            nothing,
            lambda: {"opt_out": False},
            {"doctor": 204, "curator": 204, "editor": 204, "admin": 204},
        ),
        ("POST", "/v1/feeds/token", nothing, None, {"doctor": 201, "curator": 201, "editor": 201, "admin": 201}),
        ("POST", "/v1/feed/seen", nothing, None, {"doctor": 204, "curator": 204, "editor": 204, "admin": 204}),
        ("DELETE", "/v1/feeds/token", nothing, None, {"doctor": 204, "curator": 204, "editor": 204, "admin": 204}),
        (
            "POST",
            "/v1/submissions/bulk",
            nothing,
            lambda: {"tsv": f"kind\tkey\tsynonyms_zh\ndrug\tosimertinib\t奥希测试{uuid.uuid4().hex[:6]}\n"},
            {"curator": 200, "editor": 200, "admin": 200},
        ),
    ]
    failures = []
    for method, path, setup, body, allowed in endpoints:
        for who in PRINCIPALS:
            ident, headers = setup()
            kw: dict[str, Any] = {"headers": headers}
            payload = body() if body else None
            if path == "/v1/submissions/{id}":
                payload = {"data": evidence_record(eid=site.call("curator", "GET", f"/v1/submissions/{ident}")
                                                   .json()["key"])}  # fmt: skip
            if payload is not None:
                kw["json"] = payload
            response = site.call(keys[who], method, path.replace("{id}", ident), **kw)
            if who in allowed:
                expected = allowed[who]
            elif who in ("anonymous", "expired key", "revoked key"):
                expected = 401
            else:
                expected = 403
            if response.status_code != expected:
                failures.append(f"{method} {path} as {who}: {response.status_code}, expected {expected}")
            else:
                assert "Traceback" not in response.text
                if expected >= 400:
                    assert response.json()["error"]["code"] in ("unauthorized", "forbidden")
    assert failures == []


# -- workflow ---------------------------------------------------------------------------------------
def test_a_stale_etag_is_412_and_a_missing_one_428(site: Site) -> None:
    sub = site.submission("curator")
    path = f"/v1/submissions/{sub['id']}"
    first = site.call("curator", "PATCH", path, json={"data": evidence_record("first", eid=sub["key"])},
                      headers=match(sub))  # fmt: skip
    assert first.status_code == 200 and first.headers["ETag"] == f'"{sub["version"] + 1}"'
    stale = site.call("curator", "PATCH", path, json={"data": evidence_record("second", eid=sub["key"])},
                      headers=match(sub))  # fmt: skip
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "precondition_failed"
    missing = site.call("curator", "PATCH", path, json={"data": evidence_record("third", eid=sub["key"])})
    assert missing.status_code == 428
    assert "first" in site.call("curator", "GET", path).json()["data"]["statement"]


def test_a_double_accept_is_refused_and_authors_do_not_review_themselves(site: Site) -> None:
    sub = site.submission("editor", "submitted")
    own = site.call("editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub))
    assert own.status_code == 403
    accepted = site.call("editor2", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub))
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    again = site.call("admin", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(accepted.json()))
    assert again.status_code == 409
    stale = site.call("admin", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub))
    assert stale.status_code == 409  # accepted already: the state is checked before the ETag (tests/test_races.py)


def test_two_edits_of_one_entry_conflict_at_the_second_accept(site: Site) -> None:
    eid = evidence_record()["id"]
    a = site.submission("curator", "submitted", eid=eid, word="alpha")
    b = site.submission("curator", "submitted", eid=eid, word="beta")
    assert (
        site.call("editor", "POST", f"/v1/submissions/{a['id']}/accept", json={}, headers=match(a)).status_code == 200
    )
    late = site.call("editor", "POST", f"/v1/submissions/{b['id']}/accept", json={}, headers=match(b))
    assert late.status_code == 409 and late.json()["error"]["details"]["entry_version"] == 1


def test_the_diff_shows_each_changed_field(site: Site) -> None:
    accepted = site.submission("curator", "accepted", word="gamma")
    changed = evidence_record("delta", eid=accepted["key"]) | {"level": "A"}
    body = {"kind": "evidence", "key": accepted["key"], "data": changed, "reason": "level A now"}
    sub = site.call("curator", "POST", "/v1/submissions", json=body).json()
    view = site.call("editor", "GET", f"/v1/submissions/{sub['id']}").json()
    fields = {d["field"]: (d["before"], d["after"]) for d in view["diff"]}
    assert set(fields) == {"level", "statement"} and fields["level"] == ("B", "A")
    assert view["base_version"] == 1


def test_the_audit_log_matches_the_writes_one_for_one(site: Site) -> None:
    before = site.call("admin", "GET", "/v1/audit", params={"limit": 500}).json()
    last = before[-1]["id"] if before else 0
    sub = site.submission("curator", "accepted")
    site.call("curator", "POST", f"/v1/submissions/{sub['id']}/comments", json={"text": "ok", "flag": True})
    key_id, _ = site.key("feed")
    site.call("admin", "DELETE", f"/v1/keys/{key_id}")
    after = site.call("admin", "GET", "/v1/audit", params={"after": last}).json()
    got = [(e["action"], e["target"], e["actor"]) for e in after]
    target = f"submission:{sub['id']}"
    assert got == [
        ("submission.create", target, "curator"),
        ("submission.submitted", target, "curator"),
        ("submission.accepted", target, "editor"),
        ("entry.publish", f"evidence:{sub['key']}", "editor"),
        ("submission.flag", target, "curator"),
        ("key.create", f"key:{key_id}", "admin"),
        ("key.revoke", f"key:{key_id}", "admin"),
    ]
    publish = after[3]
    assert publish["before"] is None and publish["after"]["id"] == sub["key"] and publish["reason"] == "new trial"
    accepted = after[2]
    assert accepted["before"]["state"] == "submitted" and accepted["after"]["state"] == "accepted"


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"])
def test_the_database_refuses_to_change_the_audit_log(site: Site, statement: str) -> None:
    site.submission("curator")
    with pytest.raises(StoreError), site.db.session() as s:
        s.execute(sa.text(statement))
    with site.db.session() as s:
        assert "someone else" not in {r[0] for r in s.execute(sa.text("SELECT actor FROM audit_log"))}


def test_an_ingest_does_not_undo_curated_entries_and_announces_its_data_version(
    site: Site, module_store: tuple[Settings, SQLiteStore]
) -> None:
    _, store = module_store
    original = store.get_evidence("civic:EID1409")
    assert original is not None
    data = site.call("editor", "GET", "/v1/entries/evidence/civic:EID1409").json()["data"]
    body = {"kind": "evidence", "key": "civic:EID1409", "data": data | {"rating": 1}, "reason": "downgraded"}
    sub = site.call("curator", "POST", "/v1/submissions", json=body).json()
    sub = site.call("curator", "POST", f"/v1/submissions/{sub['id']}/submit", headers=match(sub)).json()
    assert (
        site.call("editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub)).status_code
        == 200
    )
    store.upsert_evidence([original])  # what a new `kb ingest civic` does to the record
    editorial = Publisher(site.db, store, lambda _: None)
    assert editorial.republish() >= 1
    stored = store.get_evidence("civic:EID1409")
    assert stored is not None and stored.rating == 1
    change = editorial.announce_data_version("civic")
    _, feed_key = site.key("feed")
    last = site.call(feed_key, "GET", "/v1/changes", params={"since": str(change.id - 1)}).json()["changes"]
    assert last[0]["action"] == "data_version" and last[0]["data_version"] == store.data_version()


def test_accepted_evidence_is_searchable_within_five_seconds(site: Site) -> None:
    word = f"zorbatinib{uuid.uuid4().hex[:6]}"
    sub = site.submission("curator", "submitted", word=word)
    start = time.monotonic()
    assert (
        site.call("editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub)).status_code
        == 200
    )
    found = False
    while time.monotonic() - start < 5 and not found:
        body = site.call(None, "GET", "/v1/search", params={"q": f"EGFR {word}"}).json()
        found = any(e["id"] == sub["key"] for e in body["evidence"])
        time.sleep(0.1)
    assert found, f"{sub['key']} was not in /v1/search within 5 s"


def test_a_vocabulary_edit_teaches_the_query_parser_a_new_chinese_name(site: Site) -> None:
    current = site.call("editor", "GET", "/v1/entries/gene/ALK").json()
    name = "间变淋巴瘤激酶新名" + uuid.uuid4().hex[:4]
    data = current["data"] | {"synonyms_zh": [*current["data"]["synonyms_zh"], name]}
    sub = site.call("curator", "POST", "/v1/submissions", json={"kind": "gene", "key": "ALK", "data": data}).json()
    sub = site.call("curator", "POST", f"/v1/submissions/{sub['id']}/submit", headers=match(sub)).json()
    assert (
        site.call("editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub)).status_code
        == 200
    )
    concepts = site.call(None, "GET", "/v1/search", params={"q": name}).json()["query"]["concepts"]
    assert [c["id"] for c in concepts] == ["ALK"]


# -- keys, logins -----------------------------------------------------------------------------------
def test_a_key_past_its_rate_limit_gets_429_with_ratelimit_headers(site: Site) -> None:
    _, key = site.key("read", rate_limit=3)
    answers = [site.call(key, "GET", "/v1/tests") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[0].headers["RateLimit-Limit"] == "3" and int(answers[3].headers["Retry-After"]) >= 1
    assert answers[3].json()["error"]["code"] == "rate_limited"


def test_keys_are_stored_as_digests_and_shown_once(site: Site) -> None:
    key_id, key = site.key("read")
    listed = site.call("admin", "GET", "/v1/keys").json()
    assert all(k["key"] is None for k in listed) and key_id in {k["key_id"] for k in listed}
    with site.db.session() as s:
        row = s.scalar(sa.select(ApiKey).where(ApiKey.key_id == key_id))
        assert row is not None and key not in row.digest
        expected = hmac.new(b"test-signing-key-of-at-least-32-bytes", key.encode(), hashlib.sha256).hexdigest()
        assert row.digest == expected


def test_repeated_failed_logins_are_throttled(site: Site) -> None:
    accounts = Accounts(site.db, site.settings)
    accounts.create_user(f"victim{uuid.uuid4().hex[:6]}", PASSWORD, "doctor", actor="test")
    name = accounts.users()[-1].username
    codes = [
        httpx.post(f"{site.server.url}/v1/auth/login", json={"username": name, "password": "wrong one!"}).status_code
        for _ in range(site.settings.login_max_failures)
    ]
    right = httpx.post(f"{site.server.url}/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert codes == [401] * site.settings.login_max_failures
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0


# -- the change feed and webhooks ---------------------------------------------------------------------
def test_the_change_feed_lists_published_changes_in_order_after_a_cursor(site: Site) -> None:
    _, feed_key = site.key("feed")
    _, read_key = site.key("read")
    start = site.call(feed_key, "GET", "/v1/changes", params={"since": "0", "limit": 1000}).json()["next"]
    first = site.submission("curator", "accepted")
    second = site.submission("curator", "accepted")
    page = site.call(feed_key, "GET", "/v1/changes", params={"since": start}).json()
    assert [c["key"] for c in page["changes"]] == [first["key"], second["key"]]
    assert int(page["changes"][0]["cursor"]) < int(page["changes"][1]["cursor"]) == int(page["next"])
    assert page["changes"][1]["data_version"] != page["changes"][0]["data_version"]
    assert site.call(feed_key, "GET", "/v1/changes", params={"since": page["next"]}).json()["changes"] == []
    assert site.call(read_key, "GET", "/v1/changes").status_code == 403
    assert site.call(None, "GET", "/v1/changes").status_code == 401


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def test_a_webhook_receiver_that_comes_back_gets_every_event_once_in_order(site: Site) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = site.call("admin", "POST", "/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/hook"}).json()
    keys = [site.submission("curator", "accepted")["key"] for _ in range(3)]  # the receiver is down
    time.sleep(2)  # deliveries fail and back off
    _Receiver.received = []
    receiver = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while len(_Receiver.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # nothing more arrives
    finally:
        receiver.shutdown()
        receiver.server_close()
    bodies = [json.loads(body) for _, body in _Receiver.received]
    assert [b["key"] for b in bodies] == keys
    assert len({h["Idempotency-Key"] for h, _ in _Receiver.received}) == 3
    for headers, body in _Receiver.received:
        signed = f"{headers['X-Genekb-Timestamp']}.{headers['Idempotency-Key']}.".encode() + body
        expected = "sha256=" + hmac.new(hook["secret"].encode(), signed, hashlib.sha256).hexdigest()
        assert headers["X-Genekb-Signature"] == expected


# -- doctors -------------------------------------------------------------------------------------------
def test_a_followed_gene_brings_new_evidence_and_articles_to_the_feed(site: Site) -> None:
    assert site.call("doctor", "POST", "/v1/follows", json={"kind": "gene", "key": "EGFR"}).status_code in (200, 201)
    assert site.call("doctor", "POST", "/v1/follows", json={"kind": "gene", "key": "NOPE1"}).status_code == 404
    sub = site.submission("curator", "accepted")
    feed = site.call("doctor", "GET", "/v1/feed", params={"limit": 100}).json()
    assert {"kind": "gene", "key": "EGFR"} in [{"kind": f["kind"], "key": f["key"]} for f in feed["follows"]]
    [mine] = [i for i in feed["items"] if i["evidence_id"] == sub["key"]]
    assert mine["text_zh"] == "新增证据：EGFR T790M 对奥希替尼敏感（非小细胞肺癌，B级）"  # what changed, in words
    assert mine["text_en"].startswith("New evidence: EGFR T790M, sensitivity to osimertinib (")
    articles = [i for i in feed["items"] if i["type"] == "article"]
    assert all(i["text_zh"].startswith("新文献：") and f"PMID {i['pmid']}" in i["text_zh"] for i in articles)
    followed = {f"{f['kind']}:{f['key']}" for f in feed["follows"]}
    assert "gene:EGFR" in {i["topic"] for i in articles} and {i["topic"] for i in articles} <= followed
    listed = site.call("doctor", "GET", "/v1/follows").json()
    assert [(f["kind"], f["key"]) for f in listed] == [(f["kind"], f["key"]) for f in feed["follows"]]
    assert site.call(None, "GET", "/v1/follows").status_code == 401


def test_searches_feed_the_content_gap_report_as_aggregates_only(site: Site) -> None:
    nonsense = "qqqzvbxw"  # letters only: the parser would split digits off
    for _ in range(2):
        site.call("doctor", "GET", "/v1/search", params={"q": nonsense})
    report = site.call("editor", "GET", "/v1/reports/content-gaps", params={"top": 200})
    assert report.status_code == 200
    assert (nonsense, 2) in [tuple(x) for x in report.json()["zero_result_queries"]]
    assert "pseudonym" not in report.text and '"doctor"' not in report.text  # no user name (min_doctors is a key)
    _, key = site.key("feed")
    assert site.call(key, "GET", "/v1/reports/content-gaps").status_code == 403
    assert site.call("doctor", "GET", "/v1/reports/content-gaps").status_code == 403
    assert site.call("doctor", "PUT", "/v1/me/privacy", json={"opt_out": True}).status_code == 204
    site.call("doctor", "GET", "/v1/search", params={"q": nonsense})
    gone = site.call("editor", "GET", "/v1/reports/content-gaps", params={"top": 200}).json()
    assert nonsense not in [q for q, _ in gone["zero_result_queries"]]
    site.call("doctor", "PUT", "/v1/me/privacy", json={"opt_out": False})
