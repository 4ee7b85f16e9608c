"""The `kb` command as a user runs it: real subprocesses on a real store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.store import SQLiteStore

KB = [sys.executable, "-m", "cli.main"]


def run_kb(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KB, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture()
def env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KB_STORE": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        "KB_DATA_DIR": str(data_dir),
        "KB_WORK_DIR": str(tmp_path / "work"),
        "KB_DB_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "120",
    }


def test_ingest_prints_a_summary_line_and_stats_prints_json(env: dict[str, str]) -> None:
    done = run_kb(["ingest", "oncotree", "--no-progress"], env)
    assert done.returncode == 0, done.stderr
    assert "oncotree: 898 records (898 new, 0 updated, 0 unchanged), 0 rejected" in done.stderr
    stats = run_kb(["stats", "--json"], env)
    assert json.loads(stats.stdout)["tumors"] == 898


def test_a_tsv_missing_a_column_gives_a_clear_error_and_stores_nothing(
    env: dict[str, str], tmp_path: Path, data_dir: Path
) -> None:
    assert run_kb(["ingest", "oncotree", "--no-progress"], env).returncode == 0
    bad = tmp_path / "bad.tsv"
    bad.write_text("gene\tvariant\tdisease\nEGFR\tT790M\tLung Cancer\n", encoding="utf-8")
    done = run_kb(["ingest", "civic", "--path", str(bad), "--no-progress"], env)
    assert done.returncode == 2
    assert "error: CIViC evidence file lacks column(s): doid" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(run_kb(["stats", "--json"], env).stdout)["evidence"] == 0


def test_an_unknown_source_is_refused_with_the_choices(env: dict[str, str]) -> None:
    done = run_kb(["ingest", "nonsense"], env)
    assert done.returncode == 2 and "genes" in done.stderr and "Traceback" not in done.stderr


def test_a_killed_ingest_resumes_to_the_same_state_as_a_clean_run(env: dict[str, str], data_dir: Path) -> None:
    subset = str(data_dir / "pubmed" / "pubmed21n1298.oncology_subset.xml.gz")
    for source in ("genes", "oncotree", "drugs"):
        assert run_kb(["ingest", source, "--no-progress"], env).returncode == 0
    store_path = Path(env["KB_STORE"].removeprefix("sqlite:///"))
    proc = subprocess.Popen(  # embeddings make the run slow enough to be killed midway
        [*KB, "ingest", "pubmed", "--path", subset, "--no-progress"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        store = SQLiteStore(store_path)
        committed = store.stats()["articles"]
        store.close()
        if committed:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < committed < 1_500
    resumed = run_kb(["ingest", "pubmed", "--path", subset, "--no-progress", "--no-embed"], env)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed after" in resumed.stderr
    store = SQLiteStore(store_path)
    pmids = [a.pmid for a in store.iter_articles()]
    assert len(pmids) == len(set(pmids)) == 1_500
    assert store.stats()["article_concepts"] > 0
    store.close()


def test_users_create_bootstraps_an_admin_and_refuses_a_short_password(env: dict[str, str]) -> None:
    created = run_kb(
        ["users", "create", "--role", "admin", "--username", "root1"], {**env, "KB_NEW_PASSWORD": "a long pass"}
    )
    assert created.returncode == 0, created.stderr
    assert "created root1 (admin)" in created.stderr
    short = run_kb(["users", "create", "--role", "admin", "--username", "root2"], {**env, "KB_NEW_PASSWORD": "short"})
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    again = run_kb(["users", "create", "--username", "root1"], {**env, "KB_NEW_PASSWORD": "a long pass"})
    assert again.returncode == 2 and "exists" in again.stderr
    from kb.editorial.accounts import Accounts
    from kb.editorial.db import Database
    from kb.settings import load_settings

    settings = load_settings(db_url=env["KB_DB_URL"], work_dir=env["KB_WORK_DIR"])
    db = Database(settings.db_url)
    try:
        assert [(u.username, u.role) for u in Accounts(db, settings).users()] == [("root1", "admin")]
    finally:
        db.close()
