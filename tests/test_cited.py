"""``kb ingest cited`` against a local server that answers E-utilities as NCBI does; both backends, no network.

The efetch answers are authored here in EFetch's shape (DOCTYPE, MedlineCitation with DateRevised, PubmedData
with the entry date); every title and abstract is a placeholder.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingest.cited import ABSENT, ingest_cited, unavailable_pmids
from ingest.jobs import IngestContext
from ingest.pubmed import parse_pubmed
from kb.domain import Article, Citation
from kb.errors import SourceUnavailable
from kb.guidance import ReadingItem, ReadingList
from kb.store import Backend, SQLiteStore
from tests.conftest import make_context, make_settings
from tests.http_replay import RecordedRequest, ReplayServer, Reply, replay_server
from tests.records import evidence

EFETCH = "/entrez/eutils/efetch.fcgi"
HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)


def citation(pmid: str) -> bytes:
    """One ``<PubmedArticle>`` as EFetch gives it, entered into PubMed on the 1st of a month of 2019."""
    month = int(pmid) % 12 + 1
    return f"""<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">{pmid}</PMID>
    <DateRevised><Year>2022</Year><Month>02</Month><Day>03</Day></DateRevised>
    <Article PubModel="Print">
      <Journal>
        <JournalIssue CitedMedium="Internet"><PubDate><Year>2019</Year><Month>Jan</Month></PubDate></JournalIssue>
        <Title>Journal of Placeholder Oncology</Title>
      </Journal>
      <ArticleTitle>Placeholder title of cited paper {pmid}.</ArticleTitle>
      <Abstract><AbstractText>Placeholder abstract {pmid}: EGFR T790M in lung cancer.</AbstractText></Abstract>
      <PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>
    </Article>
  </MedlineCitation>
  <PubmedData>
    <History>
      <PubMedPubDate PubStatus="received"><Year>2018</Year><Month>6</Month><Day>1</Day></PubMedPubDate>
      <PubMedPubDate PubStatus="entrez">
        <Year>2019</Year><Month>{month}</Month><Day>1</Day><Hour>6</Hour><Minute>0</Minute>
      </PubMedPubDate>
    </History>
    <PublicationStatus>ppublish</PublicationStatus>
    <ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>
  </PubmedData>
