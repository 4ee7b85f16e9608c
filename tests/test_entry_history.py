"""The readable review's API over both editorial databases: an entry's history, an accepted submission's diff
after acceptance, and names and one-line summaries in the queue."""

from __future__ import annotations

from typing import Any

from tests.test_editorial import Site, evidence_record, match, module_store, site  # noqa: F401  (fixtures)


def _propose(at: Site, record: dict[str, Any], reason: str, author: str = "curator") -> dict[str, Any]:
    body = {"kind": "evidence", "key": record["id"], "data": record, "reason": reason}
    sub = at.call(author, "POST", "/v1/submissions", json=body).json()
    return dict(at.call(author, "POST", f"/v1/submissions/{sub['id']}/submit", headers=match(sub)).json())


def _accept(at: Site, sub: dict[str, Any], reviewer: str, comment: str) -> dict[str, Any]:
    done = at.call(
        reviewer, "POST", f"/v1/submissions/{sub['id']}/accept", json={"comment": comment}, headers=match(sub)
    )
    assert done.status_code == 200, done.text
    return dict(done.json())


def test_an_entry_history_lists_every_version_with_people_reasons_and_diffs(site: Site) -> None:  # noqa: F811
    first = evidence_record("alpha")
    a = _accept(site, _propose(site, first, "new trial"), "editor", "looks right")
    second = first | {"level": "A", "statement": first["statement"].replace("alpha", "omega")}
    b = _accept(site, _propose(site, second, "phase 3 result", author="editor2"), "editor", "agreed")
    history = site.call("curator", "GET", f"/v1/entries/evidence/{first['id']}/history")
    assert history.status_code == 200, history.text
    body = history.json()
    assert [v["version"] for v in body["versions"]] == [0, 1, 2]
    zero, one, two = body["versions"]
    assert zero["data"] is None and zero["submission_id"] is None and zero["author"] == ""  # a new entry
    assert (one["author"], one["reviewer"], one["reason"], one["review_comment"]) == (
        "curator", "editor", "new trial", "looks right"
    )  # fmt: skip
    assert (two["author"], two["reviewer"], two["reason"]) == ("editor2", "editor", "phase 3 result")
    assert (one["submission_id"], two["submission_id"]) == (a["id"], b["id"])
    assert {d["field"] for d in two["diff"]} == {"level", "statement"}
    assert next(d for d in two["diff"] if d["field"] == "level") == {"field": "level", "before": "B", "after": "A"}
    assert {"statement", "level"} <= {d["field"] for d in one["diff"]} and all(d["before"] is None for d in one["diff"])
    assert two["data"]["level"] == "A"
    assert "EGFR T790M" in body["summary"] and "A级" in body["summary"]
    # the history and the audit log point to each other
    audit = site.call("editor", "GET", "/v1/audit", params={"target": body["audit_target"]}).json()
    publishes = [r for r in audit if r["action"] == "entry.publish"]
    assert [r["id"] for r in publishes] == [one["audit_id"], two["audit_id"]]
    assert publishes[0]["history"] == f"/v1/entries/evidence/{first['id'].replace(':', '%3A')}/history"
    for who, status in (("doctor", 403), (None, 401), ("editor", 200), ("admin", 200)):
        assert site.call(who, "GET", f"/v1/entries/evidence/{first['id']}/history").status_code == status
    assert site.call("editor", "GET", "/v1/entries/evidence/civic:EID0000000000/history").status_code == 404


def test_an_ingested_entry_starts_its_history_with_the_ingested_record(site: Site) -> None:  # noqa: F811
    ingested = site.call("editor", "GET", "/v1/entries/drug/osimertinib").json()
    never = site.call("editor", "GET", "/v1/entries/gene/KRAS/history").json()
    assert [v["version"] for v in never["versions"]] == [0] and never["versions"][0]["data"]["symbol"] == "KRAS"
    assert ingested["data"]["inn"] == "osimertinib"


def test_an_accepted_submission_keeps_showing_what_it_changed(site: Site) -> None:  # noqa: F811
    record = evidence_record("kappa")
    _accept(site, _propose(site, record, "new"), "editor", "")
    changed = record | {"level": "C"}
    sub = _propose(site, changed, "level C")
    open_diff = site.call("editor", "GET", f"/v1/submissions/{sub['id']}").json()["diff"]
    assert open_diff == [{"field": "level", "before": "B", "after": "C"}]
    accepted = _accept(site, sub, "editor", "fine")
    assert accepted["diff"] == [{"field": "level", "before": "B", "after": "C"}]
    later = site.call("editor", "GET", f"/v1/submissions/{sub['id']}").json()
    assert later["state"] == "accepted" and later["diff"] == [{"field": "level", "before": "B", "after": "C"}]
    # a submission written on version 1 and rejected after version 2 keeps its diff against version 1
    stale = _propose(site, record | {"rating": 5}, "rating")
    _accept(site, _propose(site, changed | {"level": "A"}, "level A"), "editor", "")
    no = site.call(
        "editor", "POST", f"/v1/submissions/{stale['id']}/reject", json={"comment": "no"}, headers=match(stale)
    )
    assert no.status_code == 200
    rejected = site.call("editor", "GET", f"/v1/submissions/{stale['id']}").json()
    fields = {d["field"]: (d["before"], d["after"]) for d in rejected["diff"]}
    assert rejected["state"] == "rejected" and fields == {"level": ("C", "B"), "rating": (4, 5)}


def test_the_queue_names_authors_and_reviewers_and_summarises_each_entry(site: Site) -> None:  # noqa: F811
    sub = _propose(site, evidence_record("sigma"), "new")
    site.call("editor", "POST", f"/v1/submissions/{sub['id']}/comments", json={"text": "请核对 PMID"})
    queue = site.call("editor", "GET", "/v1/submissions", params={"state": "submitted", "limit": 200}).json()
    row = next(s for s in queue if s["id"] == sub["id"])
    assert row["author"] == "curator" and row["reviewer"] == ""
    assert row["summary"] == "EGFR T790M 对奥希替尼敏感（非小细胞肺癌，B级）"
    one = site.call("editor", "GET", f"/v1/submissions/{sub['id']}").json()
    assert one["summary"] == row["summary"] and [c["author"] for c in one["comments"]] == ["editor"]
    done = _accept(site, one, "editor2", "ok")
    assert (done["author"], done["reviewer"]) == ("curator", "editor2")
    gene = {"kind": "gene", "key": "KRAS", "reason": "name"}
    kras = site.call("editor", "GET", "/v1/entries/gene/KRAS").json()["data"]
    made = site.call("curator", "POST", "/v1/submissions", json=gene | {"data": kras}).json()
    assert site.call("editor", "GET", f"/v1/submissions/{made['id']}").json()["summary"] == (
        kras["name_zh"] or kras["name"]
    )
