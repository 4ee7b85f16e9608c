"""The services an app or command needs, built once from the settings, and refreshed in
place when published records change what they were built from (see :mod:`kb.kinds`)."""

from __future__ import annotations

import copy
import gc
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from threadpoolctl import threadpool_limits

from kb.annotate import Annotator, GeneEvidence
from kb.domain import Biomarker, Drug, Evidence, Gene, TumorType
from kb.editorial import Editorial
from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.editorial.feeds import Feeds
from kb.editorial.follows import Follows
from kb.editorial.limits import RateLimiter
from kb.editorial.webhooks import WebhookDispatcher
from kb.embedding import Embedder
from kb.entities import Entities
from kb.genomic import load_genomic_index
from kb.highlight import Highlighter
from kb.kinds import KINDS, Refresh
from kb.query import QueryIndex, build_query_index, relink_query_index
from kb.query.patch import patch_query_index
from kb.regulatory import Guidance
from kb.search import SearchService
from kb.settings import Settings
from kb.store import Backend, open_store
from kb.suggest import Suggester
from kb.tagging import build_tagger
from kb.vocab import Vocabularies, vocabularies_from_store

__all__ = ["EditorialServices", "Services", "build_editorial", "build_services", "migrate"]

log = logging.getLogger("kb.services")


@dataclass
class Services:
    settings: Settings
    store: Backend
    vocab: Vocabularies
    index: QueryIndex
    search: SearchService
    suggester: Suggester
    entities: Entities
    highlighter: Highlighter
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _gene_evidence: GeneEvidence | None = field(default=None, repr=False)  # annotation's cache (kb.annotate)
    _prominent: set[str] = field(default_factory=set, repr=False)  # genes with evidence, first in autocomplete
    _generation: int = field(default=0, repr=False)  # bumped by each patch or rebuild: a slower rebuild is stale
    _stale: bool = field(default=False, repr=False)  # a background rebuild is asked for
    _rebuilder: threading.Thread | None = field(default=None, repr=False)

    def close(self) -> None:
        with self._lock:
            self._stale, rebuilder = False, self._rebuilder
        if rebuilder is not None:  # the store it reads is closed next
            rebuilder.join()
        self.store.close()

    def refresh(self, what: Refresh) -> None:
        """Bring the services up to date with the store after records were published.

        Vocabulary changes rebuild everything built from names; evidence changes rebuild the
        evidence-derived query index (drug targets, variant genes) on the same vocabularies;
        catalogue changes re-read the test items only, regulatory and guideline changes their records only.
        """
        if what is Refresh.NOTHING:
            return
        with self._lock:
            self._generation += 1  # a background rebuild that read the store before this is stale
            self._gene_evidence = None  # published evidence: batches read each gene's afresh
            if Refresh.VOCABULARY in what:
                self._rebuild(vocabularies_from_store(self.store))
            else:
                if Refresh.EVIDENCE in what:
                    self._relink(list(self.store.iter_evidence()))
                if Refresh.CATALOGUE in what:
                    self.search.catalogue = list(self.store.iter_tests())
                if Refresh.GUIDANCE in what:
                    self.search.guidance = Guidance.from_store(self.store, self.vocab)

    def apply(self, kind: str, record: object) -> bool:
        """Make one published record of a vocabulary kind (gene, tumor, drug, biomarker) live at once, before
        the accept answers: its names in the vocabularies, the query index (:func:`kb.query.patch_query_index`),
        autocomplete and the entity pages; then rebuild everything exactly in the background
        (:meth:`rebuild_in_background`). Whether it did: other kinds are refreshed by :meth:`refresh`."""
        if KINDS[kind].refresh is not Refresh.VOCABULARY or not isinstance(record, Gene | TumorType | Drug | Biomarker):
            return False
        with self._lock:
            index = patch_query_index(self.index, record)
            self._generation += 1
            search = copy.copy(self.search)  # a search under way keeps the one it started with, whole
            search.index = index  # (the copy shares the turns, the vector cache and the catalogue)
            self.vocab, self.index, self.search = index.vocab, index, search
            self.suggester = Suggester(index.vocab, prominent=self._prominent)
            self.entities = Entities(self.store, index.vocab, dict(index.drug_targets), index.biomarker_evidence)
        self.rebuild_in_background()
        return True

    def rebuild_in_background(self) -> None:
        """Rebuild the vocabularies and all built from them in a thread and swap them in when done, unless a
        record was applied meanwhile (then again); several requests while it runs make one more rebuild."""
        with self._lock:
            self._stale = True
            if self._rebuilder is not None:
                return
            self._rebuilder = threading.Thread(target=self._rebuild_loop, name="services-rebuild", daemon=True)
            self._rebuilder.start()

    @property
    def rebuilding(self) -> bool:
        """Whether a background rebuild is running or asked for."""
        return self._rebuilder is not None

    def _rebuild_loop(self) -> None:
        while True:
            with self._lock:
                if not self._stale:
                    self._rebuilder = None
                    return
                self._stale, generation = False, self._generation
            try:
                vocab = vocabularies_from_store(self.store)
                built = _built_from(self.store, vocab, self.search.embedder, self.settings.search_concurrency)
                _ = built.highlighter.tagger  # built here, not by the first request that highlights
            except Exception:  # the patched services stay; the next accept asks again
                log.exception("rebuilding the services in the background failed")
                continue
            with self._lock:
                if generation == self._generation:
                    self._swap(vocab, built)
                else:
                    self._stale = True  # a record was applied while this one was built

    def annotator(self) -> Annotator:
        """A batch annotator over the current store, query index and catalogue (one per batch: it caches);
        genomic changes map by the CIViC variant summaries in ``KB_DATA_DIR/civic``."""
        genomic = load_genomic_index((self.settings.data_dir / "civic").resolve())
        genes = self._gene_evidence
        if genes is None or genes.store is not self.store:
            genes = self._gene_evidence = GeneEvidence(self.store)
        return Annotator(self.store, self.index, self.search.catalogue, genomic=genomic, genes=genes)

    def exists(self, kind: str, key: str) -> bool:
        """Whether the running services know the record ``key`` of ``kind`` (see :mod:`kb.kinds`)."""
        return KINDS[kind].find(self.store, self.vocab, key) is not None

    def _relink(self, evidence: Sequence[Evidence]) -> None:
        """The evidence-derived links (drug targets, variant genes, fusion counts) on the same surface
        forms; a new name an evidence item brings (a fusion partner) is learnt at the next full rebuild."""
        index = relink_query_index(self.index, evidence)
        self.index = index
        self.search.index = index
        self.entities.drug_targets = dict(index.drug_targets)
        self.entities.biomarker_evidence = dict(index.biomarker_evidence)

    def _rebuild(self, vocab: Vocabularies) -> None:
        self._swap(vocab, _built_from(self.store, vocab, self.search.embedder, self.settings.search_concurrency))

    def _swap(self, vocab: Vocabularies, built: _Built) -> None:
        self._generation += 1
        self.vocab, self.index, self.search, self._prominent = vocab, built.index, built.search, built.prominent
        self.suggester, self.entities, self.highlighter = built.suggester, built.entities, built.highlighter
        gc.freeze()  # long-lived, like the first ones (api.app._warm_up): out of the cyclic collector's full passes