</PubmedArticle>
""".encode()


class FakePubmed:
    """Answers an efetch by id with the citations of the PMIDs it has, in the order asked, as NCBI does."""

    def __init__(self, has: set[str]) -> None:
        self.has = has

    def __call__(self, request: RecordedRequest) -> Reply:
        return Reply.xml(self.body(request.params["id"].split(",")))

    def body(self, pmids: list[str]) -> bytes:
        return HEAD + b"".join(citation(p) for p in pmids if p in self.has) + b"</PubmedArticleSet>\n"


def asked(server: ReplayServer) -> list[str]:
    return [r.params["id"] for r in server.requests_to(EFETCH)]


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as replay:
        yield replay


def context(store: Backend, server: ReplayServer, tmp_path: Path, data_dir: Path, **ncbi: Any) -> IngestContext:
    values: dict[str, Any] = {
        "ncbi_email": "oncology-team@example.org",
        "ncbi_base_url": server.url("/entrez/eutils/"),
        "ncbi_batch_size": 2,
        "ncbi_max_retries": 1,
        "ncbi_backoff": 0.0,
        **ncbi,
    }
    return make_context(make_settings(tmp_path, data_dir).model_copy(update=values), store)


def cite(store: Backend, *pmids: int) -> None:
    """Evidence items citing these PMIDs (and one citation without a PMID, which is skipped)."""
    items = [evidence(i, citations=(Citation(pmid=str(p)),)) for i, p in enumerate(pmids, start=1)]
    store.upsert_evidence([*items, evidence(99, citations=(Citation(source="ASCO", source_id="a1"),))])


# -- the job, on both backends ------------------------------------------------------------------------
def test_the_cited_pmids_the_library_lacks_are_fetched_in_batches_and_stored(
    backend_store: Backend, server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    cite(backend_store, 1001, 1002, 1003, 1004, 1005, 1003)
    backend_store.upsert_articles([_parsed("1003")])  # held already: never asked for
    server.script(EFETCH, FakePubmed({"1001", "1002", "1003", "1004", "1005"}))

    report = ingest_cited(context(backend_store, server, tmp_path, data_dir))

    assert asked(server) == ["1001,1002", "1004,1005"]
    assert (report.cited, report.held_before, report.asked, report.load.result.inserted) == (5, 1, 4, 4)
    assert report.unavailable == {}
    stored = backend_store.get_articles(["1001", "1002", "1004", "1005"])
    assert sorted(stored) == ["1001", "1002", "1004", "1005"]
    assert stored["1004"].entrez_date == date(2019, 9, 1) and stored["1004"].revised_date == date(2022, 2, 3)
    assert all(a.first_ingested is not None for a in stored.values())
    assert "gene:EGFR" not in stored["1004"].concepts  # the tagger of an empty vocabulary finds nothing

    again = ingest_cited(context(backend_store, server, tmp_path, data_dir))  # idempotent: nothing left to ask
    assert len(server.requests_to(EFETCH)) == 2
    assert (again.asked, again.load.result.inserted, again.held_before) == (0, 0, 5)


def test_the_pmids_of_a_reading_list_are_fetched_with_the_cited_ones(
    backend_store: Backend, server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    cite(backend_store, 2001)
    items = (ReadingItem(pmid="2002", note="必读"), ReadingItem(evidence="civic:EID1"), ReadingItem(pmid="2001"))
    reading = ReadingList(id="egfr-test", topic_kind="gene", topic_key="EGFR", title_zh="测试书单", items=items)
    backend_store.upsert_records("reading_lists", [reading])
    server.script(EFETCH, FakePubmed({"2001", "2002"}))

    report = ingest_cited(context(backend_store, server, tmp_path, data_dir))

    assert asked(server) == ["2001,2002"] and report.cited == 2
    assert sorted(backend_store.get_articles(["2001", "2002"])) == ["2001", "2002"]


def test_a_pmid_pubmed_lacks_is_named_remembered_and_asked_again_only_on_request(
    backend_store: Backend, server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    cite(backend_store, 2001, 2002, 2003)
    pubmed = FakePubmed({"2001", "2003"})
    server.script(EFETCH, pubmed)
    ctx = context(backend_store, server, tmp_path, data_dir)

    report = ingest_cited(ctx)

    assert report.unavailable == {"2002": ABSENT}
    assert "1 unavailable (2002)" in report.summary() and "--retry-unavailable" in report.summary()
    assert report.load.rejected == 1  # and written to the rejects with its reason
    assert "2002" in (ctx.work_dir / "rejects" / "cited.jsonl").read_text(encoding="utf-8")
    assert unavailable_pmids(backend_store) == {"2002": ABSENT}

    rerun = ingest_cited(ctx)
    assert asked(server) == ["2001,2002", "2003"] and rerun.asked == 0
    assert rerun.unavailable == {"2002": ABSENT}  # still named in the summary

    pubmed.has.add("2002")  # PubMed has it now
    retried = ingest_cited(ctx, retry_unavailable=True)
    assert asked(server)[-1] == "2002" and retried.load.result.inserted == 1
    assert retried.unavailable == {} and unavailable_pmids(backend_store) == {}
    assert backend_store.held_articles(["2001", "2002", "2003"]) == {"2001", "2002", "2003"}


def test_ncbi_failing_midway_keeps_what_was_fetched_and_a_rerun_fetches_only_the_rest(
    backend_store: Backend, server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    cite(backend_store, 3001, 3002, 3003, 3004, 3005)
    pubmed = FakePubmed({"3001", "3002", "3003", "3004"})  # 3005 does not exist
    server.script(EFETCH, pubmed)
    server.script(EFETCH, Reply.error(429, headers={"Retry-After": "0"}), params={"id": "3003,3004"})
    ctx = context(backend_store, server, tmp_path, data_dir)

    with pytest.raises(SourceUnavailable, match=r"HTTP 429.*3 PMIDs are still to fetch.*run `kb ingest cited` again"):
        ingest_cited(ctx)

    assert backend_store.held_articles(["3001", "3002", "3003", "3004"]) == {"3001", "3002"}
    assert asked(server) == ["3001,3002", "3003,3004", "3003,3004"]  # one retry, then the job stops

    truncated = pubmed.body(["3003", "3004"])
    server.script(EFETCH, Reply.xml(truncated[: len(truncated) // 2]), pubmed, params={"id": "3003,3004"})
    report = ingest_cited(ctx)  # a truncated answer is retried once, then whole

    assert asked(server)[3:] == ["3003,3004", "3003,3004", "3005"]
    assert report.load.result.inserted == 2 and report.unavailable == {"3005": ABSENT}
    assert backend_store.held_articles(["3001", "3002", "3003", "3004"]) == {"3001", "3002", "3003", "3004"}


def _parsed(pmid: str) -> Article:
    [record] = parse_pubmed(io.BytesIO(FakePubmed({pmid}).body([pmid])))
    assert isinstance(record, Article)
    return record


# -- the command ----------------------------------------------------------------------------------------
def test_kb_ingest_cited_prints_what_it_fetched_and_what_pubmed_lacks(
    server: ReplayServer, tmp_path: Path, data_dir: Path
) -> None:
    path = tmp_path / "kb.sqlite3"
    store = SQLiteStore(path)
    cite(store, 4001, 4002)
    store.close()
    server.script(EFETCH, FakePubmed({"4001"}))
    env = {
        **os.environ,
        "KB_STORE": f"sqlite:///{path}",
        "KB_DATA_DIR": str(data_dir),
        "KB_WORK_DIR": str(tmp_path / "work"),
        "KB_DB_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "KB_NCBI_EMAIL": "oncology-team@example.org",
        "KB_NCBI_BASE_URL": server.url("/entrez/eutils/"),
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "200",
    }
    kb = [sys.executable, "-m", "cli.main", "ingest", "cited"]
    done = subprocess.run([*kb, "--no-embed", "--no-progress"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cited: 1 records (1 new, 0 updated, 0 unchanged), 1 rejected" in done.stderr
    assert "2 PMIDs cited by evidence: 0 were held, 2 asked of NCBI, 1 stored; 1 unavailable (4002)" in done.stderr
    helped = subprocess.run([*kb, "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert "--retry-unavailable" in helped.stdout and "KB_NCBI_EMAIL" in helped.stdout
    wrong = subprocess.run([*kb[:-1], "civic", "--retry-unavailable"], env=env, capture_output=True, text=True)
    assert wrong.returncode == 2 and "only applies to 'kb ingest cited'" in wrong.stderr
