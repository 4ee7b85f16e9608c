"""``kb update``: the incremental PubMed update, then the cited papers.

* **The window.** E-utilities are searched by entry date (``datetype=edat``) from the end of the last successful
  window (store checkpoint ``update:last``; the first run looks back ``KB_UPDATE_LOOKBACK_DAYS``) to today. The
  window is fixed when it opens and kept in the checkpoint ``update:window`` with the query chunks already stored;
  each chunk resumes at the efetch batch it stopped at (:func:`ingest.jobs.ingest_pubmed_live`). Only when every
  chunk is stored does ``update:last`` move to the window's end. Windows share their end day, so a citation entered
  late that day is not missed; the upsert by PMID keeps it once. A rerun the same day, after success, asks nothing.
* **The query** (:func:`update_query`): the names of the topics doctors follow and of the genes, tumors and drugs
  that have evidence, each as ``"name"[tiab]``, OR'ed in chunks of at most :data:`CHUNK_CHARS` characters
  (Biopython posts a long query). ``KB_UPDATE_QUERY`` replaces it.
* **A folder** of MEDLINE update files (``pubmed*n*.xml.gz``): each file once, in name order, through
  :func:`ingest.jobs.ingest_pubmed_files` (which honours ``<DeleteCitation>``); the names done are the checkpoint
  ``update:files``.
* **Then** :func:`ingest.cited.ingest_cited` keeps the cited papers complete.
* **Failures** (NCBI down, 429s or truncated XML beyond the client's retries) stop the run with
  :class:`~kb.errors.SourceUnavailable`: what was stored stays, the window does not move, and a rerun resumes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ingest.cited import CitedReport, ingest_cited
from ingest.jobs import IngestContext, ingest_pubmed_files, ingest_pubmed_live
from ingest.loader import JobReport
from kb.editorial.db import Database
from kb.editorial.follows import followed_topics
from kb.errors import DataError, SourceError, SourceUnavailable
from kb.kinds import KINDS
from kb.settings import Settings
from kb.store.base import Backend
from kb.vocab import vocabularies_from_store

__all__ = ["CHUNK_CHARS", "UpdateReport", "files_done", "run_update", "update_query", "update_terms"]

LAST, WINDOW, FILES = "update:last", "update:window", "update:files"
CHUNK_CHARS = 3000
"""The longest query chunk, in characters: a few hundred names, well inside what ESearch takes by POST."""
PATTERN = "pubmed*n*.xml.gz"


@dataclass
class UpdateReport:
    """What one ``kb update`` did."""

    since: date | None = None
    until: date | None = None
    chunks: int = 0
    live: list[JobReport] = field(default_factory=list)
    files: list[JobReport] = field(default_factory=list)
    cited: CitedReport | None = None

    def summary(self) -> str:
        reports = [*self.live, *self.files]
        found = sum(r.seen for r in reports)
        stored = sum(r.result.inserted + r.result.updated for r in reports)
        deleted = sum(r.deleted for r in reports)
        window = f"{self.since} to {self.until} ({self.chunks} query chunks)" if self.until else "none"
        cited = self.cited.load.result.inserted if self.cited else 0
        return (
            f"update: window {window}, {len(self.files)} update files; {found:,} citations found, "
            f"{stored:,} stored (new or changed), {deleted:,} deleted, {cited:,} cited papers fetched"
        )


def update_terms(store: Backend, followed: Iterable[tuple[str, str]]) -> list[str]:
    """The PubMed terms of the followed topics, then of the genes, tumors and drugs with evidence; each once. A
    followed record that is no topic (a reading list: ``Kind.follow_field`` is None) names no term."""
    vocab = vocabularies_from_store(store)
    topics = [(kind, key) for kind, key in followed if kind in KINDS and KINDS[kind].follow_field]
    for item in store.iter_evidence():
        topics += [("gene", item.gene), *(("drug", d) for d in item.drugs)]
        if item.tumor_code:
            topics.append(("tumor", item.tumor_code))
    names: dict[str, None] = {}
    for kind, key in topics:
        record = KINDS[kind].find(store, vocab, key) if kind in KINDS else None
        name = _name(kind, record) or key
        clean = " ".join(name.replace('"', " ").split())
        if clean:
            names.setdefault(f'"{clean}"[tiab]', None)
    return list(names)


def _name(kind: str, record: object) -> str:
    """The English name PubMed knows a record by: a gene's symbol, a drug's INN, a tumor's or biomarker's name."""
    attribute = {"gene": "symbol", "drug": "inn"}.get(kind, "name")
    return str(getattr(record, attribute, "") or "")


def update_query(settings: Settings, store: Backend) -> list[str]:
    """The query chunks ``kb update`` runs: ``KB_UPDATE_QUERY`` alone when set, else the built terms OR'ed."""
    if settings.update_query.strip():
        return [settings.update_query.strip()]
    db = Database(settings.db_url)
    try:
        db.upgrade()
        followed = followed_topics(db)
    finally:
        db.close()
    chunks: list[str] = []
    for term in update_terms(store, followed):
        if chunks and len(chunks[-1]) + len(term) + 4 <= CHUNK_CHARS:
            chunks[-1] += " OR " + term
        else:
            chunks.append(term)
    return chunks


