"""Live PubMed through Biopython's ``Bio.Entrez``: search, then fetch in checkpointable batches.

Biopython keeps its configuration in module globals (``Entrez.email``,
``Entrez.max_tries``, the ``urlopen`` it calls ...). Only this module touches
them, one request at a time under :data:`_ENTREZ_LOCK`, and puts them back
afterwards; the rest of genekb talks to :class:`EntrezClient`.

Politeness and robustness are ours, not Biopython's:

* :class:`RateLimiter` keeps to NCBI's 3 requests/s (10 with an API key);
* HTTP 429, 5xx, connection errors and truncated bodies are retried with
  doubling backoff (``ncbi_backoff``, at most ``ncbi_max_retries`` times),
  honouring ``Retry-After``; other 4xx answers fail at once with
  :class:`~kb.errors.SourceError`; exhausted retries raise
  :class:`~kb.errors.SourceUnavailable`.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar
from urllib.error import HTTPError, URLError

from Bio import Entrez
from lxml import etree

from ingest.download import parse_retry_after
from ingest.pubmed import PubmedRecord, parse_pubmed
from kb.errors import ConfigError, QueryError, SourceError, SourceUnavailable
from kb.settings import Settings

__all__ = ["Clock", "EntrezClient", "RateLimiter", "SearchResult", "SystemClock"]

log = logging.getLogger(__name__)

T = TypeVar("T")

NCBI_EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
"""The base URL Biopython hardcodes into every E-utility function."""

_ENTREZ_LOCK = threading.Lock()
"""Serialises every use of the ``Bio.Entrez`` module globals."""


class Clock(Protocol):
    """Time source of the rate limiter and of retry waits; tests pass a fake one."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class RateLimiter:
    """A thread-safe token bucket: at most ``rate`` acquisitions per second after a ``burst``."""

    def __init__(self, rate: float, *, burst: int = 1, clock: Clock | None = None) -> None:
        if rate <= 0 or burst < 1:
            raise ConfigError(f"rate limiter needs rate > 0 and burst >= 1, got {rate}, {burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._stamp = self._clock.monotonic()

    def acquire(self) -> float:
        """Take one token, waiting on the clock until it is due; return the seconds waited."""
        with self._lock:
            now = self._clock.monotonic()
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            # Reserve the token now (the balance may go negative) so that
            # concurrent callers queue up behind each other while sleeping.
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._clock.sleep(wait)
        return wait


@dataclass(frozen=True, slots=True)
class SearchResult:
    """An esearch answer kept on NCBI's history server."""

    count: int
    webenv: str
    query_key: str


class _BadBody(Exception):
    """A 200 answer whose body is unusable (truncated, malformed): worth retrying."""


class EntrezClient:
    """PubMed search and fetch with NCBI's rate limits, retries and the settings' identity."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, timeout: float = 120.0) -> None:
        if not settings.ncbi_email.strip():
            raise ConfigError("KB_NCBI_EMAIL must be set: NCBI requires an e-mail with every E-utilities request")
        base = settings.ncbi_base_url.strip()
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"KB_NCBI_BASE_URL must be an http(s) URL, not {base!r}")
        self._settings = settings
        self._base_url = base if base.endswith("/") else base + "/"
        self._clock: Clock = clock or SystemClock()
        self._timeout = timeout
        self._identity: dict[str, str] = {"email": settings.ncbi_email.strip(), "tool": settings.ncbi_tool}
        if settings.ncbi_api_key:
            self._identity["api_key"] = settings.ncbi_api_key
        self.rate_limiter = RateLimiter(10.0 if settings.ncbi_api_key else 3.0, clock=self._clock)

    # -- public API -------------------------------------------------------------------

    def search(self, term: str, *, since: date | None = None, until: date | None = None) -> SearchResult:
        """Run an esearch on PubMed kept on the history server; ``since``/``until`` bound the entry date.

        For a resumable run pass a fixed ``until``: citations entered later would
        otherwise shift the batch offsets between the first run and the rerun.
        """
        if not term.strip():
            raise QueryError("PubMed search term is empty")
        params: dict[str, Any] = {
            "db": "pubmed",
            "term": term,
            "usehistory": "y",
            "retmax": 0,
            "retmode": "json",
        }
        if since is not None or until is not None:
            params["datetype"] = "edat"
            params["mindate"] = (since or date(1800, 1, 1)).strftime("%Y/%m/%d")
            params["maxdate"] = (until or date.today()).strftime("%Y/%m/%d")
        return self._request(Entrez.esearch, "esearch", _decode_esearch, params)

    def fetch_batches(self, result: SearchResult, *, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """Yield ``(next_start, xml)`` per efetch batch; checkpoint ``next_start`` to resume there."""
        if start < 0:
            raise QueryError(f"start must be 0 or more, not {start}")
        size = self._settings.ncbi_batch_size
        for retstart in range(start, result.count, size):
            params: dict[str, Any] = {
                "db": "pubmed",
                "retmode": "xml",
                "WebEnv": result.webenv,
                "query_key": result.query_key,
                "retstart": retstart,
                "retmax": size,
            }
            body = self._request(Entrez.efetch, f"efetch retstart={retstart}", _check_pubmed_xml, params)
            yield min(retstart + size, result.count), body

    def fetch_ids(self, pmids: Sequence[str]) -> bytes:
        """One efetch of these PMIDs (Biopython posts a long list); the XML holds a citation for each PMID that
        PubMed has, and nothing for one it lacks."""
        if not pmids:
            raise QueryError("no PMIDs to fetch")
        params: dict[str, Any] = {"db": "pubmed", "retmode": "xml", "id": ",".join(pmids)}
        what = f"efetch of {len(pmids)} PMIDs from {pmids[0]}"
        return self._request(Entrez.efetch, what, _check_pubmed_xml, params)

    def iter_articles(
        self, term: str, *, since: date | None = None, until: date | None = None, start: int = 0
    ) -> Iterator[tuple[int, PubmedRecord]]:
        """Search then fetch and parse; each record comes with the ``next_start`` of its batch."""
        result = self.search(term, since=since, until=until)
        retstart = start
        for next_start, body in self.fetch_batches(result, start=start):
            for record in parse_pubmed(io.BytesIO(body), source_name=f"efetch:{retstart}"):
                yield next_start, record
            retstart = next_start

    # -- one request, with retries ---------------------------------------------------

    def _request(
        self, utility: Callable[..., Any], what: str, decode: Callable[[bytes], T], params: dict[str, Any]
    ) -> T:
        attempts = self._settings.ncbi_max_retries + 1
        delay = self._settings.ncbi_backoff
        params = {**params, **self._identity}
        for attempt in range(1, attempts + 1):
            self.rate_limiter.acquire()
            retry_after: float | None = None
            try:
                return decode(self._call(utility, params))
            except HTTPError as exc:
                retry_after = parse_retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                exc.close()
                if exc.code != 429 and exc.code < 500:
                    raise SourceError(
                        f"NCBI {what} refused: HTTP {exc.code} {exc.reason}",
                        details={"status": exc.code, "request": what},
                    ) from exc
                failure: Exception = exc
            except (URLError, OSError, http.client.HTTPException) as exc:
                # connection refused or reset, timeout, body shorter than Content-Length
                failure = exc
            except _BadBody as exc:
                failure = exc
            if attempt == attempts:
                raise SourceUnavailable(
                    f"NCBI {what} failed after {attempts} attempts: {_describe(failure)}",
                    details={"request": what, "attempts": attempts},
                ) from failure
            wait = retry_after if retry_after is not None else delay
            log.warning("NCBI %s failed (%s); retry %d in %.2fs", what, _describe(failure), attempt, wait)
            self._clock.sleep(wait)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _call(self, utility: Callable[..., Any], params: dict[str, Any]) -> bytes:
        """One E-utility call through Biopython, with the module globals set for us alone.

        Biopython 1.8x hardcodes ``https://eutils.ncbi.nlm.nih.gov/...`` in each
        E-utility function and has no base-URL setting. The narrowest hook is the
        ``urlopen`` name that ``Bio.Entrez._open`` looks up in its module globals
        (the seam Biopython's own tests patch): for the duration of the call we
        bind it to :meth:`_urlopen`, which swaps the NCBI prefix for
        ``settings.ncbi_base_url`` and adds a timeout, then calls the standard
        ``urllib.request.urlopen``. Parameters, GET/POST choice and API-key
        pacing stay Biopython's. ``max_tries = 1`` disables Biopython's own
        retry loop (fixed 15 s sleeps, no Retry-After) so that ours is the only
        one. Email, tool and api_key are passed as explicit parameters of every
        request, which take precedence over ``Entrez.email`` and friends.
        """
        entrez: Any = Entrez  # its globals are untyped module state
        with _ENTREZ_LOCK:
            saved = entrez.urlopen, entrez.max_tries
            entrez.urlopen, entrez.max_tries = self._urlopen, 1
            try:
                handle = utility(**params)
            finally:
                entrez.urlopen, entrez.max_tries = saved
        with handle:
            data = handle.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)

    def _urlopen(self, request: urllib.request.Request) -> Any:
        url = request.full_url
        if url.startswith(NCBI_EUTILS):
            request.full_url = self._base_url + url[len(NCBI_EUTILS) :]
        return urllib.request.urlopen(request, timeout=self._timeout)


def _decode_esearch(body: bytes) -> SearchResult:
    try:
        answer = json.loads(body)["esearchresult"]
    except (ValueError, KeyError, TypeError) as exc:
        raise _BadBody(f"esearch answer is not the expected JSON: {exc}") from exc
    if not isinstance(answer, dict):
        raise _BadBody("esearch answer has no esearchresult object")
    if "ERROR" in answer:
        raise SourceError(f"NCBI esearch error: {answer['ERROR']}", details={"request": "esearch"})
    try:
        return SearchResult(int(answer["count"]), str(answer["webenv"]), str(answer["querykey"]))
    except (KeyError, ValueError) as exc:
        raise _BadBody(f"esearch answer lacks count/webenv/querykey: {exc}") from exc


def _check_pubmed_xml(body: bytes) -> bytes:
    """Return ``body`` if it parses to the end as a ``PubmedArticleSet``, else raise ``_BadBody``."""
    # A parser per call: lxml parsers must not be shared between threads.
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise _BadBody(f"truncated or malformed efetch XML: {exc}") from exc
    if root.tag != "PubmedArticleSet":
        raise _BadBody(f"efetch answered <{root.tag}> instead of <PubmedArticleSet>")
    return body


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, URLError):
        return f"connection error: {exc.reason}"
    return f"{type(exc).__name__}: {exc}"
