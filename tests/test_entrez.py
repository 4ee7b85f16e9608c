"""EntrezClient against a local replay server answering with real EFetch XML; no network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest
from Bio import Entrez

from ingest.entrez import EntrezClient, RateLimiter, SearchResult
from ingest.records import Rejected
from kb.domain import Article
from kb.errors import ConfigError, QueryError, SourceError, SourceUnavailable
from kb.settings import Settings
from tests.http_replay import RecordedRequest, ReplayServer, Reply, replay_server, unused_port

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("KB_DATA_DIR", REPO.parent / "shared" / "data"))
PUBMED = DATA / "pubmed"

EUTILS = "/entrez/eutils/"
ESEARCH = EUTILS + "esearch.fcgi"
EFETCH = EUTILS + "efetch.fcgi"
WEBENV = "MCID_0123456789abcdef01234567"
EMAIL = "oncology-team@example.org"
API_KEY = "test-api-key-0000"
TOOL = "genekb-tests"


def esearch_answer(count: int, webenv: str = WEBENV, query_key: str = "1") -> Reply:
    """An esearch JSON answer in NCBI's shape (authored, not recorded)."""
    return Reply.json(
        {
            "header": {"type": "esearch", "version": "0.3"},
            "esearchresult": {
                "count": str(count),
                "retmax": "0",
                "retstart": "0",
                "querykey": query_key,
                "webenv": webenv,
                "idlist": [],
                "translationset": [],
                "querytranslation": "placeholder[All Fields]",
            },
        }
    )


def real(name: str) -> bytes:
    return (PUBMED / name).read_bytes()


