"""Retrieval on Elasticsearch: BM25 over the terms kb analyzed (``combined_fields``
weighs title and abstract as the embedded store's FTS5 does), HNSW kNN with the
cosine score mapped back to the embedded store's scale, and concept lookups on
``keyword`` fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kb.domain import Article, ArticleStatus, Evidence
from kb.store.base import ArticleFilter, EvidenceCache, EvidenceFilter, Scored
from kb.store.es_cluster import ElasticsearchCluster
from kb.store.es_schema import decode

__all__ = ["ElasticsearchSearch"]

_MAX_WINDOW = 10_000
_QUANTIZED = ("int8_hnsw", "int4_hnsw", "bbq_hnsw", "int8_flat")


class ElasticsearchSearch(ElasticsearchCluster):
    """The retrieval methods of :class:`~kb.store.base.Backend` on the cluster;
    :class:`~kb.store.es.ElasticsearchStore` adds the records."""

    def _search(self, kind: str, **body: Any) -> list[dict[str, Any]]:
        self._fresh(kind)
        response = self._call(f"search {kind}", lambda: self._es.search(index=self.alias(kind), **body))
        hits: list[dict[str, Any]] = response["hits"]["hits"]
        return hits

    def _ranked(self, kind: str, query: dict[str, Any], limit: int, tiebreak: dict[str, str]) -> Scored:
        if limit <= 0:
            return []
        hits = self._search(
            kind,
            query=query,
            size=min(limit, _MAX_WINDOW),
            sort=[{"_score": "desc"}, tiebreak],
            track_scores=True,
            source=False,
            track_total_hits=False,
        )
        return [(h["_id"], float(h["_score"])) for h in hits]

    # -- BM25 -----------------------------------------------------------------------------------
    def bm25_articles(self, terms: Sequence[str], *, limit: int, filters: ArticleFilter) -> Scored:
        text = _query_text(terms)
        if not text:
            return []
        match = {"combined_fields": {"query": text, "fields": ["title^2", "abstract"], "operator": "or"}}
        query = {"bool": {"must": [match], "filter": _article_filters(filters)}}
        return self._ranked("articles", query, limit, {"seq": "asc"})

    def bm25_evidence(
        self, terms: Sequence[str], *, limit: int, filters: EvidenceFilter, statement_only: bool = False
    ) -> Scored:
        text = _query_text(terms)
        if not text:
            return []
        fields = ["statement"] if statement_only else ["statement", "fields"]
        match = {"combined_fields": {"query": text, "fields": fields, "operator": "or"}}
        query = {"bool": {"must": [match], "filter": _evidence_filters(filters)}}
        return self._ranked("evidence", query, limit, {"seq": "asc"})

    # -- kNN ------------------------------------------------------------------------------------
    def _has_vectors(self, kind: str) -> bool:
        """Whether the index has seen a vector yet (its dims are set by the first one)."""
        known: set[str] = self.__dict__.setdefault("_with_vectors", set())
        if kind not in known:
            found = self._call("read a mapping", lambda: self._es.indices.get_mapping(index=self.alias(kind)))
            for body in found.body.values():
                if "dims" in body["mappings"]["properties"].get("vector", {}):
                    known.add(kind)
        return kind in known

    def _knn(self, kind: str, model: str, vector: Sequence[float], limit: int, filters: list[dict[str, Any]]) -> Scored:
        if limit <= 0 or not self._has_vectors(kind):
            return []
        k = min(limit, _MAX_WINDOW)
        knn: dict[str, Any] = {
            "field": "vector",
            "query_vector": [float(x) for x in vector],
            "k": k,
            "num_candidates": min(max(2 * k, 200), _MAX_WINDOW),
            "filter": [{"term": {"vector_model": model}}, *filters],
        }
        if self._index_options["vector_index"] in _QUANTIZED:
            knn["rescore_vector"] = {"oversample": 3.0}  # rescore the quantized candidates with float vectors
        hits = self._search(kind, knn=knn, size=k, source=False, track_total_hits=False)
        # Elasticsearch scores cosine as (1 + cos) / 2; give back the cosine, as the embedded store does
        return [(h["_id"], 2.0 * float(h["_score"]) - 1.0) for h in hits]

    def knn_articles(self, model: str, vector: Sequence[float], *, limit: int, filters: ArticleFilter) -> Scored:
        return self._knn("articles", model, vector, limit, _article_filters(filters))

    def knn_evidence(self, model: str, vector: Sequence[float], *, limit: int, filters: EvidenceFilter) -> Scored:
        return self._knn("evidence", model, vector, limit, _evidence_filters(filters))

    # -- concepts and records -------------------------------------------------------------------
    def articles_with_concepts(
        self, concepts: Sequence[str], *, limit: int, filters: ArticleFilter
    ) -> dict[str, tuple[str, ...]]:
        wanted = list(dict.fromkeys(concepts))
        if not wanted or limit <= 0:
            return {}
        # each concept scores 1, so the score counts the concepts a PMID carries
        should = [{"constant_score": {"filter": {"term": {"concepts": c}}, "boost": 1.0}} for c in wanted]
        query = {"bool": {"should": should, "minimum_should_match": 1, "filter": _article_filters(filters)}}
        hits = self._search(
            "articles",
            query=query,
            size=min(limit, _MAX_WINDOW),
            sort=[{"_score": "desc"}, {"seq": "desc"}],
            source=["concepts"],
            track_total_hits=False,
        )
        keep = set(wanted)
        return {h["_id"]: tuple(sorted(keep.intersection(h["_source"].get("concepts", [])))) for h in hits}

    def evidence_matching(
        self, *, genes: Sequence[str], tumors: Sequence[str], drugs: Sequence[str], filters: EvidenceFilter
    ) -> list[Evidence]:
        should = [
            {"terms": {field: list(values)}}
            for field, values in (("gene", genes), ("tumor_code", tumors), ("drugs", drugs))
            if values
        ]
        if not should:
            return []
        query = {"bool": {"should": should, "minimum_should_match": 1, "filter": _evidence_filters(filters)}}
        ids = [hit["_id"] for hit in self._scan("evidence", query, ("seq", "key"), source=False)]
        found = self.get_evidence_many(ids)
        return [found[i] for i in ids if i in found]

    def get_articles(self, pmids: Sequence[str]) -> dict[str, Article]:
        found = self._mget("articles", [p for p in pmids if p.isdigit()], ["record"])
        return {pmid: decode("articles", source) for pmid, source in found.items()}

    def get_evidence_many(self, ids: Sequence[str]) -> dict[str, Evidence]:
        cache: EvidenceCache = self.__dict__.setdefault("_evidence_cache", EvidenceCache())

        def fetch(chunk: list[str]) -> list[Evidence]:
            return [decode("evidence", source) for source in self._mget("evidence", chunk, ["record"]).values()]

        return cache.get(self.data_version(), ids, fetch)


def _query_text(terms: Sequence[str]) -> str:
    return " ".join(dict.fromkeys(t for t in (term.strip() for term in terms) if t and " " not in t))


def _article_filters(filters: ArticleFilter) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"term": {"status": ArticleStatus.ACTIVE.value}}]
    bounds = {k: v for k, v in (("gte", filters.year_from), ("lte", filters.year_to)) if v is not None}
    if bounds:
        out.append({"range": {"year": bounds}})
    return out


def _evidence_filters(filters: EvidenceFilter) -> list[dict[str, Any]]:
    pairs = (("evidence_type", filters.types), ("level", filters.levels), ("tumor_code", filters.tumors))
    return [{"terms": {field: list(values)}} for field, values in pairs if values]
