"""Bulk names and synonyms (``POST /v1/submissions/bulk``): a curator's TSV becomes one submitted change per entry,
validated row by row, the failing rows listed with their line; on both editorial databases."""

from __future__ import annotations

import uuid
from typing import Any

from kb.editorial.bulk import MAX_ROWS
from tests.test_editorial import Site, module_store, site  # noqa: F401  (fixtures)


def _bulk(at: Site, tsv: str, who: str = "curator") -> Any:
    return at.call(who, "POST", "/v1/submissions/bulk", json={"tsv": tsv, "reason": "NHC 2024 names"})


def _entry(at: Site, kind: str, key: str) -> dict[str, Any]:
    body: dict[str, Any] = at.call("curator", "GET", f"/v1/entries/{kind}/{key}").json()["data"]
    return body


def test_a_tsv_becomes_one_submission_per_entry_and_bad_rows_are_listed_by_line(site: Site) -> None:  # noqa: F811
    tag = uuid.uuid4().hex[:6]
    before = _entry(site, "drug", "gefitinib")
    existing = before["synonyms_zh"][0] if before["synonyms_zh"] else before["name_zh"]
    tsv = "\n".join(
        [
            "kind\tkey\tname_zh\tsynonyms_zh\tsynonyms",
            f"drug\tgefitinib\t\t吉非替尼甲{tag}\t",  # line 2
            f"drug\tgefitinib\t\t吉非替尼乙{tag}|吉非替尼甲{tag}\tZD-{tag}",  # line 3: merged with line 2
            f"gene\tKRAS\t\tK-RAS基因{tag}\t",  # line 4
            f"planet\tMars\t火星{tag}\t\t",  # line 5: not a kind
            f"gene\tNOTAGENE{tag}\t某基因\t\t",  # line 6: no such entry
            f"drug\terlotinib\t\t厄洛替尼\x07{tag}\t",  # line 7: a control character
            f"tumor\tNSCLC\t{_entry(site, 'tumor', 'NSCLC')['name_zh']}\t\t",  # line 8: changes nothing
        ]
    )
    response = _bulk(site, tsv)
    assert response.status_code == 200, response.text
    body = response.json()
    submitted = {(s["kind"], s["key"]): s for s in body["submitted"]}
    assert set(submitted) == {("drug", "gefitinib"), ("gene", "KRAS")}
    assert submitted[("drug", "gefitinib")]["lines"] == [2, 3]
    rejected = {r["line"]: r for r in body["rejected"]}
    assert set(rejected) == {5, 6, 7}
    assert rejected[5]["field"] == "kind" and "NOTAGENE" in rejected[6]["reason"]
    assert rejected[7]["field"].startswith("data.synonyms_zh") and "U+0007" in rejected[7]["reason"]
    assert body["unchanged"] == [8]

    sub = site.call("editor", "GET", f"/v1/submissions/{submitted[('drug', 'gefitinib')]['submission_id']}").json()
    assert sub["state"] == "submitted" and sub["reason"] == "NHC 2024 names"
    data = sub["data"]
    added = [f"吉非替尼甲{tag}", f"吉非替尼乙{tag}"]
    assert data["synonyms_zh"] == [*before["synonyms_zh"], *added]  # once each, in order
    assert data["synonyms"] == [*before["synonyms"], f"ZD-{tag}"] and data["name_zh"] == before["name_zh"]
    assert existing in data["synonyms_zh"] or existing == data["name_zh"]
    queue = site.call("editor", "GET", "/v1/submissions", params={"state": "submitted", "limit": 200}).json()
    assert {s["id"] for s in queue} >= {s["submission_id"] for s in body["submitted"]}


def test_a_file_without_the_needed_columns_or_too_long_is_refused_whole(site: Site) -> None:  # noqa: F811
    for tsv in ("kind\tname_zh\ndrug\t某药\n", "kind\tkey\tnote\ndrug\tgefitinib\tx\n", ""):
        response = _bulk(site, tsv)
        assert response.status_code == 400 and response.json()["error"]["code"] == "data_error", response.text
        assert "header" in response.json()["error"]["message"]
    rows = "".join(f"drug\tgefitinib\t名{i}\n" for i in range(MAX_ROWS + 1))
    response = _bulk(site, "kind\tkey\tsynonyms_zh\n" + rows)
    assert response.status_code == 400 and str(MAX_ROWS) in response.json()["error"]["message"]
    assert _bulk(site, "kind\tkey\tsynonyms_zh\ndrug\tgefitinib\t名\n", who="doctor").status_code == 403
