"""The server answers before the vectors exist; the background embedder fills them in while it serves.

A live server (uvicorn in a thread) over a SQLite store that holds records but no vectors: ``/v1/search`` answers
while ``/v1/ready`` reports the embedder still running; a test holds the store's write lock so that no vector can
be stored until it lets go, which makes "still running" certain rather than a race. Then the embedder finishes,
and dense retrieval finds an article that shares no word with the query. The store-level order (newest first)
and coverage run on both backends.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from api.app import create_app
from kb.analysis import evidence_text
from kb.embed_worker import BackgroundEmbedder, embed_missing
from kb.embedding import Embedder, encode_vector
from kb.settings import Settings
from kb.store import Backend, SQLiteStore, open_store, text_hash
from kb.store.es import ElasticsearchStore
from tests.api_server import LiveServer
from tests.backends import make_backend_settings
from tests.conftest import MODEL_DIR
from tests.records import article, evidence

MODEL = "test-model"  # the embedding model of the backend_store fixture
MINILM = "all-MiniLM-L6-v2"  # the real model, KB_EMBED_MODEL's default: the live servers embed with it
QUERY = "heart attack in runners"
TARGET = "9"  # the article about cardiac arrest in marathon athletes: no word of QUERY


LIBRARY = [
    article("1", "Panic attack prevalence among university students", "A survey of anxiety in lecture halls."),
    article("2", "Heart rate variability during sleep", "Autonomic tone measured overnight in healthy adults."),
    article("3", "Soil bacteria in wheat fields", "Nitrogen fixation across crop rotations.", year=2001),
    article("4", "Glacier retreat in the Alps", "Satellite images over three decades.", year=2015),
    article("5", "Coffee consumption and sleep quality", "A cohort of office workers.", year=None),
    article("6", "Reading habits of children", "Library loans in primary schools.", year=2023),
    article("7", "Honey bee navigation", "Waggle dances and the position of the sun.", year=2019),
    article("8", "Traffic noise and hearing loss", "Audiometry in city residents.", year=2018),
    article(
        TARGET,
        "Sudden cardiac arrest in marathon athletes",
        "Myocardial infarction and cardiac death during endurance races.",
        year=2024,
    ),
]
STATEMENTS = [
    "Resistance to gefitinib was seen in patients with the mutation.",
    "Osimertinib overcame the resistance in a phase III trial.",
    "The variant predicted a poor response to first-generation inhibitors.",
]
EVIDENCE = [evidence(n, statement=s, last_review=None) for n, s in enumerate(STATEMENTS, start=1)]


def fill(store: Backend) -> None:
    """The three statements as evidence (EVIDENCE) and the nine articles of LIBRARY, without vectors."""
    store.upsert_evidence(EVIDENCE)
    store.upsert_articles(LIBRARY)


def minilm(batch_size: int) -> Embedder:
    return Embedder(MINILM, batch_size=batch_size, threads=1, backend="onnx", cache_dir=MODEL_DIR)


def eager_settings(backend: str, tmp: Path, data_dir: Path, *, batch_size: int) -> Settings:
    """Settings over a fresh store of ``backend`` whose background embedder polls often."""
    return make_backend_settings(backend, tmp, data_dir, embed_batch_size=batch_size, embed_poll_seconds=0.2)


@contextmanager
def live(app: FastAPI) -> Iterator[httpx.Client]:
    """A client of ``app`` served by uvicorn in a thread (the app builds its own services)."""
    with LiveServer(app, None) as server, httpx.Client(base_url=server.url, timeout=60.0) as client:  # type: ignore[arg-type]
        yield client


# -- the store: newest first, coverage ---------------------------------------------------------------------------
def test_articles_missing_embeddings_lists_the_newest_first_when_asked(backend_store: Backend) -> None:
    backend_store.upsert_articles(
        [
            article("1", "one", year=2010),
            article("2", "two", year=2020),
            article("3", "three", year=None),
            article("4", "four", year=2020),
            article("5", "five", year=2022),
        ]
    )
    backend_store.delete_articles(["5"])
    assert [a.pmid for a in backend_store.articles_missing_embeddings(MODEL, 10)] == ["1", "2", "3", "4"]
    newest = backend_store.articles_missing_embeddings(MODEL, 10, newest_first=True)
    assert [a.pmid for a in newest] == ["4", "2", "1", "3"]  # by year, then PMID, descending; no year last
    assert [a.pmid for a in backend_store.articles_missing_embeddings(MODEL, 2, newest_first=True)] == ["4", "2"]
    backend_store.put_embeddings(MODEL, {text_hash(newest[0].text): encode_vector(np.ones(4, np.float32))})
    assert [a.pmid for a in backend_store.articles_missing_embeddings(MODEL, 10, newest_first=True)] == ["2", "1", "3"]


@pytest.mark.parametrize("model", [MODEL, "other-model"])
def test_embedding_coverage_counts_records_with_vectors_per_kind(backend_store: Backend, model: str) -> None:
    backend_store.upsert_articles([article("1", "one"), article("2", "two"), article("3", "three")])
    backend_store.delete_articles(["3"])
    items = EVIDENCE[:2]
    backend_store.upsert_evidence(items)
    assert backend_store.embedding_coverage(model) == {"evidence": (0, 2), "articles": (0, 2)}
    vector = encode_vector(np.ones(4, np.float32))
    backend_store.put_embeddings(model, {text_hash(evidence_text(items[1])): vector, text_hash("two"): vector})
    assert backend_store.embedding_coverage(model) == {"evidence": (1, 2), "articles": (1, 2)}


# -- one pass ------------------------------------------------------------------------------------------------------
def test_a_pass_embeds_evidence_first_then_articles_and_leaves_nothing_missing(store: SQLiteStore) -> None:
    fill(store)
    embedder = minilm(batch_size=2)
    batches: list[tuple[str, int]] = []
    computed = embed_missing(store, embedder, on_batch=lambda kind, n: batches.append((kind, n)))
    assert computed == {"evidence": 3, "articles": len(LIBRARY)}
    assert [kind for kind, _ in batches] == ["evidence"] * 2 + ["articles"] * 5  # batches of 2: 3 and 9 records
    assert sum(n for _, n in batches) == 3 + len(LIBRARY)
    assert store.embedding_coverage(embedder.model_name) == {"evidence": (3, 3), "articles": (9, 9)}
    assert embed_missing(store, embedder) == {"evidence": 0, "articles": 0}  # nothing left: nothing encoded


def test_a_pass_stops_between_batches_when_asked(store: SQLiteStore) -> None:
    store.upsert_articles(LIBRARY)
    embedder = minilm(batch_size=1)
    stop = threading.Event()

    def after(kind: str, n: int) -> None:
        stop.set()  # the first batch is stored, then the pass ends

    assert embed_missing(store, embedder, on_batch=after, stop=stop) == {"evidence": 0, "articles": 1}
    missing = [a.pmid for a in store.articles_missing_embeddings(embedder.model_name, 20)]
    assert TARGET not in missing and len(missing) == len(LIBRARY) - 1  # the newest (2024) went first


# -- the live server -----------------------------------------------------------------------------------------------
@pytest.fixture()
def unembedded(tmp_path: Path, data_dir: Path) -> Settings:
    """Settings over a SQLite store with evidence and articles and no vector at all; the embedder polls often."""
    settings = eager_settings("sqlite", tmp_path, data_dir, batch_size=1)
    store = SQLiteStore(settings.sqlite_path)
    try:
        fill(store)
        assert store.embedding_coverage(MINILM) == {"evidence": (0, 3), "articles": (0, 9)}
    finally:
        store.close()
    return settings


class WriteLock:
    """Another connection holding the store's write lock: readers go on (WAL), no vector can be stored."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("BEGIN IMMEDIATE")

        self.held = True

    def release(self) -> None:
        if self.held:
            self._db.execute("ROLLBACK")
            self._db.close()
            self.held = False


