"""Retrieval on Elasticsearch: BM25 over the terms kb analyzed (``combined_fields``
weighs title and abstract as the embedded store's FTS5 does), HNSW kNN with the
cosine score mapped back to the embedded store's scale, and concept lookups on
``keyword`` fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kb.domain import Article, ArticleStatus, Evidence
from kb.errors import StoreError
from kb.store.base import (
    ArticleFilter,
    ArticleHits,
    ArticleQuery,
    EvidenceCache,
    EvidenceFilter,
    EvidenceHits,
    EvidenceQuery,
    Scored,
)
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

    def _msearch(self, searches: Sequence[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        """The hits of each (kind, search keyword arguments), asked in one ``_msearch`` round trip."""
        if not searches:
            return []
        self._fresh(*dict.fromkeys(kind for kind, _ in searches))
        lines: list[dict[str, Any]] = []
        for kind, body in searches:
            lines += [{"index": self.alias(kind)}, _msearch_body(body)]
        kinds = "/".join(dict.fromkeys(kind for kind, _ in searches))
        response = self._call(f"search {kinds}", lambda: self._es.msearch(searches=lines))
        out: list[list[dict[str, Any]]] = []
        for (kind, _), answer in zip(searches, response["responses"], strict=True):
            if "error" in answer:
                raise StoreError(
                    f"Elasticsearch refused to search {kind}: {answer['error'].get('reason', answer['error'])}"
                )
            out.append(answer["hits"]["hits"])
        return out

    def _ranked(self, kind: str, query: dict[str, Any], limit: int, tiebreak: dict[str, str]) -> Scored:
        if limit <= 0:
            return []
        return _scored(self._search(kind, **_ranked_body(query, limit, tiebreak)))

    # -- BM25 -----------------------------------------------------------------------------------
    def bm25_articles(self, terms: Sequence[str], *, limit: int, filters: ArticleFilter) -> Scored:
        body = _bm25_articles(terms, limit, filters)
        return _scored(self._search("articles", **body)) if body else []

    def bm25_evidence(
        self, terms: Sequence[str], *, limit: int, filters: EvidenceFilter, statement_only: bool = False
    ) -> Scored:
        body = _bm25_evidence(terms, limit, filters, statement_only=statement_only)
        return _scored(self._search("evidence", **body)) if body else []

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

    def _knn_body(
        self, kind: str, model: str, vector: Sequence[float] | None, limit: int, filters: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        if vector is None or not model or limit <= 0 or not self._has_vectors(kind):
            return None
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
        return {"knn": knn, "size": k, "source": False, "track_total_hits": False}

    def _knn(self, kind: str, model: str, vector: Sequence[float], limit: int, filters: list[dict[str, Any]]) -> Scored:
        body = self._knn_body(kind, model, vector, limit, filters)
        if body is None:
            return []
        return _cosines(self._search(kind, **body))

    def knn_articles(self, model: str, vector: Sequence[float], *, limit: int, filters: ArticleFilter) -> Scored:
        return self._knn("articles", model, vector, limit, _article_filters(filters))

    def knn_evidence(self, model: str, vector: Sequence[float], *, limit: int, filters: EvidenceFilter) -> Scored:
        return self._knn("evidence", model, vector, limit, _evidence_filters(filters))

    # -- concepts and records -------------------------------------------------------------------
    def articles_with_concepts(
        self, concepts: Sequence[str], *, limit: int, filters: ArticleFilter
    ) -> dict[str, tuple[str, ...]]:
        body = _concepts_body(concepts, limit, filters)
        if body is None:
            return {}
        return _tags(concepts, self._search("articles", **body))

    def evidence_matching(
        self, *, genes: Sequence[str], tumors: Sequence[str], drugs: Sequence[str], filters: EvidenceFilter
    ) -> list[Evidence]:
        query = _matching_query(genes, tumors, drugs, filters)
        if query is None:
            return []
        ids = [hit["_id"] for hit in self._scan("evidence", query, ("seq", "key"), source=False)]
        found = self.get_evidence_many(ids)
        return [found[i] for i in ids if i in found]

    # -- one round trip for both kinds ---------------------------------------------------------
    def retrieve(self, evidence: EvidenceQuery, articles: ArticleQuery) -> tuple[EvidenceHits, ArticleHits]:
        wanted_e, wanted_a = self._evidence_searches(evidence), self._article_searches(articles)
        hits = self._msearch(
            [("evidence", b) for b in wanted_e.values()] + [("articles", b) for b in wanted_a.values()]
        )
        return (
            self._evidence_hits(evidence, dict(zip(wanted_e, hits[: len(wanted_e)], strict=True))),
            _article_hits(articles, dict(zip(wanted_a, hits[len(wanted_e) :], strict=True))),
        )

    def retrieve_evidence(self, query: EvidenceQuery) -> EvidenceHits:
        wanted = self._evidence_searches(query)
        hits = self._msearch([("evidence", b) for b in wanted.values()])
        return self._evidence_hits(query, dict(zip(wanted, hits, strict=True)))

    def retrieve_articles(self, query: ArticleQuery) -> ArticleHits:
        wanted = self._article_searches(query)
        hits = self._msearch([("articles", b) for b in wanted.values()])
        return _article_hits(query, dict(zip(wanted, hits, strict=True)))

    def _evidence_searches(self, query: EvidenceQuery) -> dict[str, dict[str, Any]]:
        bm25 = _bm25_evidence(query.terms, query.limit, query.filters)
        knn = self._knn_body("evidence", query.model, query.vector, query.limit, _evidence_filters(query.filters))
        matching = _matching_query(query.genes, query.tumors, query.drugs, query.filters)
        wanted: dict[str, dict[str, Any]] = {}
        if bm25:
            wanted["lexical"] = bm25
        if knn:
            wanted["dense"] = knn
        if matching is not None:
            wanted["matching"] = {
                "query": matching,
                "size": _MAX_WINDOW,
                "sort": [{"seq": "asc"}, {"key": "asc"}],
                "source": False,
                "track_total_hits": False,
            }
        return wanted

    def _evidence_hits(self, query: EvidenceQuery, hits: dict[str, list[dict[str, Any]]]) -> EvidenceHits:
        ids = [h["_id"] for h in hits.get("matching", [])]
        matching = _matching_query(query.genes, query.tumors, query.drugs, query.filters)
        if len(ids) >= _MAX_WINDOW and matching is not None:  # more than one page: read them all
            ids = [h["_id"] for h in self._scan("evidence", matching, ("seq", "key"), source=False)]
        found = self.get_evidence_many(ids)
        return EvidenceHits(
            lexical=_scored(hits.get("lexical", [])),
            dense=_cosines(hits.get("dense", [])),
            matching=[found[i] for i in ids if i in found],
        )

    def _article_searches(self, query: ArticleQuery) -> dict[str, dict[str, Any]]:
        bodies: dict[str, dict[str, Any]] = {}
        bm25 = _bm25_articles(query.terms, query.limit, query.filters)
        if bm25:
            bodies["lexical"] = bm25
        knn = self._knn_body("articles", query.model, query.vector, query.limit, _article_filters(query.filters))
        if knn:
            bodies["dense"] = knn
        for n, concepts in enumerate(query.concepts):
            body = _concepts_body(concepts, query.limit, query.filters)
            if body is not None:
                bodies[str(n)] = body
        return bodies

    def concepts_of(self, pmids: Sequence[str], concepts: Sequence[str]) -> dict[str, tuple[str, ...]]:
        # a search, not an mget: the filter runs in the index and the tags come from doc values, so no source
        # (with its vector) is read
        wanted, keep = list(dict.fromkeys(p for p in pmids if p.isdigit())), list(dict.fromkeys(concepts))
        out: dict[str, tuple[str, ...]] = {}
        for start in range(0, len(wanted) if keep else 0, _MAX_WINDOW):
            chunk = wanted[start : start + _MAX_WINDOW]
            query = {
                "bool": {
                    "filter": [
                        {"ids": {"values": chunk}},
                        {"terms": {"concepts": keep}},
                        *_article_filters(ArticleFilter()),
                    ]
                }
            }
            hits = self._search(
                "articles",
                query=query,
                size=len(chunk),
                docvalue_fields=["concepts"],
                source=False,
                track_total_hits=False,
            )
            out.update(_tags(keep, hits))
        return out

    def article_vectors(self, model: str, pmids: Sequence[str]) -> dict[str, bytes]:
        # the vector kNN searches is on the article's own document: one round trip, not two via the embeddings
        found = self._mget("articles", [p for p in pmids if p.isdigit()], ["vector", "vector_model"])
        return {
            pmid: np.asarray(source["vector"], dtype="<f2").tobytes()  # the stored float16 values, exactly
            for pmid, source in found.items()
            if source.get("vector_model") == model and source.get("vector")
        }

    def held_articles(self, pmids: Sequence[str]) -> set[str]:
        return set(self._mget("articles", [p for p in pmids if p.isdigit()], ()))

    def get_articles(self, pmids: Sequence[str]) -> dict[str, Article]:
        found = self._mget("articles", [p for p in pmids if p.isdigit()], ["record"])
        return {pmid: decode("articles", source) for pmid, source in found.items()}

    def get_evidence_many(self, ids: Sequence[str]) -> dict[str, Evidence]:
        cache: EvidenceCache = self.__dict__.setdefault("_evidence_cache", EvidenceCache())

        def fetch(chunk: list[str]) -> list[Evidence]:
            return [decode("evidence", source) for source in self._mget("evidence", chunk, ["record"]).values()]

        return cache.get(self.data_version(), ids, fetch)


def _article_hits(query: ArticleQuery, hits: dict[str, list[dict[str, Any]]]) -> ArticleHits:
    return ArticleHits(
        lexical=_scored(hits.get("lexical", [])),
        dense=_cosines(hits.get("dense", [])),
        tagged=[_tags(c, hits.get(str(n), [])) for n, c in enumerate(query.concepts)],
    )


def _scored(hits: list[dict[str, Any]]) -> Scored:
    return [(h["_id"], float(h["_score"])) for h in hits]


def _cosines(hits: list[dict[str, Any]]) -> Scored:
    """Elasticsearch scores cosine as (1 + cos) / 2; give back the cosine, as the embedded store does."""
    return [(h["_id"], 2.0 * float(h["_score"]) - 1.0) for h in hits]


def _tags(concepts: Sequence[str], hits: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """The asked concepts each hit carries, from the doc values the search returned (``docvalue_fields``)."""
    keep = set(concepts)
    return {h["_id"]: tuple(sorted(keep.intersection(h.get("fields", {}).get("concepts", [])))) for h in hits}


def _ranked_body(query: dict[str, Any], limit: int, tiebreak: dict[str, str]) -> dict[str, Any]:
    return {
        "query": query,
        "size": min(limit, _MAX_WINDOW),
        "sort": [{"_score": "desc"}, tiebreak],
        "track_scores": True,
        "source": False,
        "track_total_hits": False,
    }


def _msearch_body(body: dict[str, Any]) -> dict[str, Any]:
    """A search's keyword arguments as an ``_msearch`` body (``source`` is ``_source`` there)."""
    return {("_source" if k == "source" else k): v for k, v in body.items()}


