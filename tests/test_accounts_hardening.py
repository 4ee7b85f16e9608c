"""Accounts hardening (issue 14) on a live server, over SQLite and PostgreSQL editorial databases:
a missing user costs a hash check, user names have one spelling and no look-alikes, an account
may not accept the work of the admin who created it, and sign-in never leaves the site (Chromium).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from kb.editorial.db.models import User
from tests.browser import BrowserPage
from tests.test_editorial import PASSWORD, Site, match
from tests.test_races import hash_checks, site

__all__ = ["hash_checks", "site"]  # the fixtures, shared with tests/test_races.py


def login(site: Site, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{site.server.url}/v1/auth/login", json={"username": username, "password": password})


def test_a_missing_user_is_checked_against_a_dummy_hash(site: Site, hash_checks: list[str]) -> None:
    missing = login(site, "nobody-by-this-name", "a guess of a password")
    assert missing.status_code == 401
    assert hash_checks == ["a guess of a password"]
    wrong = login(site, "doctor", "another wrong password")
    assert wrong.status_code == 401 and missing.json()["error"] == wrong.json()["error"]
    assert len(hash_checks) == 2


def test_user_names_have_one_spelling_and_no_look_alikes(site: Site) -> None:
    def create(username: str) -> httpx.Response:
        return site.call("admin", "POST", "/v1/users", json={"username": username, "password": PASSWORD,
                                                             "role": "doctor"})  # fmt: skip

    made = create("Admin1")
    assert made.status_code == 201 and made.json()["username"] == "admin1"
    for same in ("admin1 ", " ADMIN1", "Ａｄｍｉｎ１"):  # trailing space, case, full width
        assert create(same).status_code == 409, same
    for refused in ("\u0430dmin1", "adm\u0456n1", "\u03b1dmin1", "ad\u200bmin1", "admin\u2060", "ad min1", "ad\nmin"):
        answer = create(refused)  # Cyrillic а, Cyrillic і, Greek α, zero-width space and joiner, space, newline
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "data_error", refused
    for look_alike in ("\u0430\u0441\u0435", "\u0440\u0435\u0440"):  # all-Cyrillic асе (ace), рер (pep)
        answer = create(look_alike)
        assert answer.status_code == 400 and "look-alikes" in answer.json()["error"]["message"], look_alike
    assert create("\u0438\u0432\u0430\u043d").status_code == 201  # иван: Cyrillic that does not read as Latin
    assert create("\u5f20\u4f1f").status_code == 201  # one script that is not Latin: a Chinese name
    assert login(site, " ADMIN1").status_code == 200  # signs in under any spelling of the one name
    with site.db.session() as s:
        names = list(s.scalars(sa.select(User.username)))
    assert "admin1" in names and not any(n != n.strip() or "\u0430dmin" in n for n in names)


def test_an_account_created_by_the_author_does_not_accept_the_authors_work(site: Site) -> None:
    name = f"puppet{len(site.tokens)}"
    made = site.call("admin", "POST", "/v1/users", json={"username": name, "password": PASSWORD, "role": "editor"})
    assert made.status_code == 201
    site.tokens[name] = site.login(name)
    own = site.submission("admin", "submitted")
    path = f"/v1/submissions/{own['id']}/accept"
    refused = site.call(name, "POST", path, json={}, headers=match(own))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert site.call("admin", "POST", path, json={}, headers=match(own)).status_code == 403  # the author itself
    with site.db.session() as s:
        admin_id = s.scalar(sa.select(User.id).where(User.username == "admin"))
        assert s.scalar(sa.select(User.created_by).where(User.username == name)) == admin_id
    accepted = site.call("editor", "POST", path, json={}, headers=match(own))
    assert accepted.status_code == 200  # an account the author did not create
    theirs = site.submission("curator", "submitted")  # the puppet still reviews other people's work
    assert (
        site.call(name, "POST", f"/v1/submissions/{theirs['id']}/accept", json={}, headers=match(theirs)).status_code
        == 200
    )


def test_no_account_down_the_authors_chain_of_created_accounts_accepts_the_authors_work(site: Site) -> None:
    deputy, puppet = f"deputy{len(site.tokens)}", f"puppet{len(site.tokens)}b"
    made = site.call("admin", "POST", "/v1/users", json={"username": deputy, "password": PASSWORD, "role": "admin"})
    assert made.status_code == 201
    site.tokens[deputy] = site.login(deputy)
    made = site.call(deputy, "POST", "/v1/users", json={"username": puppet, "password": PASSWORD, "role": "editor"})
    assert made.status_code == 201
    site.tokens[puppet] = site.login(puppet)
    own = site.submission("admin", "submitted")  # admin -> deputy -> puppet
    for reviewer in (deputy, puppet):
        refused = site.call(reviewer, "POST", f"/v1/submissions/{own['id']}/accept", json={}, headers=match(own))
        assert refused.status_code == 403, reviewer
    deputys = site.submission(deputy, "submitted")  # the chain goes down only: admin did not come from deputy
    answer = site.call("admin", "POST", f"/v1/submissions/{deputys['id']}/accept", json={}, headers=match(deputys))
    assert answer.status_code == 200


OFF_SITE = ["/\\evil.example/", "//evil.example", "https://evil.example/", "/%5Cevil.example", "/\t/evil.example",
            "/.//evil.example"]  # fmt: skip


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_leaves_the_site(site: Site, browser_page: BrowserPage, target: str) -> None:
    page = browser_page.page
    page.goto(f"{site.server.url}/login?next={quote(target, safe='')}")
    expect(page.locator("body")).to_have_attribute("data-ready", "/login")
    page.get_by_label("用户名").fill("doctor")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "/")
    assert page.url == f"{site.server.url}/"


def test_signing_in_goes_on_to_a_page_of_the_site(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(f"{site.server.url}/login?next={quote('/feed?x=1', safe='')}")
    expect(page.locator("body")).to_have_attribute("data-ready", "/login")
    page.get_by_label("用户名").fill("doctor")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "/feed")
    assert page.url == f"{site.server.url}/feed?x=1"
