"""Vectors for the records that have none yet: evidence first (every answer uses it), then articles newest
first, in batches of ``KB_EMBED_BATCH_SIZE``.

:func:`embed_missing` runs one pass and reports every batch (``kb embed``, ``kb ingest`` and ``kb bench beir``
draw it as a progress bar). :class:`BackgroundEmbedder` runs such passes in a daemon thread that the API starts,
so the server answers as soon as the records and the lexical indexes are in, and dense retrieval joins in as the
vectors arrive; its :meth:`~BackgroundEmbedder.snapshot` (embedded and total per kind, state, rate, ETA) is what
``/v1/ready`` reports.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Literal

from kb.analysis import evidence_text
from kb.domain import Article, Evidence
from kb.embedding import Embedder, encode_vector
from kb.settings import Settings
from kb.store import Backend, open_store
from kb.store.documents import text_hash

__all__ = [
    "EMBED_KINDS",
    "BackgroundEmbedder",
    "EmbedProgress",
    "KindProgress",
    "embed_missing",
    "store_vectors",
]

log = logging.getLogger("genekb.embed")

EMBED_KINDS = ("evidence", "articles")
"""The kinds that carry vectors, in the order they are embedded."""

CHUNK = 256  # records listed per store query; they are encoded in batches of the embedder's batch size
MAX_BACKOFF = 300.0  # seconds between retries after repeated failures

State = Literal["off", "running", "done", "elsewhere"]
OnBatch = Callable[[str, int], None]
"""Called after each stored batch with the kind and the number of records it covered."""


def store_vectors(store: Backend, embedder: Embedder, texts: Sequence[str]) -> int:
    """Store vectors for ``texts``, encoding only those the cache lacks; returns how many were encoded.

    The cached ones are stored again with the new ones: on Elasticsearch that attaches them to records that were
    stored before their vector (on SQLite a record with a cached text is never listed as missing)."""
    hashes = [text_hash(t) for t in texts]
    vectors = store.cached_embeddings(embedder.model_name, hashes)
    todo = {h: t for h, t in zip(hashes, texts, strict=True) if h not in vectors}
    if todo:
        fresh = embedder.encode(list(todo.values()))
        vectors.update((h, encode_vector(v)) for h, v in zip(todo, fresh, strict=True))
    if vectors:
        store.put_embeddings(embedder.model_name, vectors)
    return len(todo)


def _missing(store: Backend, kind: str, model: str, limit: int) -> list[tuple[str, str]]:
    """(key, text) of up to ``limit`` records of ``kind`` without a vector, in embedding order."""
    if kind == "evidence":
        items: list[Evidence] = store.evidence_missing_embeddings(model, limit)
        return [(e.id, evidence_text(e)) for e in items]
    articles: list[Article] = store.articles_missing_embeddings(model, limit, newest_first=True)
    return [(a.pmid, a.text) for a in articles]


def embed_missing(
    store: Backend,
    embedder: Embedder,
    *,
    on_batch: OnBatch | None = None,
    stop: threading.Event | None = None,
    chunk: int = CHUNK,
) -> dict[str, int]:
    """One pass over the records without a vector (evidence, then articles newest first); the texts encoded per
    kind (the others came from the cache). Stops between two batches once ``stop`` is set."""
    computed = dict.fromkeys(EMBED_KINDS, 0)
    for kind in EMBED_KINDS:
        listed: list[str] = []
        while not (stop is not None and stop.is_set()):
            records = _missing(store, kind, embedder.model_name, chunk)
            keys = [key for key, _ in records]
            if not records:
                break
            if keys == listed:  # stored, yet listed again: leave them rather than loop
                log.warning("%d %s records are still listed without vectors after they were stored", len(keys), kind)
                break
            listed = keys
            texts = [text for _, text in records]
            for start in range(0, len(texts), embedder.batch_size):
                if stop is not None and stop.is_set():
                    return computed
                batch = texts[start : start + embedder.batch_size]
                computed[kind] += store_vectors(store, embedder, batch)
                if on_batch is not None:
                    on_batch(kind, len(batch))
    return computed


@dataclass(frozen=True, slots=True)
class KindProgress:
    """Records of one kind that have a vector, of all of them (active articles only)."""

    embedded: int
    total: int


@dataclass(frozen=True, slots=True)
class EmbedProgress:
    """What the background embedder has done: ``off`` (not running), ``running`` (records lack vectors, or it is
    looking) or ``done`` (every record had a vector at its last look). ``rate`` is records per second over the
    current pass; ``eta_seconds`` the time left at that rate; ``error`` the last failure while it retries."""

    state: State
    model: str | None = None
    kinds: dict[str, KindProgress] = field(default_factory=dict)
    rate: float | None = None
    eta_seconds: float | None = None
    error: str | None = None

    @property
    def remaining(self) -> int:
        return sum(max(k.total - k.embedded, 0) for k in self.kinds.values())


def claim_embedding(work_dir: Path) -> IO[bytes] | None:
    """An exclusive lock on ``work_dir/embedder.lock`` for this process, or ``None`` when another holds it: of the
    server processes of one ``kb serve`` (``KB_WORKERS``), one embeds. The lock lasts while the file stays open
    (and ends with the process, however it ends)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    handle = (work_dir / "embedder.lock").open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


