"""The embedded store's vector indexes (kb.store.vectors, kb.store.sqlite_vectors) on a real SQLiteStore.

A tiny ``KB_ANN_THRESHOLD`` puts the stores on the HNSW path. The vectors are random unit vectors drawn around a
few centres with a fixed seed: this tests our index, not the model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from kb.domain import Article, EvidenceLevel, EvidenceType
from kb.embedding import encode_vector
from kb.store import SQLiteStore, text_hash
from kb.store.base import ArticleFilter, EvidenceFilter
from kb.store.vectors import AnnParams
from tests import records

MODEL = "test-model"
DIM = 32
NONE = ArticleFilter()


def unit_vectors(n: int, seed: int = 7, centres: int = 20) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, DIM))
    x = middle[rng.integers(0, centres, n)] + 0.6 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def article(pmid: int, year: int | None = 2020, text: str = "") -> Article:
    """Article ``pmid`` of ``year``, titled by its number; its abstract is ``text``, else made from the number."""
    return records.article(pmid, f"Title {pmid}", text or f"Abstract {pmid}.", year=year)


def put_articles(store: SQLiteStore, arts: list[Article], vectors: npt.NDArray[np.float32]) -> None:
    store.upsert_articles(arts)
    store.put_embeddings(MODEL, {text_hash(a.text): encode_vector(v) for a, v in zip(arts, vectors, strict=True)})


def open_store(path: Path, threshold: int = 100) -> SQLiteStore:
    return SQLiteStore(path, ann=AnnParams(threshold=threshold, connectivity=16, expansion_search=64))


def exact_top(vectors: npt.NDArray[np.float32], query: npt.NDArray[np.float32], k: int, first: int) -> list[str]:
    scores = vectors.astype(np.float16).astype(np.float32) @ query
    return [str(first + i) for i in np.argsort(-scores, kind="stable")[:k]]


def ids(hits: list[tuple[str, float]]) -> list[str]:
    return [h[0] for h in hits]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = open_store(tmp_path / "kb.sqlite3")
    yield s
    s.close()


@pytest.fixture
def corpus(store: SQLiteStore) -> npt.NDArray[np.float32]:
    """1,500 articles, pmids 1000.., years 2000-2019 in turn, each with a vector."""
    vectors = unit_vectors(1500)
    put_articles(store, [article(1000 + i, 2000 + i % 20) for i in range(1500)], vectors)
    return vectors


def files(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_the_graph_finds_what_the_exact_scan_finds(store: SQLiteStore, corpus: npt.NDArray[np.float32]) -> None:
    queries = unit_vectors(60, seed=11)
    recall = []
    for q in queries:
        hits = store.knn_articles(MODEL, q.tolist(), limit=10, filters=NONE)
        recall.append(len(set(ids(hits)) & set(exact_top(corpus, q, 10, 1000))) / 10)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert store.vector_index("articles", MODEL).mode == "ann"
    assert np.mean(recall) >= 0.95
    exact = open_store(store.path, threshold=10**6)  # the same rows, scanned exactly
    try:
        q = queries[0]
        assert exact.vector_index("articles", MODEL).mode == "exact"
        assert ids(exact.knn_articles(MODEL, q.tolist(), limit=10, filters=NONE)) == exact_top(corpus, q, 10, 1000)
    finally:
        exact.close()


def test_a_saved_index_is_loaded_on_reopen_not_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    first = open_store(path)
    vectors = unit_vectors(400)
    put_articles(first, [article(1000 + i) for i in range(400)], vectors)
    query = unit_vectors(1, seed=3)[0].tolist()
    before = first.knn_articles(MODEL, query, limit=10, filters=NONE)
    first.close()
    folder = tmp_path / "kb.sqlite3.vectors"
    saved = files(folder)
    assert any(name.endswith(".faiss") for name in saved) and any(name.endswith(".json") for name in saved)

    again = open_store(path)
    try:
        assert again.knn_articles(MODEL, query, limit=10, filters=NONE) == before
        index = again.vector_index("articles", MODEL)
        assert (index.mode, index.count, index.dirty) == ("ann", 400, 0)
        assert files(folder) == saved  # read, not written again
        assert again._read("SELECT COUNT(*) FROM vector_changes")[0][0] == 0  # the log is pruned up to the save
    finally:
        again.close()
    assert files(folder) == saved  # nothing changed, nothing saved at close


def test_new_vectors_are_added_to_the_live_index(store: SQLiteStore, corpus: npt.NDArray[np.float32]) -> None:
    query = unit_vectors(1, seed=5)[0]
    store.knn_articles(MODEL, query.tolist(), limit=10, filters=NONE)
    index = store.vector_index("articles", MODEL)
    # a vector stored before its record, and a record stored before its vector (the background embedder's order)
    store.put_embeddings(MODEL, {text_hash(article(9001).text): encode_vector(query)})
    store.upsert_articles([article(9001), article(9002)])
    assert ids(store.knn_articles(MODEL, query.tolist(), limit=3, filters=NONE))[0] == "9001"
    store.put_embeddings(MODEL, {text_hash(article(9002).text): encode_vector(-query)})
    assert ids(store.knn_articles(MODEL, (-query).tolist(), limit=3, filters=NONE))[0] == "9002"
    assert store.vector_index("articles", MODEL) is index and index.count == 1502  # changed in place


def test_deleted_and_rewritten_articles_leave_the_index(store: SQLiteStore, corpus: npt.NDArray[np.float32]) -> None:
    query = corpus[42]
    assert ids(store.knn_articles(MODEL, query.tolist(), limit=1, filters=NONE)) == ["1042"]
    assert store.delete_articles(["1042"]) == []
    assert "1042" not in ids(store.knn_articles(MODEL, query.tolist(), limit=50, filters=NONE))
    # a new text has a new hash and no vector yet: the old vector no longer stands for the article
    store.upsert_articles([article(1043, 2003, text="A rewritten abstract.")])
    assert "1043" not in ids(store.knn_articles(MODEL, corpus[43].tolist(), limit=50, filters=NONE))
    assert store.vector_index("articles", MODEL).count == 1498


def test_the_graph_is_rebuilt_when_removed_rows_reach_a_quarter(
    store: SQLiteStore, corpus: npt.NDArray[np.float32]
) -> None:
    store.knn_articles(MODEL, corpus[0].tolist(), limit=1, filters=NONE)
    index = store.vector_index("articles", MODEL)
    store.delete_articles([str(1000 + i) for i in range(0, 300)])
    assert ids(store.knn_articles(MODEL, corpus[0].tolist(), limit=1, filters=NONE)) != ["1000"]
    assert index.tombstones == 300  # faiss's HNSW cannot delete: the rows are skipped
    store.delete_articles([str(1000 + i) for i in range(300, 400)])
    hits = ids(store.knn_articles(MODEL, corpus[450].tolist(), limit=10, filters=NONE))
    assert hits[0] == "1450" and all(int(p) >= 1400 for p in hits)
    assert (index.tombstones, index.count, index.mode) == (0, 1100, "ann")  # rebuilt from the live rows


def test_rows_written_again_unchanged_leave_no_tombstone(store: SQLiteStore, corpus: npt.NDArray[np.float32]) -> None:
    store.knn_articles(MODEL, corpus[0].tolist(), limit=1, filters=NONE)
    index = store.vector_index("articles", MODEL)
    assert index.mode == "ann"
    # the same vectors stored again, then the same texts with a new year: the log names each row again
    put_articles(store, [article(1000 + i, 1990) for i in range(400)], corpus[:400])
    hits = ids(store.knn_articles(MODEL, corpus[7].tolist(), limit=5, filters=ArticleFilter(year_to=1990)))
    assert hits[0] == "1007" and all(int(p) < 1400 for p in hits)  # the new year, updated in place
    assert (index.tombstones, index.count) == (0, 1500)


def test_replaced_vectors_keep_searches_on_the_graph(store: SQLiteStore, corpus: npt.NDArray[np.float32]) -> None:
    store.knn_articles(MODEL, corpus[0].tolist(), limit=1, filters=NONE)
    index = store.vector_index("articles", MODEL)
    moved = unit_vectors(300, seed=29)  # 300 articles get new vectors: the graph keeps their old nodes as tombstones
    store.put_embeddings(MODEL, {text_hash(article(1000 + i).text): encode_vector(moved[i]) for i in range(300)})
    current = np.concatenate([moved, corpus[300:]])
    for q in unit_vectors(20, seed=31):
        hits = ids(store.knn_articles(MODEL, q.tolist(), limit=100, filters=NONE))
        assert len(set(hits)) == 100
        assert len(set(hits) & set(exact_top(current, q, 100, 1000))) >= 90
    assert (index.tombstones, index.mode) == (300, "ann")
    assert index.scans == 0  # a tombstone and its row's new node share a key; the graph was asked for more


@pytest.mark.parametrize(("year_from", "year_to"), [(2005, 2005), (2000, 2009), (None, 2001), (2018, None)])
def test_year_filters_are_respected_exactly(
    store: SQLiteStore, corpus: npt.NDArray[np.float32], year_from: int | None, year_to: int | None
) -> None:
    store.upsert_articles([article(5000, None)])
    store.put_embeddings(MODEL, {text_hash(article(5000, None).text): encode_vector(corpus[0])})
    years = np.array([2000 + i % 20 for i in range(1500)])
    inside = ((years >= (year_from or 0)) & (years <= (year_to or 9999))).nonzero()[0]
    window = ArticleFilter(year_from=year_from, year_to=year_to)
    for q in unit_vectors(10, seed=13):
        hits = ids(store.knn_articles(MODEL, q.tolist(), limit=10, filters=window))
        assert len(hits) == 10 and all(int(p) - 1000 in set(inside) for p in hits)
        expected = [str(1000 + inside[i]) for i in np.argsort(-(corpus[inside] @ q), kind="stable")[:10]]
        assert len(set(hits) & set(expected)) >= 9
    assert store.vector_index("articles", MODEL).mode == "ann"


def test_evidence_filters_are_respected_exactly(tmp_path: Path) -> None:
    store = open_store(tmp_path / "kb.sqlite3", threshold=50)
    try:
        types, levels, tumors = list(EvidenceType), list(EvidenceLevel), ["LUAD", "MEL", "COAD", None]
        items = [
            records.evidence(
                i + 1, etype=types[i % 3], level=levels[i % 5], tumor=tumors[i % 4], statement=f"Statement {i}."
            )
            for i in range(200)
        ]
        store.upsert_evidence(items)
        from kb.analysis import evidence_text

        vectors = unit_vectors(200)
        store.put_embeddings(
            MODEL, {text_hash(evidence_text(e)): encode_vector(v) for e, v in zip(items, vectors, strict=True)}
        )
        wanted = EvidenceFilter(types=(types[1].value,), levels=("A", "C"), tumors=("LUAD", "COAD"))
        keep = {
            e.id
            for e in items
            if e.evidence_type == types[1] and e.level.value in "AC" and e.tumor_code in wanted.tumors
        }
        hits = store.knn_evidence(MODEL, vectors[0].tolist(), limit=100, filters=wanted)
        assert keep and set(ids(hits)) == keep
        assert len(store.knn_evidence(MODEL, vectors[0].tolist(), limit=300, filters=EvidenceFilter())) == 200
        assert store.vector_index("evidence", MODEL).mode == "ann"
    finally:
        store.close()


def test_reindex_rebuilds_the_vector_indexes(store: SQLiteStore, corpus: npt.NDArray[np.float32]) -> None:
    query = corpus[7].tolist()
    before = store.knn_articles(MODEL, query, limit=10, filters=NONE)
    index = store.vector_index("articles", MODEL)
    counts = store.reindex()
    assert counts["vectors:articles"] == 1500 and counts["vectors:evidence"] == 0
    rebuilt = store.vector_index("articles", MODEL)
    assert rebuilt is not index and rebuilt.count == 1500
    assert ids(store.knn_articles(MODEL, query, limit=10, filters=NONE))[0] == ids(before)[0] == "1007"


def test_crossing_the_threshold_turns_the_exact_scan_into_a_graph(tmp_path: Path) -> None:
    store = open_store(tmp_path / "kb.sqlite3", threshold=300)
    try:
        vectors = unit_vectors(400)
        put_articles(store, [article(1000 + i) for i in range(200)], vectors[:200])
        assert store.knn_articles(MODEL, vectors[5].tolist(), limit=1, filters=NONE)[0][0] == "1005"
        assert store.vector_index("articles", MODEL).mode == "exact"
        put_articles(store, [article(1200 + i) for i in range(200)], vectors[200:])
        assert store.knn_articles(MODEL, vectors[305].tolist(), limit=1, filters=NONE)[0][0] == "1305"
        assert store.vector_index("articles", MODEL).mode == "ann"
    finally:
        store.close()


def test_searches_run_while_vectors_are_written(store: SQLiteStore) -> None:
    vectors = unit_vectors(1200)
    arts = [article(1000 + i) for i in range(1200)]
    store.upsert_articles(arts)
    failures: list[BaseException] = []
    done = threading.Event()

    def search() -> None:
        rng = np.random.default_rng(threading.get_ident() % 1000)
        try:
            while not done.is_set():
                q = vectors[rng.integers(0, 1200)]
                hits = store.knn_articles(MODEL, q.tolist(), limit=10, filters=ArticleFilter(year_from=2020))
                assert all(1000 <= int(p) < 2200 for p in ids(hits))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=search) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for start in range(0, 1200, 100):
            chunk = slice(start, start + 100)
            store.put_embeddings(
                MODEL, {text_hash(a.text): encode_vector(v) for a, v in zip(arts[chunk], vectors[chunk], strict=True)}
            )
    finally:
        done.set()
        for t in threads:
            t.join()
    assert failures == []
    assert ids(store.knn_articles(MODEL, vectors[1111].tolist(), limit=1, filters=NONE)) == ["2111"]
    assert store.vector_index("articles", MODEL).count == 1200


def test_the_graph_library_and_the_onnx_encoder_load_in_one_process() -> None:
    """A graph library must not break the encoder: usearch 2.26 (a candidate) made ``import onnxruntime`` crash
    with SIGSEGV once it was loaded."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import kb.store.vectors, onnxruntime; print('ok')"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]
