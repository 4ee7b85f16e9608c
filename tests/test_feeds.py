"""Feeds a doctor can subscribe to: the secret per-doctor Atom feed (made, rotated, revoked), the public topic
feeds, on a live server over SQLite and PostgreSQL editorial databases; the topic feed's items on both stores."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.editorial.feeds import Feeds
from kb.editorial.follows import Follows
from kb.store import Backend
from tests import test_editorial
from tests.backends import make_backend_settings
from tests.records import article
from tests.test_editorial import PASSWORD, Site

module_store = test_editorial.module_store  # the editorial tests' live server: a full store and a fresh
site = test_editorial.site  # SQLite or PostgreSQL editorial database with five users

ATOM = "{http://www.w3.org/2005/Atom}"


def _atom(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):  # RFC 4287 4.1.1: what every feed carries
        assert root.find(f"{ATOM}{tag}") is not None, tag
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.iter(f"{ATOM}entry"):
        for tag in ("id", "title", "updated", "content"):
            assert (entry.findtext(f"{ATOM}{tag}") or "").strip(), tag
        assert (entry.findtext(f"{ATOM}id") or "").startswith("urn:genekb:")
        assert entry.find(f"{ATOM}content").get("type") == "text"  # type: ignore[union-attr]
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    return root


def _entries(root: ET.Element) -> dict[str, str]:
    return {e.findtext(f"{ATOM}id") or "": e.findtext(f"{ATOM}content") or "" for e in root.iter(f"{ATOM}entry")}


def _doctor(site: Site) -> str:
    """A new doctor, signed in (the name is also the key of ``site.tokens``)."""
    name = f"doc{uuid.uuid4().hex[:8]}"
    Accounts(site.db, site.settings).create_user(name, PASSWORD, "doctor", actor="test-setup")
    site.tokens[name] = site.login(name)
    return name


def _feed_url(site: Site, who: str) -> dict[str, Any]:
    made = site.call(who, "POST", "/v1/feeds/token")
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    assert body["url"].endswith(f"/v1/feeds/{body['token']}.atom")
    return body


def test_a_doctors_secret_feed_holds_the_new_evidence_of_what_they_follow_in_words(site: Site) -> None:
    who = _doctor(site)
    assert site.call(who, "POST", "/v1/follows", json={"kind": "gene", "key": "EGFR"}).status_code == 201
    sub = site.submission("curator", "accepted")
    made = _feed_url(site, who)
    got = site.call(None, "GET", made["url"].removeprefix(site.server.url))  # no sign-in: the URL is the secret
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/atom+xml")
    entries = _entries(_atom(got.content))
    mine = entries[f"urn:genekb:evidence:{sub['key']}:v1"]
    assert mine.startswith("新增证据：EGFR T790M 对奥希替尼敏感（非小细胞肺癌，B级）\nNew evidence: EGFR T790M")
    assert any(k.startswith("urn:genekb:article:") for k in entries)  # the newest EGFR articles
    again = site.call(None, "GET", made["url"].removeprefix(site.server.url))
    assert _entries(_atom(again.content)).keys() == entries.keys()  # stable entry ids


def test_new_for_you_says_what_came_after_the_last_visit(site: Site) -> None:
    who, other = _doctor(site), _doctor(site)
    site.call(who, "POST", "/v1/follows", json={"kind": "gene", "key": "KIT"})
    first = site.submission("curator", "accepted", gene="KIT")
    before = site.call(who, "GET", "/v1/feed").json()
    assert before["last_visit"] is None and before["items"] and all(i["new"] for i in before["items"])
    assert before["new"] == len(before["items"])
    assert site.call(who, "POST", "/v1/feed/seen").status_code == 204
    seen = site.call(who, "GET", "/v1/feed").json()
    assert seen["last_visit"] is not None and seen["new"] == 0 and not any(i["new"] for i in seen["items"])
    second = site.submission("curator", "accepted", gene="KIT")
    after = site.call(who, "GET", "/v1/feed").json()
    new = {i["evidence_id"] for i in after["items"] if i["new"]}
    assert new == {second["key"]} and first["key"] not in new and after["new"] == 1
    assert site.call(other, "GET", "/v1/feed").json()["last_visit"] is None  # one reader's visit is theirs only
    assert site.call(None, "POST", "/v1/feed/seen").status_code == 401


def test_one_doctors_token_never_shows_another_doctors_follows(site: Site) -> None:
    first, second = _doctor(site), _doctor(site)
    site.call(first, "POST", "/v1/follows", json={"kind": "gene", "key": "BRAF"})
    site.call(second, "POST", "/v1/follows", json={"kind": "gene", "key": "ALK"})
    braf = site.submission("curator", "accepted", gene="BRAF")
    alk = site.submission("curator", "accepted", gene="ALK")
    seen = {}
    for who in (first, second):
        url = _feed_url(site, who)["url"].removeprefix(site.server.url)
        seen[who] = _entries(_atom(site.call(None, "GET", url).content))
    assert f"urn:genekb:evidence:{braf['key']}:v1" in seen[first]
    assert f"urn:genekb:evidence:{alk['key']}:v1" not in seen[first]
    assert f"urn:genekb:evidence:{alk['key']}:v1" in seen[second]
    assert f"urn:genekb:evidence:{braf['key']}:v1" not in seen[second]


def test_a_rotated_or_revoked_feed_url_answers_404_in_the_one_error_shape(site: Site) -> None:
    who = _doctor(site)
    old = _feed_url(site, who)["url"].removeprefix(site.server.url)
    new = _feed_url(site, who)["url"].removeprefix(site.server.url)
    assert new != old
    gone = site.call(None, "GET", old)
    assert gone.status_code == 404 and set(gone.json()["error"]) == {"code", "message", "details"}
    assert site.call(None, "GET", new).status_code == 200
    info = site.call(who, "GET", "/v1/feeds/token").json()
    assert info["url"] is None and info["token"] is None and info["feed_id"]  # the token is not kept
    assert site.call(who, "DELETE", "/v1/feeds/token").status_code == 204
    assert site.call(None, "GET", new).status_code == 404
    assert site.call(who, "DELETE", "/v1/feeds/token").status_code == 404
    assert site.call(None, "GET", "/v1/feeds/not-a-token.atom").status_code == 404
    assert site.call(None, "POST", "/v1/feeds/token").status_code == 401


def test_the_token_is_kept_only_as_a_digest(site: Site) -> None:
    who = _doctor(site)
    token = _feed_url(site, who)["token"]
    with site.db.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("SELECT pseudonym, digest FROM feed_tokens")]
    assert rows and all(token not in " ".join(map(str, r)) for r in rows)


def test_a_public_topic_feed_lists_its_accepted_evidence_and_articles(site: Site) -> None:
    sub = site.submission("curator", "accepted")
    got = site.call(None, "GET", "/v1/topics/gene/EGFR/feed.atom")
    assert got.status_code == 200
    root = _atom(got.content)
    assert root.findtext(f"{ATOM}id") == "urn:genekb:topic:gene:EGFR"
    entries = _entries(root)
    assert f"urn:genekb:evidence:{sub['key']}:v1" in entries
    assert any(k.startswith("urn:genekb:article:") for k in entries)
    links = [e.find(f"{ATOM}link").get("href") for e in root.iter(f"{ATOM}entry")]  # type: ignore[union-attr]
    assert all(str(link).startswith(site.server.url) for link in links)
    assert site.call(None, "GET", "/v1/topics/gene/NOPE1/feed.atom").status_code == 404
    for kind, alias, key in (
        ("gene", "HER2", "ERBB2"),
        ("drug", "泰瑞沙", "osimertinib"),
        ("tumor", "非小细胞肺癌", "NSCLC"),
    ):
        moved = site.call(None, "GET", f"/v1/topics/{kind}/{alias}/feed.atom", params={"limit": 5},
                          follow_redirects=False)  # fmt: skip
        assert moved.status_code == 308 and moved.headers["location"].endswith(
            f"/v1/topics/{kind}/{key}/feed.atom?limit=5"
        )
    her2 = site.call(None, "GET", "/v1/topics/gene/HER2/feed.atom", follow_redirects=True)
    assert her2.status_code == 200 and _atom(her2.content).findtext(f"{ATOM}id") == "urn:genekb:topic:gene:ERBB2"
    wrong = site.call(None, "GET", "/v1/topics/test/X/feed.atom")  # tests are no topic one follows
    assert wrong.status_code == 400 and wrong.json()["error"]["details"]["kinds"] == [
        "gene",
        "tumor",
        "drug",
        "biomarker",
        "reading_list",  # a reading list's feed holds the list's published changes (tests/test_reading_lists.py)
    ]


# -- the topic feed's items, on both stores -------------------------------------------------------
def test_a_topic_feed_puts_the_article_ingested_last_first(
    backend_store: Backend, tmp_path: Path, data_dir: Path
) -> None:
    settings = make_backend_settings("sqlite", tmp_path, data_dir)
    db = Database(settings.db_url)
    db.upgrade()
    try:
        feeds = Feeds(db, Follows(db, retention_days=0))
        backend_store.upsert_articles(
            [
                replace(article(pmid, f"t{pmid}", concepts=("drug:osimertinib",)), first_ingested=when)
                for pmid, when in ((500, datetime(2026, 1, 1, tzinfo=UTC)), (400, datetime(2026, 3, 1, tzinfo=UTC)))
            ]
        )
        items = feeds.topic_feed("drug", "osimertinib", backend_store, exists=lambda k, v: True, limit=5)
        assert [i.article.pmid for i in items if i.article] == ["400", "500"]
        assert {i.topic for i in items} == {"drug:osimertinib"}
    finally:
        db.close()


# -- the weekly digest --------------------------------------------------------------------------------
def _kb(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KB_STORE": site.settings.store, "KB_DB_URL": site.settings.db_url,
           "KB_DATA_DIR": str(site.settings.data_dir), "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "cli.main", "digest", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def test_the_weekly_digest_says_the_weeks_evidence_and_articles_per_topic_in_markdown_and_html(site: Site) -> None:
    sub = site.submission("curator", "accepted", gene="BRAF")
    md = _kb(site, "--since", "7d", "--format", "md")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# genekb 每周更新 · Weekly digest (")
    braf = md.stdout.split("## BRAF · BRAF (`gene:BRAF`)", 1)[1].split("\n## ", 1)[0]
    assert "- 新增证据：BRAF T790M 对奥希替尼敏感（非小细胞肺癌，B级）  \n  New evidence: BRAF T790M" in braf
    assert "- 新文献：" in braf  # the BRAF articles the module's store took in this week
    assert sub["key"] not in md.stdout  # sentences, never raw ids
    assert "digest: " in md.stderr and " topics, " in md.stderr
    html = _kb(site, "--since", "7d", "--format", "html")
    assert html.returncode == 0, html.stderr
    root = ET.fromstring(html.stdout)  # well-formed: escaped text in an <article>
    [section] = [s for s in root.iter("section") if s.get("data-topic") == "gene:BRAF"]
    assert any("新增证据：BRAF T790M" in "".join(li.itertext()) for li in section.iter("li"))


def test_a_digest_of_the_future_is_empty_and_a_bad_window_is_refused(site: Site) -> None:
    empty = _kb(site, "--since", "2999-01-01")
    assert empty.returncode == 0 and "Nothing new this week." in empty.stdout
    bad = _kb(site, "--since", "a fortnight")
    assert bad.returncode == 2 and "--since takes 7d" in bad.stderr
