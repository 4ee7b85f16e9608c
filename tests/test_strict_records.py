"""Strict records (issue 14, "High"): a submission's ``data`` is checked against the domain model
on create, on update and again on accept, and unsafe text is refused before anything commits.

Every test runs on a live server over both editorial databases (SQLite and PostgreSQL), through
the ``site`` fixture of :mod:`tests.test_editorial`, and checks that search still answers.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from kb.editorial.audit import now
from kb.editorial.db.models import AuditEntry, Change, Entry, Submission, User
from kb.editorial.publish import PENDING
from tests.test_editorial import Site, evidence_record, match, module_store, site

__all__ = ["module_store", "site"]  # the fixtures this module borrows

#: (what to change in a valid evidence record, the field the 422 must name)
WRONG: list[tuple[dict[str, Any], str]] = [
    ({"rating": "five"}, "data.rating"),
    ({"rating": True}, "data.rating"),
    ({"rating": 9}, "data.rating"),
    ({"citations": [{"pmid": 26720286, "source": "PubMed", "source_id": "26720286"}]}, "data.citations.0.pmid"),
    ({"citations": [{"pmid": "2672O286"}]}, "data.citations.0.pmid"),
    ({"citations": [{"pmid": "1234567890"}]}, "data.citations.0.pmid"),
    ({"citations": [{"pmid": "1", "doi": "10.1/x"}]}, "data.citations.0.doi"),
    ({"statement": 42}, "data.statement"),
    ({"statement": ["a", "list"]}, "data.statement"),
    ({"drugs": "osimertinib"}, "data.drugs"),
    ({"drugs": ["no-such-drug-mab"]}, "data.drugs.0"),
    ({"tumor_code": "NOTATUMOR"}, "data.tumor_code"),
    ({"level": "Z"}, "data.level"),
    ({"significance": "miraculous"}, "data.significance"),
    ({"evidence_type": "astrological"}, "data.evidence_type"),
    ({"direction": "sideways"}, "data.direction"),
    ({"alteration": {"gene": "EGFR", "kind": "protein_change", "name": "T790M", "x": 1}}, "data.alteration.x"),
    ({"colour": "blue"}, "data.colour"),
    ({"gene": None}, "data.gene"),
    ({"last_review": "yesterday"}, "data.last_review"),
]


def _error(response: httpx.Response, status: int, code: str = "invalid_record") -> dict[str, Any]:
    """The one error shape, with the expected status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error


def _post_raw(site: Site, who: str, method: str, path: str, body: str, **headers: str) -> httpx.Response:
    """Send a JSON text as written (``json.dumps`` escapes a lone surrogate as ``\\ud800``, httpx would refuse it)."""
    return site.call(who, method, path, content=body.encode("ascii"),
                     headers={"Content-Type": "application/json", **headers})  # fmt: skip


def _counts(site: Site) -> tuple[int, int, int, int]:
    with site.db.session() as s:
        return (
            s.scalar(sa.select(sa.func.count()).select_from(Submission)) or 0,
            s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0,
            s.scalar(sa.select(sa.func.count()).select_from(Entry)) or 0,
            s.scalar(sa.select(sa.func.count()).select_from(Change)) or 0,
        )


def _reads_still_answer(site: Site) -> None:
    for who, path in [
        ("editor", "/v1/submissions"),
        ("editor", "/v1/submissions?state=submitted"),
        ("editor", "/v1/submissions?state=draft"),
        ("editor", "/v1/audit?limit=500"),
        (None, "/v1/search?q=EGFR"),
        (None, "/v1/genes/EGFR"),
    ]:
        response = site.call(who, "GET", path)
        assert response.status_code == 200, (path, response.text[:300])


def test_records_of_the_wrong_type_or_value_are_refused_naming_the_field(site: Site) -> None:
    draft = site.submission("curator")
    before = _counts(site)
    for patch, field in WRONG:
        record = {**evidence_record(), **patch}
        body = {"kind": "evidence", "key": record["id"], "data": record, "reason": "test"}
        created = _error(site.call("curator", "POST", "/v1/submissions", json=body), 422)
        assert created["details"]["field"] == field, (patch, created)
        assert field in created["message"]
        record = {**draft["data"], **patch}
        updated = site.call("curator", "PATCH", f"/v1/submissions/{draft['id']}", json={"data": record},
                            headers=match(draft))  # fmt: skip
        assert _error(updated, 422)["details"]["field"] == field, patch
    assert _counts(site) == before  # nothing committed, no audit row
    assert site.call("curator", "GET", f"/v1/submissions/{draft['id']}").json()["version"] == draft["version"]
    _reads_still_answer(site)


def test_a_valid_record_still_goes_through_and_is_searchable(site: Site) -> None:
    sub = site.submission("curator", "accepted", word="strictness")
    assert sub["state"] == "accepted", sub
    assert sub["data"]["rating"] == 4 and sub["data"]["citations"][0]["pmid"] == "26720286"
    _reads_still_answer(site)


@pytest.mark.parametrize("where", ["value", "key", "nested", "control", "escape"])
def test_lone_surrogates_and_control_characters_are_refused_and_nothing_commits(site: Site, where: str) -> None:
    record = evidence_record()
    bad = {"value": "\ud800", "key": "\udfff", "nested": "\ud83d", "control": "\x00", "escape": "\x1b[31m"}[where]
    if where == "key":
        record["alteration"] = {**record["alteration"], f"label{bad}": "x"}
    elif where == "nested":
        record["citations"] = [{**record["citations"][0], "text": f"Levine et al. {bad}"}]
    else:
        record["statement"] = f"A statement {bad} here."
    body = json.dumps({"kind": "evidence", "key": record["id"], "data": record, "reason": "test"})
    draft = site.submission("curator")
    before = _counts(site)
    error = _error(_post_raw(site, "curator", "POST", "/v1/submissions", body), 422)
    assert error["details"]["field"].startswith("data"), error
    update = json.dumps({"data": {**draft["data"], **record, "id": draft["data"]["id"]}})
    _error(_post_raw(site, "curator", "PATCH", f"/v1/submissions/{draft['id']}", update, **match(draft)), 422)
    assert _counts(site) == before
    _reads_still_answer(site)


