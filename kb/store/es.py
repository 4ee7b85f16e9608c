"""The Elasticsearch store: the same :class:`~kb.store.base.Backend` as the embedded one, on a real cluster.

Each record kind lives in a versioned index behind an alias (``genekb-articles`` →
``genekb-articles-v1``); ``kb reindex`` builds the next versions from the stored
records and swaps every alias in one atomic request. The documents are built by
:mod:`kb.store.es_schema` from the derived fields of :mod:`kb.store.documents`;
retries, the bulk writer and paged reads live in :mod:`kb.store.es_cluster`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import numpy as np
from elasticsearch import NotFoundError

from kb.domain import Article, ArticleStatus, Biomarker, Drug, Evidence, Gene, TestItem, TumorType
from kb.errors import StoreError
from kb.settings import Settings
from kb.store.base import UpsertResult
from kb.store.documents import first_held
from kb.store.es_cluster import PAGE
from kb.store.es_schema import KINDS, build_doc, decode
from kb.store.es_search import ElasticsearchSearch

__all__ = ["ElasticsearchStore"]

R = TypeVar("R")


class ElasticsearchStore(ElasticsearchSearch):
    """Records, embeddings, checkpoints and reindexing on an Elasticsearch 9 cluster named by
    ``KB_STORE=http://host:9200``; retrieval comes from :class:`~kb.store.es_search.ElasticsearchSearch`."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.model = settings.embed_model  # the model whose vectors are indexed for kNN

    # -- knowledge records ----------------------------------------------------------------------
    def _upsert(
        self, kind: str, records: Sequence[object], stored: dict[str, dict[str, Any]] | None = None
    ) -> UpsertResult:
        """Write the records whose hash changed; ``stored`` is the ``hash`` and ``version`` of the stored documents
        when the caller has read them already."""
        docs = {d["key"]: d for d in map(build_doc, records)}
        old = stored if stored is not None else self._mget(kind, list(docs), ["hash", "version"])
        inserted = updated = unchanged = 0
        changed: list[dict[str, Any]] = []
        for key, doc in docs.items():
            before = old.get(key)
            if before is not None and (
                before.get("hash") == doc["hash"] or int(before.get("version") or 0) > int(doc.get("version") or 0)
            ):
                unchanged += 1
                continue
            changed.append(doc)
            inserted += before is None
            updated += before is not None
        unchanged += len(records) - len(docs)  # repeats within the batch
        if kind in ("articles", "evidence"):
            self._attach_vectors(changed)
        self._bulk(kind, [({"index": {"_id": d["key"]}}, d) for d in changed])
        if changed:
            self._bump()
        return UpsertResult(inserted, updated, unchanged)

    def upsert_genes(self, genes: Sequence[Gene]) -> UpsertResult:
        return self._write(partial(self._upsert, "genes", genes))

    def upsert_tumors(self, tumors: Sequence[TumorType]) -> UpsertResult:
        return self._write(partial(self._upsert, "tumors", tumors))

    def upsert_drugs(self, drugs: Sequence[Drug]) -> UpsertResult:
        return self._write(partial(self._upsert, "drugs", drugs))

    def upsert_evidence(self, items: Sequence[Evidence]) -> UpsertResult:
        return self._write(partial(self._upsert, "evidence", items))

    def upsert_tests(self, items: Sequence[TestItem]) -> UpsertResult:
        return self._write(partial(self._upsert, "tests", items))

    def upsert_biomarkers(self, biomarkers: Sequence[Biomarker]) -> UpsertResult:
        return self._write(partial(self._upsert, "biomarkers", biomarkers))

    def upsert_records(self, plural: str, records: Sequence[Any]) -> UpsertResult:
        return self._write(partial(self._upsert, plural, records))

    def upsert_articles(self, articles: Sequence[Article]) -> UpsertResult:
        # the documents are built before any write: a PMID that is not a number is refused whole
        return self._write(partial(self._upsert_articles, articles))

    def _upsert_articles(self, articles: Sequence[Article]) -> UpsertResult:
        """Each article keeps the ``first_ingested`` of the record stored under its PMID (kept in ``record``, not
        indexed: a document stored before the field gets the time of its next write)."""
        pmids = [a.pmid for a in articles if a.pmid.isdigit()]
        held = self._mget("articles", pmids, ["hash", "version", "record.first_ingested"])  # one read for both
        now = datetime.now(UTC).replace(microsecond=0)
        stamped = [first_held(a, _first_ingested(held.get(a.pmid)), now) for a in articles]
        return self._upsert("articles", stamped, held)

    def delete_articles(self, pmids: Sequence[str]) -> list[str]:
        return self._write(partial(self._delete_articles, pmids))

    def _delete_articles(self, pmids: Sequence[str]) -> list[str]:
        found = self._mget("articles", [p for p in pmids if p.isdigit()], ["record"])
        docs = []
        for source in found.values():
            article: Article = decode("articles", source)
            docs.append(build_doc(replace(article, status=ArticleStatus.DELETED)))
        self._bulk("articles", [({"index": {"_id": d["key"]}}, d) for d in docs])
        if docs:
            self._bump()
        return [p for p in pmids if p not in found]

    # -- reads ----------------------------------------------------------------------------------
    def _get(self, kind: str, key: str) -> Any | None:
        try:
            source = self._call(f"read {kind}", lambda: self._es.get(index=self.alias(kind), id=key))["_source"]
        except StoreError as exc:
            if isinstance(exc.__cause__, NotFoundError):
                return None
            raise
        return decode(kind, source)

    def get_article(self, pmid: str) -> Article | None:
        return self._get("articles", pmid) if pmid.isdigit() else None

    def get_evidence(self, evidence_id: str) -> Evidence | None:
        return self.get_evidence_many([evidence_id]).get(evidence_id)

    def _iter(self, kind: str, sort: Sequence[str] = ("key",), query: dict[str, Any] | None = None) -> Iterator[Any]:
        for source in self._scan(kind, query or {"match_all": {}}, sort):
            yield decode(kind, source)

    def iter_genes(self) -> Iterator[Gene]:
        return self._iter("genes")

    def iter_tumors(self) -> Iterator[TumorType]:
        return self._iter("tumors")

    def iter_drugs(self) -> Iterator[Drug]:
        return self._iter("drugs")

    def iter_evidence(self) -> Iterator[Evidence]:
        return self._iter("evidence", ("seq", "key"))

    def iter_tests(self) -> Iterator[TestItem]:
        return self._iter("tests")

    def iter_biomarkers(self) -> Iterator[Biomarker]:
        return self._iter("biomarkers")

    def iter_records(self, plural: str, cls: type[R]) -> Iterator[R]:
        return self._iter(plural)

    def newest_articles(self, concepts: Sequence[str], *, limit: int) -> list[Article]:
        if not concepts:
            return []
        self._fresh("articles")
        active = {"term": {"status": ArticleStatus.ACTIVE.value}}
        body: dict[str, Any] = {
            "query": {"bool": {"filter": [{"terms": {"concepts": list(concepts)}}, active]}},
            "sort": [{"first_ingested": {"order": "desc", "missing": "_last"}}, {"seq": "desc"}],
            "size": limit,
            "source": ["record"],
        }
        found = self._call("read the newest articles", lambda: self._es.search(index=self.alias("articles"), **body))
        return [decode("articles", h["_source"]) for h in found["hits"]["hits"]]

    def iter_articles(self, *, active_only: bool = True) -> Iterator[Article]:
        query = {"term": {"status": ArticleStatus.ACTIVE.value}} if active_only else None
        return self._iter("articles", ("seq",), query)

    # -- embeddings -----------------------------------------------------------------------------
    def cached_embeddings(self, model: str, text_hashes: Iterable[str]) -> dict[str, bytes]:
        hashes = list(dict.fromkeys(text_hashes))
        found = self._mget("embeddings", [f"{model}:{h}" for h in hashes], ["text_hash", "vector"])
        return {s["text_hash"]: base64.b64decode(s["vector"]) for s in found.values()}

    def put_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        self._write(partial(self._put_embeddings, model, vectors))

    def _put_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        actions = [
            (
                {"index": {"_id": f"{model}:{h}"}},
                {"model": model, "text_hash": h, "dim": len(v) // 2, "vector": base64.b64encode(v).decode("ascii")},
            )
            for h, v in vectors.items()
        ]
        self._bulk("embeddings", actions)
        if model != self.model or not vectors:
            return
        for kind in ("articles", "evidence"):  # records stored before their vector: attach it now
            hashes = list(vectors)
            for start in range(0, len(hashes), PAGE):
                chunk = hashes[start : start + PAGE]
                query = {"terms": {"text_hash": chunk}}
                hits = list(self._scan(kind, query, ("key",), source=["text_hash"]))
                updates = [
                    ({"update": {"_id": h["_id"]}}, {"doc": _vector_fields(model, vectors[h["text_hash"]])})
                    for h in hits
                ]
                self._bulk(kind, updates)

    def _attach_vectors(self, docs: list[dict[str, Any]]) -> None:
        cached = self.cached_embeddings(self.model, [d["text_hash"] for d in docs if d.get("status") != "deleted"])
        for doc in docs:
            blob = cached.get(doc["text_hash"])
            if blob is not None and doc.get("status") != "deleted":
                doc.update(_vector_fields(self.model, blob))

    def _missing_vectors(
        self, kind: str, model: str, limit: int, active: dict[str, Any] | None, sort: Sequence[str] = ("seq", "key")
    ) -> list[Any]:
        if model == self.model:
            query: dict[str, Any] = {"bool": {"must_not": [{"exists": {"field": "vector"}}]}}
            if active:
                query["bool"]["filter"] = [active]
            self._fresh(kind)
            kwargs: dict[str, Any] = {"query": query, "sort": list(sort), "size": limit, "source": ["record"]}
            hits = self._call(f"scan {kind}", lambda: self._es.search(index=self.alias(kind), **kwargs))["hits"]
            return [decode(kind, h["_source"]) for h in hits["hits"]]
        out: list[Any] = []  # another model: look each text up in the cache
        page: list[dict[str, Any]] = []
        for source in self._scan(kind, active or {"match_all": {}}, sort, source=["record", "text_hash"]):
            page.append(source)
            if len(page) == PAGE:
                out += self._uncached(kind, model, page)
                page = []
                if len(out) >= limit:
                    break
        out += self._uncached(kind, model, page)
        return out[:limit]

    def _uncached(self, kind: str, model: str, sources: list[dict[str, Any]]) -> list[Any]:
        cached = self.cached_embeddings(model, [s["text_hash"] for s in sources])
        return [decode(kind, s) for s in sources if s["text_hash"] not in cached]

    def articles_missing_embeddings(self, model: str, limit: int, *, newest_first: bool = False) -> list[Article]:
        active = {"term": {"status": ArticleStatus.ACTIVE.value}}
        # "field:order" strings: the client sends them as the sort parameter, where a missing year sorts last
        sort = ("year:desc", "seq:desc") if newest_first else ("seq", "key")
        return self._missing_vectors("articles", model, limit, active, sort)

    def evidence_missing_embeddings(self, model: str, limit: int) -> list[Evidence]:
        return self._missing_vectors("evidence", model, limit, None)

    def embedding_coverage(self, model: str) -> dict[str, tuple[int, int]]:
        self._fresh("articles", "evidence")
        active = {"term": {"status": ArticleStatus.ACTIVE.value}}
        out: dict[str, tuple[int, int]] = {}
        for kind, query in (("evidence", None), ("articles", active)):
            total = self._count(kind, query)
            if model == self.model:  # the indexed model: its vectors sit on the documents
                with_vector: dict[str, Any] = {"bool": {"filter": [{"exists": {"field": "vector"}}]}}
                if query:
                    with_vector["bool"]["filter"].append(query)
                out[kind] = (self._count(kind, with_vector), total)
                continue
            covered, page = 0, []  # another model: look each text up in the cache
            for source in self._scan(kind, query or {"match_all": {}}, ("seq", "key"), source=["text_hash"]):
                page.append(source["text_hash"])
                if len(page) == PAGE:
                    covered, page = covered + self._cached_count(model, page), []
            out[kind] = (covered + self._cached_count(model, page), total)
        return out

    def _cached_count(self, model: str, hashes: list[str]) -> int:
        cached = self.cached_embeddings(model, hashes) if hashes else {}
        return sum(1 for h in hashes if h in cached)

    # -- checkpoints, stats ---------------------------------------------------------------------
    def get_checkpoint(self, job: str) -> str | None:
        try:
            found = self._call(
                "read a checkpoint", lambda: self._es.get(index=self._meta_index, id=f"checkpoint:{job}")
            )
        except StoreError as exc:
            if isinstance(exc.__cause__, NotFoundError):
                return None
            raise
        return str(found["_source"]["value"])

    def set_checkpoint(self, job: str, value: str | None) -> None:
        ident = f"checkpoint:{job}"
        if value is None:
            try:
                self._call("clear a checkpoint", lambda: self._es.delete(index=self._meta_index, id=ident), wait=True)
            except StoreError as exc:
                if not isinstance(exc.__cause__, NotFoundError):
                    raise
            return
        doc = {"value": value, "updated": datetime.now(UTC).isoformat(timespec="seconds")}
        self._call(
            "write a checkpoint", lambda: self._es.index(index=self._meta_index, id=ident, document=doc), wait=True
        )

    def _count(self, kind: str, query: dict[str, Any] | None = None) -> int:
        body: dict[str, Any] = {"query": query} if query else {}
        return int(self._call(f"count {kind}", lambda: self._es.count(index=self.alias(kind), **body))["count"])

    def stats(self) -> dict[str, int]:
        self._fresh(*KINDS)
        concepts = self._call(
            "count concepts",
            lambda: self._es.search(
                index=self.alias("articles"), size=0, aggs={"n": {"value_count": {"field": "concepts"}}}
            ),
        )
        return {
            "genes": self._count("genes"),
            "tumors": self._count("tumors"),
            "drugs": self._count("drugs"),
            "evidence": self._count("evidence"),
            "articles": self._count("articles", {"term": {"status": ArticleStatus.ACTIVE.value}}),
            "articles_deleted": self._count("articles", {"term": {"status": ArticleStatus.DELETED.value}}),
            "article_concepts": int(concepts["aggregations"]["n"]["value"]),
            "embeddings": self._count("embeddings"),
            "tests": self._count("tests"),
            "tests_published": self._count("tests", {"term": {"published": True}}),
            "biomarkers": self._count("biomarkers"),
            **{plural: self._count(plural) for plural in ("regulatory", "guidelines", "reading_lists")},
        }

    # -- reindex --------------------------------------------------------------------------------
    def reindex(self, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Rebuild every kind into the next versioned index from the stored records, then swap all aliases
        in one atomic request. Searches use the old indices until the swap; writes made meanwhile abort it.
        """
        version = self.current_data_version()
        current = self.indices()
        fresh: dict[str, str] = {}
        counts: dict[str, int] = {}
        try:
            for kind in KINDS:
                alias = self.alias(kind)
                old = current[alias]
                match = re.search(r"-v(\d+)$", old)
                new = f"{alias}-v{int(match.group(1)) + 1 if match else 2}"
                self._call(f"create {new}", partial(self._es.indices.create, index=new, **self._body(kind)))
                fresh[kind] = new
                counts[kind] = self._copy(kind, new, progress)
            if self.current_data_version() != version:
                raise StoreError("the store changed during the reindex; nothing was swapped, run `kb reindex` again")
        except BaseException:
            for name in fresh.values():
                self._call(f"drop {name}", partial(self._es.indices.delete, index=name, ignore_unavailable=True))
            raise
        actions: list[dict[str, Any]] = []
        for kind, new in fresh.items():
            actions.append({"remove": {"index": current[self.alias(kind)], "alias": self.alias(kind)}})
            actions.append({"add": {"index": new, "alias": self.alias(kind)}})
        self._call("swap aliases", lambda: self._es.indices.update_aliases(actions=actions))
        for kind in fresh:
            old = current[self.alias(kind)]
            self._call(f"drop {old}", partial(self._es.indices.delete, index=old, ignore_unavailable=True))
        return counts

    def _copy(self, kind: str, target: str, progress: Callable[[str, int], None] | None) -> int:
        """Rebuild each document of ``kind`` from its record into ``target``."""
        copied = 0
        page: list[dict[str, Any]] = []
        sort = ("key",) if kind != "embeddings" else ("model", "text_hash")
        source: Any = True if kind == "embeddings" else ["record"]

        def flush() -> None:
            nonlocal copied
            if kind == "embeddings":
                docs = [({"index": {"_id": s.pop("_id")}}, s) for s in page]
            else:
                built = [build_doc(decode(kind, s)) for s in page]
                if kind in ("articles", "evidence"):
                    self._attach_vectors(built)
                docs = [({"index": {"_id": d["key"]}}, d) for d in built]
            self._send(target, [part for pair in docs for part in pair])
            copied += len(page)
            if progress is not None:
                progress(kind, copied)
            page.clear()

        for doc in self._scan(kind, {"match_all": {}}, sort, source=source):
            page.append(doc)
            if len(page) >= self.bulk_docs:
                flush()
        if page:
            flush()
        self._call(f"refresh {target}", lambda: self._es.indices.refresh(index=target))
        return copied


def _first_ingested(source: dict[str, Any] | None) -> datetime | None:
    value = (source or {}).get("record", {}).get("first_ingested")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _vector_fields(model: str, blob: bytes) -> dict[str, Any]:
    return {"vector": np.frombuffer(blob, dtype="<f2").astype(np.float32).tolist(), "vector_model": model}
