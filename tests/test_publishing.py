"""Publishing: what an accept refreshes (from the registry of kinds), publishing after the commit,
retries after a store failure, and ingests that leave curated entries and the data version alone.

Faults are real: a trigger in the editorial database makes its commit fail, and a trigger in the
store's SQLite file makes the store's write fail, until it is dropped.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api.app import create_app
from ingest.jobs import run_source
from kb.editorial import etag
from kb.editorial.accounts import Accounts, Principal
from kb.editorial.db import Database
from kb.kinds import CURATED, KINDS, Refresh
from kb.services import Services, build_editorial, build_services
from kb.settings import Settings
from kb.store.es_schema import index_body
from kb.store.sqlite import SQLiteStore
from tests.api_server import LiveServer
from tests.conftest import make_context, make_settings
from tests.test_editorial import PASSWORD, USERS, Site, evidence_record, match


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[tuple[Settings, SQLiteStore]]:
    tmp = tmp_path_factory.mktemp("publishing-store")
    settings = make_settings(tmp, data_dir).model_copy(update=SECRET)
    store = SQLiteStore(settings.sqlite_path)
    ctx = make_context(settings, store)
    for source in ("genes", "oncotree", "drugs", "biomarkers", "civic", "catalogue"):
        run_source(ctx, source, data_dir)
    yield settings, store
    store.close()


@pytest.fixture()
def site(built: tuple[Settings, SQLiteStore], tmp_path: Path) -> Iterator[Site]:
    base, store = built
    settings = base.model_copy(update={"db_url": f"sqlite:///{tmp_path / 'editorial.sqlite3'}"})
    db = Database(settings.db_url)
    db.upgrade()
    accounts = Accounts(db, settings)
    for name, role in USERS.items():
        accounts.create_user(name, PASSWORD, role, actor="test-setup")
    db.close()
    services = build_services(settings, embed=False, store=store)
    with LiveServer(create_app(settings, services=services), services) as server:
        site = Site(server, settings)
        try:
            yield site
        finally:
            site.db.close()


FAIL_CHANGES = "CREATE TRIGGER fail_changes BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'disk full'); END"
SECRET = {"secret_key": "test-signing-key-of-at-least-32-bytes"}


def publish(site: Site, kind: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Propose, submit and accept one entry; the accepted submission."""
    sub = site.call("curator", "POST", "/v1/submissions", json={"kind": kind, "key": key, "data": data}).json()
    sub = site.call("curator", "POST", f"/v1/submissions/{sub['id']}/submit", headers=match(sub)).json()
    accepted = site.call("editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub))
    assert accepted.status_code == 200, accepted.text
    body: dict[str, Any] = accepted.json()
    return body


def recommended(site: Site, query: str) -> list[str]:
    body = site.call(None, "GET", "/v1/search", params={"q": query}).json()
    return [t["id"] for t in body["tests"]]


def uncovered_gene(store: SQLiteStore) -> str:
    """A gene with curated evidence that no test of the catalogue covers."""
    covered = {g for t in store.iter_tests() for g in t.genes}
    return sorted({e.gene for e in store.iter_evidence() if e.gene} - covered)[0]  # a biomarker fact has no gene


def changes(site: Site) -> list[dict[str, Any]]:
    _, feed = site.key("feed")
    found: list[dict[str, Any]] = site.call(feed, "GET", "/v1/changes", params={"since": "0"}).json()["changes"]
    return found


# -- the registry --------------------------------------------------------------------------------
def test_every_curated_kind_knows_its_key_writer_and_refresh() -> None:
    assert set(CURATED) == {"gene", "tumor", "drug", "biomarker", "evidence", "test", "regulatory", "guideline",
                            "reading_list"}  # fmt: skip
    assert KINDS["test"].refresh is Refresh.CATALOGUE
    assert KINDS["evidence"].refresh is Refresh.EVIDENCE
    assert KINDS["regulatory"].refresh is KINDS["guideline"].refresh is Refresh.GUIDANCE
    assert all(KINDS[k].refresh is Refresh.VOCABULARY for k in ("gene", "tumor", "drug", "biomarker"))
    assert "article" in KINDS and not KINDS["article"].curated
    for spec in KINDS.values():  # every kind has an Elasticsearch mapping
        assert index_body(spec.plural, shards=1, replicas=0, vector_index="int8_hnsw")["mappings"]["properties"]


# -- what an accept refreshes --------------------------------------------------------------------
def test_an_accepted_test_item_is_recommended_by_the_next_search_and_gone_once_unpublished(
    site: Site, built: tuple[Settings, SQLiteStore]
) -> None:
    _, store = built
    gene = uncovered_gene(store)
    ident = f"T-NEW-{uuid.uuid4().hex[:6].upper()}"
    item = {
        "id": ident, "name": f"{gene} single-gene assay", "name_zh": f"{gene}单基因检测", "genes": [gene],
        "alteration_kinds": ["protein_change"], "indications": [], "sample_types": ["FFPE"],
        "method": "NGS", "turnaround_days": 7, "published": True,
    }  # fmt: skip
    publish(site, "test", ident, item)
    assert ident in recommended(site, gene)

    publish(site, "test", ident, item | {"published": False})
    assert ident not in recommended(site, gene)
    assert ident not in [t["id"] for t in site.call(None, "GET", "/v1/tests").json()["items"]]


def test_an_accepted_drug_target_is_used_by_the_drug_page_and_by_search(
    site: Site, built: tuple[Settings, SQLiteStore]
) -> None:
    _, store = built
    gene = uncovered_gene(store)
    drug = site.call("editor", "GET", "/v1/entries/drug/olaparib").json()
    assert gene not in site.call(None, "GET", "/v1/drugs/olaparib").json()["target_genes"]
    publish(site, "drug", "olaparib", drug["data"] | {"targets": [gene]})

    page = site.call(None, "GET", "/v1/drugs/olaparib").json()
    assert page["target_genes"][0] == gene
    concepts = site.call(None, "GET", "/v1/search", params={"q": "olaparib"}).json()["query"]["concepts"]
    assert any(c["id"] == gene and c["type"] == "gene" and c.get("implied") for c in concepts), concepts


# -- publishing after the commit -------------------------------------------------------------------
def test_a_failed_commit_leaves_the_store_untouched(site: Site, built: tuple[Settings, SQLiteStore]) -> None:
    _, store = built
    record = evidence_record(word="commitfail")
    sub = site.call("curator", "POST", "/v1/submissions", json={"kind": "evidence", "key": record["id"],
                                                                 "data": record}).json()  # fmt: skip
    sub = site.call("curator", "POST", f"/v1/submissions/{sub['id']}/submit", headers=match(sub)).json()
    before = store.data_version()
    with site.db.session() as s:
        s.execute(
            sa.text("CREATE TRIGGER fail_changes BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        )
    try:
        failed = site.call("editor", "POST", f"/v1/submissions/{sub['id']}/accept", json={}, headers=match(sub))
    finally:
        with site.db.session() as s:
            s.execute(sa.text("DROP TRIGGER fail_changes"))
    assert failed.status_code >= 500 and failed.json()["error"]
    assert store.get_evidence(record["id"]) is None
    assert store.data_version() == before
    again = site.call("curator", "GET", f"/v1/submissions/{sub['id']}").json()
    assert again["state"] == "submitted"


def test_a_store_failure_after_the_commit_is_retried_and_the_feed_waits_for_it(
    site: Site, built: tuple[Settings, SQLiteStore]
) -> None:
    settings, store = built
    record = evidence_record(word="storefail")
    fault = sqlite3.connect(settings.sqlite_path)
    fault.execute("CREATE TRIGGER fail_evidence BEFORE INSERT ON evidence BEGIN SELECT RAISE(ABORT, 'I/O error'); END")
    fault.commit()
    try:
        accepted = publish(site, "evidence", record["id"], record)
        assert accepted["state"] == "accepted"  # the database is the source of truth
        assert accepted["live"] is False and accepted["live_at"] == ""  # the review page says 生效中…
        assert store.get_evidence(record["id"]) is None
        assert record["id"] not in [c["key"] for c in changes(site)]  # partners hear of it once it is searchable
    finally:
        fault.execute("DROP TRIGGER fail_evidence")
        fault.commit()
        fault.close()
    site.server.app.state.editorial.editorial.apply_pending()  # what the background loop does next
    assert store.get_evidence(record["id"]) is not None
    published = [c for c in changes(site) if c["key"] == record["id"]]
    assert len(published) == 1 and published[0]["data_version"] == store.data_version()
    now_live = site.call("editor", "GET", f"/v1/submissions/{accepted['id']}").json()
    assert now_live["live"] is True and now_live["live_at"] == published[0]["data_version"]


def test_applying_an_unchanged_entry_again_changes_nothing(site: Site, built: tuple[Settings, SQLiteStore]) -> None:
    _, store = built
    record = evidence_record(word="idempotent")
    publish(site, "evidence", record["id"], record)
    version = store.data_version()
    editorial = site.server.app.state.editorial.editorial
    assert editorial.republish() >= 1
    assert editorial.apply_pending() == 0
    assert store.data_version() == version


# -- ingests --------------------------------------------------------------------------------------
def test_a_rerun_ingest_that_changes_nothing_keeps_curated_entries_and_the_data_version(
    tmp_path: Path, data_dir: Path
) -> None:
    settings = make_settings(tmp_path, data_dir).model_copy(
        update={"secret_key": "test-signing-key-of-at-least-32-bytes"}
    )
    sources = ("genes", "oncotree", "drugs", "biomarkers", "civic", "catalogue")
    store = SQLiteStore(settings.sqlite_path)
    try:
        for source in sources:
            run_source(make_context(settings, store), source, data_dir)
        services = build_services(settings, embed=False, store=store)
        editorial = build_editorial(settings, services, deliver=False)
        accounts = editorial.accounts
        curator = accounts.create_user("cur", PASSWORD, "curator", actor="test-setup")
        editor = accounts.create_user("ed", PASSWORD, "editor", actor="test-setup")
        as_curator = Principal("user", curator.id, "cur", "curator", "p-cur")
        as_editor = Principal("user", editor.id, "ed", "editor", "p-ed")
        data, _ = editorial.editorial.entry("evidence", "civic:EID1409")
        assert data is not None
        curated = data | {"rating": 1 if data["rating"] != 1 else 2}
        sub = editorial.editorial.create(as_curator, "evidence", "civic:EID1409", curated, "downgraded")
        sub = editorial.editorial.submit(as_curator, sub.id, etag(sub.version))
        editorial.editorial.accept(as_editor, sub.id, etag(sub.version))
        editorial.close()

        def announced() -> int:
            db = Database(settings.db_url)
            with db.session() as s:
                count = int(s.execute(sa.text("SELECT count(*) FROM changes WHERE kind = 'store'")).scalar_one())
            db.close()
            return count

        version, before = store.data_version(), announced()
        for source in sources:  # a second `kb ingest` of every source: nothing new anywhere
            run_source(make_context(settings, store), source, data_dir)
        assert store.data_version() == version
        assert announced() == before
        stored = store.get_evidence("civic:EID1409")
        assert stored is not None and stored.rating == curated["rating"]
    finally:
        store.close()


# -- fast publishing: a vocabulary accept is live when it answers ---------------------------------
def concepts(site: Site, query: str) -> set[str]:
    body = site.call(None, "GET", "/v1/search", params={"q": query}).json()
    return {f"{c['type']}:{c['id']}" for c in body["query"]["concepts"]}


def settled(site: Site) -> Services:
    """The site's services once the background rebuild after the last accept is done (a bounded poll)."""
    services: Services = site.server.services
    deadline = time.monotonic() + 120
    while services.rebuilding and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not services.rebuilding, "the background rebuild did not finish in 120 s"
    return services


def test_an_accepted_drug_synonym_is_understood_by_the_next_search_in_any_punctuation(
    site: Site, built: tuple[Settings, SQLiteStore]
) -> None:
    _, store = built
    code = f"QX{uuid.uuid4().int % 9000 + 1000}"  # a code name of two letters and digits, as DS8201
    chinese = f"测试药名{uuid.uuid4().int % 10**6:06d}"
    for query in (code, chinese):
        assert "drug:olaparib" not in concepts(site, query)
    drug = site.call("editor", "GET", "/v1/entries/drug/olaparib").json()["data"]
    accepted = publish(site, "drug", "olaparib", drug | {"synonyms": [*drug["synonyms"], code],
                                                         "synonyms_zh": [*drug["synonyms_zh"], chinese]})  # fmt: skip
    assert accepted["live"] is True and accepted["live_at"] == store.data_version()
    for query in (code, f"{code[:2]}-{code[2:]}", f"{code[:2].lower()} {code[2:]}", f"{chinese} 卵巢癌"):
        assert "drug:olaparib" in concepts(site, query), query
    page = site.call(None, "GET", "/v1/drugs/olaparib").json()
    assert chinese in page["synonyms_zh"] and code in page["synonyms"]
    assert site.call(None, "GET", f"/v1/drugs/{chinese}").json()["inn"] == "olaparib"
    settled(site)  # and the full rebuild that follows keeps it
    assert "drug:olaparib" in concepts(site, f"{code[:2]}-{code[2:]}")


def test_a_stored_synonym_with_a_hyphen_is_understood_without_it(site: Site) -> None:
    assert "DS-8201" in site.call(None, "GET", "/v1/drugs/trastuzumab deruxtecan").json()["synonyms"]
    for query in ("DS8201", "DS-8201", "ds 8201", "ds8201 乳腺癌"):
        assert "drug:trastuzumab deruxtecan" in concepts(site, query), query


def test_two_accepts_in_a_row_are_both_live_and_stay_live_after_the_rebuild(site: Site) -> None:
    gene_name = f"测试受体{uuid.uuid4().int % 10**6:06d}"
    drug_name = f"测试药名{uuid.uuid4().int % 10**6:06d}"
    gene = site.call("editor", "GET", "/v1/entries/gene/MET").json()["data"]
    drug = site.call("editor", "GET", "/v1/entries/drug/crizotinib").json()["data"]
    first = publish(site, "gene", "MET", gene | {"synonyms_zh": [*gene["synonyms_zh"], gene_name]})
    second = publish(site, "drug", "crizotinib", drug | {"synonyms_zh": [*drug["synonyms_zh"], drug_name]})
    assert first["live"] and second["live"]
    assert "gene:MET" in concepts(site, gene_name) and "drug:crizotinib" in concepts(site, drug_name)
    assert gene_name in site.call(None, "GET", "/v1/genes/MET").json()["synonyms_zh"]
    services = settled(site)
    assert "gene:MET" in concepts(site, gene_name) and "drug:crizotinib" in concepts(site, drug_name)
    assert gene_name in services.vocab.genes.genes["MET"].synonyms_zh

    again = site.call("editor", "GET", "/v1/entries/gene/MET").json()  # and a removed synonym is gone at once
    publish(site, "gene", "MET", again["data"] | {"synonyms_zh": gene["synonyms_zh"]})
    assert "gene:MET" not in concepts(site, gene_name)
    settled(site)


def test_searches_running_during_vocabulary_accepts_never_fail(site: Site) -> None:
    names = [f"测试肿瘤名{uuid.uuid4().int % 10**6:06d}" for _ in range(2)]
    done = threading.Event()
    answers: list[int] = []

    def searching() -> None:
        with httpx.Client(base_url=site.server.url, timeout=60) as client:
            for _ in range(40):  # bounded: at most 40 searches per thread
                if done.is_set():
                    return
                for query in ("EGFR T790M 奥希替尼 非小细胞肺癌", *names):
                    answers.append(client.get("/v1/search", params={"q": query}).status_code)

    threads = [threading.Thread(target=searching) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for name in names:
            tumor = site.call("editor", "GET", "/v1/entries/tumor/NSCLC").json()["data"]
            publish(site, "tumor", "NSCLC", tumor | {"synonyms_zh": [*tumor["synonyms_zh"], name]})
            assert "tumor:NSCLC" in concepts(site, name)
    finally:
        done.set()
        for thread in threads:
            thread.join(120)
    assert answers and set(answers) == {200}
    settled(site)
    assert all("tumor:NSCLC" in concepts(site, name) for name in names)
