"""Faults on a real Elasticsearch: the node is stopped and started inside the tests.

These tests run a second node of their own (``scripts/es.sh`` on port 9251, its own data
folder, wiped before and after), so stopping it never disturbs the server the other tests share.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from kb.services import build_services
from kb.settings import Settings, load_settings
from kb.store.es import ElasticsearchStore
from tests.api_server import LiveServer

REPO = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("KB_TEST_FAULT_ES_PORT", "9251"))
URL = f"http://127.0.0.1:{PORT}"
CITATIONS = 20_000


def node(command: str) -> None:
    """Start or stop the fault node with the same script `make es-start` uses."""
    env = {**os.environ, "ES_PORT": str(PORT), "ES_HEAP": "384m"}
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "es.sh"), command], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"es.sh {command} failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def fault_node() -> Iterator[str]:
    node("wipe")  # a fresh node with no data
    node("start")
    try:
        yield URL
    finally:
        node("wipe")


def settings_for(tmp: Path, data_dir: Path, prefix: str) -> Settings:
    return load_settings(
        store=URL,
        es_index_prefix=prefix,
        data_dir=data_dir,
        work_dir=tmp / "work",
        es_retry_seconds=300,
        db_url=f"sqlite:///{tmp / 'editorial.sqlite3'}",
    )


def medline(path: Path, count: int) -> None:
    """An authored MEDLINE file: ``count`` short citations with PMIDs 1..count."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0"?>\n<PubmedArticleSet>\n')
        for n in range(1, count + 1):
            fh.write(
                f'<PubmedArticle><MedlineCitation><PMID Version="1">{n}</PMID><Article>'
                "<Journal><Title>Fault Journal</Title><JournalIssue><PubDate><Year>2020</Year></PubDate>"
                f"</JournalIssue></Journal><ArticleTitle>Citation {n} on EGFR in lung cancer</ArticleTitle>"
                f"<Abstract><AbstractText>Authored abstract number {n} for the outage test.</AbstractText>"
                "</Abstract></Article></MedlineCitation></PubmedArticle>\n"
            )
        fh.write("</PubmedArticleSet>\n")


def count(prefix: str) -> int:
    try:
        response = httpx.get(f"{URL}/{prefix}-articles/_count", timeout=5.0)
    except httpx.HTTPError:
        return -1
    return int(response.json().get("count", -1)) if response.status_code == 200 else -1


def test_a_bulk_ingest_waits_out_a_stopped_server_and_finishes_without_duplicates_or_gaps(
    fault_node: str, tmp_path: Path, data_dir: Path
) -> None:
    source = tmp_path / "outage.xml"
    medline(source, CITATIONS)
    settings = settings_for(tmp_path, data_dir, "outage")
    env = {
        **os.environ,
        "KB_STORE": URL,
        "KB_ES_INDEX_PREFIX": "outage",
        "KB_WORK_DIR": str(tmp_path / "work"),
        "KB_DB_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "KB_ES_RETRY_SECONDS": "300",
        "KB_DATA_DIR": str(data_dir),
    }
    kb = Path(sys.executable).parent / "kb"
    job = subprocess.Popen(
        [str(kb), "ingest", "pubmed", "--path", str(source), "--no-embed", "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while count("outage") < 1000:  # the job is under way
            assert job.poll() is None, job.communicate()
            assert time.monotonic() < deadline, "the ingest did not start"
            time.sleep(0.2)
        node("stop")
        stopped_at = count("outage")
        assert job.poll() is None, "the job ended before the server went down"
        time.sleep(5)  # the job finds the server gone and waits
        assert job.poll() is None, job.communicate()
        node("start")
        out, err = job.communicate(timeout=600)
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode == 0, err
    assert "unavailable" in err and "retrying" in err  # the job reported the outage
    assert stopped_at == -1
    store = ElasticsearchStore(settings)
    try:
        assert store.stats()["articles"] == CITATIONS
        pmids = {a.pmid for a in store.iter_articles()}
        assert pmids == {str(n) for n in range(1, CITATIONS + 1)}  # no gap, and ids are unique by construction
    finally:
        store.close()
    assert f"{CITATIONS:,} records ({CITATIONS:,} new" in err + out


def test_a_server_down_at_query_time_is_a_503_and_ready_says_down(
    fault_node: str, tmp_path: Path, data_dir: Path
) -> None:
    settings = settings_for(tmp_path, data_dir, "querydown")
    services = build_services(settings, embed=False)
    try:
        with (
            LiveServer(create_app(settings, services=services), services) as server,
            httpx.Client(base_url=server.url, timeout=60.0) as client,
        ):
            assert client.get("/v1/search", params={"q": "EGFR"}).status_code == 200
            assert client.get("/v1/ready").status_code == 200

            node("stop")
            search = client.get("/v1/search", params={"q": "EGFR"})
            ready = client.get("/v1/ready")
            node("start")
            again = client.get("/v1/search", params={"q": "EGFR"})
    finally:
        services.close()
    assert search.status_code == 503
    error = search.json()["error"]
    assert error["code"] == "store_unavailable" and "Elasticsearch" in error["message"]
    assert set(search.json()) == {"error"} and "Traceback" not in search.text
    assert ready.status_code == 503
    body = ready.json()
    assert body == {
        "status": "unavailable",
        "backend": "elasticsearch",
        "data_version": None,
        "counts": {},
        "embeddings": body["embeddings"],
    }
    assert body["embeddings"]["state"] == "off"  # shared services: no background embedder
    assert again.status_code == 200
