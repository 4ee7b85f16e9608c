"""Reading lists on a live server over both stores (SQLite and Elasticsearch): editors curate them through the
editorial workflow (a curator submits, an editor accepts), doctors list them by topic, read them resolved (held and
missing PMIDs, evidence in words), see them on the entity pages and follow them into their feed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from playwright.sync_api import Page, expect

from api.app import create_app
from ingest.jobs import run_source
from ingest.update import update_terms
from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.services import build_services
from kb.store import Backend, open_store
from kb.store.es import ElasticsearchStore
from tests.api_server import LiveServer
from tests.backends import BACKENDS, make_backend_settings
from tests.browser import BrowserPage
from tests.conftest import make_context
from tests.records import article
from tests.test_editorial import PASSWORD, USERS, Site, match

HELD = "26720286"  # an article the store holds (authored below)
MISSING = "987654321"  # a PMID the library lacks
ATOM = "{http://www.w3.org/2005/Atom}"


class ListSite(Site):
    """A live server over a store of the vocabularies, CIViC and one article, with one EGFR evidence id."""

    store: Backend
    evidence_id: str

    def publish(self, record: dict[str, Any], author: str = "curator", reviewer: str = "editor") -> dict[str, Any]:
        """Submit ``record`` as ``author`` and accept it as ``reviewer``: the accepted submission."""
        body = {"kind": "reading_list", "key": record["id"], "data": record, "reason": "a reading list"}
        made = self.call(author, "POST", "/v1/submissions", json=body)
        assert made.status_code == 201, made.text
        sub = made.json()
        sub = self.call(author, "POST", f"/v1/submissions/{sub['id']}/submit", headers=match(sub)).json()
        accepted = self.call(reviewer, "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub))
        assert accepted.status_code == 200, accepted.text
        done: dict[str, Any] = accepted.json()
        assert done["state"] == "accepted"
        return done


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> Iterator[ListSite]:
    if request.param == "es":
        request.getfixturevalue("es_url")
    tmp = tmp_path_factory.mktemp(f"reading-{request.param}")
    settings = make_backend_settings(request.param, tmp, data_dir).model_copy(
        update={"secret_key": "test-signing-key-of-at-least-32-bytes"}
    )
    store = open_store(settings)
    ctx = make_context(settings, store)
    for source in ("genes", "oncotree", "drugs", "biomarkers", "civic"):
        run_source(ctx, source, data_dir)
    store.upsert_articles([article(HELD, "Osimertinib in EGFR T790M-positive lung cancer", journal="N Engl J Med")])
    db = Database(settings.db_url)
    db.upgrade()
    for name, role in USERS.items():
        Accounts(db, settings).create_user(name, PASSWORD, role, actor="test-setup")
    db.close()
    services = build_services(settings, embed=False, store=store)
    try:
        with LiveServer(create_app(settings, services=services), services) as server:
            found = ListSite(server, settings)
            found.store = store
            found.evidence_id = next(e.id for e in store.iter_evidence() if e.gene == "EGFR" and e.level.value == "B")
            try:
                yield found
            finally:
                found.db.close()
    finally:
        if isinstance(store, ElasticsearchStore):
            store.drop()
        store.close()


def reading_list(site: ListSite, **fields: Any) -> dict[str, Any]:
    """An EGFR list (also shown on NSCLC): a held article, a missing one, a known and an unknown evidence item."""
    return {
        "id": f"egfr-nsclc-{uuid.uuid4().hex[:8]}",
        "topic_kind": "gene",
        "topic_key": "EGFR",
        "title_zh": "EGFR突变非小细胞肺癌：关键研究",
        "title_en": "EGFR-mutant NSCLC: key trials",
        "note": "从耐药机制到三代抑制剂。",
        "topics": ["tumor:NSCLC"],
        "items": [
            {"pmid": HELD, "note": "AURA3：奥希替尼对 T790M 阳性患者。", "note_en": "AURA3"},
            {"evidence": site.evidence_id, "note": "CIViC 证据"},
            {"pmid": MISSING, "note": "尚未收录的文献"},
            {"evidence": "civic:EID99999999", "note": "已撤回的证据"},
        ],
        **fields,
    }


def test_an_accepted_list_is_listed_by_its_topics_and_on_their_entity_pages(site: ListSite) -> None:
    record = site.publish(reading_list(site))["data"]
    key = record["id"]

    def ids(**params: Any) -> list[str]:
        got = site.call("doctor", "GET", "/v1/reading-lists", params=params)
        assert got.status_code == 200, got.text
        return [rl["id"] for rl in got.json()["items"]]

    assert key in ids(topic="gene:EGFR") and key in ids(topic="tumor:NSCLC") and key in ids()
    assert key not in ids(topic="gene:BRAF")
    one = site.call(None, "GET", "/v1/reading-lists", params={"topic": "gene:EGFR"}).json()  # anyone reads
    [mine] = [rl for rl in one["items"] if rl["id"] == key]
    assert mine == {
        "id": key, "title_zh": "EGFR突变非小细胞肺癌：关键研究", "title_en": "EGFR-mutant NSCLC: key trials",
        "note": "从耐药机制到三代抑制剂。", "topic": "gene:EGFR", "topics": ["gene:EGFR", "tumor:NSCLC"], "items": 4,
    }  # fmt: skip
    gene = site.call(None, "GET", "/v1/genes/EGFR").json()
    assert key in [rl["id"] for rl in gene["reading_lists"]]
    assert key in [rl["id"] for rl in site.call(None, "GET", "/v1/tumors/NSCLC").json()["reading_lists"]]
    assert key not in [rl["id"] for rl in site.call(None, "GET", "/v1/genes/BRAF").json()["reading_lists"]]
    page = site.call(None, "GET", "/v1/reading-lists", params={"topic": "gene:EGFR", "size": 1, "page": 1}).json()
    assert page["size"] == 1 and len(page["items"]) == 1 and page["total"] >= 1


def test_a_list_resolves_held_and_missing_articles_and_evidence_in_order(site: ListSite) -> None:
    key = site.publish(reading_list(site))["data"]["id"]
    got = site.call(None, "GET", f"/v1/reading-lists/{key}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["title_zh"] == "EGFR突变非小细胞肺癌：关键研究" and body["topic"] == "gene:EGFR"
    held, evidence, missing, gone = body["items"]
    assert [i["position"] for i in body["items"]] == [1, 2, 3, 4]
    assert held["type"] == "article" and held["held"] and held["pmid"] == HELD
    assert held["title"] == "Osimertinib in EGFR T790M-positive lung cancer" and held["journal"] == "N Engl J Med"
    assert held["year"] == 2020 and held["note"] == "AURA3：奥希替尼对 T790M 阳性患者。" and held["note_en"] == "AURA3"
    assert missing["type"] == "article" and missing["held"] is False and missing["pmid"] == MISSING
    assert missing["title"] is None
    assert evidence["type"] == "evidence" and evidence["held"] and evidence["evidence_id"] == site.evidence_id
    assert evidence["gene"] == "EGFR" and evidence["level"] == "B"
    assert evidence["summary_zh"].startswith("EGFR ") and evidence["summary_zh"].endswith("B级）")
    assert "新增证据" not in evidence["summary_zh"] and "level B" in evidence["summary_en"]
    assert gone["held"] is False and gone["evidence_id"] == "civic:EID99999999" and gone["summary_zh"] is None


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_an_unknown_list_is_404_and_a_bad_topic_4xx_in_the_one_error_shape(site: ListSite) -> None:
    _error(site.call(None, "GET", "/v1/reading-lists/no-such-list"), 404)
    unknown = _error(site.call(None, "GET", "/v1/reading-lists", params={"topic": "gene:NOPE1"}), 400)
    assert unknown["details"] == {"field": "topic"} and "NOPE1" in unknown["message"]
    planet = _error(site.call(None, "GET", "/v1/reading-lists", params={"topic": "planet:Mars"}), 400)
    assert "planet" in planet["message"]
    _error(site.call(None, "GET", "/v1/reading-lists", params={"topic": "gene:EGFR", "size": 0}), 422)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topic_key": "NOPE1"}, "data.topic_key"),
        ({"topics": ["tumor:NSCLC", "tumor:NOPE"]}, "data.topics.1"),
        ({"items": [{"pmid": HELD, "evidence": "civic:EID1"}]}, "data.items.0"),
        ({"items": [{"pmid": HELD}, {"note": "neither"}]}, "data.items.1"),
        ({"items": [{"pmid": "PMID1"}]}, "data.items.0.pmid"),
        ({"title_zh": " "}, "data.title_zh"),
    ],
)
def test_an_invalid_list_is_refused_naming_the_field(site: ListSite, change: dict[str, Any], field: str) -> None:
    record = reading_list(site, **change)
    body = {"kind": "reading_list", "key": record["id"], "data": record, "reason": "a reading list"}
    error = _error(site.call("curator", "POST", "/v1/submissions", json=body), 422)
    assert error["details"]["field"] == field


def test_a_followed_list_brings_its_edit_to_the_feed_and_its_atom_feed(site: ListSite) -> None:
    record = site.publish(reading_list(site))["data"]
    key = record["id"]
    assert site.call("doctor", "POST", "/v1/follows", json={"kind": "reading_list", "key": key}).status_code == 201
    no_list = {"kind": "reading_list", "key": "no-such-list"}
    _error(site.call("doctor", "POST", "/v1/follows", json=no_list), 404)
    before = site.call("doctor", "GET", "/v1/feed", params={"limit": 100}).json()
    assert not [i for i in before["items"] if i.get("reading_list_id") == key]  # the follow came after publishing
    site.publish({**record, "title_zh": "EGFR突变非小细胞肺癌：关键研究（2026版）"}, author="editor2")
    feed = site.call("doctor", "GET", "/v1/feed", params={"limit": 100}).json()
    assert {"kind": "reading_list", "key": key} in [{"kind": f["kind"], "key": f["key"]} for f in feed["follows"]]
    [mine] = [i for i in feed["items"] if i.get("reading_list_id") == key]
    assert mine["type"] == "reading_list" and mine["topic"] == f"reading_list:{key}"
    assert mine["text_zh"] == "书单更新：EGFR突变非小细胞肺癌：关键研究（2026版）"
    assert mine["text_en"] == "Reading list updated: EGFR-mutant NSCLC: key trials"
    atom = site.call(None, "GET", f"/v1/topics/reading_list/{key}/feed.atom")
    assert atom.status_code == 200, atom.text
    entries = {e.findtext(f"{ATOM}id"): e for e in ET.fromstring(atom.content).iter(f"{ATOM}entry")}
    entry = entries[f"urn:genekb:reading_list:{key}:v2"]
    assert entry.findtext(f"{ATOM}title") == "书单更新：EGFR突变非小细胞肺癌：关键研究（2026版）"
    link = entry.find(f"{ATOM}link[@rel='alternate']")
    assert link is not None and link.get("href") == f"{site.server.url}/reading/{key}"
    assert site.call("doctor", "DELETE", f"/v1/follows/reading_list/{key}").status_code == 204


def test_a_followed_list_adds_no_term_to_the_pubmed_update_query(site: ListSite) -> None:
    terms = update_terms(site.store, [("reading_list", "egfr-nsclc-key-trials"), ("gene", "EGFR")])
    assert '"EGFR"[tiab]' in terms
    assert not [t for t in terms if "egfr-nsclc" in t]


# -- the pages (real Chromium) ---------------------------------------------------------------------


def _ready(page: Page, path: str) -> None:
    expect(page.locator("body")).to_have_attribute("data-ready", path, timeout=30_000)


def test_a_doctor_finds_a_list_on_its_gene_page_reads_it_in_order_and_follows_it(
    site: ListSite, new_page: Callable[..., BrowserPage]
) -> None:
    record = site.publish(reading_list(site))["data"]
    key = record["id"]
    page = new_page().page
    page.goto(f"{site.server.url}/login?next=/gene/EGFR")
    _ready(page, "/login")
    page.get_by_label("用户名").fill("doctor")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    _ready(page, "/gene/EGFR")
    on_gene = page.locator(f"#reading li[data-list='{key}']")
    expect(on_gene.locator("a.title")).to_have_text("EGFR突变非小细胞肺癌：关键研究")
    on_gene.locator("a.title").click()
    _ready(page, f"/reading/{key}")
    expect(page.locator("h1")).to_contain_text("EGFR突变非小细胞肺癌：关键研究")
    items = page.locator("ol.reading-items > li")
    expect(items).to_have_count(4)
    expect(items.nth(0).locator("a.title")).to_have_attribute("href", f"/article/{HELD}")
    expect(items.nth(0).locator("a.title")).to_have_text("Osimertinib in EGFR T790M-positive lung cancer")
    expect(items.nth(0).locator(".note")).to_have_text("AURA3：奥希替尼对 T790M 阳性患者。")
    expect(items.nth(1).locator("a.title")).to_have_attribute("href", "/gene/EGFR")  # evidence: its gene's page
    expect(items.nth(1).locator("a.title")).to_contain_text("B级")
    expect(items.nth(2)).to_have_attribute("data-held", "false")
    expect(items.nth(2)).to_contain_text("本库尚未收录")
    follow = page.locator("button.follow")
    expect(follow).to_have_text("关注")
    follow.click()
    expect(follow).to_have_attribute("aria-pressed", "true")
    site.publish({**record, "title_zh": "EGFR突变非小细胞肺癌：关键研究（修订）"}, author="editor2")
    page.locator("#nav-feed").click()
    _ready(page, "/feed")
    item = page.locator(f"#feed li[data-list='{key}']")
    expect(item.locator(".feed-text")).to_have_text("书单更新：EGFR突变非小细胞肺癌：关键研究（修订）")
    expect(page.locator("#follows a[href='/reading/" + key + "']")).to_be_visible()
    page.locator("#nav-reading").click()
    _ready(page, "/reading")
    expect(page.locator(f"li[data-list='{key}'] a.title")).to_have_text("EGFR突变非小细胞肺癌：关键研究（修订）")