def test_a_900_deep_array_and_an_oversized_record_are_4xx_in_the_error_shape(site: Site) -> None:
    record = evidence_record()
    before = _counts(site)
    deep = "[" * 900 + "]" * 900
    for field in ("statement", "extra"):
        text = json.dumps({"kind": "evidence", "key": record["id"], "data": {**record, field: 0}})
        text = text.replace(f'"{field}": 0', f'"{field}": {deep}')
        response = _post_raw(site, "curator", "POST", "/v1/submissions", text)
        assert 400 <= response.status_code < 500, response.text[:300]
        _error(response, response.status_code, response.json()["error"]["code"])
    big = {**record, "statement": "EGFR " * 14_000}  # 70 KB, over the 64 KB default of KB_SUBMISSION_MAX_BYTES
    error = _error(site.call("curator", "POST", "/v1/submissions", json={"kind": "evidence", "key": record["id"],
                                                                          "data": big}), 422)  # fmt: skip
    assert error["details"] == {"field": "data", "limit": site.settings.submission_max_bytes}
    assert _counts(site) == before
    _reads_still_answer(site)


def _user_id(site: Site, name: str) -> int:
    with site.db.session() as s:
        found = s.scalar(sa.select(User.id).where(User.username == name))
        assert found is not None
        return found


def test_accept_validates_again_so_an_old_bad_pending_record_never_reaches_the_store(site: Site) -> None:
    record = {**evidence_record(), "rating": "five", "citations": [{"pmid": 26720286}]}
    with site.db.session() as s:  # written before the checks existed
        sub = Submission(kind="evidence", key=record["id"], data=record, base_version=0, state="submitted",
                         version=2, reason="old", author_id=_user_id(site, "curator"), created_at=now(),
                         updated_at=now())  # fmt: skip
        s.add(sub)
        s.flush()
        sub_id = sub.id
    before = _counts(site)
    accept = site.call("editor", "POST", f"/v1/submissions/{sub_id}/accept", json={}, headers={"If-Match": '"2"'})
    error = _error(accept, 422)
    assert error["details"]["field"] in ("data.rating", "data.citations.0.pmid")
    assert _counts(site) == before
    assert site.call("editor", "GET", f"/v1/submissions/{sub_id}").json()["state"] == "submitted"
    assert site.call(None, "GET", f"/v1/evidence/{record['id']}").status_code == 404
    _reads_still_answer(site)


def test_the_publisher_skips_a_bad_entry_accepted_before_the_checks(site: Site) -> None:
    record = {**evidence_record(), "rating": "five", "statement": 7}
    with site.db.session() as s:  # an entry and its pending change from before the checks
        s.add(Entry(kind="evidence", key=record["id"], data=record, version=1, updated_at=now(),
                    updated_by=_user_id(site, "editor")))  # fmt: skip
        change = Change(at=now(), kind="evidence", key=record["id"], action="published", entry_version=1,
                        data_version=PENDING, data=record)  # fmt: skip
        s.add(change)
        s.flush()
        change_id = change.id
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the server's background loop applies pending changes
        with site.db.session() as s:
            if s.scalar(sa.select(Change.data_version).where(Change.id == change_id)) != PENDING:
                break
        time.sleep(0.1)
    # the loop went past it (the feed is not stuck) without writing it to the store
    with site.db.session() as s:
        assert s.scalar(sa.select(Change.data_version).where(Change.id == change_id)) != PENDING
    assert site.call(None, "GET", f"/v1/evidence/{record['id']}").status_code == 404
    _reads_still_answer(site)
    later = site.submission("curator", "accepted", word="after the legacy row")
    assert later["state"] == "accepted"


def _names_field(response: httpx.Response, field: str) -> bool:
    """A 422 in the error shape naming ``field``: our check's ``invalid_record``, or the request parser's
    ``invalid_request`` (it refuses a lone surrogate in a plain string field before our check sees it)."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    if error["code"] == "invalid_record":
        return bool(error["details"]["field"] == field)
    return error["code"] == "invalid_request" and [p["location"] for p in error["details"]["problems"]] == [
        f"body.{field}"
    ]


@pytest.mark.parametrize("bad", ["\ud800", "\x00", "\x1b[31m"])
def test_review_comments_and_reasons_refuse_control_characters_and_lone_surrogates(site: Site, bad: str) -> None:
    sub = site.submission("curator", "submitted")
    before = _counts(site)
    text = f"looks fine {bad}"
    comment = json.dumps({"text": text})
    assert _names_field(_post_raw(site, "editor", "POST", f"/v1/submissions/{sub['id']}/comments", comment), "text")
    for action in ("reject", "accept"):
        body = json.dumps({"comment": text})
        answer = _post_raw(site, "editor", "POST", f"/v1/submissions/{sub['id']}/{action}", body, **match(sub))
        assert _names_field(answer, "comment"), action
    assert _counts(site) == before  # no comment, no state change, no audit row
    kept = site.call("editor", "GET", f"/v1/submissions/{sub['id']}").json()
    assert kept["state"] == "submitted" and kept["comments"] == []
    assert site.call("editor", "GET", "/v1/audit").status_code == 200
