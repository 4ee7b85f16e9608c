"""The storage and search boundary: one Protocol, :class:`Backend`, implemented by the
embedded SQLite store and by the Elasticsearch store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from kb.domain import Article, Biomarker, Drug, Evidence, Gene, TestItem, TumorType

__all__ = [
    "VERSION_TTL",
    "ArticleFilter",
    "ArticleHits",
    "ArticleQuery",
    "Backend",
    "EvidenceCache",
    "EvidenceFilter",
    "EvidenceHits",
    "EvidenceQuery",
    "Scored",
    "UpsertResult",
]

R = TypeVar("R")

#: Seconds a backend reuses a data version it read: a search asks for it several times; another process's
#: writes show within that time, a store's own writes at once.
VERSION_TTL = 0.5


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


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Filters on articles; ``None`` means no bound."""

    year_from: int | None = None
    year_to: int | None = None


@dataclass(frozen=True, slots=True)
class EvidenceFilter:
    """Filters on evidence; an empty tuple means any. ``tumors`` are already expanded to descendants."""

    types: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    tumors: tuple[str, ...] = ()


Scored = list[tuple[str, float]]


@dataclass(frozen=True, slots=True)
class EvidenceQuery:
    """Everything one search retrieves of evidence, asked of the backend at once: BM25 over ``terms``,
    the kNN of ``vector`` (none without one) and the items of any of ``genes``, ``tumors`` or ``drugs``."""

    terms: tuple[str, ...]
    filters: EvidenceFilter
    limit: int
    model: str = ""
    vector: tuple[float, ...] | None = None
    genes: tuple[str, ...] = ()
    tumors: tuple[str, ...] = ()
    drugs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EvidenceHits:
    lexical: Scored
    dense: Scored
    matching: list[Evidence]  # in the order every backend gives (kb.store.documents)


@dataclass(frozen=True, slots=True)
class ArticleQuery:
    """Everything one search retrieves of articles at once: BM25 over ``terms``, the kNN of ``vector`` and,
    for each set in ``concepts``, the articles tagged with any of its ids (:meth:`Backend.articles_with_concepts`)."""

    terms: tuple[str, ...]
    filters: ArticleFilter
    limit: int
    model: str = ""
    vector: tuple[float, ...] | None = None
    concepts: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleHits:
    lexical: Scored
    dense: Scored
    tagged: list[dict[str, tuple[str, ...]]]  # one per set of ArticleQuery.concepts, in order


