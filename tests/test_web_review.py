"""The readable review and the typed forms in Chromium, against the pages' live server: an editor finds an
evidence item by a word of its statement, edits it through the typed form, meets a field error beside its field,
fixes it and submits; a second editor reads the inline diff from the queue and accepts; the history shows both
versions."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser import BrowserPage
from tests.test_web import Site, accepted, ready, sign_in, site, submitted, web_evidence  # noqa: F401  (site)


def test_an_edit_through_the_typed_form_is_reviewed_inline_and_kept_in_the_history(
    site: Site,  # noqa: F811
    new_page: Callable[..., BrowserPage],
) -> None:
    marker = f"Numbatinib{uuid.uuid4().hex[:6]}"
    record = web_evidence("EGFR", f"{marker} gave a durable response in a curated trial.")
    accepted(site, submitted(site, record))  # version 1, written by the curator

    first = new_page()
    editor = sign_in(first, site, "editor", then="/editor/edit")
    editor.locator("form.entry-search input[name=q]").fill(f"{marker} durable")
    editor.get_by_role("button", name="查找", exact=True).click()
    editor.locator(f".entry-hit[data-key='{record['id']}'] a").click()
    ready(editor, "/editor/edit")
    level = editor.locator("select[name=level]")
    expect(level).to_have_value("A")
    expect(editor.locator(".field[data-path='data.level'] > label")).to_have_attribute("title", "level")
    expect(editor.locator(".field[data-path='data.level'] > label")).to_have_text("证据等级")
    level.select_option("C")
    statement = editor.locator("textarea[name=statement]")
    statement.fill(statement.input_value().replace("durable", "transient"))
    tumor = editor.locator("input[name=tumor_code][data-picker=tumor]")
    tumor.fill("NOTATUMOR")
    editor.get_by_label("修改理由").fill("the response did not last")
    editor.get_by_role("button", name="提交审核").click()
    error = editor.locator(".field[data-path='data.tumor_code'] > .field-error")
    expect(error).to_contain_text("NOTATUMOR")
    expect(editor.locator(".field[data-path='data.tumor_code']")).to_have_class("field field-text invalid")
    expect(editor.locator(".field[data-path='data.statement'] > .field-error")).to_be_empty()
    assert any("422" in p for p in first.problems)  # the refused POST, on purpose
    first.problems.clear()
    tumor.fill("非小细胞肺癌")  # the picker offers the vocabulary's tumors for a Chinese name
    expect(editor.locator(f"datalist#{tumor.get_attribute('list')} option[value='NSCLC']")).to_have_count(1)
    tumor.fill("NSCLC")
    editor.get_by_role("button", name="提交审核").click()
    expect(editor.locator("h1 .state")).to_have_text("待审核")
    sub_id = editor.url.rsplit("/", 1)[1]

    reviewer = sign_in(new_page(), site, "editor2", then="/editor")
    row = reviewer.locator(f"table.queue tr[data-submission='{sub_id}']")
    expect(row.locator("td.summary")).to_contain_text("EGFR T790M 对奥希替尼敏感（非小细胞肺癌，C级）")
    expect(row.locator("td.author")).to_have_text("editor")
    row.locator("td.summary a").click()
    ready(reviewer, f"/editor/review/{sub_id}")
    expect(reviewer.locator("p.summary")).to_contain_text("C级")
    expect(reviewer.locator(".meta .author")).to_have_text("作者 editor")
    inline = reviewer.locator("table.diff tr[data-field=statement] td.inline")
    expect(inline.locator("del")).to_have_text("durable")
    expect(inline.locator("ins")).to_have_text("transient")
    expect(reviewer.locator("table.diff tbody tr")).to_have_count(2)  # the form changed nothing it was not asked to
    level_row = reviewer.locator("table.diff tr[data-field=level]")
    expect(level_row.locator("td.before")).to_have_text("A")
    expect(level_row.locator("td.after")).to_have_text("C")
    reviewer.get_by_label("审核意见").fill("请补充随访时间")
    reviewer.get_by_role("button", name="添加评论").click()
    expect(reviewer.locator("ul.comments li")).to_contain_text("editor2")
    expect(reviewer.locator("ul.comments li")).to_contain_text("请补充随访时间")
    reviewer.get_by_role("button", name="接受并发布").click()
    expect(reviewer.locator("h1 .state")).to_have_text("已发布")
    expect(reviewer.locator(".meta .reviewer")).to_contain_text("editor2")
    expect(inline.locator("del")).to_have_text("durable")  # the accepted change still shows what it changed

    reviewer.get_by_role("link", name="历史版本").click()
    ready(reviewer, "/editor/history")
    two = reviewer.locator(".history .version[data-version='2']")
    expect(two).to_contain_text("editor2")
    expect(two).to_contain_text("the response did not last")
    expect(two.locator("tr[data-field=statement] del")).to_have_text("durable")
    expect(two.get_by_role("link", name=f"修改 #{sub_id}")).to_be_visible()
    expect(reviewer.locator(".history .version[data-version='1']")).to_contain_text("curator")
    audit_id = two.locator(".audit").get_attribute("data-audit")
    expect(reviewer.locator(f"ul.audit-log li[data-audit='{audit_id}']")).to_contain_text("entry.publish")

    # a synonym accepted in the same session is understood by the very next search (no restart, no wait: the
    # accept answers once the running index is patched; docs/benchmarks.md "Vocabulary accept" times it)
    name = f"奥希同义{uuid.uuid4().hex[:4]}"
    drug = site.call("curator", "GET", "/v1/entries/drug/osimertinib").json()["data"]
    synonym = {"kind": "drug", "key": "osimertinib", "data": {**drug, "synonyms_zh": [*drug["synonyms_zh"], name]}}
    sub = site.call("curator", "POST", "/v1/submissions", json=synonym).json()
    sub = site.call(
        "curator", "POST", f"/v1/submissions/{sub['id']}/submit", headers={"If-Match": f'"{sub["version"]}"'}
    )
    accepted(site, sub.json())
    assert any(c["type"] == "drug" and c["id"] == "osimertinib" for c in site.search(name)["query"]["concepts"])
    reviewer.goto(f"{site.url}/search?q={name}")
    ready(reviewer, "/search")
    expect(reviewer.locator(".concepts")).to_contain_text("奥希替尼")
