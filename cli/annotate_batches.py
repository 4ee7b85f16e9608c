"""The batching side of ``kb annotate``: distinct queries, in batches, in-process or over HTTP.

Rows that ask the same thing (BRAF V600E in melanoma in forty samples) are sent once. Batches go to an
:class:`InProcess` annotator (the configured store, the same code path and JSON as the API) or to
``POST /v1/annotate`` of a server (:class:`OverHttp`) with a partner key. Over HTTP a batch costs one request
of the key's rate limit per item: a 429 is retried after its ``Retry-After`` (a refused batch costs nothing),
a bounded number of times, each wait at most
``max_wait``; a batch larger than the key's whole limit (``RateLimit-Limit``) is split.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from kb.annotate import MAX_BATCH
from kb.errors import AuthError, DataError, RateLimited, SourceError, SourceUnavailable

if TYPE_CHECKING:
    from kb.services import Services

__all__ = ["MAX_BATCH", "BatchTooLarge", "InProcess", "OverHttp", "annotate_all", "distinct"]

Query = dict[str, str]
Answer = dict[str, Any]
Annotate = Callable[[list[Query]], tuple[str, list[Answer]]]  # a batch -> (data version, its annotations)


class BatchTooLarge(Exception):
    """The server takes at most ``limit`` items per batch from this key (its whole rate limit)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} items per batch")
        self.limit = limit


def distinct(queries: Sequence[Query | None]) -> tuple[list[Query], list[int | None]]:
    """The distinct queries (each with an ``id``, its index) and, per row, the index of its query."""
    found: dict[tuple[tuple[str, str], ...], int] = {}
    items: list[Query] = []
    index: list[int | None] = []
    for query in queries:
        if query is None:
            index.append(None)
            continue
        key = tuple(sorted(query.items()))
        if key not in found:
            found[key] = len(items)
            items.append({"id": str(len(items)), **query})
        index.append(found[key])
    return items, index


def annotate_all(
    items: list[Query],
    annotate: Annotate,
    *,
    batch_size: int = MAX_BATCH,
    advance: Callable[[int], object] | None = None,
) -> tuple[str, list[Answer]]:
    """Every item's annotation, in order, in batches of at most ``batch_size`` (smaller when the server says so),
    and the data version(s) that answered."""
    answers: list[Answer] = []
    versions: list[str] = []
    size = max(1, min(batch_size, MAX_BATCH))
    while len(answers) < len(items):
        batch = items[len(answers) : len(answers) + size]
        try:
            version, got = annotate(batch)
        except BatchTooLarge as exc:
            if exc.limit >= len(batch):
                raise
            size = exc.limit
            continue
        if [a.get("id") for a in got] != [q["id"] for q in batch]:
            raise SourceError("the annotations did not come back one per item, in order")
        answers += got
        versions += [] if version in versions else [version]
        if advance is not None:
            advance(len(batch))
    return ", ".join(versions) + (" (the data changed during the run)" if len(versions) > 1 else ""), answers


class InProcess:
    """Annotates with the services of this process: the same code and JSON as ``POST /v1/annotate``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.annotator = services.annotator()  # one for the run: the store does not change under a command

    def __call__(self, batch: list[Query]) -> tuple[str, list[Answer]]:
        from pydantic import ValidationError

        from api.annotate_schemas import AnnotateItemIn
        from api.routes.annotate import annotation_out, to_query

        try:
            queries = [to_query(AnnotateItemIn.model_validate(item)) for item in batch]
        except ValidationError as exc:
            raise DataError(f"a row can't be sent: {exc.errors()[0]['msg']}") from None
        version = self.services.store.data_version()
        found = self.annotator.annotate(queries)
        return version, [annotation_out(a, self.services.vocab, version).model_dump(mode="json") for a in found]


class OverHttp:
    """``POST /v1/annotate`` of the server at ``url`` with a partner key (sent as ``Authorization: Bearer``)."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        max_retries: int = 5,
        max_wait: float = 300.0,
        timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise DataError(f"--url must start with http:// or https://, not {url!r}")
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, timeout=timeout, headers={"Authorization": f"Bearer {key}"})
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.on_wait = on_wait
        self.limit: int | None = None  # the key's rate limit, from RateLimit-Limit
        self.waited = 0.0  # seconds slept on 429 and retries
        self.answered = False  # a server that never answered is not retried (a wrong --url fails at once)

    def close(self) -> None:
        self.client.close()

    def __call__(self, batch: list[Query]) -> tuple[str, list[Answer]]:
        if self.limit is not None and len(batch) > self.limit:
            raise BatchTooLarge(self.limit)
        tries = 0
        while True:
            tries += 1
            try:
                answer = self.client.post("/v1/annotate", json={"items": batch})
            except httpx.TransportError as exc:
                if tries > self.max_retries or (isinstance(exc, httpx.ConnectError) and not self.answered):
                    raise SourceUnavailable(f"{self.url}: {exc.__class__.__name__}: {exc}") from None
                self._wait(min(2.0**tries, 30.0), "no answer")
                continue
            self.answered = True
            limit = answer.headers.get("RateLimit-Limit", "")
            self.limit = int(limit) if limit.isdigit() and int(limit) > 0 else self.limit
            if answer.status_code == 200:
                body = answer.json()
                return str(body.get("data_version", "")), list(body.get("annotations") or [])
            if answer.status_code == 429 and self.limit is not None and len(batch) > self.limit:
                raise BatchTooLarge(self.limit)
            retry = answer.status_code == 429 or answer.status_code >= 500
            if not retry or tries > self.max_retries:
                raise _error(answer, self.url, tries)
            wait = min(2.0**tries, 30.0)
            if answer.status_code == 429:  # a refused batch costs nothing: its Retry-After is enough
                wait = _retry_after(answer)
            if wait > self.max_wait:
                raise RateLimited(f"{self.url} asks to wait {wait:.0f} s, more than --max-wait", retry_after=int(wait))
            self._wait(wait, "rate limited" if answer.status_code == 429 else f"server error {answer.status_code}")

    def _wait(self, seconds: float, why: str) -> None:
        if self.on_wait is not None:
            self.on_wait(seconds, why)
        self.waited += seconds
        self.sleep(seconds)


def _retry_after(answer: httpx.Response) -> float:
    value = answer.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else 1.0


def _error(answer: httpx.Response, url: str, tries: int) -> Exception:
    """The server's error ({"error": {"code", "message"}}) as ours."""
    try:
        error = answer.json().get("error") or {}
    except ValueError:
        error = {}
    message = f"{url} answered {answer.status_code}: {error.get('message') or answer.text[:200]}"
    if answer.status_code in (401, 403):
        return AuthError(message)
    if answer.status_code == 429:
        return RateLimited(f"{message} (after {tries} tries)", retry_after=int(_retry_after(answer)))
    if answer.status_code in (413, 422):
        return DataError(message)
    return SourceError(message)