def _bm25_articles(terms: Sequence[str], limit: int, filters: ArticleFilter) -> dict[str, Any] | None:
    text = _query_text(terms)
    if not text or limit <= 0:
        return None
    match = {"combined_fields": {"query": text, "fields": ["title^2", "abstract"], "operator": "or"}}
    return _ranked_body({"bool": {"must": [match], "filter": _article_filters(filters)}}, limit, {"seq": "asc"})


def _bm25_evidence(
    terms: Sequence[str], limit: int, filters: EvidenceFilter, *, statement_only: bool = False
) -> dict[str, Any] | None:
    text = _query_text(terms)
    if not text or limit <= 0:
        return None
    fields = ["statement"] if statement_only else ["statement", "fields"]
    match = {"combined_fields": {"query": text, "fields": fields, "operator": "or"}}
    return _ranked_body({"bool": {"must": [match], "filter": _evidence_filters(filters)}}, limit, {"seq": "asc"})


def _concepts_body(concepts: Sequence[str], limit: int, filters: ArticleFilter) -> dict[str, Any] | None:
    wanted = list(dict.fromkeys(concepts))
    if not wanted or limit <= 0:
        return None
    # each concept scores 1, so the score counts the concepts a PMID carries
    should = [{"constant_score": {"filter": {"term": {"concepts": c}}, "boost": 1.0}} for c in wanted]
    return {
        "query": {"bool": {"should": should, "minimum_should_match": 1, "filter": _article_filters(filters)}},
        "size": min(limit, _MAX_WINDOW),
        "sort": [{"_score": "desc"}, {"seq": "desc"}],
        "source": False,  # the tags from doc values: a source holds the whole record and its vector
        "docvalue_fields": ["concepts"],
        "track_total_hits": False,
    }


def _matching_query(
    genes: Sequence[str], tumors: Sequence[str], drugs: Sequence[str], filters: EvidenceFilter
) -> dict[str, Any] | None:
    should = [
        {"terms": {field: list(values)}}
        for field, values in (("gene", genes), ("tumor_code", tumors), ("drugs", drugs))
        if values
    ]
    if not should:
        return None
    return {"bool": {"should": should, "minimum_should_match": 1, "filter": _evidence_filters(filters)}}


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