class BackgroundEmbedder:
    """A daemon thread that embeds what lacks a vector, then looks again every ``poll_seconds`` (new records from
    an ingest); failures are logged and retried with a growing pause, never raised.

    It opens its own store connection (searches keep theirs: on SQLite its writes then never hold their lock) and
    its own one-thread :class:`~kb.embedding.Embedder` (searches keep the other core). Vectors become visible to
    dense retrieval as each batch is stored.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        poll_seconds: float | None = None,
        store_factory: Callable[[], Backend] | None = None,
    ) -> None:
        self.settings = settings
        self.poll_seconds = settings.embed_poll_seconds if poll_seconds is None else poll_seconds
        self._open = store_factory or (lambda: open_store(settings))
        self.embedder = Embedder.from_settings(settings, threads=1)  # the model loads on the first batch
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._progress = EmbedProgress(state="running", model=self.embedder.model_name)
        self._pass_started = 0.0
        self._pass_done = 0
        self._thread = threading.Thread(target=self._run, name="background-embedder", daemon=True)

    # -- control --------------------------------------------------------------------------------
    def start(self) -> BackgroundEmbedder:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> bool:
        """Ask the thread to end after its current batch and wait up to ``timeout`` seconds; whether it ended."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the background embedder did not stop within %.0f s; it ends with the process", timeout)
            return False
        with self._lock:
            self._progress = replace(self._progress, state="off", rate=None, eta_seconds=None)
        return True

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def snapshot(self) -> EmbedProgress:
        """The progress now (a frozen copy; safe from any thread)."""
        with self._lock:
            return self._progress

    # -- the thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        store: Backend | None = None
        pause = 1.0
        try:
            while not self._stop.is_set():
                try:
                    if store is None:
                        store = self._open()
                    more = self._pass(store)
                except Exception as exc:  # the server keeps serving; log it, wait, try again
                    log.warning("background embedding failed (retrying in %.0f s): %s", pause, exc, exc_info=True)
                    with self._lock:
                        self._progress = replace(self._progress, state="running", error=str(exc) or repr(exc))
                    self._stop.wait(pause)
                    pause = min(pause * 2, MAX_BACKOFF)
                    continue
                pause = 1.0
                if not more:
                    self._stop.wait(self.poll_seconds)
        finally:
            if store is not None:
                store.close()

    def _pass(self, store: Backend) -> bool:
        """Embed what is missing now; whether records still lacked vectors at the end (new ones arrived)."""
        self._look(store)
        before = self.snapshot().remaining
        if before == 0:
            return False
        with self._lock:
            self._pass_started, self._pass_done = time.monotonic(), 0
        embed_missing(store, self.embedder, on_batch=self._advance, stop=self._stop)
        self._look(store)
        after = self.snapshot().remaining
        # records that arrived at the very end: go on at once; none stored (the store keeps listing the same
        # records): wait for the next look rather than spin
        return 0 < after < before and not self._stop.is_set()

    def _look(self, store: Backend) -> None:
        coverage = store.embedding_coverage(self.embedder.model_name)
        kinds = {kind: KindProgress(*coverage.get(kind, (0, 0))) for kind in EMBED_KINDS}
        with self._lock:
            done = sum(max(k.total - k.embedded, 0) for k in kinds.values()) == 0
            self._progress = EmbedProgress(
                state="done" if done else "running",
                model=self.embedder.model_name,
                kinds=kinds,
                rate=None if done else self._progress.rate,
                eta_seconds=None if done else self._progress.eta_seconds,
                error=None if done else self._progress.error,  # cleared by a stored batch, or when all are done
            )

    def _advance(self, kind: str, records: int) -> None:
        with self._lock:
            self._pass_done += records
            old = self._progress.kinds.get(kind, KindProgress(0, 0))
            kinds = {**self._progress.kinds, kind: KindProgress(min(old.embedded + records, old.total), old.total)}
            elapsed = time.monotonic() - self._pass_started
            rate = self._pass_done / elapsed if elapsed > 0 else None
            remaining = sum(max(k.total - k.embedded, 0) for k in kinds.values())
            eta = remaining / rate if rate else None
            self._progress = replace(self._progress, kinds=kinds, rate=rate, eta_seconds=eta, error=None)
