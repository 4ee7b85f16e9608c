"""Server processes side by side (``KB_WORKERS`` > 1): each has its own services over one store and one editorial
database, and what one accepts is taken in by the others (``Publisher.follow``, every round of their background
loop). Two live servers in this process stand for two workers: separate services, store connections and loops."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.services import build_services
from kb.settings import Settings
from kb.store.sqlite import SQLiteStore
from tests.api_server import LiveServer
from tests.test_editorial import PASSWORD, USERS, Site
from tests.test_publishing import built, publish  # noqa: F401  (built: a fixture)

QUERY = "EGFR T790M 奥希替尼"


@pytest.fixture()
def workers(built: tuple[Settings, SQLiteStore], tmp_path: Path) -> Iterator[tuple[Site, str]]:  # noqa: F811
    """Two servers over one store file and one editorial database: the first as a ``Site``, the second's URL."""
    base, _ = built
    settings = base.model_copy(update={"db_url": f"sqlite:///{tmp_path / 'editorial.sqlite3'}"})
    db = Database(settings.db_url)
    db.upgrade()
    for name, role in USERS.items():
        Accounts(db, settings).create_user(name, PASSWORD, role, actor="test-setup")
    db.close()
    first = build_services(settings, embed=False, store=SQLiteStore(settings.sqlite_path))
    second = build_services(settings, embed=False, store=SQLiteStore(settings.sqlite_path))
    try:
        with (
            LiveServer(create_app(settings, services=first), first) as one,
            LiveServer(create_app(settings, services=second), second) as two,
        ):
            site = Site(one, settings)
            try:
                yield site, two.url
            finally:
                site.db.close()
    finally:
        first.close()
        second.close()


def _eventually(check: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Whether ``check`` holds within ``seconds`` (the other server takes changes in every half second)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return check()


def _search(url: str, q: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{url}/v1/search", params={"q": q, "size": 50}, timeout=30.0).json()
    return body


def test_a_synonym_and_an_approval_accepted_on_one_worker_are_live_on_the_other(workers: tuple[Site, str]) -> None:
    site, other = workers
    name = f"奥希测试{uuid.uuid4().hex[:4]}"
    assert not any(c["id"] == "osimertinib" for c in _search(other, name)["query"]["concepts"])
    drug = site.call("curator", "GET", "/v1/entries/drug/osimertinib").json()["data"]
    publish(site, "drug", "osimertinib", {**drug, "synonyms_zh": [*drug["synonyms_zh"], name]})

    def understood() -> bool:
        return any(c["type"] == "drug" and c["id"] == "osimertinib" for c in _search(other, name)["query"]["concepts"])

    assert _eventually(understood), "the other worker never understood the synonym accepted on the first"

    approval = {
        "id": "osimertinib:workers-test", "drug": "osimertinib", "indication_zh": "测试", "tumor_codes": ["NSCLC"],
        "nmpa": {"source": "test value, not a real approval number", "approved_on": None, "indication": ""},
    }  # fmt: skip
    publish(site, "regulatory", approval["id"], approval)

    def badged() -> bool:
        rows = _search(other, QUERY)["summaries"]
        return any(b["kind"] == "nmpa" for s in rows for b in s["badges"])

    assert _eventually(badged), "the other worker never showed the approval accepted on the first"
