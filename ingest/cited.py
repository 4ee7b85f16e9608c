"""``kb ingest cited``: every paper that evidence cites or a reading list names, in the library.

The PMIDs of ``Evidence.citations`` and of the reading lists' items that the store does not hold
(:meth:`~kb.store.base.Backend.held_articles`) are fetched from E-utilities by id
(:meth:`ingest.entrez.EntrezClient.fetch_ids`) in batches of
``KB_NCBI_BATCH_SIZE``, with the client's rate limits and retries, then parsed, tagged and stored as
``kb ingest pubmed`` stores citations (:class:`ingest.jobs.ArticleWriter`).

* **Resumable and idempotent.** What to fetch is worked out afresh on every run (cited, minus held, minus the
  PMIDs known to be unavailable), and each fetched batch is stored before the next is asked for. So a rerun after
  a failure fetches only what is still missing, and a run with nothing missing asks NCBI nothing.
* **Unavailable PMIDs.** A PMID that PubMed has no citation for (or whose citation is rejected, such as a book)
  is written to the rejects with its reason, reported by PMID, and remembered in the store's checkpoint
  ``cited:unavailable``, so no later run asks for it again until ``--retry-unavailable``.
* **Failures.** NCBI down, 429s or truncated XML beyond the client's retries: the batches already fetched are
  stored, what was learnt is remembered, and the job stops with :class:`~kb.errors.SourceUnavailable`, whose
  message says how many PMIDs are still missing and that a rerun resumes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ingest.entrez import EntrezClient
from ingest.jobs import ArticleWriter, IngestContext
from ingest.loader import JobReport
from ingest.pubmed import PubmedRecord, parse_pubmed
from ingest.records import Rejected
from kb.domain import Article
from kb.errors import SourceError, SourceUnavailable
from kb.guidance import ReadingList
from kb.store.base import Backend

__all__ = ["CHECKPOINT", "CitedReport", "cited_pmids", "ingest_cited", "unavailable_pmids"]

CHECKPOINT = "cited:unavailable"
"""The store checkpoint that remembers the cited PMIDs PubMed could not give: ``{pmid: reason}`` as JSON."""

ABSENT = "PubMed has no citation with this PMID"
_LISTED = 20  # unavailable PMIDs named in the summary


@dataclass
class CitedReport:
    """What one run did: the load's report, and the counts and PMIDs of the summary."""

    load: JobReport
    cited: int  # distinct PMIDs cited by evidence
    held_before: int  # of them, held when the run started
    asked: int  # of them, asked of NCBI by this run
    unavailable: dict[str, str] = field(default_factory=dict)  # PMID -> reason, every one still not held

    def summary(self) -> str:
        """The load's line, then one saying what is cited, held, fetched and unavailable."""
        line = (
            f"{self.cited:,} PMIDs cited by evidence: {self.held_before:,} were held, {self.asked:,} asked of NCBI, "
            f"{self.load.result.inserted:,} stored"
        )
        if self.unavailable:
            pmids = sorted(self.unavailable, key=int)
            named = ", ".join(pmids[:_LISTED]) + (f" and {len(pmids) - _LISTED:,} more" if len(pmids) > _LISTED else "")
            line += (
                f"; {len(pmids):,} unavailable ({named}), remembered and not asked again"
                " (`kb ingest cited --retry-unavailable` asks again)"
            )
        return f"{self.load.summary()}\n  {line}"


def cited_pmids(store: Backend) -> list[str]:
    """The distinct PMIDs that evidence cites or a reading list names, in numeric order (a citation without a numeric
    PMID is skipped)."""
    found = {c.pmid.strip() for item in store.iter_evidence() for c in item.citations}
    found |= {i.pmid.strip() for rl in store.iter_records("reading_lists", ReadingList) for i in rl.items}
    return sorted((p for p in found if p.isdigit()), key=int)


def unavailable_pmids(store: Backend) -> dict[str, str]:
    """The cited PMIDs remembered as unavailable, with their reasons."""
    raw = store.get_checkpoint(CHECKPOINT)
    return dict(json.loads(raw)) if raw else {}


def ingest_cited(ctx: IngestContext, *, retry_unavailable: bool = False, tag: bool = True) -> CitedReport:
    """Fetch and store every cited PMID the store lacks; then the curated-entries step."""
    store = ctx.store
    before = store.data_version()
    cited = cited_pmids(store)
    held = store.held_articles(cited)
    missing = [p for p in cited if p not in held]
    known = unavailable_pmids(store)
    todo = missing if retry_unavailable else [p for p in missing if p not in known]
    fetch = _Fetch(store, EntrezClient(ctx.settings) if todo else None, known, ctx.settings.ncbi_batch_size)
    writer = ArticleWriter(store, ctx.tagger() if tag and todo else None, ctx.embedder())
    load = ctx.load(fetch.records(todo), job="cited", write=writer, batch_size=fetch.size, total=len(todo))
    if writer.embedder is not None:
        load.notes.append(f"{writer.embedded:,} embeddings computed (others came from the cache)")
    still = store.held_articles(list(fetch.unavailable))
    fetch.remember({p: r for p, r in fetch.unavailable.items() if p not in still})  # a PMID held since is dropped
    if fetch.failure is not None:
        left = len(todo) - fetch.done
        raise SourceUnavailable(
            f"{fetch.failure.message}; {load.result.inserted:,} cited articles were stored and {left:,} PMIDs are "
            "still to fetch: run `kb ingest cited` again to resume",
            details={**fetch.failure.details, "stored": load.result.inserted, "left": left},
        ) from fetch.failure
    ctx.finish("cited", before)
    return CitedReport(load, len(cited), len(held), len(todo), dict(fetch.unavailable))


class _Fetch:
    """The efetch batches of one run, as the records the loader stores; a failure ends the records (so the loader
    commits what came before) and is kept for the job to raise."""

    def __init__(self, store: Backend, client: EntrezClient | None, known: dict[str, str], size: int) -> None:
        self.store = store
        self.client = client
        self.unavailable = dict(known)
        self.size = size
        self.done = 0  # PMIDs whose batch was answered
        self.failure: SourceError | None = None

    def records(self, pmids: Sequence[str]) -> Iterator[PubmedRecord]:
        for start in range(0, len(pmids), self.size):
            batch = pmids[start : start + self.size]
            if self.client is None:
                return
            try:
                body = self.client.fetch_ids(batch)
            except SourceError as exc:
                self.failure = exc
                return
            yield from self._batch(batch, body)
            self.done += len(batch)
            self.remember(self.unavailable)

    def _batch(self, batch: Sequence[str], body: bytes) -> Iterator[PubmedRecord]:
        asked = set(batch)
        answered: set[str] = set()
        for record in parse_pubmed(io.BytesIO(body), source_name=f"efetch:{batch[0]}"):
            if isinstance(record, Article):
                answered.add(record.pmid)
                self.unavailable.pop(record.pmid, None)
            elif isinstance(record, Rejected) and record.key in asked:
                answered.add(record.key)
                self.unavailable[record.key] = record.reason
            yield record
        for pmid in batch:
            if pmid not in answered:
                self.unavailable[pmid] = ABSENT
                yield Rejected("cited", pmid, ABSENT)

    def remember(self, unavailable: dict[str, str]) -> None:
        self.store.set_checkpoint(CHECKPOINT, json.dumps(dict(sorted(unavailable.items()))) if unavailable else None)