class EvidenceCache:
    """Evidence decoded once per data version: the curated table is small enough to keep."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._items: dict[str, Evidence] = {}

    def get(
        self, version: str, ids: Sequence[str], fetch: Callable[[list[str]], Iterable[Evidence]]
    ) -> dict[str, Evidence]:
        """The items of ``ids`` that exist; ``fetch`` loads the ones not cached for ``version``."""
        if version != self._version:
            self._items = {}
            self._version = version
        missing = [i for i in dict.fromkeys(ids) if i not in self._items]
        for start in range(0, len(missing), 500):
            self._items.update((e.id, e) for e in fetch(missing[start : start + 500]))
        return {i: self._items[i] for i in ids if i in self._items}


@runtime_checkable
class Backend(Protocol):
    """Everything ingestion, the services and search need from a storage and search backend.

    Records: every ``upsert_*`` is idempotent, keyed by the record's stable id, and
    atomic per call: a batch is stored whole or not at all.

    Retrieval: primitives every backend provides over the same analyzed terms and vectors
    (the derived fields of :mod:`kb.store.documents`). Scores are "higher is better";
    ranking and fusion happen in :mod:`kb.ranking`.
    """

    # -- records ------------------------------------------------------------------------------------
    def upsert_genes(self, genes: Sequence[Gene]) -> UpsertResult: ...
    def upsert_tumors(self, tumors: Sequence[TumorType]) -> UpsertResult: ...
    def upsert_drugs(self, drugs: Sequence[Drug]) -> UpsertResult: ...
    def upsert_evidence(self, items: Sequence[Evidence]) -> UpsertResult: ...
    def upsert_tests(self, items: Sequence[TestItem]) -> UpsertResult: ...
    def upsert_biomarkers(self, biomarkers: Sequence[Biomarker]) -> UpsertResult: ...

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
    def iter_biomarkers(self) -> Iterator[Biomarker]: ...
    def iter_articles(self, *, active_only: bool = True) -> Iterator[Article]: ...

    def get_article(self, pmid: str) -> Article | None: ...
    def get_evidence(self, evidence_id: str) -> Evidence | None: ...

    def cached_embeddings(self, model: str, text_hashes: Iterable[str]) -> dict[str, bytes]:
        """Stored vectors (float16 bytes) for these text hashes."""
        ...

    def put_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        """Cache vectors by (model, text hash); articles find theirs through their text hash."""
        ...

    def articles_missing_embeddings(self, model: str, limit: int, *, newest_first: bool = False) -> list[Article]:
        """Active articles whose text has no vector for ``model`` yet, by PMID; ``newest_first`` orders them by
        year, then PMID, descending (articles without a year last): the background embedder's order."""
        ...

    def embedding_coverage(self, model: str) -> dict[str, tuple[int, int]]:
        """Per kind (``evidence``, ``articles``: the active ones), how many records have a vector for ``model``
        and how many there are."""
        ...

    def evidence_missing_embeddings(self, model: str, limit: int) -> list[Evidence]:
        """Evidence items whose text has no vector for ``model`` yet."""
        ...

    def upsert_records(self, plural: str, records: Sequence[Any]) -> UpsertResult:
        """Upsert records of a kind kept whole and read whole (regulatory, guideline, reading_list), keyed by ``id``."""
        ...

    def iter_records(self, plural: str, cls: type[R]) -> Iterator[R]:
        """Every record of such a kind (see :meth:`upsert_records`), as ``cls``, in key order."""
        ...

    def get_checkpoint(self, job: str) -> str | None: ...
    def set_checkpoint(self, job: str, value: str | None) -> None: ...

    def stats(self) -> dict[str, int]:
        """Counts per entity (active articles only)."""
        ...

    def reindex(self, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Rebuild the search indexes from the stored records with the current analysis and mappings,
        swapping atomically when done (searches use the old ones until then); counts per kind."""
        ...

    def data_version(self) -> str: ...
    def close(self) -> None: ...

    # -- retrieval ----------------------------------------------------------------------------------
    def bm25_articles(self, terms: Sequence[str], *, limit: int, filters: ArticleFilter) -> Scored: ...
    def bm25_evidence(
        self, terms: Sequence[str], *, limit: int, filters: EvidenceFilter, statement_only: bool = False
    ) -> Scored:
        """BM25 over the statement and the structured fields (or the statement alone)."""
        ...

    def knn_articles(self, model: str, vector: Sequence[float], *, limit: int, filters: ArticleFilter) -> Scored: ...
    def knn_evidence(self, model: str, vector: Sequence[float], *, limit: int, filters: EvidenceFilter) -> Scored: ...
    def articles_with_concepts(
        self, concepts: Sequence[str], *, limit: int, filters: ArticleFilter
    ) -> dict[str, tuple[str, ...]]:
        """PMIDs tagged with any of ``concepts``, with the ones each carries."""
        ...

    def evidence_matching(
        self, *, genes: Sequence[str], tumors: Sequence[str], drugs: Sequence[str], filters: EvidenceFilter
    ) -> list[Evidence]:
        """Evidence of any of these genes, tumors or drugs (the candidates of concept ranking)."""
        ...

    def retrieve_evidence(self, query: EvidenceQuery) -> EvidenceHits:
        """BM25, kNN and concept candidates of evidence in one call (one SQL pass, one ``_msearch``): the
        same answers as :meth:`bm25_evidence`, :meth:`knn_evidence` and :meth:`evidence_matching`."""
        ...

    def retrieve_articles(self, query: ArticleQuery) -> ArticleHits:
        """BM25, kNN and concept lookups of articles in one call: the same answers as :meth:`bm25_articles`,
        :meth:`knn_articles` and :meth:`articles_with_concepts` for each set."""
        ...

    def retrieve(self, evidence: EvidenceQuery, articles: ArticleQuery) -> tuple[EvidenceHits, ArticleHits]:
        """:meth:`retrieve_evidence` and :meth:`retrieve_articles` together (one ``_msearch`` on Elasticsearch)."""
        ...

    def article_vectors(self, model: str, pmids: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors (float16 bytes) of these articles, by PMID."""
        ...

    def concepts_of(self, pmids: Sequence[str], concepts: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Which of ``concepts`` each of these active articles carries (sorted; articles with none left out)."""
        ...

    def get_articles(self, pmids: Sequence[str]) -> dict[str, Article]: ...
    def newest_articles(self, concepts: Sequence[str], *, limit: int) -> list[Article]:
        """Active articles tagged with any of ``concepts``, the ones the store first held most recently first
        (``Article.first_ingested``; then the highest PMID): the articles of "new for you"."""
        ...

    def held_articles(self, pmids: Sequence[str]) -> set[str]:
        """Which of these PMIDs the store holds (as :meth:`get_articles` finds them), without reading records."""
        ...

    def get_evidence_many(self, ids: Sequence[str]) -> dict[str, Evidence]: ...
