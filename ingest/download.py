"""Download public source files (CIViC, OncoTree, HGNC ...) safely.

:func:`download` streams the body to a temporary file beside the destination
and renames it into place only when the whole body arrived, so a reader never
sees half a file and an interrupted download leaves the old copy intact.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx

from kb.errors import SourceError, SourceUnavailable

__all__ = ["KNOWN_SOURCES", "MAX_RETRY_AFTER", "download", "parse_retry_after"]

KNOWN_SOURCES: dict[str, str] = {
    "civic": "https://civicdb.org/downloads/nightly/nightly-ClinicalEvidenceSummaries.tsv",
    "oncotree": "https://oncotree.mskcc.org/api/tumorTypes/tree",
    "hgnc": "https://storage.googleapis.com/public-download-files/hgnc/tsv/tsv/hgnc_complete_set.txt",
}

MAX_RETRY_AFTER = 300.0
"""Longest wait, in seconds, that a server's ``Retry-After`` may impose."""

_Advance = Callable[[int], None]

_CHUNK = 1 << 16
_USER_AGENT = "genekb/0.1 (+gene-drug knowledge base ingest)"


class _RetryableError(Exception):
    """One attempt failed in a way worth trying again."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (delta-seconds or HTTP date).

    Returns ``None`` when the header is absent or unreadable; the result is
    clamped to ``[0, MAX_RETRY_AFTER]``.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def download(
    url: str,
    dest: Path,
    *,
    retries: int = 3,
    backoff: float = 1.0,
    progress: bool = False,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``.

    HTTP 429 and 5xx answers, connection errors and bodies cut short are retried
    up to ``retries`` times, waiting ``backoff`` seconds and doubling, or what
    the server's ``Retry-After`` asks for.

    :raises SourceError: the server answered 404 or another 4xx; retrying won't help.
    :raises SourceUnavailable: every attempt failed with a retryable error.
    """
    if retries < 0:
        raise SourceError(f"retries must be 0 or more, not {retries}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    delay = backoff
    attempts = retries + 1
    headers = {"User-Agent": _USER_AGENT}
    with httpx.Client(follow_redirects=True, timeout=timeout, headers=headers) as client:
        for attempt in range(1, attempts + 1):
            try:
                _download_once(client, url, dest, progress=progress)
                return dest
            except _RetryableError as exc:
                if attempt == attempts:
                    raise SourceUnavailable(
                        f"download of {url} failed after {attempts} attempts: {exc}",
                        details={"url": url, "attempts": attempts},
                    ) from exc
                wait = exc.retry_after if exc.retry_after is not None else delay
            time.sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _download_once(client: httpx.Client, url: str, dest: Path, *, progress: bool) -> None:
    try:
        with client.stream("GET", url) as response:
            _check_status(response, url)
            expected = _content_length(response)
            with _temporary_beside(dest) as (tmp_path, out):
                with _progress(dest.name, expected, enabled=progress) as advance:
                    for chunk in response.iter_bytes(_CHUNK):
                        out.write(chunk)
                        advance(len(chunk))
                if expected is not None and response.num_bytes_downloaded < expected:
                    raise _RetryableError(f"body cut short: {response.num_bytes_downloaded} of {expected} bytes")
                out.flush()
                os.fsync(out.fileno())
                out.close()
                os.replace(tmp_path, dest)
    except (httpx.UnsupportedProtocol, httpx.TooManyRedirects, httpx.InvalidURL) as exc:
        raise SourceError(f"cannot download {url}: {exc}", details={"url": url}) from exc
    except (httpx.TransportError, httpx.DecodingError) as exc:
        raise _RetryableError(f"{type(exc).__name__}: {exc}") from exc


def _check_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 429 or status >= 500:
        raise _RetryableError(f"HTTP {status}", retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 404:
        raise SourceError(f"{url} not found (HTTP 404)", details={"url": url, "status": status})
    raise SourceError(f"{url} refused: HTTP {status} {response.reason_phrase}", details={"url": url, "status": status})


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None or not value.isdigit():
        return None
    return int(value)


@contextlib.contextmanager
def _temporary_beside(dest: Path) -> Iterator[tuple[Path, IO[bytes]]]:
    """A temporary file in ``dest``'s folder, removed unless it was renamed into place."""
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp_path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            yield tmp_path, out
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def _progress(label: str, total: int | None, *, enabled: bool) -> Iterator[_Advance]:
    """A rich progress bar when ``enabled``, else a no-op counter."""
    if not enabled:
        yield _no_progress
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as bar:
        task = bar.add_task(label, total=total)

        def advance(size: int) -> None:
            bar.advance(task, size)

        yield advance


def _no_progress(size: int) -> None:
    del size
