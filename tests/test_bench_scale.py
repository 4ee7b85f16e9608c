"""``kb bench scale``: the generated library (resampled real text, fresh PMIDs, real or nearby synthetic vectors)
and a tiny run on both backends that grows one store, resumes, reports its rows and drops the store. Figures are
measured by the command, never asserted here."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from rich.console import Console

from cli.bench.load import load_queries
from cli.bench.scale import ScaleRow, bench_settings, format_scale, run_scale
from cli.bench.scale_corpus import FIRST_PMID, Generated, Library, SourcePool, load_pool, units
from ingest.pubmed import parse_pubmed
from ingest.sources import open_source
from kb.domain import Article
from kb.embedding import Embedder, encode_vector
from kb.store import SQLiteStore, open_store, text_hash
from tests.backends import BACKENDS, ES_URL, PUBMED_SUBSET
from tests.conftest import MODEL_DIR, make_settings

MODEL = "all-MiniLM-L6-v2"
EMBEDDED, TITLE_ONLY, NOT_EMBEDDED = 64, 8, 10  # source articles: with a vector (some title-only), without


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, SourcePool]:
    """A real store of PubMed citations, most with their real MiniLM vector, as the bench reads it."""
    settings = make_settings(tmp_path_factory.mktemp("scale-source"), data_dir)
    with open_source(data_dir / PUBMED_SUBSET) as fh:
        citations = [r for r in itertools.islice(parse_pubmed(fh), 200) if isinstance(r, Article)]
    citations = citations[: EMBEDDED + NOT_EMBEDDED]
    # title-only citations (a third of MEDLINE) exercise the title-word swap: real titles without their abstract
    citations[:TITLE_ONLY] = [dataclasses.replace(a, abstract="") for a in citations[:TITLE_ONLY]]
    embedded = citations[:EMBEDDED]
    vectors = Embedder.from_settings(settings).encode([a.text for a in embedded])
    store = SQLiteStore(settings.sqlite_path)
    store.upsert_articles(citations)
    store.put_embeddings(MODEL, {text_hash(a.text): encode_vector(v) for a, v in zip(embedded, vectors, strict=True)})
    store.close()
    return settings.sqlite_path, load_pool(settings.sqlite_path, MODEL)


def _one_swapped(parts: list[str], text: str, allowed: set[str]) -> bool:
    """Whether ``text`` is ``parts`` joined, with one part replaced by (or followed by) one of ``allowed``."""
    for k in range(len(parts) + 1):
        head, tail = " ".join(parts[:k]), " ".join(parts[k + 1 :])
        fits = text.startswith(head) and text.endswith(tail) and len(head) + len(tail) < len(text)
        if fits and text[len(head) : len(text) - len(tail)].strip() in allowed:
            return True
    return False


def _generate(pool: SourcePool, start: int, stop: int) -> list[Generated]:
    return [g for batch in Library(pool, batch=64).batches(start, stop) for g in batch]


def test_the_pool_is_the_source_articles_that_have_a_real_vector(source: tuple[Path, SourcePool]) -> None:
    _, pool = source
    assert len(pool.articles) == EMBEDDED and pool.total == EMBEDDED + NOT_EMBEDDED
    assert np.allclose(np.linalg.norm(pool.vectors, axis=1), 1.0, atol=1e-5)
    assert 0.0 < float(pool.nn_distances.min()) <= float(pool.nn_distances.max()) < 1.5


def test_the_library_resamples_real_text_with_fresh_pmids_and_vectors_near_the_source(
    source: tuple[Path, SourcePool],
) -> None:
    _, pool = source
    made = _generate(pool, 0, 600)
    assert [g.article.pmid for g in made] == [str(FIRST_PMID + i) for i in range(600)]
    assert len({text_hash(g.article.text) for g in made}) == 600  # every text its own, so its own vector
    assert sorted(g.source for g in made[:EMBEDDED]) == list(range(EMBEDDED))  # the first pass is the pool verbatim
    sentences = {s for a in pool.articles for s in units(a)[0] if a.abstract}
    words = {w for a in pool.articles for w in a.title.split()}
    low, high = float(pool.nn_distances.min()), float(pool.nn_distances.max())
    synthetic = 0
    for g in made:
        src = pool.articles[g.source]
        assert (g.article.year, g.article.journal, g.article.concepts) == (src.year, src.journal, src.concepts)
        assert g.vector is not None
        if g.real:
            assert g.article.text == src.text and np.array_equal(g.vector, pool.vectors[g.source])
            continue
        synthetic += 1
        if src.abstract:  # one sentence of the abstract is another article's
            assert g.article.title == src.title and _one_swapped(units(src)[0], g.article.abstract, sentences)
        else:  # one word of the title is another title's
            assert g.article.abstract == "" and _one_swapped(units(src)[0], g.article.title, words)
        assert abs(float(np.linalg.norm(g.vector)) - 1.0) < 1e-5
        distance = float(np.linalg.norm(g.vector - pool.vectors[g.source]))
        assert low - 0.02 <= distance <= min(high, 1.3) + 0.02  # at a real nearest-neighbour distance
    assert synthetic == 600 - EMBEDDED


def test_a_resumed_library_repeats_the_same_articles_and_vectors(source: tuple[Path, SourcePool]) -> None:
    _, pool = source
    whole, resumed = _generate(pool, 0, 600), _generate(pool, 450, 600)
    assert [g.article for g in resumed] == [g.article for g in whole[450:]]
    assert all(np.array_equal(a.vector, b.vector) for a, b in zip(resumed, whole[450:], strict=True))  # type: ignore[arg-type]


@pytest.fixture(params=BACKENDS)
def scale_backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    """(backend, Elasticsearch URL, index prefix); the prefix's indices are deleted afterwards."""
    url = request.getfixturevalue("es_url") if request.param == "es" else ES_URL
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield request.param, url, prefix
    if request.param == "es":
        httpx.delete(f"{url}/{prefix}-*", params={"ignore_unavailable": "true"}, timeout=30.0)


