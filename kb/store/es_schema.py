"""Elasticsearch mappings and the documents built from domain records.

Text arrives already analyzed by :mod:`kb.analysis` (the ``whitespace`` analyzer
only splits it), so both backends index the same terms and no analysis plugin is
needed. Concept ids are ``keyword`` fields; vectors are a ``dense_vector`` with an
HNSW index. The full record is kept in ``record`` (not indexed), so a reindex can
rebuild every derived field from it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from kb.analysis import analyzed_text, evidence_fields, evidence_text
from kb.codec import from_dict, to_dict
from kb.domain import Article, ArticleStatus, Drug, Evidence, Gene, TestItem, TumorType
from kb.store.sqlite import text_hash

__all__ = [
    "ES_SCHEMA_VERSION",
    "KINDS",
    "RECORD_TYPES",
    "build_doc",
    "decode",
    "evidence_seq",
    "index_body",
]

#: Bumped when a mapping or a derived field changes; an older index asks for ``kb reindex``.
ES_SCHEMA_VERSION = 1

#: The record kinds, each an alias over versioned indices (``<prefix>-<kind>`` → ``<prefix>-<kind>-v<n>``).
KINDS = ("genes", "tumors", "drugs", "evidence", "tests", "articles", "embeddings")

RECORD_TYPES: dict[str, type] = {
    "genes": Gene,
    "tumors": TumorType,
    "drugs": Drug,
    "evidence": Evidence,
    "tests": TestItem,
    "articles": Article,
}

_KEYWORD = {"type": "keyword"}
_TERMS = {"type": "text", "analyzer": "whitespace", "index_options": "freqs"}
_RECORD = {"type": "object", "enabled": False}
_STORED = {"type": "keyword", "index": False, "doc_values": False}


def _vector(index_type: str) -> dict[str, Any]:
    # dims are taken from the first vector, so the model stays a setting
    return {"type": "dense_vector", "index": True, "similarity": "cosine", "index_options": {"type": index_type}}


def _properties(kind: str, vector_index: str) -> dict[str, Any]:
    common = {"key": _KEYWORD, "hash": _STORED, "record": _RECORD}
    if kind == "genes":
        return {**common, "hgnc_id": _KEYWORD}
    if kind == "tumors":
        return {**common, "parent": _KEYWORD}
    if kind == "drugs":
        return common
    if kind == "tests":
        return {**common, "published": {"type": "boolean"}, "genes": _KEYWORD}
    if kind == "evidence":
        return {
            **common,
            "seq": {"type": "long"},
            **{f: _KEYWORD for f in ("gene", "alteration", "alteration_kind", "tumor_code", "evidence_type")},
            **{f: _KEYWORD for f in ("level", "status", "drugs", "citations", "text_hash", "vector_model")},
            "rating": {"type": "integer"},
            "statement": _TERMS,
            "fields": _TERMS,
            "vector": _vector(vector_index),
        }
    if kind == "articles":
        return {
            **common,
            "seq": {"type": "long"},
            "version": {"type": "integer"},
            "status": _KEYWORD,
            "year": {"type": "integer"},
            "text_hash": _KEYWORD,
            "concepts": _KEYWORD,
            "title": _TERMS,
            "abstract": _TERMS,
            "vector": _vector(vector_index),
            "vector_model": _KEYWORD,
        }
    if kind == "embeddings":
        return {"model": _KEYWORD, "text_hash": _KEYWORD, "dim": {"type": "integer"}, "vector": {"type": "binary"}}
    raise ValueError(f"unknown kind {kind!r}")


def index_body(kind: str, *, shards: int, replicas: int, vector_index: str) -> dict[str, Any]:
    """Settings and mappings of a new versioned index of ``kind``."""
    return {
        "settings": {"index": {"number_of_shards": shards, "number_of_replicas": replicas}},
        "mappings": {
            "dynamic": "strict",
            "_meta": {"schema": ES_SCHEMA_VERSION, "kind": kind},
            "properties": _properties(kind, vector_index),
        },
    }


def evidence_seq(evidence_id: str) -> int:
    """The numeric part of ``civic:EID1234`` (the embedded store orders evidence by it)."""
    tail = evidence_id[9:]
    return int(tail) if tail.isdigit() else 0


def _base(key: str, record: object) -> dict[str, Any]:
    """The key, the record and the hash of its canonical JSON (the bytes the embedded store keeps)."""
    data = to_dict(record)
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return {"key": key, "hash": hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32], "record": data}


def _gene(g: Gene) -> dict[str, Any]:
    return {**_base(g.symbol, g), "hgnc_id": g.hgnc_id}


def _tumor(t: TumorType) -> dict[str, Any]:
    return {**_base(t.code, t), "parent": t.parent}


def _drug(d: Drug) -> dict[str, Any]:
    return _base(d.inn, d)


def _test(t: TestItem) -> dict[str, Any]:
    return {**_base(t.id, t), "published": t.published, "genes": list(t.genes)}


def _evidence(e: Evidence) -> dict[str, Any]:
    return {
        **_base(e.id, e),
        "seq": evidence_seq(e.id),
        "gene": e.gene,
        "alteration": e.alteration.id,
        "alteration_kind": e.alteration.kind.value,
        "tumor_code": e.tumor_code,
        "evidence_type": e.evidence_type.value,
        "level": e.level.value,
        "rating": e.rating,
        "status": e.status.value,
        "drugs": list(e.drugs),
        "citations": [c.pmid for c in e.citations if c.pmid],
        "statement": analyzed_text(e.statement),
        "fields": analyzed_text(evidence_fields(e)),
        "text_hash": text_hash(evidence_text(e)),
    }


def _article(a: Article) -> dict[str, Any]:
    active = a.status is ArticleStatus.ACTIVE
    year = a.year if a.year is not None else (a.pub_date.year if a.pub_date else None)
    return {
        **_base(a.pmid, a),
        "seq": int(a.pmid) if a.pmid.isdigit() else 0,
        "version": a.version,
        "status": a.status.value,
        "year": year,
        "text_hash": text_hash(a.text),
        # a deleted citation keeps its record but leaves every search
        "concepts": list(a.concepts) if active else [],
        "title": analyzed_text(a.title) if active else "",
        "abstract": analyzed_text(a.abstract) if active else "",
    }


_BUILDERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    Gene: _gene,
    TumorType: _tumor,
    Drug: _drug,
    TestItem: _test,
    Evidence: _evidence,
    Article: _article,
}


def build_doc(record: object) -> dict[str, Any]:
    """The document of a domain record (vectors are attached separately)."""
    return _BUILDERS[type(record)](record)


def decode(kind: str, source: Mapping[str, Any]) -> Any:
    """The domain record kept in a document's ``record`` field."""
    return from_dict(RECORD_TYPES[kind], source["record"])
