"""Sliding sessions and signing out everywhere (issue 18, part 5), on a live server over SQLite and
PostgreSQL editorial databases: a refresh renews the idle lifetime within the absolute lifetime from
the sign-in, signing out everywhere refuses every older token of that account only, and the page
renews its token while the user works (Chromium, with the page's clock moved on, never waited for).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from playwright.sync_api import Page, expect

from kb.editorial.db import MIGRATIONS, Database
from kb.editorial.db.models import User
from tests.browser import BrowserPage
from tests.test_editorial import PASSWORD, Site, fresh_database
from tests.test_races import site

__all__ = ["site"]  # the fixture, shared with tests/test_races.py


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def mint(site: Site, username: str, *, signed_in: timedelta, issued: timedelta, minutes: int = 30) -> str:
    """A token of ``username``'s, signed with the app's key, as if signed in ``signed_in`` ago and
    issued (or last refreshed) ``issued`` ago with an idle lifetime of ``minutes``."""
    with site.db.session() as s:
        user = s.scalar(sa.select(User).where(User.username == username))
        assert user is not None
        user_id, epoch = user.id, user.session_epoch
    at = datetime.now(UTC).replace(microsecond=0)
    claims = {
        "sub": str(user_id),
        "iat": at - issued,
        "exp": at - issued + timedelta(minutes=minutes),
        "auth_time": int((at - signed_in).timestamp()),
        "sv": epoch,
    }
    return jwt.encode(claims, site.settings.signing_key(), algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(site: Site, path: str, token: str | None = None) -> httpx.Response:
    return httpx.post(f"{site.server.url}{path}", headers=bearer(token) if token else {}, timeout=30.0)


def follows(site: Site, token: str) -> httpx.Response:
    return httpx.get(f"{site.server.url}/v1/follows", headers=bearer(token), timeout=30.0)


def new_user(site: Site, name: str, role: str = "editor") -> int:
    made = site.call("admin", "POST", "/v1/users", json={"username": name, "password": PASSWORD, "role": role})
    assert made.status_code == 201, made.text
    user_id: int = made.json()["id"]
    return user_id


def login(site: Site, name: str) -> dict[str, Any]:
    answer = httpx.post(f"{site.server.url}/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def refused(response: httpx.Response, session: str) -> bool:
    """A 401 in the one error shape, saying why the session ended."""
    error = response.json()["error"]
    return response.status_code == 401 and error["code"] == "unauthorized" and error["details"]["session"] == session


def test_a_sign_in_says_when_the_token_lapses_and_when_the_session_ends(site: Site) -> None:
    body = login(site, "doctor")
    expires, ends = datetime.fromisoformat(body["expires_at"]), datetime.fromisoformat(body["session_expires_at"])
    claims = claims_of(body["token"])
    assert claims["exp"] == int(expires.timestamp()) and claims["exp"] - claims["iat"] == 30 * 60
    assert int(ends.timestamp()) == claims["auth_time"] + 10 * 3600  # KB_SESSION_HOURS from the sign-in
    assert claims["auth_time"] == claims["iat"]


def test_a_refresh_gives_a_later_expiry_and_keeps_the_sessions_start(site: Site) -> None:
    old = mint(site, "curator", signed_in=timedelta(hours=2), issued=timedelta(minutes=20))
    assert follows(site, old).status_code == 200
    answer = post(site, "/v1/auth/refresh", old)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    before, after = claims_of(old), claims_of(body["token"])
    assert after["exp"] >= before["exp"] + 20 * 60  # a fresh idle lifetime: 30 minutes from now
    assert after["auth_time"] == before["auth_time"] and after["sv"] == before["sv"]
    assert int(datetime.fromisoformat(body["expires_at"]).timestamp()) == after["exp"]
    assert int(datetime.fromisoformat(body["session_expires_at"]).timestamp()) == before["auth_time"] + 10 * 3600
    assert body["role"] == "curator" and follows(site, body["token"]).status_code == 200
    again = post(site, "/v1/auth/refresh", body["token"])  # a refreshed token refreshes in turn
    assert again.status_code == 200 and claims_of(again.json()["token"])["auth_time"] == before["auth_time"]


def test_a_refresh_never_goes_past_the_sessions_end(site: Site) -> None:
    late = mint(site, "curator", signed_in=timedelta(hours=9, minutes=50), issued=timedelta(minutes=5))
    answer = post(site, "/v1/auth/refresh", late)
    assert answer.status_code == 200, answer.text
    after = claims_of(answer.json()["token"])
    assert after["exp"] == after["auth_time"] + 10 * 3600  # ten minutes left, not thirty


def test_a_refresh_past_the_absolute_lifetime_is_refused(site: Site) -> None:
    stale = mint(site, "curator", signed_in=timedelta(hours=10, minutes=1), issued=timedelta(minutes=1))
    answer = post(site, "/v1/auth/refresh", stale)
    assert refused(answer, "ended"), answer.text
    assert refused(follows(site, stale), "ended")  # nor does the token itself serve past the end
    expired = mint(site, "curator", signed_in=timedelta(hours=1), issued=timedelta(minutes=31))
    assert refused(post(site, "/v1/auth/refresh", expired), "expired")
    assert post(site, "/v1/auth/refresh").status_code == 401  # nobody signed in
    _, key = site.key()
    keyed = httpx.post(f"{site.server.url}/v1/auth/refresh", headers={"X-API-Key": key}, timeout=30.0)
    assert keyed.status_code == 403  # a partner key has no session to renew


def test_signing_out_everywhere_refuses_the_old_tokens_while_a_new_sign_in_works(site: Site) -> None:
    name = f"roamer{len(site.tokens)}"
    new_user(site, name)
    laptop, phone = login(site, name)["token"], login(site, name)["token"]
    others = {who: site.tokens[who] for who in ("doctor", "editor")}
    assert post(site, "/v1/auth/logout-all", laptop).status_code == 204
    for token in (laptop, phone):
        answer = follows(site, token)
        assert refused(answer, "signed_out") and answer.json()["error"]["message"] == (
            "signed out everywhere; sign in again"
        )
        assert refused(post(site, "/v1/auth/refresh", token), "signed_out")
    for token in others.values():  # other accounts keep their sessions
        assert follows(site, token).status_code == 200
    fresh = login(site, name)["token"]
    assert follows(site, fresh).status_code == 200 and post(site, "/v1/auth/refresh", fresh).status_code == 200
    assert post(site, "/v1/auth/logout-all").status_code == 401  # nobody signed in
    audit = site.call("editor", "GET", "/v1/audit", params={"target": f"user:{name}"}).json()
    assert [row["action"] for row in audit].count("user.logout_all") == 1


def test_an_admin_signs_any_account_out_everywhere_and_only_an_admin_may(site: Site) -> None:
    name = f"lost{len(site.tokens)}"
    user_id = new_user(site, name, role="doctor")
    token = login(site, name)["token"]
    path = f"/v1/users/{user_id}/logout-all"
    for who in ("editor", "curator", "doctor"):
        answer = site.call(who, "POST", path)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden", who
    assert post(site, path).status_code == 401
    assert follows(site, token).status_code == 200  # the refusals changed nothing
    assert site.call("admin", "POST", path).status_code == 204
    assert refused(follows(site, token), "signed_out")
    assert follows(site, site.tokens["admin"]).status_code == 200  # the admin's own session goes on
    missing = site.call("admin", "POST", "/v1/users/999999/logout-all")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0008_gives_existing_accounts_epoch_0_and_goes_back(kind: str, tmp_path: Path) -> None:
    url, drop = fresh_database(kind, tmp_path)
    db = Database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0007")
            conn.execute(
                sa.text(
                    "INSERT INTO users (username, password_hash, role, active, pseudonym, search_opt_out, created_at)"
                    " VALUES ('old', 'x', 'editor', true, 'p-old', false, '2026-01-01 00:00:00+00:00')"
                )
            )
        db.upgrade()
        with db.session() as s:
            user = s.scalar(sa.select(User).where(User.username == "old"))
            assert user is not None and user.session_epoch == 0
            user.session_epoch += 1
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
            columns = {c["name"] for c in sa.inspect(conn).get_columns("users")}
            assert "session_epoch" not in columns and "created_by" in columns
            command.upgrade(config, "head")
            assert conn.execute(sa.text("SELECT session_epoch FROM users")).scalar_one() == 0
    finally:
        db.close()
        drop()


def sign_in(page: Page, site: Site, name: str, next_path: str) -> None:
    page.goto(f"{site.server.url}/login?next={quote(next_path, safe='')}")
    expect(page.locator("body")).to_have_attribute("data-ready", "/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page.locator("body")).to_have_attribute("data-ready", next_path.partition("?")[0])


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
def test_the_page_renews_the_session_while_the_user_works(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.clock.install()  # the page's own clock: moved on below, never waited for
    sign_in(page, site, "editor", "/editor")
    first = stored_token(page)
    refreshes: list[str] = []
    page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/v1/auth/refresh") else None)
    page.clock.fast_forward("10:00")  # a third of the 30-minute idle lifetime
    page.clock.fast_forward("07:00")  # past half of it, but the page was left untouched: not renewed...
    page.clock.fast_forward("00:30")
    assert page.evaluate("() => fetch('/v1/health').then((r) => r.status)") == 200  # (a later request)
    assert refreshes == [] and stored_token(page) == first
    page.keyboard.press("Tab")  # ...until the user does something
    page.clock.fast_forward("00:30")  # the timer's next tick renews
    assert poll(lambda: stored_token(page) != first), "the page did not renew its token"
    assert len(refreshes) == 1
    token = stored_token(page)
    assert claims_of(token)["auth_time"] == claims_of(first)["auth_time"]  # the same session, renewed
    assert claims_of(token)["exp"] >= claims_of(first)["exp"]  # real time barely moved: not earlier
    assert follows(site, token).status_code == 200
    page.get_by_role("link", name="草稿").click()  # still signed in: the drafts, not the sign-in prompt
    expect(page.locator("body")).to_have_attribute("data-ready", "/editor")
    expect(page.locator("a.tab.active")).to_have_text("草稿")
    expect(page.locator("#nav-login")).to_contain_text("editor")
    expect(page.locator("#session-ended")).to_have_count(0)


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
def test_signing_out_everywhere_from_the_page_and_the_page_saying_its_session_ended(
    site: Site, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    name = f"pager{len(site.tokens)}"
    new_user(site, name)
    sign_in(page, site, name, "/editor")
    elsewhere = login(site, name)["token"]  # the same account on another device signs out everywhere
    assert post(site, "/v1/auth/logout-all", elsewhere).status_code == 204
    page.get_by_role("link", name="草稿").click()  # the next call is refused
    banner = page.locator("#session-ended")
    expect(banner).to_contain_text("已在所有设备上退出")
    expect(banner.get_by_role("link")).to_have_attribute("href", "/login?next=%2Feditor%3Fstate%3Ddraft")
    expect(page.locator("#nav-login")).to_have_text("登录")
    assert any("401" in problem for problem in browser_page.problems)  # the refused call, on purpose
    browser_page.problems.clear()
    banner.get_by_role("link").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page).to_have_url(f"{site.server.url}/editor?state=draft")  # back where the user was
    expect(banner).to_have_count(0)
    token = stored_token(page)
    page.get_by_role("button", name="退出所有设备").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "/")
    expect(page.locator("#nav-login")).to_have_text("登录")
    expect(page.get_by_role("button", name="退出所有设备")).to_be_hidden()
    assert stored_token(page) == ""
    assert refused(follows(site, token), "signed_out")


def stored_token(page: Page) -> str:
    token: str = page.evaluate("() => JSON.parse(localStorage.getItem('genekb.session') || '{}').token || ''")
    return token


def poll(check: Any, seconds: float = 15.0) -> bool:
    """``check()`` until it holds or the deadline passes (a deadline, not a wait for time to pass)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
