"""The index documents both backends store: every field derived from a domain record, computed once.

The embedded store writes these values into its columns and FTS5 tables, the Elasticsearch
backend into its documents; neither derives a field of its own, so both index the same terms,
hashes and orderings. Changing a value here changes both indexes: bump the Elasticsearch
schema (``ES_SCHEMA_VERSION``) and run ``kb reindex``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kb.analysis import analyzed_text, evidence_fields, evidence_text
from kb.codec import to_dict
from kb.domain import Article, ArticleStatus, Evidence
from kb.errors import StoreError

__all__ = [
    "ArticleDoc",
    "EvidenceDoc",
    "article_doc",
    "article_seq",
    "canonical_json",
    "evidence_doc",
    "evidence_seq",
    "first_held",
    "record_json",
    "text_hash",
]


def text_hash(text: str) -> str:
    """Stable hash of a text: the embedding cache key, and the change check of a stored record."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def canonical_json(data: Mapping[str, Any]) -> str:
    """The canonical JSON of a record's dict: the bytes the embedded store keeps, and what is hashed."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def record_json(record: object) -> str:
    """The canonical JSON of a domain record."""
    return canonical_json(to_dict(record))


def first_held(article: Article, held: datetime | None, now: datetime | None = None) -> Article:
    """The article as a store writes it: ``first_ingested`` is when the store first held the PMID (``held``, what
    it holds already), else the one the record brings (a copy from another store), else ``now`` (UTC, seconds).
    A later write of the PMID (a newer version, a deletion) never moves it."""
    first = held or article.first_ingested or now or datetime.now(UTC)
    first = (first.replace(tzinfo=UTC) if first.tzinfo is None else first.astimezone(UTC)).replace(microsecond=0)
    return article if article.first_ingested == first else replace(article, first_ingested=first)


def article_seq(pmid: str) -> int:
    """The PMID as a number: the embedded store's rowid and every backend's article order.

    A PMID that is not a number is refused, by both backends alike.
    """
    if not pmid.isdigit():
        raise StoreError(f"PMID {pmid!r} is not a number")
    return int(pmid)


def evidence_seq(evidence_id: str) -> int:
    """The numeric part of ``civic:EID1234``, every backend's evidence order (then the id); 0 when there is none."""
    tail = evidence_id[9:]
    return int(tail) if tail.isdigit() else 0


@dataclass(frozen=True, slots=True)
class ArticleDoc:
    """The derived fields of an article. A deleted citation keeps its record but leaves every search:
    its concepts and terms are empty."""

    pmid: str
    seq: int  # :func:`article_seq`
    version: int
    status: str
    active: bool
    year: int | None  # the year, else the year of the publication date
    text_hash: str  # of the embedded text (title and abstract)
    first_ingested: str | None  # ISO 8601 in UTC to the second, so its text order is its time order
    concepts: tuple[str, ...]
    title: str  # analyzed terms, space-separated
    abstract: str  # analyzed terms, space-separated


@dataclass(frozen=True, slots=True)
class EvidenceDoc:
    """The derived fields of an evidence item: keyword values, analyzed text and the text hash."""

    id: str
    seq: int  # :func:`evidence_seq`
    gene: str
    alteration: str
    alteration_kind: str
    tumor_code: str | None
    evidence_type: str
    level: str
    rating: int | None
    status: str
    drugs: tuple[str, ...]
    citations: tuple[str, ...]  # PMIDs of the citations that have one
    statement: str  # analyzed terms of the statement
    fields: str  # analyzed terms of gene, variant, disease and drugs
    text_hash: str  # of the embedded text (fields and statement)


def article_doc(article: Article) -> ArticleDoc:
    """The index document of an article; raises :class:`~kb.errors.StoreError` for a PMID that is not a number."""
    active = article.status is ArticleStatus.ACTIVE
    year = article.year if article.year is not None else (article.pub_date.year if article.pub_date else None)
    return ArticleDoc(
        pmid=article.pmid,
        seq=article_seq(article.pmid),
        version=article.version,
        status=article.status.value,
        active=active,
        year=year,
        text_hash=text_hash(article.text),
        first_ingested=article.first_ingested.isoformat() if article.first_ingested else None,
        concepts=tuple(article.concepts) if active else (),
        title=analyzed_text(article.title) if active else "",
        abstract=analyzed_text(article.abstract) if active else "",
    )


def evidence_doc(item: Evidence) -> EvidenceDoc:
    """The index document of an evidence item."""
    return EvidenceDoc(
        id=item.id,
        seq=evidence_seq(item.id),
        gene=item.gene,
        alteration=item.alteration.id,
        alteration_kind=item.alteration.kind.value,
        tumor_code=item.tumor_code,
        evidence_type=item.evidence_type.value,
        level=item.level.value,
        rating=item.rating,
        status=item.status.value,
        drugs=tuple(item.drugs),
        citations=tuple(c.pmid for c in item.citations if c.pmid),
        statement=analyzed_text(item.statement),
        fields=analyzed_text(evidence_fields(item)),
        text_hash=text_hash(evidence_text(item)),
    )
