"""Privacy on a live server, over SQLite and PostgreSQL editorial databases: the audit log holds no
pseudonym for follows, unfollows and privacy choices; the HTTP access log holds no query string and no
client address; an opted-out doctor's search is kept in no store (docs/privacy.md)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from kb.editorial.audit import now
from kb.editorial.db import MIGRATIONS, Database
from kb.editorial.db.models import AuditEntry, SearchLog, User
from kb.editorial.follows import Follows
from kb.services import build_editorial
from tests import test_editorial
from tests.test_editorial import Site, fresh_database

module_store = test_editorial.module_store  # the live server fixtures of the editorial tests: a full store and
site = test_editorial.site  # a server over a fresh SQLite or PostgreSQL editorial database with five users

SECRET = "zqxsecretword"  # letters only, so the query parser keeps it whole as an unresolved word
PRIVATE = "zqxprivateword"  # searched only by the opted-out doctor
ACCESS_LOGGER = "uvicorn.access"  # where uvicorn writes the access log
_CLIENT_SIDE = ("httpx", "httpcore")  # this test's own HTTP client logs the URLs it requests, in this process


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in _CLIENT_SIDE:
            return
        self.messages.append(f"{record.name} {record.getMessage()} {record.args!r}")


@contextmanager
def captured_logs() -> Iterator[_Records]:
    """Every record the server logs meanwhile: uvicorn's access logger (switched on at INFO, as `kb serve`
    runs it; the test server starts with it off) and, through the root logger, every other one."""
    records = _Records()
    access, root = logging.getLogger(ACCESS_LOGGER), logging.getLogger()
    levels = access.level, root.level
    access.addHandler(records)
    root.addHandler(records)
    access.setLevel(logging.INFO)
    root.setLevel(logging.INFO)
    try:
        yield records
    finally:
        access.removeHandler(records)
        root.removeHandler(records)
        access.setLevel(levels[0])
        root.setLevel(levels[1])


def _pseudonym(site: Site, name: str) -> str:
    with site.db.session() as s:
        value = s.scalar(sa.select(User.pseudonym).where(User.username == name))
    assert value
    return value


def _audit_rows(site: Site, after: int) -> list[tuple[str, str, str]]:
    with site.db.session() as s:
        rows = s.execute(
            sa.select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)
            .where(AuditEntry.id > after)
            .order_by(AuditEntry.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _last_audit_id(site: Site) -> int:
    with site.db.session() as s:
        return int(s.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0)


def test_follows_unfollows_and_privacy_choices_leave_no_pseudonym_in_the_audit_log(site: Site) -> None:
    pseudonym = _pseudonym(site, "doctor")
    start = _last_audit_id(site)
    assert site.call("doctor", "POST", "/v1/follows", json={"kind": "gene", "key": "KRAS"}).status_code in (200, 201)
    assert site.call("doctor", "DELETE", "/v1/follows/gene/KRAS").status_code == 204
    assert site.call("doctor", "PUT", "/v1/me/privacy", json={"opt_out": True}).status_code == 204
    assert site.call("doctor", "PUT", "/v1/me/privacy", json={"opt_out": False}).status_code == 204
    rows = _audit_rows(site, start)
    assert [(action, target) for _, action, target in rows] == [
        ("follow.add", "gene:KRAS"),
        ("follow.remove", "gene:KRAS"),
        ("privacy.opt_out", "privacy:search-log"),
        ("privacy.opt_in", "privacy:search-log"),
    ]
    assert {actor for actor, _, _ in rows} == {"reader"}  # neither the user name nor the pseudonym
    listed = site.call("editor", "GET", "/v1/audit", params={"after": start})
    assert listed.status_code == 200 and len(listed.json()) == 4
    assert pseudonym not in listed.text and '"doctor"' not in listed.text


def test_the_access_log_keeps_no_query_string_and_no_client_address(site: Site) -> None:
    with captured_logs() as logs:
        answer = site.call(None, "GET", "/v1/search", params={"q": f"EGFR {SECRET}"})
        page = site.call(None, "GET", "/search", params={"q": SECRET})
    assert answer.status_code == 200 and page.status_code < 500
    access = [m for m in logs.messages if m.startswith(ACCESS_LOGGER)]
    assert any('"GET /v1/search HTTP/1.1" 200' in m for m in access), logs.messages  # the request is logged
    assert [m for m in logs.messages if SECRET in m or "?q=" in m] == []
    assert [m for m in access if "127.0.0.1" in m] == []


def test_the_access_log_keeps_no_feed_secret(site: Site) -> None:
    made = site.call("doctor", "POST", "/v1/feeds/token")
    assert made.status_code == 201
    token = made.json()["token"]
    with captured_logs() as logs:
        assert site.call(None, "GET", f"/v1/feeds/{token}.atom").status_code == 200
    access = [m for m in logs.messages if m.startswith(ACCESS_LOGGER)]
    assert any('"GET /v1/feeds/<token>.atom HTTP/1.1" 200' in m for m in access), logs.messages
    assert [m for m in logs.messages if token in m] == []
    assert site.call("doctor", "DELETE", "/v1/feeds/token").status_code == 204


def test_an_opted_out_doctors_search_is_kept_in_no_store(site: Site) -> None:
    pseudonym = _pseudonym(site, "doctor")
    assert site.call("doctor", "PUT", "/v1/me/privacy", json={"opt_out": True}).status_code == 204
    start = _last_audit_id(site)
    try:
        with captured_logs() as logs:
            assert site.call("doctor", "GET", "/v1/search", params={"q": f"EGFR {PRIVATE}"}).status_code == 200
            site.server.app.state.editorial.follows.flush()  # whatever the writer would keep is written now
        with site.db.session() as s:  # the search log: nothing under the pseudonym, nothing with the word
            kept = s.scalars(sa.select(SearchLog)).all()
            assert [r for r in kept if r.pseudonym == pseudonym] == []
            assert [r for r in kept if PRIVATE in (r.unresolved or [])] == []
        assert [r for r in _audit_rows(site, start) if PRIVATE in str(r) or pseudonym in str(r)] == []
        assert [m for m in logs.messages if PRIVATE in m or pseudonym in m] == []  # the access log and the rest
    finally:
        site.call("doctor", "PUT", "/v1/me/privacy", json={"opt_out": False})


# -- what older versions kept -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0006_scrubs_pseudonyms_from_old_follow_and_privacy_audit_rows(kind: str, tmp_path: Path) -> None:
    url, drop = fresh_database(kind, tmp_path)
    db = Database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    old = [
        ("pseudonym:p-1", "follow.add", "gene:KRAS"),
        ("pseudonym:p-1", "follow.remove", "gene:KRAS"),
        ("pseudonym:p-2", "privacy.opt_out", "privacy:search-log"),
        ("editor1", "evidence.accept", "evidence:EID1"),  # an editor's act keeps its actor
    ]
    try:
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0005")
            for actor, action, target in old:
                conn.execute(
                    sa.text("INSERT INTO audit_log (at, actor, action, target, reason) VALUES (:at, :a, :x, :t, '')"),
                    {"at": "2026-01-01 00:00:00+00:00", "a": actor, "x": action, "t": target},
                )
        db.upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT actor, action, target FROM audit_log ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            ("reader", "follow.add", "gene:KRAS"),
            ("reader", "follow.remove", "gene:KRAS"),
            ("reader", "privacy.opt_out", "privacy:search-log"),
            ("editor1", "evidence.accept", "evidence:EID1"),
        ]
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:  # still guarded
            conn.execute(sa.text("UPDATE audit_log SET actor = 'x'"))
    finally:
        db.close()
        drop()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_searches_past_the_retention_are_purged_when_the_services_start(kind: str, tmp_path: Path) -> None:
    url, drop = fresh_database(kind, tmp_path)
    db = Database(url)
    db.upgrade()
    try:
        with db.session() as s:
            for days in (1, 10, 40):
                s.add(
                    SearchLog(
                        pseudonym="p", concepts=["gene:EGFR"], unresolved=[], results=1, at=now() - timedelta(days=days)
                    )
                )
        assert Follows(db, retention_days=30).purge_expired() == 1
        with db.session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(SearchLog)) == 2
        assert Follows(db, retention_days=0).purge_expired() == 2  # 0 days keeps none
        with db.session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(SearchLog)) == 0
    finally:
        db.close()
        drop()


def test_searches_are_logged_off_the_request_path_and_an_opt_out_covers_the_queued_ones(site: Site) -> None:
    follows = site.server.app.state.editorial.follows
    pseudonym = _pseudonym(site, "doctor")
    word = "zqxqueuedword"
    assert site.call("doctor", "GET", "/v1/search", params={"q": f"EGFR {word}"}).status_code == 200
    assert follows._writer is not None and follows._writer.is_alive()  # a background writer, not the request
    try:
        assert site.call("doctor", "PUT", "/v1/me/privacy", json={"opt_out": True}).status_code == 204
        follows.flush()
        with site.db.session() as s:
            kept = s.scalars(sa.select(SearchLog).where(SearchLog.pseudonym == pseudonym)).all()
        assert kept == []  # written before the opt-out, then deleted by it: never after it
    finally:
        site.call("doctor", "PUT", "/v1/me/privacy", json={"opt_out": False})
    assert site.call("doctor", "GET", "/v1/search", params={"q": f"EGFR {word}"}).status_code == 200
    follows.flush()
    with site.db.session() as s:
        kept = s.scalars(sa.select(SearchLog).where(SearchLog.pseudonym == pseudonym)).all()
    assert [r.unresolved for r in kept] == [[word]]


def test_the_editorial_services_purge_expired_searches_on_start(site: Site, tmp_path: Path) -> None:
    with site.db.session() as s:
        s.add(SearchLog(pseudonym="p", concepts=[], unresolved=["zqxold"], results=0, at=now() - timedelta(days=400)))
    settings = site.server.app.state.settings
    services = build_editorial(
        settings.model_copy(update={"search_log_days": 180}), site.server.app.state.services, deliver=False
    )
    try:
        with site.db.session() as s:
            kept = s.scalars(sa.select(SearchLog)).all()
        assert [r for r in kept if "zqxold" in (r.unresolved or [])] == []
    finally:
        services.close()
