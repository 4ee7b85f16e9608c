"""`make run`'s two steps as a user runs them: `kb ingest all --if-empty` and `kb serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kb.store import SQLiteStore


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ingest_if_empty_leaves_a_loaded_store_alone_and_serve_answers(
    vocab_store: SQLiteStore, data_dir: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "KB_STORE": f"sqlite:///{vocab_store.path}",
        "KB_DATA_DIR": str(data_dir),
        "KB_WORK_DIR": str(tmp_path),
        "KB_DB_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "KB_PORT": str(_free_port()),
        "HF_HUB_OFFLINE": "1",
    }
    version = vocab_store.data_version()
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", "all", "--if-empty", "--no-progress"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "already holds data" in done.stderr
    assert vocab_store.data_version() == version
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--no-embed"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{env['KB_PORT']}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else "server exited"
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        answer = httpx.get(f"{base}/v1/search", params={"q": "EGFR T790M 奥希替尼"}, timeout=30).json()
        assert [c["id"] for c in answer["query"]["concepts"]][:2] == ["EGFR", "EGFR:T790M"]
        assert answer["evidence"] and answer["tests"]
        assert httpx.get(f"{base}/openapi.json", timeout=10).status_code == 200
        assert httpx.get(f"{base}/docs", timeout=10).status_code == 404  # interactive docs only with KB_API_DOCS
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_serve_with_two_workers_answers_from_two_processes_and_one_embeds(
    vocab_store: SQLiteStore, data_dir: Path, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "KB_STORE": f"sqlite:///{vocab_store.path}",
        "KB_DATA_DIR": str(data_dir),
        "KB_WORK_DIR": str(tmp_path),
        "KB_DB_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "HF_HUB_OFFLINE": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--workers", "2", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        states: set[str] = set()
        while len(states) < 2:  # both processes answer: one embeds, the other says another does
            assert server.poll() is None, server.stderr.read() if server.stderr else "server exited"
            assert time.monotonic() < deadline, f"not both processes answered /v1/ready: {states}"
            try:
                with httpx.Client(timeout=5) as client:  # a new connection each time, so either process may take it
                    answer = client.get(f"{base}/v1/ready")
                if answer.status_code == 200:
                    states.add("elsewhere" if answer.json()["embeddings"]["state"] == "elsewhere" else "embedder")
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        found = httpx.get(f"{base}/v1/search", params={"q": "EGFR T790M 奥希替尼"}, timeout=60).json()
        assert [c["id"] for c in found["query"]["concepts"]][:2] == ["EGFR", "EGFR:T790M"]
    finally:
        server.terminate()
        server.communicate(timeout=60)