@dataclass(frozen=True, slots=True)
class _Built:
    """What is built from the vocabularies and the evidence (at start-up and after a vocabulary change)."""

    index: QueryIndex
    search: SearchService
    suggester: Suggester
    entities: Entities
    highlighter: Highlighter
    prominent: set[str]


def _built_from(store: Backend, vocab: Vocabularies, embedder: Embedder | None, concurrency: int) -> _Built:
    evidence = list(store.iter_evidence())
    index = build_query_index(vocab, evidence)
    return _Built(
        index=index,
        search=SearchService(store, index, embedder=embedder, concurrency=concurrency),
        suggester=Suggester(vocab, prominent=_prominent(evidence)),
        entities=Entities(store, vocab, dict(index.drug_targets), index.biomarker_evidence),
        highlighter=Highlighter(lambda: build_tagger(vocab)),
        prominent=_prominent(evidence),
    )


def _prominent(evidence: Sequence[Evidence]) -> set[str]:
    return {f"gene:{e.gene}" for e in evidence if e.gene}


@dataclass
class EditorialServices:
    """Accounts, the workflow, follows and webhook delivery over the editorial database."""

    db: Database
    accounts: Accounts
    editorial: Editorial
    follows: Follows
    feeds: Feeds
    webhooks: WebhookDispatcher
    limiter: RateLimiter

    def close(self) -> None:
        self.webhooks.stop()
        self.follows.close()
        self.db.close()


def migrate(settings: Settings) -> None:
    """Bring the store and the editorial database to this code's schema, once: done before the server processes of
    ``KB_WORKERS`` start, which would otherwise migrate a new database side by side."""
    open_store(settings).close()
    db = Database(settings.db_url)
    try:
        db.upgrade()
    finally:
        db.close()


def build_editorial(settings: Settings, services: Services, *, deliver: bool = True) -> EditorialServices:
    """Open (and migrate) the editorial database. Accepted entries are applied to the store after
    their commit and the services refresh what the kind asks for; with ``deliver`` a background
    thread retries entries whose store write failed and delivers webhooks."""
    db = Database(settings.db_url)
    db.upgrade()
    editorial = Editorial(
        db,
        services.store,
        lambda: services.vocab,
        on_published=services.refresh,
        on_applied=services.apply,
        max_data_bytes=settings.submission_max_bytes,
    )
    dispatcher = WebhookDispatcher(
        db,
        max_attempts=settings.webhook_max_attempts,
        allow_loopback=settings.webhook_allow_loopback,
        before_round=editorial.publisher.try_apply_pending,
    )
    if deliver:
        dispatcher.start()
    follows = Follows(
        db,
        retention_days=settings.search_log_days,
        gap_min_doctors=settings.gap_min_doctors,
        max_follows=settings.max_follows,
    )
    follows.purge_expired()  # a retention shortened since the last start holds at once
    return EditorialServices(
        db=db,
        accounts=Accounts(db, settings),
        editorial=editorial,
        follows=follows,
        feeds=Feeds(db, follows),
        webhooks=dispatcher,
        limiter=RateLimiter(db),
    )


def build_services(settings: Settings, *, embed: bool = True, store: Backend | None = None) -> Services:
    """Open the store and build vocabularies, the query index and the search service.

    With ``embed=False`` search runs without dense retrieval (BM25 and concepts only).
    """
    # one BLAS/OpenMP thread per query: concurrent searches are the parallelism, and OpenBLAS's own threads spin on
    # 2 shared cores (the kNN's 3,657 x 384 product took 11 ms instead of 0.3 ms, docs/search.md "Retrieval")
    threadpool_limits(limits=1)
    kb_store = store if store is not None else open_store(settings)
    vocab = vocabularies_from_store(kb_store)
    # one thread per query encoding: on 2 shared cores, torch's thread pool otherwise stalls (25x slower)
    embedder = Embedder.from_settings(settings, threads=1) if embed else None
    built = _built_from(kb_store, vocab, embedder, settings.search_concurrency)
    return Services(
        _prominent=built.prominent,
        settings=settings,
        store=kb_store,
        vocab=vocab,
        index=built.index,
        search=built.search,
        suggester=built.suggester,
        entities=built.entities,
        highlighter=built.highlighter,
    )
