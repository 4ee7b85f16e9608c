"""The editors' workbench: entry search (``GET /v1/entries``), the edit links, and bulk names and synonyms in the
pages, against the pages' live server (a copy of the full SQLite store) and real Chromium."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser import BrowserPage
from tests.test_editorial import evidence_record
from tests.test_web import Site, accepted, ready, sign_in, site, submitted  # noqa: F401  (site: a fixture)


def _entries(at: Site, who: str = "curator", **params: Any) -> Any:
    return at.call(who, "GET", "/v1/entries", params=params)


def test_an_entry_is_found_by_its_key_a_chinese_or_traditional_name_an_alias_or_a_word_of_its_statement(
    site: Site,  # noqa: F811
) -> None:
    first = _entries(site, q="泰瑞沙").json()
    assert first["items"][0]["kind"] == "drug" and first["items"][0]["key"] == "osimertinib"
    assert (
        first["items"][0]["matched"] == "泰瑞沙"
        and first["items"][0]["edit"] == "/editor/edit?kind=drug&key=osimertinib"
    )
    assert _entries(site, q="奧希替尼").json()["items"][0]["key"] == "osimertinib"  # traditional characters
    her2 = _entries(site, q="HER2", kind="gene").json()["items"]
    assert her2[0]["key"] == "ERBB2" and all(h["kind"] == "gene" for h in her2)
    exact = _entries(site, q="ERBB2").json()["items"]
    assert exact[0]["key"] == "ERBB2"  # the key itself before every name that holds it
    marker = f"Quokkatinib{uuid.uuid4().hex[:6]}"
    record = {**evidence_record(gene="EGFR"), "statement": f"A {marker} response in a curated trial."}
    assert _entries(site, q=marker).json()["total"] == 0
    accepted(site, submitted(site, record))
    found = _entries(site, q=f"{marker.lower()} trial", kind="evidence").json()  # every word, any case
    assert [h["key"] for h in found["items"]] == [record["id"]] and "EGFR T790M" in found["items"][0]["label_zh"]
    many = _entries(site, q="EGFR", kind="evidence", size=5, page=2).json()
    assert many["total"] > 10 and len(many["items"]) == 5 and many["page"] == 2
    assert _entries(site, who="doctor", q="EGFR").status_code == 403
    assert _entries(site, q="").status_code == 422


def test_an_editor_finds_an_evidence_item_by_a_word_and_opens_it_and_doctors_see_no_edit_links(
    site: Site,  # noqa: F811
    new_page: Callable[..., BrowserPage],
) -> None:
    marker = f"Numbatinib{uuid.uuid4().hex[:6]}"
    record = {**evidence_record(gene="EGFR"), "statement": f"The {marker} arm responded."}
    accepted(site, submitted(site, record))
    editor = sign_in(new_page(), site, "editor", then="/editor/edit")
    editor.get_by_label("按关键词查找").fill(marker)
    editor.get_by_role("button", name="查找").click()
    hit = editor.locator(f".entry-hit[data-key='{record['id']}']")
    expect(hit).to_be_visible()
    hit.get_by_role("link").click()
    ready(editor, "/editor/edit")
    expect(editor.locator("textarea[name=statement]")).to_contain_text(marker)

    editor.goto(f"{site.url}/drug/osimertinib")
    ready(editor, "/drug/osimertinib")
    expect(editor.locator(".entity-head .edit-link")).to_have_attribute(
        "href", "/editor/edit?kind=drug&key=osimertinib"
    )
    expect(editor.locator("table.evidence .edit-link").first).to_be_visible()
    doctor = sign_in(new_page(), site, "doctor", then="/drug/osimertinib")
    expect(doctor.locator("table.evidence tbody tr").first).to_be_visible()
    expect(doctor.locator(".edit-link")).to_have_count(0)


def test_a_curator_uploads_names_and_sees_the_submissions_and_the_refused_rows(
    site: Site,  # noqa: F811
    new_page: Callable[..., BrowserPage],
) -> None:
    tag = uuid.uuid4().hex[:6]
    tsv = f"kind\tkey\tsynonyms_zh\ndrug\tgefitinib\t吉非替尼{tag}\nplanet\tMars\t火星\n"
    curator = sign_in(new_page(), site, "curator", then="/editor/bulk")
    curator.get_by_label("或粘贴 TSV 内容").fill(tsv)
    curator.get_by_role("button", name="校验并提交审核").click()
    expect(curator.locator(".bulk-results .count")).to_contain_text("已提交 1 条待审核，1 行未通过")
    expect(curator.locator("table.bulk-submitted tbody tr")).to_have_count(1)
    expect(curator.locator("table.bulk-rejected tr[data-line='3']")).to_contain_text("kind")
    curator.locator("table.bulk-submitted a").click()
    expect(curator.locator("table.diff tr[data-field=synonyms_zh] td.after")).to_contain_text(f"吉非替尼{tag}")
