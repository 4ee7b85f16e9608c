"""download() against a local replay server; no network."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.download import KNOWN_SOURCES, MAX_RETRY_AFTER, download, parse_retry_after
from kb.errors import SourceError, SourceUnavailable
from tests.http_replay import ReplayServer, Reply, replay_server, unused_port

PAYLOAD = "".join(f"EID{n}\tEGFR\tL858R\tplaceholder statement {n}\n" for n in range(5000)).encode()


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as replay:
        yield replay


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_download_writes_the_whole_body_and_leaves_no_temporary_file(server: ReplayServer, tmp_path: Path) -> None:
    server.script("/nightly.tsv", Reply(body=PAYLOAD, content_type="text/tab-separated-values"))
    dest = tmp_path / "civic" / "evidence.tsv"  # the folder does not exist yet

    assert download(server.url("/nightly.tsv"), dest) == dest

    assert dest.read_bytes() == PAYLOAD
    assert leftovers(dest.parent) == []


def test_server_errors_and_rate_limits_are_retried(server: ReplayServer, tmp_path: Path) -> None:
    server.script(
        "/tree",
        Reply.error(500),
        Reply.error(429, headers={"Retry-After": "0"}),
        Reply(body=b'{"TISSUE": {}}', content_type="application/json"),
    )
    dest = tmp_path / "oncotree.json"

    download(server.url("/tree"), dest, retries=3, backoff=0.01)

    assert dest.read_bytes() == b'{"TISSUE": {}}'
    assert len(server.requests_to("/tree")) == 3


def test_a_body_cut_short_is_retried(server: ReplayServer, tmp_path: Path) -> None:
    server.script("/hgnc.txt", Reply(body=PAYLOAD, send_bytes=len(PAYLOAD) // 3), Reply(body=PAYLOAD))
    dest = tmp_path / "hgnc.txt"

    download(server.url("/hgnc.txt"), dest, backoff=0.01)

    assert dest.read_bytes() == PAYLOAD
    assert len(server.requests_to("/hgnc.txt")) == 2
    assert leftovers(tmp_path) == []


def test_not_found_fails_at_once_with_a_clear_error(server: ReplayServer, tmp_path: Path) -> None:
    dest = tmp_path / "missing.tsv"

    with pytest.raises(SourceError, match=r"not found \(HTTP 404\)") as caught:
        download(server.url("/nowhere.tsv"), dest, retries=3, backoff=0.01)

    assert not isinstance(caught.value, SourceUnavailable)
    assert len(server.requests) == 1
    assert not dest.exists()
    assert leftovers(tmp_path) == []


def test_persistent_failure_keeps_the_previous_file(server: ReplayServer, tmp_path: Path) -> None:
    server.script("/nightly.tsv", Reply(body=PAYLOAD, send_bytes=100))
    dest = tmp_path / "evidence.tsv"
    dest.write_bytes(b"yesterday's complete copy\n")

    with pytest.raises(SourceUnavailable, match="after 3 attempts"):
        download(server.url("/nightly.tsv"), dest, retries=2, backoff=0.01)

    assert dest.read_bytes() == b"yesterday's complete copy\n"
    assert leftovers(tmp_path) == []
    assert len(server.requests) == 3


def test_an_unreachable_host_raises_source_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable):
        download(f"http://127.0.0.1:{unused_port()}/x.tsv", tmp_path / "x.tsv", retries=1, backoff=0.01)


def test_progress_bar_runs_to_completion(
    server: ReplayServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script("/nightly.tsv", Reply(body=PAYLOAD))
    dest = tmp_path / "evidence.tsv"

    download(server.url("/nightly.tsv"), dest, progress=True)

    assert dest.read_bytes() == PAYLOAD
    assert "evidence.tsv" in capsys.readouterr().out


def test_known_sources_are_the_public_https_urls() -> None:
    assert KNOWN_SOURCES == {
        "civic": "https://civicdb.org/downloads/nightly/nightly-ClinicalEvidenceSummaries.tsv",
        "oncotree": "https://oncotree.mskcc.org/api/tumorTypes/tree",
        "hgnc": "https://storage.googleapis.com/public-download-files/hgnc/tsv/tsv/hgnc_complete_set.txt",
    }


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after("0") == 0.0
    assert parse_retry_after(" 12 ") == 12.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("86400") == MAX_RETRY_AFTER
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
