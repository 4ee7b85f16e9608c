"""The Elasticsearch store: the same :class:`~kb.store.base.Store` and
:class:`~kb.store.base.SearchIndex` as the embedded one, on a real cluster.

Each record kind lives in a versioned index behind an alias (``genekb-articles`` →
``genekb-articles-v1``); ``kb reindex`` builds the next versions from the stored
records and swaps every alias in one atomic request. Writes wait for an
unreachable cluster (up to ``KB_ES_RETRY_SECONDS``) and are idempotent, so a
retried batch never duplicates; reads fail fast with
:class:`~kb.errors.StoreUnavailable` (HTTP 503 in the API).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import numpy as np
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from kb.domain import Article, ArticleStatus, Drug, Evidence, Gene, TestItem, TumorType
from kb.errors import MigrationError, StoreError, StoreUnavailable
from kb.settings import Settings
from kb.store.base import UpsertResult
from kb.store.es_schema import ES_SCHEMA_VERSION, KINDS, build_doc, decode, index_body
from kb.store.es_search import ElasticsearchSearch

__all__ = ["ElasticsearchStore"]

log = logging.getLogger("kb.store")
R = TypeVar("R")

_PAGE = 1000
_MAX_BULK_BYTES = 8 * 1024 * 1024
_RETRYABLE_STATUS = {429, 502, 503, 504}


class ElasticsearchStore(ElasticsearchSearch):
    """Store and search index on an Elasticsearch 9 cluster named by ``KB_STORE=http://host:9200``."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.store
        self.prefix = settings.es_index_prefix
        self.model = settings.embed_model  # the model whose vectors are indexed for kNN
        self.retry_seconds = settings.es_retry_seconds
        self.bulk_docs = settings.es_bulk_docs
        self._index_options = {
            "shards": settings.es_shards,
            "replicas": settings.es_replicas,
            "vector_index": settings.es_vector_index,
        }
        self._es = Elasticsearch(self.url, request_timeout=settings.es_timeout, max_retries=1)
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._writing = threading.local()
        self._call("open the indices", self._ensure_indices, wait=True)

    # -- plumbing -------------------------------------------------------------------------------
    def alias(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    @property
    def _meta_index(self) -> str:
        return f"{self.prefix}-meta"

    def _call(self, what: str, fn: Callable[[], R], *, wait: bool = False) -> R:
        """Run one client call, translating errors; with ``wait`` an unreachable cluster is retried."""
        deadline = time.monotonic() + self.retry_seconds
        delay = 1.0
        while True:
            try:
                return fn()
            except (TransportError, ApiError) as exc:
                status = exc.meta.status if isinstance(exc, ApiError) else None
                if isinstance(exc, ApiError) and status not in _RETRYABLE_STATUS:
                    raise StoreError(f"Elasticsearch refused to {what}: {_reason(exc)}") from exc
                patient = wait or getattr(self._writing, "depth", 0) > 0  # every call of a write waits
                if not patient or time.monotonic() + delay > deadline:
                    raise StoreUnavailable(
                        f"Elasticsearch at {self.url} is unavailable ({what}): {_reason(exc)}",
                        details={"backend": "elasticsearch"},
                    ) from exc
                log.warning(
                    "Elasticsearch at %s is unavailable (%s: %s); retrying in %.0f s",
                    self.url,
                    what,
                    _reason(exc),
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, 15.0)

    def _write(self, fn: Callable[[], R]) -> R:
        """Run a write: inside it every call (reads included) waits out an unreachable cluster."""
        self._writing.depth = getattr(self._writing, "depth", 0) + 1
        try:
            return fn()
        finally:
            self._writing.depth -= 1

    def _ensure_indices(self) -> None:
        for kind in KINDS:
            alias = self.alias(kind)
            if self._es.indices.exists_alias(name=alias):
                found = self._es.indices.get_mapping(index=alias)
                for name, body in found.body.items():
                    schema = int(body["mappings"].get("_meta", {}).get("schema", 0))
                    if schema > ES_SCHEMA_VERSION:
                        raise MigrationError(f"index {name} has schema {schema}, newer than this code")
                    if schema < ES_SCHEMA_VERSION:
                        raise MigrationError(f"index {name} has schema {schema}; run `kb reindex`")
                continue
            self._es.indices.create(index=f"{alias}-v1", aliases={alias: {}}, **self._body(kind))
        if not self._es.indices.exists(index=self._meta_index):
            self._es.indices.create(
                index=self._meta_index,
                settings={"index": {"number_of_shards": 1, "number_of_replicas": self._index_options["replicas"]}},
                mappings={"dynamic": False, "properties": {"updated": {"type": "date"}}},
            )

    def _body(self, kind: str) -> dict[str, Any]:
        body = index_body(kind, **self._index_options)
        return {"settings": body["settings"], "mappings": body["mappings"]}

    def _fresh(self, *kinds: str) -> None:
        """Make this process's own writes visible to search (gets are realtime anyway)."""
        with self._lock:
            stale = [k for k in kinds if k in self._dirty]
            self._dirty.difference_update(stale)
        if stale:
            self._call("refresh", lambda: self._es.indices.refresh(index=",".join(map(self.alias, stale))))

    def _bulk(self, kind: str, actions: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Send (action, body) pairs in bounded chunks; 429s and outages are waited out, then retried."""
        index = self.alias(kind)
        chunk: list[dict[str, Any]] = []
        size = 0
        for action, body in actions:
            chunk += [action, body]
            size += len(str(body))
            if len(chunk) >= 2 * self.bulk_docs or size >= _MAX_BULK_BYTES:
                self._send(index, chunk)
                chunk, size = [], 0
        if chunk:
            self._send(index, chunk)
        with self._lock:
            self._dirty.add(kind)

    def _send(self, index: str, operations: list[dict[str, Any]]) -> None:
        pending = operations
        delay = 1.0
        while pending:
            response = self._call(
                f"bulk-index into {index}", partial(self._es.bulk, index=index, operations=pending), wait=True
            )
            if not response.get("errors"):
                return
            retry: list[dict[str, Any]] = []
            for i, item in enumerate(response["items"]):
                result = next(iter(item.values()))
                if result.get("status", 200) < 300:
                    continue
                if result["status"] in _RETRYABLE_STATUS:
                    retry += pending[2 * i : 2 * i + 2]
                else:
                    raise StoreError(
                        f"Elasticsearch rejected document {result.get('_id')} in {index}: "
                        f"{result.get('error', {}).get('reason', result.get('error'))}"
                    )
            log.warning("Elasticsearch pushed back on %d documents; retrying in %.0f s", len(retry) // 2, delay)
            time.sleep(delay)
            delay = min(delay * 2, 15.0)
            pending = retry

    def _mget(self, kind: str, ids: Sequence[str], fields: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _PAGE):
            chunk = unique[start : start + _PAGE]
            source: Any = list(fields) if fields is not None else True
            response = self._call(
                f"read {kind}", partial(self._es.mget, index=self.alias(kind), ids=chunk, source=source)
            )
            out.update({d["_id"]: d["_source"] for d in response["docs"] if d.get("found")})
        return out

    def _scan(
        self, kind: str, query: dict[str, Any], sort: Sequence[str], source: Any = ("record",)
    ) -> Iterator[dict[str, Any]]:
        """Every matching document, in ``sort`` order, page by page (``search_after``)."""
        self._fresh(kind)
        after: list[Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"query": query, "sort": list(sort), "size": _PAGE, "source": source}
            if after is not None:
                kwargs["search_after"] = after
            hits = self._call(f"scan {kind}", partial(self._es.search, index=self.alias(kind), **kwargs))["hits"]
            for hit in hits["hits"]:
                yield {"_id": hit["_id"], **hit.get("_source", {})}
            if len(hits["hits"]) < _PAGE:
                return
            after = hits["hits"][-1]["sort"]

    def _bump(self) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._call(
            "bump the data version",
            lambda: self._es.index(index=self._meta_index, id="data_version", document={"updated": now}),
            wait=True,
        )

    # -- knowledge records ----------------------------------------------------------------------
    def _upsert(self, kind: str, records: Sequence[object]) -> UpsertResult:
        docs = {d["key"]: d for d in map(build_doc, records)}
        old = self._mget(kind, list(docs), ["hash", "version"])
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

    def upsert_articles(self, articles: Sequence[Article]) -> UpsertResult:
        bad = [a.pmid for a in articles if not a.pmid.isdigit()]
        if bad:
            raise StoreError(f"PMID {bad[0]!r} is not a number")
        return self._write(partial(self._upsert, "articles", articles))

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
            for start in range(0, len(hashes), _PAGE):
                chunk = hashes[start : start + _PAGE]
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

    def _missing_vectors(self, kind: str, model: str, limit: int, active: dict[str, Any] | None) -> list[Any]:
        sort = ("seq", "key")
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
            if len(page) == _PAGE:
                out += self._uncached(kind, model, page)
                page = []
                if len(out) >= limit:
                    break
        out += self._uncached(kind, model, page)
        return out[:limit]

    def _uncached(self, kind: str, model: str, sources: list[dict[str, Any]]) -> list[Any]:
        cached = self.cached_embeddings(model, [s["text_hash"] for s in sources])
        return [decode(kind, s) for s in sources if s["text_hash"] not in cached]

    def articles_missing_embeddings(self, model: str, limit: int) -> list[Article]:
        return self._missing_vectors("articles", model, limit, {"term": {"status": ArticleStatus.ACTIVE.value}})

    def evidence_missing_embeddings(self, model: str, limit: int) -> list[Evidence]:
        return self._missing_vectors("evidence", model, limit, None)

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
        }

    def data_version(self) -> str:
        try:
            found = self._call("read the data version", lambda: self._es.get(index=self._meta_index, id="data_version"))
            version = int(found["_version"])
        except StoreError as exc:
            if not isinstance(exc.__cause__, NotFoundError):
                raise
            version = 0
        return f"{ES_SCHEMA_VERSION}.{version}"

    def ping(self) -> bool:
        """Whether the cluster answers (used by readiness checks)."""
        try:
            self._call("check health", lambda: self._es.cluster.health(timeout="2s"))
        except StoreError:
            return False
        return True

    # -- reindex --------------------------------------------------------------------------------
    def indices(self) -> dict[str, str]:
        """The concrete index behind each alias."""
        found = self._call("read aliases", lambda: self._es.indices.get_alias(name=f"{self.prefix}-*"))
        return {alias: index for index, body in found.body.items() for alias in body["aliases"]}

    def reindex(self, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Rebuild every kind into the next versioned index from the stored records, then swap all aliases
        in one atomic request. Searches use the old indices until the swap; writes made meanwhile abort it.
        """
        version = self.data_version()
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
            if self.data_version() != version:
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

    def index_sizes(self) -> dict[str, tuple[int, int]]:
        """Documents and bytes on disk (primaries) of each kind, after a flush."""
        self._call("flush", lambda: self._es.indices.flush(index=f"{self.prefix}-*"))
        out: dict[str, tuple[int, int]] = {}
        for kind in KINDS:
            stats = self._call("read index stats", partial(self._es.indices.stats, index=self.alias(kind)))
            primaries = stats["_all"]["primaries"]
            out[kind] = (int(primaries["docs"]["count"]), int(primaries["store"]["size_in_bytes"]))
        return out

    def drop(self) -> None:
        """Delete every index of this prefix (tests and ``kb reindex --drop``)."""
        names = [*self.indices().values(), self._meta_index]
        self._call("drop indices", lambda: self._es.indices.delete(index=",".join(names), ignore_unavailable=True))

    def close(self) -> None:
        self._es.close()


def _vector_fields(model: str, blob: bytes) -> dict[str, Any]:
    return {"vector": np.frombuffer(blob, dtype="<f2").astype(np.float32).tolist(), "vector_model": model}


def _reason(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        info = exc.info if isinstance(exc.info, dict) else {}
        error = info.get("error", {})
        reason = error.get("reason") if isinstance(error, dict) else error
        return f"{exc.meta.status} {reason or exc.message}"
    return str(exc) or type(exc).__name__
