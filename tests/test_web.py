"""The doctors' and editors' pages in Debian's Chromium, against a live server.

The server holds a copy of the session's full SQLite store (vocabularies, CIViC, the catalogue,
1,500 tagged articles) plus one authored article whose title and abstract carry markup as text,
and its own editorial database with a doctor, a curator and an editor. Every page is also
checked by the ``browser_page``/``new_page`` fixtures: no page error, no console error, nothing
fetched from outside the machine.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.app import create_app
from ingest.jobs import ingest_pubmed_files
from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.services import build_services
from kb.settings import Settings, load_settings
from kb.store import Backend, SQLiteStore
from tests.api_server import LiveServer
from tests.browser import BrowserPage
from tests.conftest import make_context
from tests.test_editorial import evidence_record

FIXTURES = Path(__file__).parent / "fixtures"
# expect() polls until this deadline; accepting a vocabulary entry rebuilds the query parser (seconds on CI)
expect.set_options(timeout=30_000)
PASSWORD = "correct horse battery"
USERS = {"doctor": "doctor", "curator": "curator", "editor": "editor", "editor2": "editor"}
SCRIPT_PMID = "90000901"


class Site:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.url = server.url

    def token(self, user: str) -> str:
        response = httpx.post(f"{self.url}/v1/auth/login", json={"username": user, "password": PASSWORD})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def call(self, user: str, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(user)}", **kw.pop("headers", {})}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30.0, **kw)

    def search(self, q: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/v1/search", params={"q": q}, timeout=30.0)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture(scope="module")
def site(
    full_store: Callable[[str], tuple[Settings, Backend]], tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> Iterator[Site]:
    source, _ = full_store("sqlite")
    tmp = tmp_path_factory.mktemp("web")
    with sqlite3.connect(source.sqlite_path) as src, sqlite3.connect(tmp / "kb.sqlite3") as dst:
        src.backup(dst)  # the pages' writes stay out of the store the API tests share
    src.close()
    dst.close()
    settings = load_settings(
        store=f"sqlite:///{tmp / 'kb.sqlite3'}",
        db_url=f"sqlite:///{tmp / 'editorial.sqlite3'}",
        data_dir=data_dir,
        work_dir=tmp / "work",
        gap_min_doctors=1,  # one doctor's searches show in the content-gap report
        anon_rate_limit=0,  # the browser is one address typing fast (see tests/conftest.make_settings)
        login_ip_limit=0,
    )
    store = SQLiteStore(settings.sqlite_path)
    ingest_pubmed_files(make_context(settings, store), [FIXTURES / "pubmed_web.xml"])
    db = Database(settings.db_url)
    db.upgrade()
    accounts = Accounts(db, settings)
    for name, role in USERS.items():
        accounts.create_user(name, PASSWORD, role, actor="test-setup")
    db.close()
    services = build_services(settings, embed=False, store=store)
    assert services.highlighter.tagger is not None  # built now, as `kb serve` does at start
    try:
        with LiveServer(create_app(settings, services=services), services) as server:
            yield Site(server)
    finally:
        services.close()


def ready(page: Page, path: str) -> None:
    """Wait until the page has rendered the route ``path`` (the app sets ``body[data-ready]``)."""
    expect(page.locator("body")).to_have_attribute("data-ready", path)


def sign_in(bp: BrowserPage, site: Site, user: str, then: str = "/") -> Page:
    page = bp.page
    page.goto(f"{site.url}/login?next={quote(then)}")
    ready(page, "/login")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    ready(page, then.split("?")[0])
    return page


def summary_of(site: Site, q: str, evidence_id: str) -> str:
    """The id of the statement (on the first page of ``q``) that holds the evidence item."""
    summaries = site.search(q)["summaries"]
    return next(s["id"] for s in summaries if any(e["id"] == evidence_id for e in s["evidence"]))


def web_evidence(gene: str, statement: str) -> dict[str, Any]:
    """A level A evidence record (the editorial tests' record) with its own statement."""
    return {**evidence_record(gene=gene), "level": "A", "rating": 5, "statement": statement}


def submitted(site: Site, record: dict[str, Any]) -> dict[str, Any]:
    body = {"kind": "evidence", "key": record["id"], "data": record, "reason": "browser test"}
    sub = site.call("curator", "POST", "/v1/submissions", json=body).json()
    response = site.call(
        "curator", "POST", f"/v1/submissions/{sub['id']}/submit", headers={"If-Match": f'"{sub["version"]}"'}
    )
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def accepted(site: Site, sub: dict[str, Any]) -> None:
    response = site.call(
        "editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers={"If-Match": f'"{sub["version"]}"'}
    )
    assert response.status_code == 200, response.text


# --- doctors ---------------------------------------------------------------------------------


def test_the_first_paint_has_the_search_box_in_chinese_and_english_is_one_click_away(
    site: Site, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    page.goto(site.url)
    ready(page, "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.locator("#q")).to_have_attribute("placeholder", re.compile("输入基因"))
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#q")).to_have_attribute("placeholder", re.compile("Gene, tumor or drug"))
    page.reload()  # the choice is remembered
    ready(page, "/")
    expect(page.get_by_role("button", name="Search")).to_be_visible()


def test_autocomplete_offers_chinese_and_english_names_and_inserts_the_choice(
    site: Site, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    page.goto(site.url)
    ready(page, "/")
    box = page.locator("#q")
    box.click()
    page.keyboard.type("奥希")
    option = page.locator("#suggest [role=option][data-id=osimertinib]")
    expect(option).to_be_visible()
    expect(option).to_contain_text("奥希替尼")
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(box).to_have_value("奥希替尼 ")
    expect(page.locator("#suggest")).to_be_hidden()
    page.keyboard.type("egf")  # English prefix, any case
    gene = page.locator("#suggest [role=option][data-id=EGFR]")
    expect(gene).to_be_visible()
    gene.click()
    expect(box).to_have_value("奥希替尼 EGFR ")
    page.get_by_role("button", name="搜索").click()
    ready(page, "/search")
    assert "q=" in page.url
    expect(page.locator("#concepts [data-concept='drug:osimertinib']")).to_be_visible()
    expect(page.locator("#concepts [data-concept='gene:EGFR']")).to_be_visible()
    expect(page.locator("table.summaries tbody.statement").first).to_be_visible()
    box.fill("")
    box.press_sequentially("HER2阳性乳")  # Chinese has no spaces: the typed prefix is completed, not replaced
    page.locator("#suggest [role=option][data-id=BRCA]").click()
    expect(box).to_have_value("HER2阳性乳腺癌 ")


def test_an_ambiguous_gene_offers_its_candidates_and_the_choice_searches_again(
    site: Site, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    page.goto(f"{site.url}/search?q={quote('NTRK 融合')}")
    ready(page, "/search")
    chip = page.locator("#concepts .chip.ambiguous")  # one choice: the fusion's gene
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("有歧义")
    candidates = chip.locator("button.candidate")
    expect(candidates).to_have_count(3)
    assert candidates.all_inner_texts() == ["NTRK1 FUSION", "NTRK2 FUSION", "NTRK3 FUSION"]
    chip.get_by_role("button", name="NTRK3 FUSION").click()
    expect(page.locator("#concepts [data-concept='variant:NTRK3:FUSION']")).to_be_visible()
    expect(page.locator("#concepts .chip.ambiguous")).to_have_count(0)
    expect(page.locator("#q")).to_have_value("NTRK3 FUSION")
    first = page.locator("table.summaries tbody.statement").first
    expect(first).to_contain_text("NTRK3")


def test_a_chip_says_how_pinyin_and_traditional_characters_were_read(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(f"{site.url}/search?q={quote('jifeitini 結直腸癌')}")
    ready(page, "/search")
    drug = page.locator("#concepts [data-concept='drug:gefitinib']")
    expect(drug.locator(".read-as")).to_have_text("拼音")
    expect(drug).to_contain_text("吉非替尼")
    expect(page.locator("#concepts [data-concept='tumor:COADREAD'] .read-as")).to_have_text("繁体")
    expect(page.locator("#q")).to_have_value("jifeitini 結直腸癌")  # the doctor's text stays as typed


def test_search_box_to_an_evidence_pmid_to_the_article_in_two_clicks(site: Site, browser_page: BrowserPage) -> None:
    # evidence citing an article the library holds (the CIViC items of this small store cite none of its 1,500)
    held = site.search("EGFR T790M")["articles"][0]
    marker = f"Numbatinib{uuid.uuid4().hex[:6]}"
    record = web_evidence("EGFR", f"{marker} placeholder statement.")
    record["citations"] = [{"pmid": held["pmid"], "source": "PubMed", "source_id": held["pmid"]}]
    sub = submitted(site, record)
    accepted(site, sub)
    page = browser_page.page
    page.goto(site.url)
    ready(page, "/")
    page.locator("#q").fill(f"EGFR T790M {marker}")
    page.get_by_role("button", name="搜索").click()  # click 1
    ready(page, "/search")
    statement = summary_of(site, f"EGFR T790M {marker}", sub["key"])  # the statement's line lists every PMID
    page.locator(
        f"tbody.statement[data-summary='{statement}'] tr.line a[href='/article/{held['pmid']}']"
    ).click()  # click 2
    ready(page, f"/article/{held['pmid']}")
    expect(page.locator("article h1")).to_have_text(held["title"])
    expect(page.locator("article .abstract")).not_to_be_empty()
    entered = httpx.get(f"{site.url}/v1/articles/{held['pmid']}").json()["entrez_date"]
    assert entered  # every citation of the subset carries PubMed's entry date
    expect(page.locator("article .meta .entrez")).to_have_text(f"PubMed 收录于 {entered}")


def test_results_show_levels_highlighted_literature_and_a_separate_company_tests_panel(
    site: Site, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    page.goto(f"{site.url}/search?q={quote('EGFR T790M 奥希替尼')}")
    ready(page, "/search")
    badges = page.locator("table.summaries .level")
    expect(badges.first).to_be_visible()
    colours = {
        text: page.locator(f"table.summaries .level-{text}").first.evaluate("e => getComputedStyle(e).backgroundColor")
        for text in set(badges.all_inner_texts())
    }
    assert len(set(colours.values())) == len(colours)  # one colour per level
    assert page.locator("table.summaries").get_by_text("奥希替尼").count() > 0  # drugs by their Chinese name
    marks = page.locator("#articles mark.focus")
    expect(marks.first).to_be_visible()
    assert {m.lower() for m in marks.all_inner_texts()} & {"egfr", "t790m", "osimertinib"}
    tests = page.locator("aside#tests")
    expect(tests.locator("h2")).to_have_text("本公司检测项目")
    expect(tests.locator(".sponsored")).to_contain_text("并非循证证据")
    expect(tests.locator("li.test").first.locator(".reason")).not_to_be_empty()
    assert page.locator("#evidence aside, #articles aside, #evidence li.test").count() == 0  # kept apart


def test_entity_pages_for_a_gene_a_tumor_and_a_drug(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    for path, heading in (
        ("/gene/ERBB2", "ERBB2"),
        ("/tumor/NSCLC", "非小细胞肺癌"),
        ("/drug/osimertinib", "奥希替尼"),
    ):
        page.goto(f"{site.url}{path}")
        ready(page, path)
        expect(page.locator(".entity-head h1")).to_contain_text(heading)
        expect(page.locator("table.evidence tbody tr").first).to_be_visible()
        expect(page.locator("aside#tests h2")).to_have_text("本公司检测项目")
    page.goto(f"{site.url}/gene/HER2")  # an alias opens the gene
    ready(page, "/gene/HER2")
    expect(page.locator(".entity-head h1")).to_contain_text("ERBB2")


def test_a_biomarker_chip_shows_its_value_and_opens_the_biomarker_page(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(f"{site.url}/search?q={quote('PD-L1 TPS≥50% 肺癌')}")
    ready(page, "/search")
    chip = page.locator("#concepts [data-concept='biomarker:PD-L1']")
    expect(chip.locator(".type")).to_have_text("生物标志物")
    expect(chip.locator(".value")).to_have_text("TPS>=50%")
    chip.click()
    ready(page, "/biomarker/PD-L1")
    expect(page.locator(".entity-head h1")).to_contain_text("PD-L1表达")
    page.goto(f"{site.url}/biomarker/{quote('错配修复缺陷')}")  # a Chinese name opens the biomarker
    ready(page, f"/biomarker/{quote('错配修复缺陷')}")
    expect(page.locator(".entity-head h1")).to_contain_text("dMMR")
    expect(page.locator("table.evidence strong.biomarker").first).to_be_visible()  # a cited fact has no gene
    expect(page.locator("aside#tests li.test[data-test='IO-MMR-IHC-01'] .biomarkers strong")).to_have_text("dMMR")


def test_a_doctor_follows_a_gene_and_sees_new_evidence_in_the_feed(
    site: Site, new_page: Callable[..., BrowserPage]
) -> None:
    page = sign_in(new_page(), site, "doctor", then="/gene/ALK")
    expect(page.locator(".entity-head a.atom")).to_have_attribute("href", "/v1/topics/gene/ALK/feed.atom")  # public
    follow = page.locator("button.follow")
    expect(follow).to_have_text("关注")
    follow.click()
    expect(follow).to_have_attribute("aria-pressed", "true")
    expect(follow).to_have_text("已关注")
    page.reload()  # the page asks the server what the doctor follows
    ready(page, "/gene/ALK")
    expect(page.locator("button.follow")).to_have_attribute("aria-pressed", "true")
    marker = f"Feedcheck{uuid.uuid4().hex[:6]}"
    sub = submitted(site, web_evidence("ALK", f"{marker} placeholder statement."))
    accepted(site, sub)
    with page.expect_response(lambda r: r.url.endswith("/v1/feed/seen")):  # the page marks the feed read
        page.locator("#nav-feed").click()
    ready(page, "/feed")
    expect(page.locator("#follows")).to_contain_text("ALK")
    item = page.locator(f"#feed li[data-evidence='{sub['key']}']")
    expect(item).to_be_visible()
    expect(item.locator(".new-mark")).to_have_text("新")  # accepted after the doctor's last visit
    page.reload()
    ready(page, "/feed")
    expect(page.locator(".feed-since")).to_contain_text("自上次访问")
    expect(item.locator(".new-mark")).to_have_count(0)  # read on the visit before
    expect(item.locator(".feed-text")).to_have_text(
        "新增证据：ALK T790M 对奥希替尼敏感（非小细胞肺癌，A级）"
    )  # in words
    expect(page.locator("#feed li[data-type=article] .feed-text").first).to_contain_text("新文献：")
    page.locator("#feed-url-make").click()  # the page offers the doctor's secret Atom feed URL
    url = page.locator("#feed-url-input")
    expect(url).to_have_value(re.compile(r"/v1/feeds/[\w-]+\.atom$"))
    atom = httpx.get(url.input_value(), timeout=30.0)
    assert atom.status_code == 200 and sub["key"] in atom.text and "新增证据：ALK T790M" in atom.text
    expect(page.locator("#feed li[data-type=article]").first).to_be_visible()  # newest ALK articles
    page.goto(site.url)  # the home page shows the same news
    ready(page, "/")
    expect(page.locator(f"#feed-preview li[data-evidence='{sub['key']}']")).to_be_visible()


def test_the_375px_phone_layout_has_no_sideways_scrolling(site: Site, new_page: Callable[..., BrowserPage]) -> None:
    page = new_page(width=375, height=812).page
    page.goto(f"{site.url}/search?q={quote('HER2阳性乳腺癌')}")
    ready(page, "/search")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for selector in ("#q", ".search button", "#concepts", "table.summaries", "aside#tests"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (selector, box)
    expect(page.locator("table.summaries thead")).to_be_hidden()  # rows become cards
    cell = page.locator("table.summaries tbody td").first
    assert cell.evaluate("e => getComputedStyle(e, '::before').content") == '"级别"'
    tests_top = page.locator("aside#tests").bounding_box()
    evidence_top = page.locator("#evidence").bounding_box()
    assert tests_top and evidence_top and tests_top["y"] > evidence_top["y"]  # one column
    for path in ("/gene/EGFR", f"/article/{SCRIPT_PMID}", "/login"):
        page.goto(f"{site.url}{path}")
        ready(page, path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path


def test_an_abstract_with_script_tags_is_shown_as_text(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(f"{site.url}/search?q=Quokkastatin")
    ready(page, "/search")
    item = page.locator(f"li.article[data-pmid='{SCRIPT_PMID}']")
    expect(item.locator("a.title")).to_contain_text("<b>bold</b>")
    expect(item.locator(".snippet")).to_contain_text('<script>document.body.dataset.pwned = "script"</script>')
    item.locator("a.title").click()
    ready(page, f"/article/{SCRIPT_PMID}")
    abstract = page.locator("article .abstract")
    expect(abstract).to_contain_text("<script>")
    expect(abstract).to_contain_text('<img src="x" onerror=')
    assert page.locator("main script, main img, main b").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert "default-src 'self'" in (httpx.get(f"{site.url}/article/{SCRIPT_PMID}").headers["content-security-policy"])


def test_an_article_the_library_does_not_hold_links_to_pubmed(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(f"{site.url}/article/1")
    ready(page, "/article/1")
    expect(page.locator("main")).to_contain_text("本库尚未收录")
    expect(page.locator("main a[href='https://pubmed.ncbi.nlm.nih.gov/1/']")).to_be_visible()
    assert all("404" in p for p in browser_page.problems)  # the browser logs the API's 404
    browser_page.problems.clear()


# --- editors ---------------------------------------------------------------------------------


def test_an_editor_accepts_a_submission_side_by_side_and_the_doctor_finds_it(
    site: Site, new_page: Callable[..., BrowserPage]
) -> None:
    marker = f"Wombatinib{uuid.uuid4().hex[:6]}"
    sub = submitted(site, web_evidence("EGFR", f"{marker} placeholder statement about T790M."))
    editor = sign_in(new_page(), site, "editor", then="/editor")
    row = editor.locator(f"table.queue tr[data-submission='{sub['id']}']")
    expect(row).to_be_visible()
    row.locator("td.summary a").click()
    ready(editor, f"/editor/review/{sub['id']}")
    statement = editor.locator("table.diff tr[data-field=statement]")  # a long text: one inline word diff
    expect(statement.locator("td.inline del")).to_have_count(0)
    expect(statement.locator("td.inline ins")).to_contain_text(marker)
    editor.get_by_label("审核意见").fill("Checked against the trial report.")
    editor.get_by_role("button", name="接受并发布").click()
    expect(editor.locator("h1 .state")).to_have_text("已发布")
    expect(editor.locator(".review-comment")).to_contain_text("Checked against the trial report.")

    doctor = sign_in(new_page(), site, "doctor", then="/")
    doctor.locator("#q").fill(marker)
    doctor.get_by_role("button", name="搜索").click()
    ready(doctor, "/search")
    statement = doctor.locator(f"tbody.statement[data-summary='{summary_of(site, marker, sub['key'])}']")
    statement.locator("button.expand").click()  # the statement opens into its items
    row = statement.locator(f"table.evidence tr[data-evidence='{sub['key']}']")
    expect(row).to_be_visible()
    expect(row.locator(".level")).to_have_text("A")


def test_a_curator_adds_a_chinese_synonym_and_after_review_the_search_understands_it(
    site: Site, new_page: Callable[..., BrowserPage]
) -> None:
    synonym = f"测试替尼{uuid.uuid4().int % 10**6:06d}"
    curator = sign_in(new_page(), site, "curator", then="/editor/edit?kind=drug&key=osimertinib")
    names = curator.locator(".field[data-path='data.synonyms_zh']")  # a list editor: one row per name
    expect(names).to_be_visible()
    names.get_by_role("button", name="+ 添加").click()
    names.locator(".list-row input").last.fill(synonym)
    curator.get_by_label("修改理由").fill("a name doctors use")
    curator.get_by_role("button", name="提交审核").click()
    expect(curator.locator("h1 .state")).to_have_text("待审核")
    review_path = curator.url.split(site.url, 1)[1]
    expect(curator.get_by_role("button", name="接受并发布")).to_have_count(0)  # curators don't review

    editor = sign_in(new_page(), site, "editor", then=review_path)
    diff = editor.locator("table.diff tr[data-field=synonyms_zh]")
    expect(diff.locator("td.after")).to_contain_text(synonym)
    expect(diff.locator("td.before")).not_to_contain_text(synonym)
    editor.get_by_role("button", name="接受并发布").click()
    expect(editor.locator("h1 .state")).to_have_text("已发布")
    expect(editor.locator("#live")).to_contain_text("已生效")  # live when the accept answers, no rebuild to wait for
    editor.goto(f"{site.url}/search?q={quote(synonym)}")
    ready(editor, "/search")
    expect(editor.locator("#concepts [data-concept='drug:osimertinib']")).to_be_visible()
    editor.goto(f"{site.url}/drug/osimertinib")
    ready(editor, "/drug/osimertinib")
    expect(editor.locator("dl.facts")).to_contain_text(synonym)  # the drug page shows the accepted synonym


def test_the_content_gap_report_lists_a_doctors_zero_result_query(
    site: Site, new_page: Callable[..., BrowserPage]
) -> None:
    nonsense = "zzqxvbwk"  # letters only: the parser would split digits off
    doctor = sign_in(new_page(), site, "doctor", then=f"/search?q={nonsense}")
    expect(doctor.locator("#no-answer")).to_contain_text("未能识别")
    sign_in(new_page(), site, "doctor", then="/search?q=EGFR")  # a concept for the most searched table
    editor = sign_in(new_page(), site, "editor", then="/editor/gaps")
    expect(editor.locator("#gaps-zero")).to_contain_text(nonsense)
    expect(editor.locator("#gaps-unresolved")).to_contain_text(nonsense)
    expect(editor.locator("#gaps-top tbody tr").first).to_be_visible()


def test_editor_pages_ask_a_doctor_to_sign_in_as_an_editor(site: Site, new_page: Callable[..., BrowserPage]) -> None:
    doctor = sign_in(new_page(), site, "doctor", then="/editor")
    expect(doctor.locator("main .error")).to_contain_text("需要编辑权限")
    expect(doctor.locator("#nav-editor")).to_be_hidden()


def test_a_curator_drafts_a_test_item_change_then_submits_it(site: Site, new_page: Callable[..., BrowserPage]) -> None:
    test_id = httpx.get(f"{site.url}/v1/tests").json()["items"][0]["id"]
    note = f"新增说明{uuid.uuid4().hex[:6]}"
    curator = sign_in(new_page(), site, "curator", then=f"/editor/edit?kind=test&key={test_id}")
    description = curator.locator("textarea[name=description_zh]")
    expect(description).to_be_visible()
    description.fill(f"{description.input_value()}{note}")
    genes = curator.locator(".field[data-path='data.genes'] .list-row input")  # lists are edited one row per item
    assert genes.count() > 1
    curator.get_by_role("button", name="保存草稿").click()
    expect(curator.locator("h1 .state")).to_have_text("草稿")
    expect(curator.locator("table.diff tr[data-field=description_zh] td.inline ins")).to_have_text(note)
    assert curator.locator("table.diff tbody tr").count() == 1  # only the changed field
    curator.get_by_role("button", name="提交审核").click()
    expect(curator.locator("h1 .state")).to_have_text("待审核")


def test_an_editor_rejects_an_evidence_edit_with_a_comment(site: Site, new_page: Callable[..., BrowserPage]) -> None:
    evidence_id = site.search("EGFR T790M 奥希替尼")["evidence"][0]["id"]
    curator = sign_in(new_page(), site, "curator", then="/editor/edit")
    curator.get_by_label("类型").select_option("evidence")
    curator.get_by_label("条目", exact=True).fill(evidence_id)
    curator.get_by_role("button", name="载入").click()
    level = curator.locator("select[name=level]")  # a fixed choice is a select
    expect(level).to_be_visible()
    before = level.input_value()
    level.select_option("E" if before != "E" else "D")
    alteration = curator.locator("input[name='alteration.gene']")  # a nested record is a sub-form
    expect(alteration).to_have_value("EGFR")
    curator.get_by_role("button", name="提交审核").click()
    expect(curator.locator("h1 .state")).to_have_text("待审核")
    review_path = curator.url.split(site.url, 1)[1]

    editor = sign_in(new_page(), site, "editor", then=review_path)
    expect(editor.locator("table.diff tr[data-field=level] td.before")).to_have_text(before)
    editor.get_by_label("审核意见").fill("The trial does not support a lower level.")
    editor.get_by_role("button", name="驳回").click()
    expect(editor.locator("h1 .state")).to_have_text("已驳回")
    expect(editor.locator(".review-comment")).to_contain_text("does not support a lower level")
    level_now = httpx.get(f"{site.url}/v1/evidence/{evidence_id}").json()["level"]
    assert level_now == before  # nothing published


def test_evidence_filters_by_level_and_type_search_again(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(f"{site.url}/search?q={quote('EGFR 肺癌')}")
    ready(page, "/search")
    page.locator(".filters button.lt-A").click()
    expect(page.locator(".filters button.lt-A")).to_have_attribute("aria-pressed", "true")
    assert "level=A" in page.url
    expect(page.locator("table.summaries tbody.statement").first).to_be_visible()
    assert set(page.locator("table.summaries tr.line .level").all_inner_texts()) == {"A"}
    page.locator(".filters select.type-filter").select_option("prognostic")
    expect(page.locator(".filters select.type-filter")).to_have_value("prognostic")
    assert "evidence_type=prognostic" in page.url and "level=A" in page.url
    types = page.locator("table.summaries tr.line .etype")
    if types.count():  # level A prognostic evidence may not exist in the data
        assert set(types.all_inner_texts()) == {"预后"}
    else:
        expect(page.locator("#evidence")).to_contain_text("没有找到相关证据")


def test_a_page_path_the_app_does_not_know_says_so(site: Site, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(f"{site.url}/editor/review/not-a-number")
    ready(page, "/editor/review/not-a-number")
    expect(page.locator("main .error")).to_contain_text("未找到")
    expect(page.locator("main a[href='/']")).to_be_visible()
