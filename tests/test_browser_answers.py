"""The clinical answer in Debian's Chromium, against a live server over the session's full SQLite store.

Summaries first (one line per clinical statement, opening into its items), significance and tumor
filters, review dates, the company's tests below the evidence, an honest empty answer whose
suggestions run a real search, tumors by their Chinese names, and the gene page paging through all of
its evidence and its literature (with the paging API behind it, on both backends). What the page must
show is read from the API of the same server, never written into the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from api.app import create_app
from kb.services import build_services
from kb.settings import Settings
from kb.store import Backend
from tests.api_server import LiveServer
from tests.browser import BrowserPage

expect.set_options(timeout=30_000)

PAGE_SIZE = 10  # the search page's size (api/web/static/search.js)
GENE_EVIDENCE = 20  # the gene page's sizes (api/web/static/pages.js)
GENE_ARTICLES = 10
STATEMENT_QUERY = "EGFR L858R 非小细胞肺癌"  # a variant in a tumor: statements in it, its family and others
BROAD_QUERY = "BRAF"  # a gene alone: statements of several significances and tumors
NOT_UNDERSTOOD = "gefitnibb"  # a misspelt drug the parser does not read


@pytest.fixture(scope="module")
def server(full_store: Callable[[str], tuple[Settings, Backend]]) -> Iterator[LiveServer]:
    settings, store = full_store("sqlite")
    services = build_services(settings, embed=False, store=store)
    with LiveServer(create_app(settings, services=services), services) as live:
        yield live


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as http:
        yield http


def search(client: httpx.Client, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params={"q": q, "size": PAGE_SIZE, **params})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def ready(page: Page, path: str) -> None:
    """Wait until the page has rendered the route ``path`` (the app sets ``body[data-ready]``)."""
    expect(page.locator("body")).to_have_attribute("data-ready", path)


def open_search(page: Page, url: str, q: str, **params: str) -> None:
    extra = "".join(f"&{k}={quote(v)}" for k, v in params.items())
    page.goto(f"{url}/search?q={quote(q)}{extra}")
    ready(page, "/search")


def statements(page: Page) -> Locator:
    return page.locator("#evidence table.summaries tbody.statement")


def visible_ids(page: Page) -> list[str]:
    ids: list[str] = page.locator("#evidence tbody.statement:not([hidden])").evaluate_all(
        "els => els.map(e => e.dataset.summary)"
    )
    return ids


# --- the search page ------------------------------------------------------------------------


def test_statements_come_first_with_level_count_tumor_relation_and_pmids(
    server: LiveServer, client: httpx.Client, browser_page: BrowserPage
) -> None:
    answer = search(client, STATEMENT_QUERY)
    summaries = answer["summaries"]
    assert summaries and answer["page"]["total_summaries"] >= len(summaries)
    page = browser_page.page
    open_search(page, server.url, STATEMENT_QUERY)
    lines = statements(page)
    expect(lines).to_have_count(len(summaries))
    assert lines.evaluate_all("els => els.map(e => e.dataset.summary)") == [s["id"] for s in summaries]
    evidence, articles = page.locator("#evidence").bounding_box(), page.locator("#articles").bounding_box()
    assert evidence and articles and evidence["y"] < articles["y"]  # the statements before the literature
    expect(page.locator("#evidence .count")).to_contain_text(f"{answer['page']['total_summaries']} 条临床结论")
    for s, line in zip(summaries, lines.all(), strict=True):
        expect(line.locator("tr.line .level")).to_have_text(s["best_level"])
        expect(line.locator("tr.line .n")).to_have_text(f"{s['count']} 条证据")
        relation = line.locator(".relation")
        if s["tumor_relation"] == "any":
            expect(relation).to_have_count(0)
        else:
            expect(relation).to_have_attribute("data-relation", s["tumor_relation"])
        shown = line.locator("tr.line .pmid").all_inner_texts()
        assert shown == s["pmids"]
        if not s["agree"]:
            expect(line.locator(".mixed")).to_contain_text("结论不一")
    relations = {s["tumor_relation"] for s in summaries}
    assert "exact" in relations  # the query names a tumor: its own statements are marked
    expect(lines.locator(".relation[data-relation=exact]").first).to_have_text("本瘤种")
    assert page.locator("#evidence tr.items:not([hidden])").count() == 0  # closed until asked


def test_a_statement_opens_into_its_items_with_their_review_dates(
    server: LiveServer, client: httpx.Client, browser_page: BrowserPage
) -> None:
    summaries = search(client, STATEMENT_QUERY)["summaries"]
    several = next(s for s in summaries if s["count"] >= 2)
    page = browser_page.page
    open_search(page, server.url, STATEMENT_QUERY)
    line = page.locator(f"#evidence tbody.statement[data-summary='{several['id']}']")
    button = line.locator("button.expand")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    rows = line.locator("tr.items table.evidence tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows).to_have_count(several["count"])
    assert rows.evaluate_all("els => els.map(e => e.dataset.evidence)") == [e["id"] for e in several["evidence"]]
    dates = line.locator("tr.items td[data-label='更新日期']").all_inner_texts()
    assert dates == [e["last_review"] or "—" for e in several["evidence"]]
    assert any(e["last_review"] for e in several["evidence"])  # the data carries review dates
    button.click()
    expect(line.locator("tr.items")).to_be_hidden()


def test_tumors_are_named_in_chinese_in_statements_items_and_filters(
    server: LiveServer, client: httpx.Client, browser_page: BrowserPage
) -> None:
    summaries = search(client, STATEMENT_QUERY)["summaries"]
    named = [s for s in summaries if s["tumor"] and s["tumor"]["name_zh"]]
    assert named
    page = browser_page.page
    open_search(page, server.url, STATEMENT_QUERY)
    for s in named:
        cell = page.locator(f"tbody.statement[data-summary='{s['id']}'] tr.line td[data-label='肿瘤'] a")
        expect(cell).to_have_text(s["tumor"]["name_zh"])
    first = page.locator(f"tbody.statement[data-summary='{named[0]['id']}']")
    first.locator("button.expand").click()
    item = named[0]["evidence"][0]
    expect(first.locator(f"tr[data-evidence='{item['id']}'] td[data-label='肿瘤']")).to_have_text(
        item["tumor"]["name_zh"]
    )
    options = page.locator(".tumor-filter option").all_inner_texts()
    assert {s["tumor"]["name_zh"] for s in named} <= set(options)


def test_significance_filters_the_statements_and_the_tumor_filter_searches_again(
    server: LiveServer, client: httpx.Client, browser_page: BrowserPage
) -> None:
    answer = search(client, BROAD_QUERY)
    significances = [s["significance"] for s in answer["summaries"]]
    assert len(set(significances) - {"na"}) >= 2  # a choice that hides something
    chosen = next(sig for sig in significances if sig != "na")
    page = browser_page.page
    open_search(page, server.url, BROAD_QUERY)
    expect(statements(page)).to_have_count(len(significances))
    page.locator(".sig-filter").select_option(chosen)
    wanted = [s["id"] for s in answer["summaries"] if s["significance"] == chosen]
    assert visible_ids(page) == wanted
    assert f"sig={chosen}" in page.url
    page.locator(".sig-filter").select_option("")
    assert len(visible_ids(page)) == len(significances)

    tumor = next(s["tumor"] for s in answer["summaries"] if s["tumor"])
    page.locator(".tumor-filter").select_option(tumor["code"])
    ready(page, "/search")
    expect(page.locator(".tumor-filter")).to_have_value(tumor["code"])
    assert f"tumor={tumor['code']}" in page.url
    narrowed = search(client, BROAD_QUERY, tumor=tumor["code"])
    assert narrowed["summaries"] and len(narrowed["summaries"]) <= len(answer["summaries"])
    expect(statements(page)).to_have_count(len(narrowed["summaries"]))
    assert visible_ids(page) == [s["id"] for s in narrowed["summaries"]]


def test_the_company_tests_come_below_the_evidence_on_a_desktop_screen(
    server: LiveServer, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    assert page.evaluate("innerWidth") == 1280
    open_search(page, server.url, STATEMENT_QUERY)
    tests = page.locator("aside#tests")
    expect(tests.locator("h2")).to_have_text("本公司检测项目")
    expect(tests.locator(".sponsored")).to_contain_text("并非循证证据")
    evidence = page.locator("#evidence").bounding_box()
    panel = tests.bounding_box()
    assert evidence and panel and panel["y"] >= evidence["y"] + evidence["height"]
    assert page.locator("#evidence aside, #evidence li.test").count() == 0


def test_an_answer_nothing_was_understood_in_offers_suggestions_that_search_again(
    server: LiveServer, client: httpx.Client, browser_page: BrowserPage
) -> None:
    answer = search(client, NOT_UNDERSTOOD)
    assert answer["understood"] is False and answer["did_you_mean"]
    page = browser_page.page
    open_search(page, server.url, NOT_UNDERSTOOD)
    expect(page.locator("#no-answer h2")).to_have_text("未能识别")
    assert page.locator("#evidence, #articles, aside#tests, table.summaries, li.article").count() == 0
    links = page.locator("#no-answer ul.did-you-mean a")
    expect(links).to_have_count(len(answer["did_you_mean"]))
    first = answer["did_you_mean"][0]
    assert links.first.get_attribute("data-id") == first["id"]
    links.first.click()
    ready(page, "/search")
    expect(page.locator(f"#concepts [data-concept='{first['type']}:{first['id']}']")).to_be_visible()
    expect(page.locator("#no-answer")).to_have_count(0)
    expect(statements(page).first).to_be_visible()
    retried = search(client, page.locator("#q").input_value())
    assert retried["understood"] is True and retried["summaries"]


# --- the gene page ---------------------------------------------------------------------------


def test_the_gene_paging_api_validates_and_pages_in_the_one_error_shape(api: httpx.Client) -> None:
    client = api  # the live server of each backend (tests/api_server.py)
    first = client.get("/v1/genes/HER2/evidence", params={"size": 5}).json()
    assert first["symbol"] == "ERBB2" and first["page"] == 1 and len(first["items"]) == 5
    second = client.get("/v1/genes/ERBB2/evidence", params={"size": 5, "page": 2}).json()
    assert second["total"] == first["total"] > 10
    assert not {e["id"] for e in first["items"]} & {e["id"] for e in second["items"]}
    assert [e["gene"] for e in first["items"] + second["items"]] == ["ERBB2"] * 10
    beyond = client.get("/v1/genes/ERBB2/evidence", params={"size": 100, "page": 1000}).json()
    assert beyond["items"] == [] and beyond["total"] == first["total"]
    articles = client.get("/v1/genes/ERBB2/articles", params={"size": 3}).json()
    assert articles["total"] > 3 and len(articles["items"]) == 3
    assert all("gene:ERBB2" in a["concepts"] for a in articles["items"])
    for path, params, status in (
        ("/v1/genes/ERBB2/evidence", {"size": 0}, 422),
        ("/v1/genes/ERBB2/evidence", {"page": 0}, 422),
        ("/v1/genes/ERBB2/articles", {"size": 101}, 422),
        ("/v1/genes/NOTAGENE1/articles", {}, 404),
    ):
        response = client.get(path, params=params)
        assert response.status_code == status, (path, params)
        body = response.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body


def test_a_gene_page_pages_through_all_of_its_evidence_and_its_literature(
    server: LiveServer, client: httpx.Client, browser_page: BrowserPage
) -> None:
    gene = "KRAS"
    evidence = [
        client.get(f"/v1/genes/{gene}/evidence", params={"page": p, "size": GENE_EVIDENCE}).json() for p in (1, 2)
    ]
    articles = [
        client.get(f"/v1/genes/{gene}/articles", params={"page": p, "size": GENE_ARTICLES}).json() for p in (1, 2)
    ]
    assert evidence[0]["total"] > GENE_EVIDENCE and articles[0]["total"] > GENE_ARTICLES
    page = browser_page.page
    page.goto(f"{server.url}/gene/{gene}")
    ready(page, f"/gene/{gene}")
    expect(page.locator("#evidence .count")).to_have_text(f"证据 {evidence[0]['total']} 条")
    rows = page.locator("#evidence table.evidence tbody tr")

    def evidence_ids() -> list[str]:
        ids: list[str] = rows.evaluate_all("els => els.map(e => e.dataset.evidence)")
        return ids

    expect(rows).to_have_count(GENE_EVIDENCE)
    assert evidence_ids() == [e["id"] for e in evidence[0]["items"]]
    page.locator("#evidence nav.pager button").last.click()  # next page
    expect(page.locator("#evidence .paged")).to_have_attribute("data-page", "2")
    assert evidence_ids() == [e["id"] for e in evidence[1]["items"]]
    assert "evidence_page=2" in page.url

    items = page.locator("#articles li.article")
    expect(items).to_have_count(GENE_ARTICLES)

    def pmids() -> list[str]:
        found: list[str] = items.evaluate_all("els => els.map(e => e.dataset.pmid)")
        return found

    assert pmids() == [a["pmid"] for a in articles[0]["items"]]
    page.locator("#articles nav.pager button").last.click()
    expect(page.locator("#articles .paged")).to_have_attribute("data-page", "2")
    assert pmids() == [a["pmid"] for a in articles[1]["items"]]
    expect(page.locator("#articles ol.articles")).to_have_attribute("start", str(GENE_ARTICLES + 1))

    page.reload()  # both pages are in the address
    ready(page, f"/gene/{gene}")
    expect(page.locator("#evidence .paged")).to_have_attribute("data-page", "2")
    expect(page.locator("#articles .paged")).to_have_attribute("data-page", "2")
    assert evidence_ids() == [e["id"] for e in evidence[1]["items"]]


def test_article_tags_name_tumors_in_chinese(
    server: LiveServer, client: httpx.Client, browser_page: BrowserPage
) -> None:
    listed = client.get("/v1/genes/KRAS/articles", params={"size": 100}).json()["items"]
    tagged = next(
        a for a in listed if any(n["concept"].startswith("tumor:") and n["name_zh"] for n in a["concept_names"])
    )
    name = next(n for n in tagged["concept_names"] if n["concept"].startswith("tumor:") and n["name_zh"])
    page = browser_page.page
    page.goto(f"{server.url}/article/{tagged['pmid']}")
    ready(page, f"/article/{tagged['pmid']}")
    tag = page.locator(f"article .tags a[href='/tumor/{name['concept'].split(':', 1)[1]}'] .tag")
    expect(tag).to_have_text(name["name_zh"])
