"""The services an app or command needs, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from kb.embedding import Embedder
from kb.entities import Entities
from kb.query import QueryIndex, build_query_index
from kb.search import SearchService
from kb.settings import Settings
from kb.store import Store, open_store
from kb.suggest import Suggester
from kb.vocab import Vocabularies, vocabularies_from_store

__all__ = ["Services", "build_services"]


@dataclass
class Services:
    settings: Settings
    store: Store
    vocab: Vocabularies
    index: QueryIndex
    search: SearchService
    suggester: Suggester
    entities: Entities

    def close(self) -> None:
        self.store.close()


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
    )
