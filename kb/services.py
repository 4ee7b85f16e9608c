"""The services an app or command needs, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from kb.editorial import Editorial
from kb.editorial.accounts import Accounts, RateLimiter
from kb.editorial.db import Database
from kb.editorial.follows import Follows
from kb.editorial.webhooks import WebhookDispatcher
from kb.embedding import Embedder
from kb.entities import Entities
from kb.highlight import Highlighter
from kb.query import QueryIndex, build_query_index
from kb.search import SearchService
from kb.settings import Settings
from kb.store import Store, open_store
from kb.suggest import Suggester
from kb.tagging import build_tagger
from kb.vocab import Vocabularies, vocabularies_from_store

__all__ = ["EditorialServices", "Services", "build_editorial", "build_services"]


@dataclass
class Services:
    settings: Settings
    store: Store
    vocab: Vocabularies
    index: QueryIndex
    search: SearchService
    suggester: Suggester
    entities: Entities
    highlighter: Highlighter

    def close(self) -> None:
        self.store.close()

    def reload(self) -> None:
        """Rebuild the vocabularies and indexes from the store (after a vocabulary entry is published)."""
        fresh = build_services(self.settings, embed=self.search.embedder is not None, store=self.store)
        fresh.search.embedder = self.search.embedder
        self.vocab, self.index, self.search = fresh.vocab, fresh.index, fresh.search
        self.suggester, self.entities, self.highlighter = fresh.suggester, fresh.entities, fresh.highlighter


@dataclass
class EditorialServices:
    """Accounts, the workflow, follows and webhook delivery over the editorial database."""

    db: Database
    accounts: Accounts
    editorial: Editorial
    follows: Follows
    webhooks: WebhookDispatcher
    limiter: RateLimiter

    def close(self) -> None:
        self.webhooks.stop()
        self.db.close()


def build_editorial(settings: Settings, services: Services, *, deliver: bool = True) -> EditorialServices:
    """Open (and migrate) the editorial database; with ``deliver`` webhooks go out from a background thread."""
    db = Database(settings.db_url)
    db.upgrade()

    def current(kind: str, key: str) -> object | None:
        vocab = services.vocab
        if kind == "evidence":
            return services.store.get_evidence(key)
        if kind == "test":
            return next((t for t in services.store.iter_tests() if t.id == key), None)
        if kind == "gene":
            return vocab.genes.genes.get(key)
        if kind == "tumor":
            return vocab.tumors.nodes.get(key)
        return vocab.drugs.drugs.get(key)

    dispatcher = WebhookDispatcher(db, max_attempts=settings.webhook_max_attempts)
    if deliver:
        dispatcher.start()
    return EditorialServices(
        db=db,
        accounts=Accounts(db, settings),
        editorial=Editorial(db, services.store, current),
        follows=Follows(db, retention_days=settings.search_log_days),
        webhooks=dispatcher,
        limiter=RateLimiter(),
    )


def build_services(settings: Settings, *, embed: bool = True, store: Store | None = None) -> Services:
    """Open the store and build vocabularies, the query index and the search service.

    With ``embed=False`` search runs without dense retrieval (BM25 and concepts only).
    """
    kb_store = store if store is not None else open_store(settings)
    vocab = vocabularies_from_store(kb_store)
    evidence = list(kb_store.iter_evidence())
    index = build_query_index(vocab, evidence)
    # one thread per query encoding: on 2 shared cores, torch's thread pool otherwise stalls (25x slower)
    embedder = Embedder(settings.embed_model, batch_size=settings.embed_batch_size, threads=1) if embed else None
    prominent = {f"gene:{e.gene}" for e in evidence}
    return Services(
        settings=settings,
        store=kb_store,
        vocab=vocab,
        index=index,
        search=SearchService(kb_store, index, embedder=embedder),
        suggester=Suggester(vocab, prominent=prominent),
        entities=Entities(kb_store, vocab, dict(index.drug_targets)),
        highlighter=Highlighter(lambda: build_tagger(vocab)),
    )