def _poll(client: httpx.Client, until: Any, *, seconds: float, what: str) -> dict[str, Any]:
    """GET /v1/ready until ``until(body)`` holds, with a deadline."""
    deadline = time.monotonic() + seconds
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get("/v1/ready").json()
        if until(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"{what} within {seconds} s; last /v1/ready: {body}")


def _understood(client: httpx.Client) -> bool:
    answer = client.get("/v1/search", params={"q": QUERY, "size": 20})
    return answer.status_code == 200 and answer.json()["understood"] is True


def _pmids(client: httpx.Client) -> list[str]:
    answer = client.get("/v1/search", params={"q": QUERY, "size": 20})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["understood"] is True
    return [a["pmid"] for a in body["articles"]]


def test_search_answers_while_vectors_are_computed_and_dense_retrieval_joins_in(unembedded: Settings) -> None:
    lock = WriteLock(unembedded.sqlite_path)
    app = create_app(unembedded)  # services of its own, dense retrieval on: the background embedder runs
    try:
        with live(app) as client:
            found = _pmids(client)
            ready = client.get("/v1/ready").json()
            assert ready["status"] == "ok" and ready["embeddings"]["state"] == "running"
            assert "2" in found and "1" in found  # BM25: "heart" and "attack" occur in other articles
            assert TARGET not in found  # no word in common, and no vector yet
            counted = _poll(client, lambda b: b["embeddings"]["kinds"], seconds=30, what="no counts")["embeddings"]
            assert counted["state"] == "running" and counted["model"] == MINILM
            assert counted["kinds"]["evidence"] == {"embedded": 0, "total": 3}
            assert counted["kinds"]["articles"] == {"embedded": 0, "total": 9}

            lock.release()  # vectors may be stored now
            done = _poll(client, lambda b: b["embeddings"]["state"] == "done", seconds=120, what="not done")
            assert done["embeddings"]["kinds"] == {
                "evidence": {"embedded": 3, "total": 3},
                "articles": {"embedded": 9, "total": 9},
            }
            assert done["embeddings"]["error"] is None
            assert TARGET in _pmids(client)  # found by its meaning alone
            worker = app.state.embedder
            assert isinstance(worker, BackgroundEmbedder) and worker.alive
        assert not worker.alive  # the app stopped: the thread ended with it
        assert "background-embedder" not in {t.name for t in threading.enumerate()}
        assert worker.snapshot().state == "off"
    finally:
        lock.release()


