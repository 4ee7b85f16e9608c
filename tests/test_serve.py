"""`make run`'s two steps as a user runs them: `kb ingest all --if-empty` and `kb serve`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cli.bench.process import free_port, poll_until, stop, wait_ready
from kb.errors import SourceUnavailable
from kb.store import SQLiteStore


def test_ingest_if_empty_leaves_a_loaded_store_alone_and_serve_answers(
    vocab_store: SQLiteStore, data_dir: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "KB_STORE": f"sqlite:///{vocab_store.path}",
        "KB_DATA_DIR": str(data_dir),
        "KB_WORK_DIR": str(tmp_path),
        "KB_DB_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "KB_PORT": str(free_port()),
        "HF_HUB_OFFLINE": "1",
    }
    version = vocab_store.data_version()
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", "all", "--if-empty", "--no-progress"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "already holds data" in done.stderr
    assert vocab_store.data_version() == version
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--no-embed"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{env['KB_PORT']}"
    try:
        wait_ready(base, server, timeout=120, log=log)
        answer = httpx.get(f"{base}/v1/search", params={"q": "EGFR T790M 奥希替尼"}, timeout=30).json()
        assert [c["id"] for c in answer["query"]["concepts"]][:2] == ["EGFR", "EGFR:T790M"]
        assert answer["evidence"] and answer["tests"]
        assert httpx.get(f"{base}/openapi.json", timeout=10).status_code == 200
        assert httpx.get(f"{base}/docs", timeout=10).status_code == 404  # interactive docs only with KB_API_DOCS
    finally:
        stop(server)


def test_serve_with_two_workers_answers_from_two_processes_and_one_embeds(
    vocab_store: SQLiteStore, data_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "KB_STORE": f"sqlite:///{vocab_store.path}",
        "KB_DATA_DIR": str(data_dir),
        "KB_WORK_DIR": str(tmp_path),
        "KB_DB_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "HF_HUB_OFFLINE": "1",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--workers", "2", "--port", str(port)],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    states: set[str] = set()

    def both_answered() -> bool:  # both processes answer: one embeds, the other says another does
        try:
            with httpx.Client(timeout=5) as client:  # a new connection each time, so either process may take it
                answer = client.get(f"{base}/v1/ready")
            if answer.status_code == 200:
                states.add("elsewhere" if answer.json()["embeddings"]["state"] == "elsewhere" else "embedder")
        except httpx.HTTPError:
            pass
        return len(states) == 2

    try:
        what = "not both processes answered /v1/ready"
        poll_until(server, both_answered, deadline=time.monotonic() + 180, what=what, log=log, every=0.05)
        found = httpx.get(f"{base}/v1/search", params={"q": "EGFR T790M 奥希替尼"}, timeout=60).json()
        assert [c["id"] for c in found["query"]["concepts"]][:2] == ["EGFR", "EGFR:T790M"]
    except SourceUnavailable as exc:
        raise AssertionError(f"{exc}; answers seen from: {sorted(states)}") from exc
    finally:
        stop(server, timeout=60)
