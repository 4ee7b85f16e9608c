"""Retrieval on the embedded store: FTS5 BM25 over analyzed terms, kNN over the vector indexes of
:mod:`kb.store.sqlite_vectors` (exact below ``KB_ANN_THRESHOLD`` vectors, approximate above)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.codec import from_dict
from kb.domain import Article, Evidence
from kb.store.base import ArticleFilter, EvidenceCache, EvidenceFilter, Scored
from kb.store.sqlite_db import marks
from kb.store.sqlite_vectors import SQLiteVectors
from kb.store.vectors import Columns

__all__ = ["SQLiteSearch", "article_where", "evidence_where", "fts_query", "fts_terms"]


def fts_terms(terms: Sequence[str]) -> list[str]:
    """The terms of :func:`fts_query`: unique, in order, without quotes (terms are already analyzed)."""
    return [t for t in dict.fromkeys(t.replace('"', "") for t in terms if t.strip()) if t]


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted."""
    return " OR ".join(f'"{t}"' for t in fts_terms(terms))


class SQLiteSearch(SQLiteVectors):
    """The retrieval methods of :class:`~kb.store.base.Backend` on the database;
    :class:`~kb.store.sqlite.SQLiteStore` adds the records."""

    # -- BM25 -----------------------------------------------------------------------------------
    def bm25_articles(self, terms: Sequence[str], *, limit: int, filters: ArticleFilter) -> Scored:
        match = fts_query(terms)
        if not match:
            return []
        where, params = article_where(filters, "a.")
        rows = self._read(
            "SELECT a.pmid, -bm25(articles_fts, 2.0, 1.0) AS score FROM articles_fts "
            "JOIN articles a ON a.rowid = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? {where} ORDER BY score DESC, a.rowid LIMIT ?",
            (match, *params, limit),
        )
        return [(r[0], float(r[1])) for r in rows]

    def bm25_evidence(
        self, terms: Sequence[str], *, limit: int, filters: EvidenceFilter, statement_only: bool = False
    ) -> Scored:
        match = fts_query(terms)
        if not match:
            return []
        if statement_only:
            match = f"{{statement}} : ({match})"
        where, params = evidence_where(filters, "e.")
        rows = self._read(
            "SELECT e.id, -bm25(evidence_fts) AS score FROM evidence_fts "
            "JOIN evidence e ON e.rowid = evidence_fts.rowid "
            f"WHERE evidence_fts MATCH ? {where} ORDER BY score DESC, e.rowid LIMIT ?",
            (match, *params, limit),
        )
        return [(r[0], float(r[1])) for r in rows]

    # -- kNN (kb.store.vectors: an exact scan below KB_ANN_THRESHOLD vectors, an HNSW graph above) ---------
    def knn_articles(self, model: str, vector: Sequence[float], *, limit: int, filters: ArticleFilter) -> Scored:
        def keep(columns: Columns, n: int) -> npt.NDArray[np.bool_]:
            years, mask = columns["year"][:n], np.ones(n, bool)
            if filters.year_from is not None:
                mask &= years >= filters.year_from  # a missing year (NaN) is outside every range
            if filters.year_to is not None:
                mask &= years <= filters.year_to
            return mask

        unfiltered = filters.year_from is None and filters.year_to is None
        return self.vector_search("articles", model, vector, limit, None if unfiltered else keep)

    def knn_evidence(self, model: str, vector: Sequence[float], *, limit: int, filters: EvidenceFilter) -> Scored:
        wanted = (("type", filters.types), ("level", filters.levels), ("tumor", filters.tumors))

        def keep(columns: Columns, n: int) -> npt.NDArray[np.bool_]:
            mask = np.ones(n, bool)
            for name, values in wanted:
                if values:
                    allowed = set(values)
                    mask &= np.fromiter((v in allowed for v in columns[name][:n]), bool, n)
            return mask

        unfiltered = not (filters.types or filters.levels or filters.tumors)
        return self.vector_search("evidence", model, vector, limit, None if unfiltered else keep)

    # -- concepts and records ---------------------------------------------------------------------
    def articles_with_concepts(
        self, concepts: Sequence[str], *, limit: int, filters: ArticleFilter
    ) -> dict[str, tuple[str, ...]]:
        if not concepts:
            return {}
        where, params = article_where(filters, "a.")
        rows = self._read(
            "SELECT c.pmid, group_concat(c.concept, '|') FROM article_concepts c JOIN articles a ON a.pmid = c.pmid "
            f"WHERE c.concept IN ({marks(len(concepts))}) {where} "
            "GROUP BY c.pmid ORDER BY COUNT(*) DESC, a.rowid DESC LIMIT ?",
            (*concepts, *params, limit),
        )
        return {r[0]: tuple(sorted(r[1].split("|"))) for r in rows}

    def evidence_matching(
        self, *, genes: Sequence[str], tumors: Sequence[str], drugs: Sequence[str], filters: EvidenceFilter
    ) -> list[Evidence]:
        clauses: list[str] = []
        params: list[Any] = []
        if genes:
            clauses.append(f"e.gene IN ({marks(len(genes))})")
            params.extend(genes)
        if tumors:
            clauses.append(f"e.tumor_code IN ({marks(len(tumors))})")
            params.extend(tumors)
        if drugs:
            clauses.append(f"e.id IN (SELECT evidence_id FROM evidence_drugs WHERE inn IN ({marks(len(drugs))}))")
            params.extend(drugs)
        if not clauses:
            return []
        where, extra = evidence_where(filters, "e.")
        rows = self._read(
            f"SELECT e.id FROM evidence e WHERE ({' OR '.join(clauses)}) {where} "
            "ORDER BY evidence_seq(e.id), e.id",  # the order every backend returns (kb.store.documents)
            (*params, *extra),
        )
        found = self.get_evidence_many([r[0] for r in rows])
        return [found[r[0]] for r in rows if r[0] in found]

    def held_articles(self, pmids: Sequence[str]) -> set[str]:
        ids = [p for p in pmids if p.isdigit()]
        rows = self._read(
            "SELECT pmid FROM articles WHERE pmid IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
        )
        return {r[0] for r in rows}

    def get_articles(self, pmids: Sequence[str]) -> dict[str, Article]:
        out: dict[str, Article] = {}
        ids = [p for p in pmids if p.isdigit()]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._read(f"SELECT data FROM articles WHERE pmid IN ({marks(len(chunk))})", chunk)
            for r in rows:
                art = from_dict(Article, json.loads(r[0]))
                out[art.pmid] = art
        return out

    def get_evidence_many(self, ids: Sequence[str]) -> dict[str, Evidence]:
        cache: EvidenceCache = self.__dict__.setdefault("_evidence_cache", EvidenceCache())

        def fetch(chunk: list[str]) -> list[Evidence]:
            rows = self._read(f"SELECT data FROM evidence WHERE id IN ({marks(len(chunk))})", chunk)
            return [from_dict(Evidence, json.loads(r[0])) for r in rows]

        return cache.get(self.data_version(), ids, fetch)

    def evidence_missing_embeddings(self, model: str, limit: int) -> list[Evidence]:
        rows = self._read(
            "SELECT e.data FROM evidence e LEFT JOIN embedding_cache c ON c.model = ? AND c.text_hash = e.text_hash "
            "WHERE c.text_hash IS NULL ORDER BY e.rowid LIMIT ?",
            (model, limit),
        )
        return [from_dict(Evidence, json.loads(r[0])) for r in rows]


def article_where(filters: ArticleFilter, prefix: str) -> tuple[str, list[Any]]:
    sql, params = f"AND {prefix}status = 'active'", []
    if filters.year_from is not None:
        sql += f" AND {prefix}year >= ?"
        params.append(filters.year_from)
    if filters.year_to is not None:
        sql += f" AND {prefix}year <= ?"
        params.append(filters.year_to)
    return sql, params


def evidence_where(filters: EvidenceFilter, prefix: str) -> tuple[str, list[Any]]:
    sql, params = "", list[Any]()
    for column, values in (("evidence_type", filters.types), ("level", filters.levels), ("tumor_code", filters.tumors)):
        if values:
            sql += f" AND {prefix}{column} IN ({marks(len(values))})"
            params.extend(values)
    return sql, params