class FakeClock:
    """Our limiter's injectable clock: time moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as replay:
        yield replay


def make_settings(base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ncbi_email": EMAIL,
        "ncbi_api_key": API_KEY,
        "ncbi_tool": TOOL,
        "ncbi_base_url": base_url,
        "ncbi_batch_size": 1,
        "ncbi_max_retries": 3,
        "ncbi_backoff": 0.01,
    }
    values.update(overrides)
    return Settings(**values)


def client_for(server: ReplayServer, **overrides: Any) -> EntrezClient:
    return EntrezClient(make_settings(server.url(EUTILS), **overrides))


def assert_identity(request: RecordedRequest, *, api_key: str | None = API_KEY) -> None:
    assert request.params["email"] == EMAIL
    assert request.params["tool"] == TOOL
    assert request.params.get("api_key") == api_key


# -- search -------------------------------------------------------------------------------


def test_search_keeps_results_on_the_history_server_and_identifies_us(server: ReplayServer) -> None:
    server.script(ESEARCH, esearch_answer(1234, webenv="MCID_abc", query_key="7"))

    result = client_for(server).search("EGFR[tiab] AND osimertinib[tiab]")

    assert result == SearchResult(count=1234, webenv="MCID_abc", query_key="7")
    [request] = server.requests_to(ESEARCH)
    assert request.params["db"] == "pubmed"
    assert request.params["term"] == "EGFR[tiab] AND osimertinib[tiab]"
    assert request.params["usehistory"] == "y"
    assert request.params["retmode"] == "json"
    assert not {"datetype", "mindate", "maxdate"} & request.params.keys()
    assert_identity(request)


def test_search_since_until_bounds_the_entry_date(server: ReplayServer) -> None:
    server.script(ESEARCH, esearch_answer(3))

    client_for(server).search("BRAF", since=date(2024, 1, 5), until=date(2024, 3, 31))

    [request] = server.requests_to(ESEARCH)
    assert request.params["datetype"] == "edat"
    assert request.params["mindate"] == "2024/01/05"
    assert request.params["maxdate"] == "2024/03/31"


def test_search_since_alone_runs_up_to_today(server: ReplayServer) -> None:
    server.script(ESEARCH, esearch_answer(3))

    before = date.today().strftime("%Y/%m/%d")
    client_for(server).search("BRAF", since=date(2023, 12, 1))
    after = date.today().strftime("%Y/%m/%d")

    [request] = server.requests_to(ESEARCH)
    assert (request.params["datetype"], request.params["mindate"]) == ("edat", "2023/12/01")
    assert request.params["maxdate"] in {before, after}


def test_search_error_answer_fails_without_retrying(server: ReplayServer) -> None:
    server.script(ESEARCH, Reply.json({"esearchresult": {"ERROR": "Invalid query syntax"}}))

    with pytest.raises(SourceError, match="Invalid query syntax") as caught:
        client_for(server).search("((")

    assert not isinstance(caught.value, SourceUnavailable)
    assert len(server.requests_to(ESEARCH)) == 1


def test_empty_search_term_is_a_query_error(server: ReplayServer) -> None:
    with pytest.raises(QueryError):
        client_for(server).search("  ")
    assert server.requests == []


def test_api_key_is_not_sent_when_unset(server: ReplayServer) -> None:
    server.script(ESEARCH, esearch_answer(0))

    client_for(server, ncbi_api_key="").search("KRAS")

    [request] = server.requests_to(ESEARCH)
    assert_identity(request, api_key=None)


# -- fetch ---------------------------------------------------------------------------------


def test_transient_failures_are_retried_and_every_article_arrives_once(server: ReplayServer) -> None:
    files = ["pubmed4.xml", "pubmed5.xml", "pubmed6.xml", "pubmed7.xml"]
    server.script(ESEARCH, esearch_answer(len(files)))
    rate_limited = Reply.error(429, headers={"Retry-After": "0"})
    server.script(EFETCH, rate_limited, Reply.xml(real(files[0])), params={"retstart": "0"})
    server.script(EFETCH, Reply.error(500), Reply.xml(real(files[1])), params={"retstart": "1"})
    half = real(files[2])[: len(real(files[2])) // 2]
    server.script(EFETCH, Reply.xml(half), Reply.xml(real(files[2])), params={"retstart": "2"})
    cut_short = Reply.xml(real(files[3]), send_bytes=4000)  # Content-Length promises more
    server.script(EFETCH, cut_short, Reply.xml(real(files[3])), params={"retstart": "3"})

    results = list(client_for(server).iter_articles("pancreatic cancer", since=date(2017, 1, 1)))

    assert [(start, record.pmid) for start, record in results if isinstance(record, Article)] == [
        (1, "27797938"),
        (2, "28775130"),
        (3, "30108519"),
        (4, "29963580"),
    ]
    assert len(results) == 4
    fetches = server.requests_to(EFETCH)
    assert [r.params["retstart"] for r in fetches] == ["0", "0", "1", "1", "2", "2", "3", "3"]
    for request in fetches:
        assert_identity(request)
        assert request.params["db"] == "pubmed"
        assert request.params["retmode"] == "xml"
        assert "rettype" not in request.params
        assert request.params["WebEnv"] == WEBENV
        assert request.params["query_key"] == "1"
        assert request.params["retmax"] == "1"


def test_batches_carry_checkpoints_and_a_rerun_resumes_from_one(server: ReplayServer) -> None:
    server.script(EFETCH, Reply.xml(real("pubmed1.xml")), params={"retstart": "0"})
    server.script(EFETCH, Reply.xml(real("pubmed2.xml")), params={"retstart": "2"})
    client = client_for(server, ncbi_batch_size=2)
    result = SearchResult(count=4, webenv=WEBENV, query_key="1")

    assert [start for start, _ in client.fetch_batches(result)] == [2, 4]
    resumed = list(client.fetch_batches(result, start=2))

    assert [(start, body) for start, body in resumed] == [(4, real("pubmed2.xml"))]
    assert [r.params["retstart"] for r in server.requests_to(EFETCH)] == ["0", "2", "2"]


def test_the_baseline_subset_arrives_whole_over_three_batches(server: ReplayServer) -> None:
    import gzip

    xml = gzip.decompress((PUBMED / "pubmed21n1298.oncology_subset.xml.gz").read_bytes())
    head, *chunks = xml.split(b"<PubmedArticle>")
    chunks[-1] = chunks[-1].replace(b"</PubmedArticleSet>", b"")
    pieces = [b"<PubmedArticle>" + chunk for chunk in chunks]
    bodies = [head + b"".join(pieces[i : i + 500]) + b"</PubmedArticleSet>\n" for i in range(0, 1500, 500)]
    server.script(ESEARCH, esearch_answer(1500))
    server.script(EFETCH, Reply.xml(bodies[0]), params={"retstart": "0"})
    server.script(EFETCH, Reply.xml(bodies[1][:-5000]), Reply.xml(bodies[1]), params={"retstart": "500"})
    server.script(EFETCH, Reply.xml(bodies[2]), params={"retstart": "1000"})

    results = list(client_for(server, ncbi_batch_size=500).iter_articles("cancer"))

    pmids = [record.pmid for _, record in results if isinstance(record, Article)]
    assert len(results) == len(pmids) == 1500
    assert len(set(pmids)) == 1500
    assert sorted({start for start, _ in results}) == [500, 1000, 1500]


def test_retry_after_is_honoured_and_backoff_doubles(server: ReplayServer) -> None:
    server.script(
        EFETCH,
        Reply.error(503),
        Reply.error(502),
        Reply.error(429, headers={"Retry-After": "7"}),
        Reply.xml(real("pubmed7.xml")),
    )
    clock = FakeClock()
    client = EntrezClient(make_settings(server.url(EUTILS), ncbi_backoff=1.0), clock=clock)

    batches = list(client.fetch_batches(SearchResult(1, WEBENV, "1")))

    assert [start for start, _ in batches] == [1]
    assert clock.sleeps == [1.0, 2.0, 7.0]  # backoff, doubled backoff, then the server's Retry-After


def test_a_server_that_keeps_failing_raises_source_unavailable(server: ReplayServer) -> None:
    server.script(EFETCH, Reply.error(503))

    with pytest.raises(SourceUnavailable, match="after 4 attempts") as caught:
        list(client_for(server, ncbi_max_retries=3).fetch_batches(SearchResult(3, WEBENV, "1")))

    assert isinstance(caught.value.__cause__, HTTPError)
    assert len(server.requests_to(EFETCH)) == 4


def test_a_body_that_stays_truncated_raises_source_unavailable(server: ReplayServer) -> None:
    server.script(EFETCH, Reply.xml(real("pubmed6.xml")[:3000]))
    client = client_for(server, ncbi_max_retries=2)
    batches = client.fetch_batches(SearchResult(2, WEBENV, "1"))

    with pytest.raises(SourceUnavailable, match="truncated or malformed"):
        next(batches)

    assert len(server.requests_to(EFETCH)) == 3


def test_a_client_error_fails_at_once(server: ReplayServer) -> None:
    server.script(EFETCH, Reply.error(400))

    with pytest.raises(SourceError, match="HTTP 400") as caught:
        list(client_for(server).fetch_batches(SearchResult(1, WEBENV, "1")))

    assert not isinstance(caught.value, SourceUnavailable)
    assert len(server.requests_to(EFETCH)) == 1


def test_an_unreachable_server_raises_source_unavailable() -> None:
    client = EntrezClient(make_settings(f"http://127.0.0.1:{unused_port()}/eutils/", ncbi_max_retries=1))

    with pytest.raises(SourceUnavailable, match="connection error"):
        client.search("EGFR")


def test_entrez_module_globals_are_left_as_they_were(server: ReplayServer) -> None:
    server.script(ESEARCH, esearch_answer(0))
    entrez: Any = Entrez
    before = (entrez.email, entrez.tool, entrez.api_key, entrez.max_tries, entrez.urlopen)

    client_for(server).search("ALK")

    assert (entrez.email, entrez.tool, entrez.api_key, entrez.max_tries, entrez.urlopen) == before


def test_fetched_batches_parse_to_articles_not_rejects(server: ReplayServer) -> None:
    server.script(ESEARCH, esearch_answer(2))
    server.script(EFETCH, Reply.xml(real("pubmed2.xml")))

    records = [record for _, record in client_for(server, ncbi_batch_size=2).iter_articles("cryo")]

    assert not any(isinstance(record, Rejected) for record in records)
    assert [r.pmid for r in records if isinstance(r, Article)] == ["11748933", "11700088"]


def test_settings_without_email_are_refused() -> None:
    with pytest.raises(ConfigError, match="KB_NCBI_EMAIL"):
        EntrezClient(make_settings("http://127.0.0.1:9/", ncbi_email=""))


# -- rate limiting ---------------------------------------------------------------------------


def test_limiter_spaces_requests_at_three_per_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3.0, clock=clock)

    waits = [limiter.acquire() for _ in range(7)]

    assert waits[0] == 0.0
    assert waits[1:] == pytest.approx([1 / 3] * 6)
    assert clock.now == pytest.approx(2.0)  # 7 requests take 2 s: never more than 3 in any second


def test_limiter_does_not_bank_idle_time_beyond_its_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, burst=2, clock=clock)
    clock.now = 60.0  # a long idle spell

    waits = [limiter.acquire() for _ in range(4)]

    assert waits == pytest.approx([0.0, 0.0, 0.1, 0.1])


def test_client_allows_ten_per_second_only_with_an_api_key(server: ReplayServer) -> None:
    assert client_for(server).rate_limiter.rate == 10.0
    assert client_for(server, ncbi_api_key="").rate_limiter.rate == 3.0


def test_client_waits_on_its_limiter_between_requests(server: ReplayServer) -> None:
    server.script(EFETCH, Reply.xml(real("pubmed7.xml")))
    clock = FakeClock()
    client = EntrezClient(make_settings(server.url(EUTILS), ncbi_api_key=""), clock=clock)

    list(client.fetch_batches(SearchResult(3, WEBENV, "1")))

    assert clock.sleeps == pytest.approx([1 / 3, 1 / 3])
