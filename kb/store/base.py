"""The storage boundary: one Protocol, implemented by the embedded SQLite store
(and, later, by the Elasticsearch backend)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from kb.domain import Article, Drug, Evidence, Gene, TestItem, TumorType

__all__ = ["Store", "UpsertResult"]


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one batch upsert did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0  # same record (or an older version) already stored

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


@runtime_checkable
class Store(Protocol):
    """Everything ingestion and the services need from a store.

    Every ``upsert_*`` is idempotent, keyed by the record's stable id, and
    atomic per call: a batch is stored whole or not at all.
    """

    def upsert_genes(self, genes: Sequence[Gene]) -> UpsertResult: ...
    def upsert_tumors(self, tumors: Sequence[TumorType]) -> UpsertResult: ...
    def upsert_drugs(self, drugs: Sequence[Drug]) -> UpsertResult: ...
    def upsert_evidence(self, items: Sequence[Evidence]) -> UpsertResult: ...
    def upsert_tests(self, items: Sequence[TestItem]) -> UpsertResult: ...

    def upsert_articles(self, articles: Sequence[Article]) -> UpsertResult:
        """Store articles; a PMID's newer (or equal) version replaces the stored one, an older one is ignored."""
        ...

    def delete_articles(self, pmids: Sequence[str]) -> list[str]:
        """Mark citations deleted; returns the PMIDs that were not known."""
        ...

    def iter_genes(self) -> Iterator[Gene]: ...
    def iter_tumors(self) -> Iterator[TumorType]: ...
    def iter_drugs(self) -> Iterator[Drug]: ...
    def iter_evidence(self) -> Iterator[Evidence]: ...
    def iter_tests(self) -> Iterator[TestItem]: ...

    def get_article(self, pmid: str) -> Article | None: ...
    def get_evidence(self, evidence_id: str) -> Evidence | None: ...

    def cached_embeddings(self, model: str, text_hashes: Iterable[str]) -> dict[str, bytes]:
        """Stored vectors (float16 bytes) for these text hashes."""
        ...

    def put_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        """Cache vectors by (model, text hash); articles find theirs through their text hash."""
        ...

    def articles_missing_embeddings(self, model: str, limit: int) -> list[Article]:
        """Active articles whose text has no vector for ``model`` yet."""
        ...

    def get_checkpoint(self, job: str) -> str | None: ...
    def set_checkpoint(self, job: str, value: str | None) -> None: ...

    def stats(self) -> dict[str, int]:
        """Counts per entity (active articles only)."""
        ...

    def data_version(self) -> str: ...
    def close(self) -> None: ...
