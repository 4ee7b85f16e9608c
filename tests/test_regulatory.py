"""The China layer's regulatory and guideline records (docs/regulatory.md): stored whole on both backends, seeded
from the NHC 2024 table, curated through the editorial workflow, and shown as badges with the "只看国内已获批" filter,
in the API and in Chromium.

Approval numbers here are test values, marked as such: no test states a real approval.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from ingest.jobs import run_source
from ingest.records import Rejected
from ingest.regulatory import parse_nhc_table, read_categories
from kb.guidance import Approval, GuidelineRecommendation, ReadingItem, ReadingList, Regulatory, Reimbursement
from kb.kinds import KINDS
from kb.regulatory import Guidance
from kb.store import Backend, open_store
from kb.store.es import ElasticsearchStore
from kb.vocab import vocabularies_from_store
from tests.api_server import LiveServer
from tests.backends import BACKENDS, make_backend_settings
from tests.browser import BrowserPage
from tests.conftest import make_context
from tests.test_editorial import evidence_record
from tests.test_web import Site, ready, site  # noqa: F401  (site: the pages' live server, a fixture)

TEST_NMPA = "test value, not a real approval number"
QUERY = "EGFR T790M 奥希替尼"


def _nmpa(drug: str = "osimertinib", tumors: tuple[str, ...] = ("NSCLC",)) -> Regulatory:
    return Regulatory(
        id=f"{drug}:test-{'-'.join(tumors)}",
        drug=drug,
        indication_zh="测试适应证",
        tumor_codes=tumors,
        nmpa=Approval(source=TEST_NMPA, indication="测试适应证"),
        nrdl=Reimbursement(listed=True, year=2024, source="test value", restriction_zh="测试限制"),
    )


# -- the store: kinds kept whole, on both backends -------------------------------------------------
def test_the_china_layer_kinds_are_stored_whole_idempotently_and_counted(backend_store: Backend) -> None:
    records = {
        "regulatory": [_nmpa(), _nmpa("gefitinib")],
        "guideline": [
            GuidelineRecommendation(
                id="csco-test", body="CSCO", guideline="CSCO 测试指南", year=2024, version="2024",
                category="1A", grade="I", source="test", evidence=("civic:EID1",),
            )
        ],
        "reading_list": [
            ReadingList(id="egfr-test", topic_kind="gene", topic_key="EGFR", title_zh="测试书单",
                        items=(ReadingItem(pmid="26720286", note="说明"),))
        ],
    }  # fmt: skip
    for kind, rs in records.items():
        spec = KINDS[kind]
        first = spec.write(backend_store, rs)
        assert (first.inserted, first.updated) == (len(rs), 0)
        again = spec.write(backend_store, rs)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(rs))
        assert list(backend_store.iter_records(spec.plural, spec.type)) == sorted(rs, key=spec.key)
        assert spec.find(backend_store, vocabularies_from_store(backend_store), spec.key(rs[0])) == rs[0]
        assert backend_store.stats()[spec.plural] == len(rs)
    changed = replace(_nmpa(), note="edited")
    result = KINDS["regulatory"].write(backend_store, [changed])
    assert (result.inserted, result.updated) == (0, 1)
    assert next(r for r in backend_store.iter_records("regulatory", Regulatory) if r.id == changed.id).note == "edited"


# -- the seed: the NHC 2024 table ----------------------------------------------------------------
def test_every_row_of_the_nhc_table_becomes_a_listing_and_bad_rows_are_named(data_dir: Path) -> None:
    categories = read_categories()
    table = data_dir / "zh" / "cancer_drug_name_zh_en_2024.tsv"
    rows = table.read_text(encoding="utf-8").splitlines()
    known = {line.split("\t")[2].casefold() for line in rows[1:]}
    with table.open(encoding="utf-8") as fh:
        records = list(parse_nhc_table(fh, drug=lambda en, _: en.casefold() if en.casefold() in known else None,
                                       categories=categories))  # fmt: skip
    assert not [r for r in records if isinstance(r, Rejected)]
    assert len(records) == len({(r[0], r[1]) for r in (line.split("\t") for line in rows[1:])})
    assert {c for r in records if isinstance(r, Regulatory) for c in (r.indication_zh,)} == set(categories)
    assert all(isinstance(r, Regulatory) and r.listings == ("NHC 2024",) and r.nmpa is None for r in records)
    bad = (
        "name_zh\tcancer_category_zh\tname_en\n奥希替尼\t呼吸系统肿瘤\tOsimertinib\n"
        "某药\t呼吸系统肿瘤\tNotadrug\n奥希替尼\t火星肿瘤\tOsimertinib\n"
    )
    out = list(parse_nhc_table(io.StringIO(bad), drug=lambda en, _: "osimertinib" if en == "Osimertinib" else None,
                               categories=categories))  # fmt: skip
    assert isinstance(out[0], Regulatory) and out[0].tumor_codes == ("LUNG", "PLEURA")
    assert isinstance(out[1], Rejected) and out[1].key == "line 3" and "Notadrug" in out[1].reason
    assert isinstance(out[2], Rejected) and out[2].key == "line 4" and "火星肿瘤" in out[2].reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_nhc_listing_is_ingested_once_on_both_backends(
    backend: str, tmp_path: Path, data_dir: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "es":
        request.getfixturevalue("es_url")
    settings = make_backend_settings(backend, tmp_path, data_dir)
    store = open_store(settings)
    try:
        ctx = make_context(settings, store)
        for source in ("oncotree", "drugs"):
            run_source(ctx, source, data_dir)
        (first,) = run_source(ctx, "regulatory", data_dir)
        assert (first.result.inserted, first.rejected) == (207, 0)
        (again,) = run_source(ctx, "regulatory", data_dir)
        assert (again.result.inserted, again.result.updated, again.result.unchanged) == (0, 0, 207)
        guidance = Guidance.from_store(store, vocabularies_from_store(store))
        luad = guidance.badges(["osimertinib"], "LUAD")  # LUAD < NSCLC < LUNG: the 呼吸系统肿瘤 chapter
        assert [b.kind for b in luad] == ["listing"] and "奥希替尼" in luad[0].detail
        assert guidance.badges(["osimertinib"], "BRCA") == []  # not filed under 乳腺癌
        assert [b.kind for b in guidance.badges(["larotrectinib"], "COAD")] == ["listing"]  # 泛实体瘤
        assert guidance.badges(["larotrectinib"], "AML") == []  # solid tumours only
        assert not guidance.approved_in_china(["osimertinib"], "LUAD")  # a listing is not an approval
    finally:
        if isinstance(store, ElasticsearchStore):
            store.drop()
        store.close()


# -- badges and the filter through the API, on both backends ---------------------------------------
@pytest.fixture()
def with_approval(live_api: LiveServer) -> Iterator[httpx.Client]:
    """The live server's search with one recorded NMPA approval (osimertinib in NSCLC) and a CSCO recommendation
    of the osimertinib T790M row, in place of the published records (none in the shared store), then back."""
    search = live_api.services.search
    before = search.guidance
    csco = GuidelineRecommendation(
        id="csco-test", body="CSCO", guideline="CSCO 测试指南", year=2024, version="2024", category="1A",
        grade="I", source="test value", alteration="EGFR:T790M", tumor_code="NSCLC", drug="osimertinib",
    )  # fmt: skip
    search.guidance = Guidance([_nmpa()], [csco], before.tumors, before.drug_names)
    try:
        with httpx.Client(base_url=live_api.url, timeout=30.0) as client:
            yield client
    finally:
        search.guidance = before


def test_therapy_rows_carry_their_badges_and_the_filter_keeps_approved_therapies(with_approval: httpx.Client) -> None:
    plain = with_approval.get("/v1/search", params={"q": QUERY, "size": 50}).json()
    rows = {s["id"]: s for s in plain["summaries"]}
    approved = [s for s in rows.values() if s["drugs"] == ["osimertinib"] and s["tumor"]
                and s["tumor"]["code"] in ("NSCLC", "LUAD")]  # fmt: skip
    assert approved, "the query has osimertinib rows in NSCLC"
    for s in approved:
        kinds = [b["kind"] for b in s["badges"]]
        assert kinds[:2] == ["nmpa", "nrdl"] and "奥希替尼" in s["badges"][0]["detail"]
        assert s["badges"][0]["sources"] == [TEST_NMPA] and s["badges"][0]["label_zh"] == "国内已获批"
    t790m = [s for s in approved if s["variant_id"] == "EGFR:T790M" and s["tumor"]["code"] == "NSCLC"]
    assert any(b["label_zh"] == "CSCO I级推荐（1A类）" for s in t790m for b in s["badges"])
    combos = [s for s in rows.values() if len(s["drugs"]) > 1 and "osimertinib" in s["drugs"]]
    assert all(b["kind"] not in ("nmpa", "nrdl") for s in combos for b in s["badges"])  # each member must be
    only = with_approval.get("/v1/search", params={"q": QUERY, "size": 50, "approved_in_china": "true"}).json()
    assert only["summaries"] and only["page"]["total_summaries"] < plain["page"]["total_summaries"]
    for s in only["summaries"]:
        assert s["drugs"] == ["osimertinib"] and s["badges"][0]["kind"] == "nmpa"
    assert {s["id"] for s in only["summaries"]} == {s["id"] for s in approved}


def test_the_regulatory_route_lists_a_drugs_records_by_any_of_its_names(with_approval: httpx.Client) -> None:
    body = with_approval.get("/v1/regulatory", params={"drug": "泰瑞沙"}).json()
    assert [r["id"] for r in body["items"]] == ["osimertinib:test-NSCLC"] and body["total"] == 1
    record = body["items"][0]
    assert record["drug_zh"] == "奥希替尼" and record["nmpa"]["source"] == TEST_NMPA
    assert record["tumors"][0]["code"] == "NSCLC" and record["nrdl"]["year"] == 2024
    assert (
        with_approval.get("/v1/regulatory", params={"tumor": "LUAD", "approved_in_china": "true"}).json()["total"] == 1
    )
    assert with_approval.get("/v1/regulatory", params={"tumor": "BRCA"}).json()["total"] == 0
    for params, status in (({"drug": "notadrug"}, 404), ({"tumor": "NOPE"}, 422), ({"page": "0"}, 422)):
        response = with_approval.get("/v1/regulatory", params=params)
        assert response.status_code == status and set(response.json()["error"]) >= {"code", "message"}, response.text


# -- the editorial workflow and the pages -----------------------------------------------------------
def _propose(at: Site, kind: str, key: str, data: dict[str, Any]) -> httpx.Response:
    return at.call("curator", "POST", "/v1/submissions", json={"kind": kind, "key": key, "data": data})


def _publish(at: Site, kind: str, key: str, data: dict[str, Any]) -> httpx.Response:
    """Propose and submit as the curator, accept as the editor: the accept's answer (or the first refusal)."""
    created = _propose(at, kind, key, data)
    if created.status_code != 201:
        return created
    sub = created.json()
    sub = at.call("curator", "POST", f"/v1/submissions/{sub['id']}/submit",
                  headers={"If-Match": f'"{sub["version"]}"'}).json()  # fmt: skip
    return at.call("editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={},
                   headers={"If-Match": f'"{sub["version"]}"'})  # fmt: skip