def run_update(ctx: IngestContext, *, folder: Path | None = None, today: date | None = None) -> UpdateReport:
    """The E-utilities window, the update files of ``folder``, then the cited papers; resumable and idempotent."""
    store, settings = ctx.store, ctx.settings
    before = store.data_version()
    report = UpdateReport()
    today = today or date.today()
    if folder is not None:
        report.files = _files(ctx, folder)
    chunks = update_query(settings, store)
    if not chunks:
        raise DataError("kb update has no query: no evidence, no followed topics and KB_UPDATE_QUERY is empty")
    window = _window(store, settings, today)
    if window is not None:
        since, until, done = window
        report.since, report.until, report.chunks = since, until, len(chunks)
        for chunk in chunks:
            digest = hashlib.sha1(chunk.encode("utf-8")).hexdigest()
            if digest in done:
                continue
            try:
                report.live.append(ingest_pubmed_live(ctx, chunk, since=since, until=until, finish=False))
            except SourceError as exc:
                raise SourceUnavailable(
                    f"{exc.message}; the window {since} to {until} is not finished ({len(done)} of {len(chunks)} "
                    "query chunks done, the batches fetched are stored): run `kb update` again to resume",
                    details={**exc.details, "since": str(since), "until": str(until)},
                ) from exc
            done.append(digest)
            store.set_checkpoint(WINDOW, json.dumps({"since": str(since), "until": str(until), "done": done}))
        store.set_checkpoint(LAST, str(until))
        store.set_checkpoint(WINDOW, None)
    ctx.finish("update", before)
    report.cited = ingest_cited(ctx)
    return report


def _window(store: Backend, settings: Settings, today: date) -> tuple[date, date, list[str]] | None:
    """The open window (resumed), a new one from the last end to today, or None when today's is done."""
    raw = store.get_checkpoint(WINDOW)
    if raw:
        kept = json.loads(raw)
        return date.fromisoformat(kept["since"]), date.fromisoformat(kept["until"]), list(kept["done"])
    last = store.get_checkpoint(LAST)
    if last and date.fromisoformat(last) >= today:
        return None
    since = date.fromisoformat(last) if last else today - timedelta(days=settings.update_lookback_days)
    store.set_checkpoint(WINDOW, json.dumps({"since": str(since), "until": str(today), "done": []}))
    return since, today, []


def _files(ctx: IngestContext, folder: Path) -> list[JobReport]:
    """Each MEDLINE update file of ``folder`` not done before, in name order; a name is remembered once stored."""
    if not folder.is_dir():
        raise DataError(f"--folder {folder} is not a folder", details={"folder": str(folder)})
    raw = ctx.store.get_checkpoint(FILES)
    done: list[str] = json.loads(raw) if raw else []
    reports: list[JobReport] = []
    for path in sorted(folder.glob(PATTERN)):
        if path.name in done:
            continue
        reports += ingest_pubmed_files(ctx, [path])
        done.append(path.name)
        ctx.store.set_checkpoint(FILES, json.dumps(done))
    return reports


def files_done(store: Backend) -> Sequence[str]:
    """The update files already stored, in the order they were."""
    raw = store.get_checkpoint(FILES)
    return list(json.loads(raw)) if raw else []