def test_a_run_grows_one_store_resumes_and_drops_it(
    scale_backend: tuple[str, str, str], source: tuple[Path, SourcePool], tmp_path: Path, data_dir: Path
) -> None:
    backend, url, prefix = scale_backend
    _, pool = source
    settings = bench_settings(make_settings(tmp_path, data_dir), backend, tmp_path / "scale", url, es_prefix=prefix)
    queries = load_queries(data_dir)[0][:6]
    seen: list[ScaleRow] = []
    options = {"queries": queries, "model": MODEL, "batch": 64, "console": Console(quiet=True)}
    rows = run_scale(settings, pool, sizes=[400, 200], keep=True, on_row=seen.append, **options)  # type: ignore[arg-type]
    assert seen == rows and [(r.articles, r.loaded) for r in rows] == [(200, 200), (400, 200)]
    for row in rows:
        assert row.backend == backend and not row.resumed and row.rate > 0
        assert row.store_bytes > row.article_bytes > 0 and row.rss_mb > 0
        assert (row.heap_mb is None) == (backend == "sqlite")
        assert 0 < row.search_p50_ms <= row.search_p95_ms and row.first_search_s > 0
        assert row.bm25_p50_ms > 0 and 0 < row.knn_p50_ms <= row.knn_p95_ms
    store = open_store(settings)
    try:
        assert store.stats()["articles"] == 400
        stored = list(store.iter_articles())
        assert sorted(int(a.pmid) for a in stored) == list(range(FIRST_PMID, FIRST_PMID + 400))
        assert len(store.cached_embeddings(MODEL, [text_hash(a.text) for a in stored])) == 400  # one vector each
        first = store.get_article(str(FIRST_PMID))
        assert first is not None and first.text in {a.text for a in pool.articles}
    finally:
        store.close()
    again = run_scale(settings, pool, sizes=[200, 400, 500], keep=False, **options)  # type: ignore[arg-type]
    assert again[:2] == rows  # measured by the first run, kept in the store's checkpoints
    assert (again[2].articles, again[2].loaded, again[2].resumed) == (500, 100, False)
    assert not settings.work_dir.exists()  # a completed run drops its store and its bench folder
    if backend == "sqlite":
        assert not settings.sqlite_path.parent.exists()
    else:
        left = httpx.get(f"{url}/_cat/indices/{prefix}-*", params={"format": "json"}, timeout=30.0).json()
        assert left == []
    table = format_scale(again, pool, queries=len(queries))
    assert table.count("| embedded (SQLite) |" if backend == "sqlite" else "| Elasticsearch |") == 3
    assert f"resampled from {EMBEDDED:,} real articles" in table


def test_the_command_prints_and_records_the_table(
    source: tuple[Path, SourcePool], tmp_path: Path, data_dir: Path
) -> None:
    path, _ = source
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_MODEL_DIR": str(MODEL_DIR), "HF_HUB_OFFLINE": "1"}
    record = tmp_path / "benchmarks.md"
    args = ["bench", "scale", "--sizes", "100,150", "--backend", "sqlite", "--source", str(path), "--queries", "5",
            "--work-dir", str(tmp_path / "scale"), "--record", str(record)]  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| embedded (SQLite) | 100 |" in done.stdout and "| embedded (SQLite) | 150 |" in done.stdout
    assert "sqlite 150 articles: load" in done.stderr  # each row as it completes
    text = record.read_text(encoding="utf-8")
    assert "<!-- bench:scale -->" in text and "kb bench scale --sizes 100,150 --backend sqlite --queries 5" in text
    assert not (tmp_path / "scale" / "sqlite").exists()