REGULATORY = {
    "id": "osimertinib:NSCLC-web-test",
    "drug": "osimertinib",
    "indication_zh": "测试：EGFR T790M 突变阳性的非小细胞肺癌",
    "tumor_codes": ["NSCLC"],
    "nmpa": {"source": TEST_NMPA, "approved_on": "2017-01-01", "indication": "测试适应证"},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"drug": "notadrug"}, "data.drug"),
        ({"tumor_codes": ["NOPE"]}, "data.tumor_codes.0"),
        ({"nmpa": {"source": " ", "approved_on": None, "indication": ""}}, "data.nmpa.source"),
        ({"nmpa": None}, "data"),
        ({"tumor_codes": []}, "data.tumor_codes"),
        ({"nmpa": {"source": "x", "approved_on": "2017-13-01", "indication": ""}}, "data.nmpa.approved_on"),
    ],
)
def test_a_regulatory_record_with_an_unknown_drug_tumor_or_no_source_is_refused_by_field(
    site: Site,  # noqa: F811
    change: dict[str, Any],
    field: str,
) -> None:
    data = {**REGULATORY, **change}
    response = site.call(
        "curator", "POST", "/v1/submissions", json={"kind": "regulatory", "key": data["id"], "data": data}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["field"] == field


def test_a_guideline_grade_the_body_does_not_use_is_refused(site: Site) -> None:  # noqa: F811
    data = {"id": "csco-bad", "body": "CSCO", "guideline": "CSCO 测试", "year": 2024, "version": "2024",
            "category": "1A", "grade": "IV", "source": "test", "evidence": ["civic:EID1"]}  # fmt: skip
    response = site.call(
        "curator", "POST", "/v1/submissions", json={"kind": "guideline", "key": "csco-bad", "data": data}
    )
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "data.grade", response.text
    nccn = {**data, "id": "nccn-bad", "body": "NCCN", "grade": "", "category": "1A"}
    response = site.call(
        "curator", "POST", "/v1/submissions", json={"kind": "guideline", "key": "nccn-bad", "data": nccn}
    )
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "data.category", (
        response.text
    )


def test_an_accepted_approval_shows_as_a_badge_and_the_filter_keeps_it_in_the_browser(
    site: Site,  # noqa: F811
    browser_page: BrowserPage,
) -> None:
    assert _publish(site, "regulatory", REGULATORY["id"], REGULATORY).status_code == 200
    body = site.search(QUERY)  # the accept refreshed the badges: no restart
    assert any(b["kind"] == "nmpa" for s in body["summaries"] for b in s["badges"])
    page = browser_page.page
    page.goto(f"{site.url}/search?q={quote(QUERY)}")
    ready(page, "/search")
    rows = page.locator("tbody.statement")
    expect(rows.locator(".badge.reg-nmpa").first).to_have_text("国内已获批")
    before = rows.count()
    page.get_by_label("只看国内已获批").check()
    ready(page, "/search")
    expect(page).to_have_url(f"{site.url}/search?q={quote(QUERY)}&approved=1".replace("%20", "+"))
    expect(page.get_by_label("只看国内已获批")).to_be_checked()
    shown = page.locator("tbody.statement")
    expect(shown.first).to_be_visible()
    assert 0 < shown.count() < before
    for i in range(shown.count()):
        expect(shown.nth(i).locator(".badge.reg-nmpa")).to_have_count(1)

    page.goto(f"{site.url}/drug/osimertinib")
    ready(page, "/drug/osimertinib")
    row = page.locator(f"table.regulatory tr[data-regulatory='{REGULATORY['id']}']")
    expect(row).to_contain_text("2017-01-01")
    expect(row).to_contain_text("测试：EGFR T790M")


def test_an_editors_chinese_statement_is_shown_first_with_the_english_on_demand(
    site: Site,  # noqa: F811
    browser_page: BrowserPage,
) -> None:
    record = {**evidence_record(gene="EGFR"), "level": "A", "statement_zh": "编辑撰写的中文证据说明（测试）。"}
    assert _publish(site, "evidence", record["id"], record).status_code == 200
    found = site.search(QUERY)
    statement = next(s for s in found["summaries"] if any(e["id"] == record["id"] for e in s["evidence"]))
    item = next(e for e in statement["evidence"] if e["id"] == record["id"])
    assert item["statement_zh"] == record["statement_zh"] and item["statement"] == record["statement"]
    page = browser_page.page
    page.goto(f"{site.url}/search?q={quote(QUERY)}")
    ready(page, "/search")
    body = page.locator(f"tbody.statement[data-summary='{statement['id']}']")
    body.locator("button.expand").click()
    row = body.locator(f"table.evidence tr[data-evidence='{record['id']}']")
    expect(row.locator(".statement-zh")).to_have_text(record["statement_zh"])
    english = row.locator("details.original")
    expect(english.locator(".statement-en")).to_be_hidden()
    english.locator("summary").click()
    expect(english.locator(".statement-en")).to_have_text(record["statement"])
