"""One Elasticsearch cluster as the store sees it: the versioned indices behind aliases, error
translation with patient retries, the bounded bulk writer, paged reads and the data version.

Writes wait for an unreachable cluster (up to ``KB_ES_RETRY_SECONDS``) and are idempotent,
so a retried batch never duplicates; reads fail fast with
:class:`~kb.errors.StoreUnavailable` (HTTP 503 in the API).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from kb.errors import MigrationError, StoreError, StoreUnavailable
from kb.settings import Settings
from kb.store.base import VERSION_TTL
from kb.store.es_schema import ES_SCHEMA_VERSION, KINDS, index_body

__all__ = ["PAGE", "VERSION_TTL", "ElasticsearchCluster"]

log = logging.getLogger("kb.store")
R = TypeVar("R")

#: Documents per page of a scan or an mget.
PAGE = 1000
_MAX_BULK_BYTES = 8 * 1024 * 1024
_RETRYABLE_STATUS = {429, 502, 503, 504}


class ElasticsearchCluster:
    """The connection to the cluster named by ``KB_STORE=http://host:9200`` and the plumbing every
    read and write goes through; :class:`~kb.store.es.ElasticsearchStore` builds on it."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.store
        self.prefix = settings.es_index_prefix
        self.retry_seconds = settings.es_retry_seconds
        self.bulk_docs = settings.es_bulk_docs
        self._index_options: dict[str, Any] = {
            "shards": settings.es_shards,
            "replicas": settings.es_replicas,
            "vector_index": settings.es_vector_index,
        }
        self._es = Elasticsearch(self.url, request_timeout=settings.es_timeout, max_retries=1)
        self._dirty: set[str] = set()
        self._version_read: tuple[float, str] | None = None  # (when, version) of the last data version read
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
                    self._add_fields(kind, name, body["mappings"].get("properties", {}))
                continue
            self._es.indices.create(index=f"{alias}-v1", aliases={alias: {}}, **self._body(kind))
        if not self._es.indices.exists(index=self._meta_index):
            self._es.indices.create(
                index=self._meta_index,
                settings={"index": {"number_of_shards": 1, "number_of_replicas": self._index_options["replicas"]}},
                mappings={"dynamic": False, "properties": {"updated": {"type": "date"}}},
            )

    def _add_fields(self, kind: str, index: str, present: dict[str, Any]) -> None:
        """Map the fields added to ``kind`` since ``index`` was made (``first_ingested``): adding a field needs no
        reindex, and the documents written before it simply lack it (a sort puts them last)."""
        wanted = self._body(kind)["mappings"]["properties"]
        missing = {field: mapping for field, mapping in wanted.items() if field not in present}
        if missing:
            self._es.indices.put_mapping(index=index, properties=missing)

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
        for start in range(0, len(unique), PAGE):
            chunk = unique[start : start + PAGE]
            source: Any = True if fields is None else (list(fields) or False)  # no fields: whether they exist
            response = self._call(
                f"read {kind}", partial(self._es.mget, index=self.alias(kind), ids=chunk, source=source)
            )
            out.update({d["_id"]: d.get("_source", {}) for d in response["docs"] if d.get("found")})
        return out

    def _scan(
        self, kind: str, query: dict[str, Any], sort: Sequence[str], source: Any = ("record",)
    ) -> Iterator[dict[str, Any]]:
        """Every matching document, in ``sort`` order, page by page (``search_after``)."""
        self._fresh(kind)
        after: list[Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"query": query, "sort": list(sort), "size": PAGE, "source": source}
            if after is not None:
                kwargs["search_after"] = after
            hits = self._call(f"scan {kind}", partial(self._es.search, index=self.alias(kind), **kwargs))["hits"]
            for hit in hits["hits"]:
                yield {"_id": hit["_id"], **hit.get("_source", {})}
            if len(hits["hits"]) < PAGE:
                return
            after = hits["hits"][-1]["sort"]

    def _bump(self) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._call(
            "bump the data version",
            lambda: self._es.index(index=self._meta_index, id="data_version", document={"updated": now}),
            wait=True,
        )
        self._version_read = None  # this process sees its own writes at once

    def data_version(self) -> str:
        """The data version, read at most every :data:`VERSION_TTL` seconds (a search asks several times;
        another process's writes show within that time, this process's own at once)."""
        read = self._version_read
        if read is not None and time.monotonic() - read[0] < VERSION_TTL:
            return read[1]
        version = self.current_data_version()
        self._version_read = (time.monotonic(), version)
        return version

    def current_data_version(self) -> str:
        """The data version as the cluster holds it now (one round trip)."""
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

    # -- indices --------------------------------------------------------------------------------
    def indices(self) -> dict[str, str]:
        """The concrete index behind each alias."""
        found = self._call("read aliases", lambda: self._es.indices.get_alias(name=f"{self.prefix}-*"))
        return {alias: index for index, body in found.body.items() for alias in body["aliases"]}

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


def _reason(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        info = exc.info if isinstance(exc.info, dict) else {}
        error = info.get("error", {})
        reason = error.get("reason") if isinstance(error, dict) else error
        return f"{exc.meta.status} {reason or exc.message}"
    return str(exc) or type(exc).__name__