def test_a_new_record_is_embedded_after_the_embedder_caught_up(unembedded: Settings) -> None:
    app = create_app(unembedded)
    with live(app) as client:
        _poll(client, lambda b: b["embeddings"]["state"] == "done", seconds=120, what="not done")
        store = SQLiteStore(unembedded.sqlite_path)  # an ingest in another process, say
        try:
            store.upsert_articles([article("10", "Cardiac arrest in marathon runners", year=2025)])
        finally:
            store.close()
        done = _poll(
            client,
            lambda b: b["embeddings"]["state"] == "done" and b["embeddings"]["kinds"]["articles"]["total"] == 10,
            seconds=60,
            what="the new article was not embedded",
        )
        assert done["embeddings"]["kinds"]["articles"] == {"embedded": 10, "total": 10}


def test_no_background_embedder_without_dense_retrieval_or_when_turned_off(unembedded: Settings) -> None:
    for app in (
        create_app(unembedded, embed=False),
        create_app(unembedded.model_copy(update={"embed_in_background": False})),
    ):
        with live(app) as client:
            ready = client.get("/v1/ready").json()
            assert ready["embeddings"] == {
                "state": "off",
                "model": None,
                "kinds": {},
                "rate": None,
                "eta_seconds": None,
                "error": None,
            }
            assert app.state.embedder is None
    store = SQLiteStore(unembedded.sqlite_path)
    try:
        assert store.embedding_coverage(MINILM) == {"evidence": (0, 3), "articles": (0, 9)}
    finally:
        store.close()


def test_on_elasticsearch_the_embedder_attaches_vectors_that_dense_retrieval_finds(
    es_url: str, tmp_path: Path, data_dir: Path
) -> None:
    settings = eager_settings("es", tmp_path, data_dir, batch_size=4)
    store = open_store(settings)
    try:
        fill(store)
        app = create_app(settings)  # its own client; the embedder opens another one
        with live(app) as client:
            # BM25 answers whatever the embedder has done so far, once the server's client sees the other
            # client's records (Elasticsearch shows them after its refresh interval)
            deadline = time.monotonic() + 30
            while not _understood(client) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "2" in _pmids(client)
            done = _poll(client, lambda b: b["embeddings"]["state"] == "done", seconds=120, what="not done")
            assert done["embeddings"]["kinds"] == {
                "evidence": {"embedded": 3, "total": 3},
                "articles": {"embedded": 9, "total": 9},
            }
            deadline = time.monotonic() + 30  # the search side sees the other client's writes after a refresh
            while TARGET not in (found := _pmids(client)) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert TARGET in found
        assert store.embedding_coverage(settings.embed_model) == {"evidence": (3, 3), "articles": (9, 9)}
    finally:
        if isinstance(store, ElasticsearchStore):
            store.drop()
        store.close()
