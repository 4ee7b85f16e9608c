"""``kb update`` against a local server that answers ESearch and EFetch as NCBI does; both backends, no network.

The answers are authored in E-utilities' shapes (tests/test_cited.py's citations); every text is a placeholder.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.update import CHUNK_CHARS, LAST, WINDOW, files_done, run_update, update_query
from kb.domain import ArticleStatus
from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.editorial.follows import Follows
from kb.errors import SourceUnavailable
from kb.settings import Settings
from kb.store import Backend
from tests.conftest import make_context, make_settings
from tests.http_replay import RecordedRequest, ReplayServer, Reply, replay_server
from tests.records import article, evidence
from tests.test_cited import HEAD, citation

ESEARCH = "/entrez/eutils/esearch.fcgi"
EFETCH = "/entrez/eutils/efetch.fcgi"
FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2026, 11, 29)


class FakeEutils:
    """ESearch keeps each search's PMIDs under a WebEnv; EFetch pages through them by retstart/retmax."""

    def __init__(self, pmids: list[str]) -> None:
        self.pmids = pmids
        self.searches: dict[str, list[str]] = {}

    def esearch(self, request: RecordedRequest) -> Reply:
        webenv = f"MCID_{len(self.searches)}"
        self.searches[webenv] = list(self.pmids)
        result = {"count": str(len(self.pmids)), "retmax": "0", "retstart": "0", "querykey": "1", "webenv": webenv}
        return Reply.json({"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result})

    def efetch(self, request: RecordedRequest) -> Reply:
        start, size = int(request.params["retstart"]), int(request.params["retmax"])
        page = self.searches[request.params["WebEnv"]][start : start + size]
        return Reply.xml(HEAD + b"".join(citation(p) for p in page) + b"</PubmedArticleSet>\n")


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as replay:
        yield replay


def settings_for(server: ReplayServer, tmp_path: Path, data_dir: Path, **values: Any) -> Settings:
    ncbi: dict[str, Any] = {
        "ncbi_email": "oncology-team@example.org",
        "ncbi_base_url": server.url("/entrez/eutils/"),
        "ncbi_batch_size": 2,
        "ncbi_max_retries": 1,
        "ncbi_backoff": 0.0,
        "update_query": "placeholder lung cancer",
        **values,
    }
    return make_settings(tmp_path, data_dir).model_copy(update=ncbi)


def serve(server: ReplayServer, eutils: FakeEutils) -> None:
    server.script(ESEARCH, eutils.esearch)
    server.script(EFETCH, eutils.efetch)


def starts(server: ReplayServer) -> list[str]:
    return [r.params["retstart"] for r in server.requests_to(EFETCH)]


# -- the window ---------------------------------------------------------------------------------------
def test_the_window_advances_only_once_all_of_it_is_stored_and_a_rerun_resumes_without_gaps(
    backend_store: Backend, server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    pmids = [str(n) for n in range(5001, 5006)]
    eutils = FakeEutils(pmids)
    serve(server, eutils)
    server.script(EFETCH, Reply.error(500), params={"retstart": "2"})  # down for the second batch, twice
    ctx = make_context(settings_for(server, tmp_path, data_dir), backend_store)

    with pytest.raises(SourceUnavailable, match=r"HTTP 500.*window 2026-10-30 to 2026-11-29.*run `kb update` again"):
        run_update(ctx, today=TODAY)

    assert backend_store.held_articles(pmids) == {"5001", "5002"}
    assert backend_store.get_checkpoint(LAST) is None  # the window did not move
    assert json.loads(backend_store.get_checkpoint(WINDOW) or "")["until"] == "2026-11-29"
    [search] = server.requests_to(ESEARCH)
    assert (search.params["datetype"], search.params["mindate"], search.params["maxdate"]) == (
        "edat",
        "2026/10/30",  # the first run looks back KB_UPDATE_LOOKBACK_DAYS (30)
        "2026/11/29",
    )
    assert search.params["term"] == "placeholder lung cancer"

    server.script(EFETCH, eutils.efetch, params={"retstart": "2"})  # NCBI is back
    report = run_update(ctx, today=TODAY + timedelta(days=3))  # resumes the open window, not a new one
    # the same window again, from the last batch known to be committed (the loader may hold the one before the
    # failure): at most one batch is fetched twice, the upsert by PMID keeps it once, and none is skipped
    assert starts(server) == ["0", "2", "2", "0", "2", "4"]
    assert backend_store.held_articles(pmids) == set(pmids)
    assert (report.since, report.until) == (date(2026, 10, 30), TODAY)
    assert "window 2026-10-30 to 2026-11-29" in report.summary() and "5 citations found" in report.summary()
    assert backend_store.get_checkpoint(LAST) == "2026-11-29" and backend_store.get_checkpoint(WINDOW) is None
    assert backend_store.stats()["articles"] == 5  # no duplicates

    version = backend_store.data_version()
    again = run_update(ctx, today=TODAY)  # a finished window: nothing asked, nothing changed
    assert len(server.requests_to(ESEARCH)) == 2 and again.until is None
    assert backend_store.data_version() == version

    eutils.pmids = ["5005", "5006"]  # the next day's window starts where the last one ended
    run_update(ctx, today=TODAY + timedelta(days=1))
    assert server.requests_to(ESEARCH)[-1].params["mindate"] == "2026/11/29"
    assert backend_store.get_checkpoint(LAST) == "2026-11-30" and backend_store.stats()["articles"] == 6


# -- MEDLINE update files -------------------------------------------------------------------------------
def test_a_folder_of_update_files_is_loaded_once_in_name_order_and_deletes_what_pubmed_withdrew(
    backend_store: Backend, server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    backend_store.upsert_articles([article(p, f"withdrawn {p}") for p in (90000001, 90000002, 90000003)])
    folder = tmp_path / "updates"
    folder.mkdir()
    body = (FIXTURES / "pubmed_update.xml").read_bytes()
    (folder / "pubmed26n1500.xml.gz").write_bytes(gzip.compress(body))
    (folder / "pubmed26n1499.xml.gz").write_bytes(gzip.compress(body.replace(b"<DeleteCitation>", b"<!-- ").replace(
        b"</DeleteCitation>", b" -->")))  # fmt: skip
    (folder / "notes.xml").write_bytes(body)  # not an update file's name: left alone
    serve(server, FakeEutils([]))
    ctx = make_context(settings_for(server, tmp_path, data_dir), backend_store)

    report = run_update(ctx, folder=folder, today=TODAY)

    assert list(files_done(backend_store)) == ["pubmed26n1499.xml.gz", "pubmed26n1500.xml.gz"]
    assert [r.deleted for r in report.files] == [0, 3]
    held = backend_store.get_articles(["90000001", "90000002", "90000003", "90000101"])
    assert {pmid: a.status for pmid, a in held.items()} == {
        "90000001": ArticleStatus.DELETED,
        "90000002": ArticleStatus.DELETED,
        "90000003": ArticleStatus.DELETED,
        "90000101": ArticleStatus.ACTIVE,
    }
    assert "3 deleted" in report.summary()

    rerun = run_update(ctx, folder=folder, today=TODAY)  # each file once
    assert rerun.files == [] and "0 update files" in rerun.summary()


# -- the query --------------------------------------------------------------------------------------------
def test_the_query_names_followed_topics_and_evidence_genes_and_kb_update_query_replaces_it(
    backend_store: Backend, server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    backend_store.upsert_evidence([evidence(1, gene="BRAF", tumor=None, drugs=("vemurafenib",), citations=())])
    settings = settings_for(server, tmp_path, data_dir, update_query="", secret_key="k" * 40)
    db = Database(settings.db_url)
    db.upgrade()
    try:
        accounts = Accounts(db, settings)
        accounts.create_user("doc", "a long enough password 1", "doctor", actor="test-setup")
        doctor = accounts.from_token(accounts.login("doc", "a long enough password 1")[0])
        Follows(db, retention_days=0).follow(doctor, "gene", "EGFR", exists=lambda kind, key: True)
    finally:
        db.close()

    [query] = update_query(settings, backend_store)
    assert query == '"EGFR"[tiab] OR "BRAF"[tiab] OR "vemurafenib"[tiab]'

    many = [evidence(n, gene=f"GENE{n}", tumor=None, drugs=(), citations=()) for n in range(2, 400)]
    backend_store.upsert_evidence(many)
    chunks = update_query(settings, backend_store)
    assert len(chunks) > 1 and all(len(c) <= CHUNK_CHARS for c in chunks)
    assert sum(c.count("[tiab]") for c in chunks) == 2 + 399  # each name once, none lost between chunks

    override = settings.model_copy(update={"update_query": "osimertinib[tiab] AND 2026[dp]"})
    assert update_query(override, backend_store) == ["osimertinib[tiab] AND 2026[dp]"]


def test_kb_update_prints_its_query_runs_with_a_summary_and_fails_clearly(
    server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    env = {
        **os.environ,
        "KB_STORE": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        "KB_DATA_DIR": str(data_dir),
        "KB_WORK_DIR": str(tmp_path / "work"),
        "KB_DB_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "KB_NCBI_EMAIL": "oncology-team@example.org",
        "KB_NCBI_BASE_URL": server.url("/entrez/eutils/"),
        "KB_UPDATE_QUERY": "EGFR[tiab] OR ALK[tiab]",
        "HF_HUB_OFFLINE": "1",
    }
    kb = [sys.executable, "-m", "cli.main", "update"]
    shown = subprocess.run([*kb, "--show-query"], env=env, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == "EGFR[tiab] OR ALK[tiab]\n"
    assert server.requests_to(ESEARCH) == []
    helped = subprocess.run([*kb, "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert "--folder" in helped.stdout and "KB_UPDATE_QUERY" in helped.stdout

    serve(server, FakeEutils(["6001", "6002", "6003"]))
    done = subprocess.run([*kb, "--no-embed", "--no-progress"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert server.requests_to(ESEARCH)[0].params["term"] == "EGFR[tiab] OR ALK[tiab]"
    assert "3 citations found, 3 stored (new or changed), 0 deleted, 0 cited papers fetched" in done.stderr
    server.script(ESEARCH, Reply.error(503))  # a new window (the store forgets its last one) with NCBI down
    Path(tmp_path / "kb.sqlite3").unlink()
    down = subprocess.run([*kb, "--no-embed", "--no-progress"], env=env, capture_output=True, text=True, timeout=300)
    assert down.returncode == 2 and "HTTP 503" in down.stderr and "run `kb update` again to resume" in down.stderr
