"""One search's retrieval of a kind in one SQL pass on the embedded store: the BM25 hits and the concept
lookups are the parts of one ``UNION ALL`` statement (read under the store's lock once), and the kNN, which
is not SQL, comes from the in-memory vector index of :class:`~kb.store.sqlite_search.SQLiteSearch`.

Each part is ordered in Python by the keys its own method orders by, so the answers are those of
:meth:`bm25_articles`, :meth:`articles_with_concepts`, :meth:`bm25_evidence` and :meth:`evidence_matching`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kb.store.base import ArticleHits, ArticleQuery, EvidenceHits, EvidenceQuery, Scored
from kb.store.sqlite_db import marks
from kb.store.sqlite_search import SQLiteSearch, article_where, evidence_where, fts_query, fts_terms
from kb.store.sqlite_terms import TermScores

__all__ = ["SQLiteRetrieval"]

_TIES = 20  # rows read past the limit, so equal scores at its edge are ordered as the joined query orders them


class SQLiteRetrieval(SQLiteSearch):
    """:meth:`retrieve_evidence`, :meth:`retrieve_articles` and :meth:`article_vectors` of the embedded store."""

    def retrieve_evidence(self, query: EvidenceQuery) -> EvidenceHits:
        parts: list[str] = []
        params: list[Any] = []
        where, extra = evidence_where(query.filters, "e.")
        match = fts_query(query.terms)
        lexical_scores: dict[int, float] = {}
        if match and query.limit > 0 and not where:  # ranked from cached per-term scores (kb.store.sqlite_terms)
            lexical_scores = dict(self._bm25_top("evidence_fts", "bm25(evidence_fts)", query.terms, query.limit))
            parts.append(
                f"SELECT 'lexical', e.id, NULL, e.rowid FROM evidence e WHERE e.rowid IN ({marks(len(lexical_scores))})"
            )
            params += list(lexical_scores)
        elif match and query.limit > 0:
            parts.append(
                "SELECT * FROM (SELECT 'lexical', e.id, -bm25(evidence_fts) AS score, e.rowid FROM evidence_fts "
                "JOIN evidence e ON e.rowid = evidence_fts.rowid "
                f"WHERE evidence_fts MATCH ? {where} ORDER BY score DESC, e.rowid LIMIT ?)"
            )
            params += [match, *extra, query.limit]
        clauses: list[str] = []
        for sql, values in (
            ("e.gene IN ({})", query.genes),
            ("e.tumor_code IN ({})", query.tumors),
            ("e.id IN (SELECT evidence_id FROM evidence_drugs WHERE inn IN ({}))", query.drugs),
        ):
            if values:
                clauses.append(sql.format(marks(len(values))))
                params.extend(values)
        if clauses:
            parts.append(
                f"SELECT 'matching', e.id, evidence_seq(e.id), 0 FROM evidence e WHERE ({' OR '.join(clauses)}) {where}"
            )
            params.extend(extra)
        rows = self._read(" UNION ALL ".join(parts), params) if parts else []
        if lexical_scores:
            rows = [(r[0], r[1], lexical_scores[r[3]], r[3]) if r[0] == "lexical" else r for r in rows]
        lexical = sorted((r for r in rows if r[0] == "lexical"), key=lambda r: (-r[2], r[3]))
        matching = sorted((r for r in rows if r[0] == "matching"), key=lambda r: (r[2], r[1]))
        found = self.get_evidence_many([r[1] for r in matching])
        dense: Scored = []
        if query.vector is not None and query.model:
            dense = self.knn_evidence(query.model, query.vector, limit=query.limit, filters=query.filters)
        return EvidenceHits(
            lexical=[(r[1], float(r[2])) for r in lexical],
            dense=dense,
            matching=[found[r[1]] for r in matching if r[1] in found],
        )

    def retrieve_articles(self, query: ArticleQuery) -> ArticleHits:
        parts: list[str] = []
        params: list[Any] = []
        where, extra = article_where(query.filters, "a.")
        match = fts_query(query.terms)
        unbounded = query.filters.year_from is None and query.filters.year_to is None
        lexical_scores: dict[int, float] = {}
        if match and query.limit > 0 and unbounded:
            # ranked from cached per-term scores (kb.store.sqlite_terms) over enough rows that the inactive ones
            # dropped after it leave the top ``limit`` active ones whole
            wanted = query.limit + self._inactive_articles() + _TIES
            lexical_scores = dict(self._bm25_top("articles_fts", "bm25(articles_fts, 2.0, 1.0)", query.terms, wanted))
            parts.append(  # the row ids as one JSON array: more than SQLite's 32,766 parameters when many are inactive
                "SELECT 'lexical', a.pmid, NULL, NULL, a.rowid FROM articles a "
                f"WHERE a.rowid IN (SELECT value FROM json_each(?)) {where}"
            )
            params += [json.dumps(list(lexical_scores)), *extra]
        elif match and query.limit > 0:
            parts.append(
                "SELECT * FROM (SELECT 'lexical', a.pmid, -bm25(articles_fts, 2.0, 1.0) AS score, NULL, a.rowid "
                "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
                f"WHERE articles_fts MATCH ? {where} ORDER BY score DESC, a.rowid LIMIT ?)"
            )
            params += [match, *extra, query.limit]
        for n, concepts in enumerate(query.concepts):
            if not concepts or query.limit <= 0:
                continue
            parts.append(
                f"SELECT * FROM (SELECT '{n}', c.pmid, COUNT(*) AS n, group_concat(c.concept, '|'), a.rowid "
                "FROM article_concepts c JOIN articles a ON a.pmid = c.pmid "
                f"WHERE c.concept IN ({marks(len(concepts))}) {where} "
                "GROUP BY c.pmid ORDER BY n DESC, a.rowid DESC LIMIT ?)"
            )
            params += [*concepts, *extra, query.limit]
        rows = self._read(" UNION ALL ".join(parts), params) if parts else []
        if lexical_scores:
            rows = [(r[0], r[1], lexical_scores[r[4]], r[3], r[4]) if r[0] == "lexical" else r for r in rows]
        lexical = sorted((r for r in rows if r[0] == "lexical"), key=lambda r: (-r[2], r[4]))[: query.limit]
        tagged: list[dict[str, tuple[str, ...]]] = []
        for n in range(len(query.concepts)):
            mine = sorted((r for r in rows if r[0] == str(n)), key=lambda r: (-r[2], -r[4]))
            tagged.append({r[1]: tuple(sorted(r[3].split("|"))) for r in mine})
        dense: Scored = []
        if query.vector is not None and query.model:
            dense = self.knn_articles(query.model, query.vector, limit=query.limit, filters=query.filters)
        return ArticleHits(lexical=[(r[1], float(r[2])) for r in lexical], dense=dense, tagged=tagged)

    def retrieve(self, evidence: EvidenceQuery, articles: ArticleQuery) -> tuple[EvidenceHits, ArticleHits]:
        return self.retrieve_evidence(evidence), self.retrieve_articles(articles)

    def concepts_of(self, pmids: Sequence[str], concepts: Sequence[str]) -> dict[str, tuple[str, ...]]:
        ids = list(dict.fromkeys(pmids))
        wanted = list(dict.fromkeys(concepts))
        out: dict[str, tuple[str, ...]] = {}
        for start in range(0, len(ids) if wanted else 0, 500):
            chunk = ids[start : start + 500]
            rows = self._read(
                "SELECT c.pmid, group_concat(c.concept, '|') FROM article_concepts c "
                f"JOIN articles a ON a.pmid = c.pmid WHERE c.pmid IN ({marks(len(chunk))}) "
                f"AND c.concept IN ({marks(len(wanted))}) "
                "AND a.status = 'active' GROUP BY c.pmid",
                (*chunk, *wanted),
            )
            out.update((r[0], tuple(sorted(r[1].split("|")))) for r in rows)
        return out

    def _bm25_top(self, table: str, bm25: str, terms: Sequence[str], n: int) -> list[tuple[int, float]]:
        """The ``n`` best (row id, score) of FTS5's ``bm25`` over ``terms``, from the per-term score cache."""
        cache: TermScores = self.__dict__.setdefault("_term_scores", TermScores())
        return cache.top(self._read, self.data_version(), table, bm25, fts_terms(terms), n)

    def _inactive_articles(self) -> int:
        """Articles not active (deleted citations), counted once per data version."""
        version = self.data_version()
        cached: tuple[str, int] | None = self.__dict__.get("_inactive")
        if cached is None or cached[0] != version:
            rows = self._read("SELECT COUNT(*) FROM articles WHERE status != 'active'")
            cached = (version, int(rows[0][0]))
            self.__dict__["_inactive"] = cached
        return cached[1]

    def article_vectors(self, model: str, pmids: Sequence[str]) -> dict[str, bytes]:
        ids = [p for p in dict.fromkeys(pmids) if p.isdigit()]
        if not ids:
            return {}
        rows = self._read(
            "SELECT a.pmid, c.vector FROM articles a JOIN embedding_cache c "
            f"ON c.model = ? AND c.text_hash = a.text_hash WHERE a.pmid IN ({marks(len(ids))})",
            (model, *ids),
        )
        return {r[0]: r[1] for r in rows}
