"""`kb bench beir`: the BEIR loader, the metrics and fusion on hand-computed examples, and a real run."""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.bench.beir import load_beir, read_qrels, run_beir_bench, to_articles
from cli.bench.metrics import mean, ndcg_at, recall_at
from kb.domain import Article
from kb.errors import DataError
from kb.ranking import convex_fusion, feedback_vector
from kb.settings import Settings
from kb.store import SQLiteStore

TINY = Path(__file__).resolve().parent / "fixtures" / "beir" / "tiny"


def test_the_loader_reads_corpus_queries_and_qrels_and_keeps_only_judged_queries() -> None:
    data = load_beir(TINY, "test")
    assert data.name == "tiny" and data.split == "test"
    assert len(data.corpus) == 12
    assert data.corpus[0].id == "d01" and data.corpus[0].title.startswith("Osimertinib")
    assert sorted(data.queries) == ["q1", "q2", "q3", "q4"]  # q5 has no judgement in this split
    assert data.qrels["q1"] == {"d01": 2, "d02": 1}
    assert load_beir(TINY, "dev").qrels == {"q4": {"d12": 1}}


def test_gzipped_files_load_the_same_as_plain_ones(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY / "qrels", folder / "qrels")
    for name in ("corpus.jsonl", "queries.jsonl"):
        (folder / f"{name}.gz").write_bytes(gzip.compress((TINY / name).read_bytes()))
    assert load_beir(folder, "test") == load_beir(TINY, "test")


def test_a_qrels_file_without_a_header_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "test.tsv"
    path.write_text("q1\td1\t1\nq1\td2\t0\n", encoding="utf-8")
    assert read_qrels(path) == {"q1": {"d1": 1, "d2": 0}}


def test_a_missing_split_or_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no qrels/train\.tsv \(splits: dev, test\)"):
        load_beir(TINY, "train")
    with pytest.raises(DataError, match="is not a folder"):
        load_beir(tmp_path / "missing", "test")


def test_documents_get_synthetic_pmids_in_corpus_order() -> None:
    articles, to_beir = to_articles(load_beir(TINY).corpus)
    assert [a.pmid for a in articles[:3]] == ["1", "2", "3"]
    assert to_beir["1"] == "d01" and to_beir["12"] == "d12"
    assert articles[0].text.startswith("Osimertinib in EGFR T790M")


def test_ndcg_and_recall_on_hand_computed_examples() -> None:
    qrels = {"d01": 2, "d02": 1, "d03": 0}
    # DCG = 1/log2(2) + 2/log2(3); ideal = 2/log2(2) + 1/log2(3)
    expected = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert ndcg_at(["d02", "d01", "x"], qrels, 10) == pytest.approx(expected)
    assert ndcg_at(["d01", "d02"], qrels, 10) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], qrels, 10) == 0.0
    assert ndcg_at(["x", "d01"], qrels, 1) == 0.0  # the cut-off counts
    assert recall_at(["d02", "x"], qrels, 100) == pytest.approx(0.5)  # grade 0 is not relevant
    assert recall_at(["x", "d01", "d02"], qrels, 2) == pytest.approx(0.5)
    assert mean([0.5, 1.0]) == pytest.approx(0.75)


def test_convex_fusion_adds_min_max_normalised_scores() -> None:
    bm25 = [("a", 10.0), ("b", 5.0), ("c", 0.0)]
    dense = [("b", 0.9), ("d", 0.5)]
    fused = convex_fusion([bm25, dense], [0.5, 0.5])
    assert [d for d, _ in fused] == ["b", "a", "c", "d"]  # c and d tie at 0: first appearance wins
    assert dict(fused) == pytest.approx({"b": 0.75, "a": 0.5, "c": 0.0, "d": 0.0})
    assert convex_fusion([[("x", 3.0)]]) == [("x", 1.0)]  # a single score is the top score
    assert convex_fusion([bm25, []], [0.5, 0.5])[0] == ("a", 0.5)
    with pytest.raises(ValueError, match="one weight per ranking"):
        convex_fusion([bm25], [0.5, 0.5])


def test_feedback_moves_the_query_towards_the_top_documents_and_keeps_unit_length() -> None:
    moved = feedback_vector([1.0, 0.0], [[0.0, 1.0], [0.0, 1.0]], weight=1.0)
    assert moved == pytest.approx([math.sqrt(0.5), math.sqrt(0.5)])
    assert feedback_vector([2.0, 0.0], []) == pytest.approx([1.0, 0.0])


def run_kb(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
def test_the_bench_indexes_a_tiny_dataset_end_to_end_and_scores_every_ranker(tmp_path: Path, data_dir: Path) -> None:
    keep = tmp_path / "beir.sqlite3"
    done = run_kb(["bench", "beir", "--dataset", str(TINY), "--json", "--no-progress", "--keep", str(keep)], data_dir)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["dataset"], report["split"], report["docs"], report["queries"]) == ("tiny", "test", 12, 4)
    assert report["embedded"] == 12
    rows = {r["name"]: r for r in report["rows"]}
    assert list(rows) == ["plain BM25 (baseline)", "dense kNN only", "full pipeline"]
    for row in rows.values():
        assert row["queries"] == 4
        assert 0.8 <= row["ndcg10"] <= 1.0, row
        assert row["query_ms"] > 0 and row["index_docs_per_s"] > 0
    assert rows["plain BM25 (baseline)"]["recall100"] == 1.0  # every relevant document shares a query word
    assert rows["full pipeline"]["recall100"] == 1.0
    assert "genes:" in done.stderr and "beir:tiny: 12 records (12 new" in done.stderr

    again = run_kb(["bench", "beir", "--dataset", str(TINY), "--no-progress", "--keep", str(keep)], data_dir)
    assert again.returncode == 0, again.stderr
    assert "0 embeddings computed" in again.stderr and "genes:" not in again.stderr  # the kept store is reused
    assert "| ranker | nDCG@10 | R@100 | nDCG@10 vs BM25 | index docs/s | query ms |" in again.stdout
    assert "| full pipeline |" in again.stdout


def test_a_folder_that_is_not_beir_gives_a_one_line_error(tmp_path: Path, data_dir: Path) -> None:
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text("q\td\t1\n", encoding="utf-8")
    done = run_kb(["bench", "beir", "--dataset", str(tmp_path), "--no-progress"], data_dir)
    assert done.returncode == 2
    assert "has no corpus.jsonl or corpus.jsonl.gz" in done.stderr and "Traceback" not in done.stderr


def test_a_kept_store_that_holds_other_articles_is_refused(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "real.sqlite3"
    real = SQLiteStore(path)
    real.upsert_articles([Article(pmid="12345", title="A real citation")])
    real.close()
    with pytest.raises(DataError, match="give --keep a file of its own"):
        run_beir_bench(settings, TINY, store_path=path, embed=False, progress=False)
    real = SQLiteStore(path)
    assert real.stats()["articles"] == 1  # untouched
    real.close()
