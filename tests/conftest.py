"""Shared fixtures: the shared data folder and real stores built in temporary folders."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from ingest.jobs import IngestContext, run_source
from kb.settings import Settings, load_settings
from kb.store import Backend, SQLiteStore

REPO = Path(__file__).resolve().parent.parent

# registered here, once, so that the plugin modules are assertion-rewritten whichever test imports them first
pytest_plugins = ("tests.backends", "tests.api_server", "tests.browser")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ.get("KB_DATA_DIR", REPO.parent / "shared" / "data")).resolve()
    if not (path / "MANIFEST.tsv").exists():
        pytest.fail(f"shared data not found at {path}; set KB_DATA_DIR")
    return path


MODEL_DIR = Path(tempfile.gettempdir()) / "genekb-test-models"  # the ONNX export, once for the whole run


def make_settings(tmp: Path, data_dir: Path) -> Settings:
    """Settings over ``tmp``. Every test client is 127.0.0.1, so the per-address limits of anonymous reads
    and logins are off here; tests/test_api_hardening.py turns them on where it tests them."""
    return load_settings(
        store=f"sqlite:///{tmp / 'kb.sqlite3'}",
        db_url=f"sqlite:///{tmp / 'editorial.sqlite3'}",
        data_dir=data_dir,
        work_dir=tmp / "work",
        model_dir=MODEL_DIR,
        anon_rate_limit=0,
        login_ip_limit=0,
    )


def make_context(settings: Settings, store: Backend) -> IngestContext:
    return IngestContext(settings, store, console=Console(stderr=True, quiet=True), progress=False, embed=False)


@pytest.fixture(scope="session")
def vocab_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[SQLiteStore]:
    """A store holding genes, OncoTree, drugs, CIViC evidence and the catalogue (no articles)."""
    tmp = tmp_path_factory.mktemp("vocab-store")
    settings = make_settings(tmp, data_dir)
    store = SQLiteStore(settings.sqlite_path)
    ctx = make_context(settings, store)
    for source in ("genes", "oncotree", "drugs", "biomarkers", "civic", "catalogue"):
        run_source(ctx, source, data_dir)
    yield store
    store.close()


@pytest.fixture()
def settings(tmp_path: Path, data_dir: Path) -> Settings:
    return make_settings(tmp_path, data_dir)


@pytest.fixture()
def store(settings: Settings) -> Iterator[SQLiteStore]:
    kb_store = SQLiteStore(settings.sqlite_path)
    yield kb_store
    kb_store.close()
