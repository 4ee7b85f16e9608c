"""Elasticsearch mappings, and the documents built from domain records.

Every derived field comes from :mod:`kb.store.documents`, as in the embedded store. Text
arrives already analyzed by :mod:`kb.analysis` (the ``whitespace`` analyzer only splits
it), so both backends index the same terms and no analysis plugin is needed. Concept ids
are ``keyword`` fields; vectors are a ``dense_vector`` with an HNSW index. The full record
is kept in ``record`` (not indexed), so a reindex can rebuild every derived field from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kb.codec import from_dict, to_dict
from kb.domain import Article, Evidence
from kb.kinds import KINDS as RECORD_KINDS
from kb.store.documents import article_doc, canonical_json, evidence_doc, text_hash

__all__ = [
    "ES_SCHEMA_VERSION",
    "KINDS",
    "RECORD_TYPES",
    "build_doc",
    "decode",
    "index_body",
]

#: Bumped when a mapping or a derived field changes; an older index asks for ``kb reindex``.
ES_SCHEMA_VERSION = 1

#: The record kinds of :mod:`kb.kinds`, each an alias over versioned indices
#: (``<prefix>-<kind>`` → ``<prefix>-<kind>-v<n>``), and the embeddings cache.
KINDS = (*(k.plural for k in RECORD_KINDS.values()), "embeddings")

RECORD_TYPES: dict[str, type] = {k.plural: k.type for k in RECORD_KINDS.values()}
_BY_TYPE = {k.type: k for k in RECORD_KINDS.values()}

_KEYWORD = {"type": "keyword"}
_TERMS = {"type": "text", "analyzer": "whitespace", "index_options": "freqs"}
_RECORD = {"type": "object", "enabled": False}
_STORED = {"type": "keyword", "index": False, "doc_values": False}


def _vector(index_type: str) -> dict[str, Any]:
    # dims are taken from the first vector, so the model stays a setting
    return {"type": "dense_vector", "index": True, "similarity": "cosine", "index_options": {"type": index_type}}


def _properties(kind: str, vector_index: str) -> dict[str, Any]:
    if kind == "embeddings":
        return {"model": _KEYWORD, "text_hash": _KEYWORD, "dim": {"type": "integer"}, "vector": {"type": "binary"}}
    if kind not in _MAPPINGS:
        raise ValueError(f"unknown kind {kind!r}")
    return {"key": _KEYWORD, "hash": _STORED, "record": _RECORD, **_MAPPINGS[kind](vector_index)}


#: The indexed fields of each record kind beside ``key``, ``hash`` and ``record``.
_MAPPINGS: dict[str, Callable[[str], dict[str, Any]]] = {
    "genes": lambda _: {"hgnc_id": _KEYWORD},
    "tumors": lambda _: {"parent": _KEYWORD},
    "drugs": lambda _: {},
    "tests": lambda _: {"published": {"type": "boolean"}, "genes": _KEYWORD},
    "biomarkers": lambda _: {"genes": _KEYWORD, "group": _KEYWORD},
    "regulatory": lambda _: {"drug": _KEYWORD},
    "guidelines": lambda _: {"evidence": _KEYWORD},
    "reading_lists": lambda _: {"topics": _KEYWORD},
    "evidence": lambda vector_index: {
        "seq": {"type": "long"},
        **{f: _KEYWORD for f in ("gene", "alteration", "alteration_kind", "tumor_code", "evidence_type")},
        **{f: _KEYWORD for f in ("level", "status", "drugs", "citations", "text_hash", "vector_model")},
        "rating": {"type": "integer"},
        "statement": _TERMS,
        "fields": _TERMS,
        "vector": _vector(vector_index),
    },
    "articles": lambda vector_index: {
        "seq": {"type": "long"},
        "version": {"type": "integer"},
        "status": _KEYWORD,
        "year": {"type": "integer"},
        "text_hash": _KEYWORD,
        "first_ingested": {"type": "date"},  # added in place to an older index on open (ElasticsearchCluster)
        "concepts": _KEYWORD,
        "title": _TERMS,
        "abstract": _TERMS,
        "vector": _vector(vector_index),
        "vector_model": _KEYWORD,
    },
}


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


def _base(record: object) -> dict[str, Any]:
    """The key, the record and the hash of its canonical JSON (the bytes the embedded store keeps)."""
    data = to_dict(record)
    return {"key": _BY_TYPE[type(record)].key(record), "hash": text_hash(canonical_json(data)), "record": data}


def _evidence(e: Evidence) -> dict[str, Any]:
    doc = evidence_doc(e)
    return {
        "seq": doc.seq,
        "gene": doc.gene,
        "alteration": doc.alteration,
        "alteration_kind": doc.alteration_kind,
        "tumor_code": doc.tumor_code,
        "evidence_type": doc.evidence_type,
        "level": doc.level,
        "rating": doc.rating,
        "status": doc.status,
        "drugs": list(doc.drugs),
        "citations": list(doc.citations),
        "statement": doc.statement,
        "fields": doc.fields,
        "text_hash": doc.text_hash,
    }


def _article(a: Article) -> dict[str, Any]:
    doc = article_doc(a)
    return {
        "seq": doc.seq,
        "version": doc.version,
        "status": doc.status,
        "year": doc.year,
        "text_hash": doc.text_hash,
        "first_ingested": doc.first_ingested,
        "concepts": list(doc.concepts),
        "title": doc.title,
        "abstract": doc.abstract,
    }


#: The indexed fields of a record's document, by kind (see ``_MAPPINGS``).
_FIELDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "genes": lambda g: {"hgnc_id": g.hgnc_id},
    "tumors": lambda t: {"parent": t.parent},
    "drugs": lambda _: {},
    "tests": lambda t: {"published": t.published, "genes": list(t.genes)},
    "biomarkers": lambda b: {"genes": list(b.genes), "group": b.group},
    "regulatory": lambda r: {"drug": r.drug},
    "guidelines": lambda r: {"evidence": list(r.evidence)},
    "reading_lists": lambda r: {"topics": [f"{r.topic_kind}:{r.topic_key}", *r.topics]},
    "evidence": _evidence,
    "articles": _article,
}


def build_doc(record: object) -> dict[str, Any]:
    """The document of a domain record (vectors are attached separately)."""
    return {**_base(record), **_FIELDS[_BY_TYPE[type(record)].plural](record)}


def decode(kind: str, source: Mapping[str, Any]) -> Any:
    """The domain record kept in a document's ``record`` field."""
    return from_dict(RECORD_TYPES[kind], source["record"])
