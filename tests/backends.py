"""Both backends for the tests: the embedded SQLite store and a real Elasticsearch server.

The server is the one ``make es-start`` runs (``KB_TEST_ES_URL``, default
``http://127.0.0.1:9200``); a test that needs it fails with a clear message when
it is not there, it is never skipped. Each Elasticsearch store gets its own index
prefix and drops its indices afterwards, so tests never see each other's data.

``tests/conftest.py`` registers these fixtures for every test module.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ingest.jobs import ingest_pubmed_files, run_source
from kb.settings import Settings, load_settings
from kb.store import Backend, open_store
from kb.store.es import ElasticsearchStore
from tests.conftest import MODEL_DIR, make_context, make_settings

__all__ = ["BACKENDS", "backend_store", "es_url", "full_store", "make_backend_settings"]

BACKENDS = ("sqlite", "es")
ES_URL = os.environ.get("KB_TEST_ES_URL", "http://127.0.0.1:9200")
PUBMED_SUBSET = Path("pubmed") / "pubmed21n1298.oncology_subset.xml.gz"


@pytest.fixture(scope="session")
def es_url() -> str:
    """The test server's URL, checked once per session."""
    try:
        health = httpx.get(f"{ES_URL}/_cluster/health", timeout=10.0).json()
    except (httpx.HTTPError, ValueError) as exc:
        pytest.fail(f"no Elasticsearch at {ES_URL} ({exc}); run `make es-start` or set KB_TEST_ES_URL")
    if health.get("status") not in ("green", "yellow"):
        pytest.fail(f"Elasticsearch at {ES_URL} is {health.get('status')}")
    return ES_URL


def make_backend_settings(backend: str, tmp: Path, data_dir: Path, **overrides: object) -> Settings:
    """Settings for a fresh, empty store of ``backend`` (an unused index prefix on Elasticsearch)."""
    if backend == "sqlite":
        return make_settings(tmp, data_dir).model_copy(update=overrides)
    return load_settings(
        store=ES_URL,
        es_index_prefix=f"test-{uuid.uuid4().hex[:12]}",
        db_url=f"sqlite:///{tmp / 'editorial.sqlite3'}",
        data_dir=data_dir,
        work_dir=tmp / "work",
        model_dir=MODEL_DIR,
        **{"anon_rate_limit": 0, "login_ip_limit": 0, **overrides},  # one client address: see make_settings
    )


def _close(store: Backend) -> None:
    if isinstance(store, ElasticsearchStore):
        store.drop()
    store.close()


@pytest.fixture(params=BACKENDS)
def backend_store(request: pytest.FixtureRequest, tmp_path: Path, data_dir: Path) -> Iterator[Backend]:
    """An empty store of each backend, with ``test-model`` as the embedding model."""
    if request.param == "es":
        request.getfixturevalue("es_url")
    store = open_store(make_backend_settings(request.param, tmp_path, data_dir, embed_model="test-model"))
    yield store
    _close(store)


@pytest.fixture(scope="session")
def full_store(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], tuple[Settings, Backend]]]:
    """Builds (once per backend and session) a store with the vocabularies, CIViC, the catalogue and
    the 1,500 tagged articles of the PubMed oncology subset."""
    built: dict[str, tuple[Settings, Backend]] = {}

    def get(backend: str) -> tuple[Settings, Backend]:
        if backend not in built:
            if backend == "es":
                request.getfixturevalue("es_url")
            settings = make_backend_settings(backend, tmp_path_factory.mktemp(f"full-{backend}"), data_dir)
            store = open_store(settings)
            ctx = make_context(settings, store)
            for source in ("genes", "oncotree", "drugs", "biomarkers", "civic", "catalogue"):
                run_source(ctx, source, data_dir)
            ingest_pubmed_files(ctx, [data_dir / PUBMED_SUBSET])
            built[backend] = (settings, store)
        return built[backend]

    yield get
    for _, store in built.values():
        _close(store)
