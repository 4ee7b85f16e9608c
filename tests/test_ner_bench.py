"""The NER benchmark: strict entity-level scores, and the brat and IOB readers."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
from pathlib import Path

import pytest

from cli.bench.ner import (
    Corpus,
    Entity,
    NerRow,
    format_table,
    read_brat,
    read_iob,
    run_ner_bench,
    score,
)
from kb.errors import ParseError
from kb.tagging import Label, build_tagger
from tests.test_tagging import small_vocabularies

FIXTURES = Path(__file__).parent / "fixtures" / "ner"


# --- the metric ---------------------------------------------------------------------------------


def test_score_counts_only_exact_spans() -> None:
    gold = [(0, 0, 4), (0, 10, 20), (1, 5, 9)]
    predicted = [(0, 0, 4), (0, 10, 19), (1, 5, 9), (2, 0, 3)]  # one boundary miss, one spurious
    assert score(gold, predicted) == (3, 4, 2)


def test_score_ignores_duplicates() -> None:
    assert score([(0, 1, 2), (0, 1, 2)], [(0, 1, 2)]) == (1, 1, 1)


def test_row_precision_recall_and_f1() -> None:
    row = NerRow("c", "gene", Label.GENE, sentences=3, gold=3, predicted=4, correct=2)
    assert row.precision == 0.5
    assert row.recall == pytest.approx(2 / 3)
    assert row.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_row_scores_are_zero_without_predictions_or_gold() -> None:
    row = NerRow("c", "gene", Label.GENE, sentences=1, gold=0, predicted=0, correct=0)
    assert (row.precision, row.recall, row.f1) == (0.0, 0.0, 0.0)


def test_format_table_is_markdown_with_one_line_per_row() -> None:
    rows = [NerRow("CIViCmine", "gene", Label.GENE, 600, 851, 800, 700)]
    lines = format_table(rows).splitlines()
    assert lines[0].startswith("| corpus | entity |") and lines[1].startswith("|---")
    assert lines[2] == "| CIViCmine | gene | 600 | 851 | 800 | 700 | 0.875 | 0.823 | 0.848 |"


# --- readers ------------------------------------------------------------------------------------


def test_iob_reader_joins_tokens_and_builds_spans() -> None:
    with (FIXTURES / "tiny.tsv").open(encoding="utf-8") as fh:
        sentences = list(read_iob(fh))
    assert [s.text for s in sentences] == [
        "EGFR T790M in lung cancer .",
        "heat shock protein and HSP 90 bind KRAS NRAS",
        "cisplatin",
    ]
    assert sentences[0].entities == (Entity(0, 4, "GENE"), Entity(14, 25, "Disease"))
    # an I- tag after O starts an entity; B- after B- starts another
    assert sentences[1].entities == (
        Entity(0, 18, "GENE"),
        Entity(23, 29, "GENE"),
        Entity(35, 39, "GENE"),
        Entity(40, 44, "GENE"),
    )
    assert sentences[2].entities == (Entity(0, 9, "Chemical"),)


def test_iob_reader_rejects_a_line_without_a_tag() -> None:
    with pytest.raises(ParseError, match="line 2"):
        list(read_iob(io.StringIO("EGFR\tB-GENE\nbroken line\n")))


def _brat_tar(tmp_path: Path) -> Path:
    archive = tmp_path / "training.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted((FIXTURES / "brat").iterdir()):
            tar.add(path, arcname=f"training/{path.name}")
    return archive


def test_brat_reader_reads_text_bound_annotations_from_a_tar(tmp_path: Path) -> None:
    sentences = list(read_brat(_brat_tar(tmp_path)))
    assert [s.text for s in sentences] == [
        "Osimertinib overcomes the EGFR T790M mutation in NSCLC.",
        "No entities here.",
    ]
    assert sentences[0].entities == (
        Entity(0, 11, "drug"),
        Entity(26, 30, "gene"),
        Entity(31, 45, "variant"),
        Entity(49, 54, "cancer"),
    )
    assert sentences[1].entities == ()


def test_brat_reader_rejects_offsets_that_miss_the_text(tmp_path: Path) -> None:
    folder = tmp_path / "training"
    folder.mkdir()
    (folder / "x.txt").write_text("EGFR is a gene.", encoding="utf-8")
    (folder / "x.a1").write_text("T1\tgene 1 5\tEGFR\n", encoding="utf-8")
    archive = tmp_path / "bad.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="training")
    with pytest.raises(ParseError, match="not at 1-5"):
        list(read_brat(archive))


# --- the whole run, with a real tagger on a small vocabulary ------------------------------------


def test_run_ner_bench_scores_each_corpus_and_type(tmp_path: Path) -> None:
    _brat_tar(tmp_path)
    iob = tmp_path / "tiny.tsv.gz"
    with (FIXTURES / "tiny.tsv").open("rb") as src, gzip.open(iob, "wb") as dst:
        shutil.copyfileobj(src, dst)
    corpora = (
        Corpus(
            "mini-civicmine",
            "training.tar.gz",
            "brat-tar",
            {
                "gene": ("gene", Label.GENE),
                "variant": ("variant", Label.VARIANT),
                "cancer": ("cancer", Label.TUMOR),
                "drug": ("drug", Label.DRUG),
            },
        ),
        Corpus("mini-iob", "tiny.tsv.gz", "iob", {"GENE": ("gene", Label.GENE)}),
    )
    rows = run_ner_bench(tmp_path, build_tagger(small_vocabularies()), corpora)
    counts = {(r.corpus, r.entity): (r.gold, r.predicted, r.correct) for r in rows}
    assert counts == {
        ("mini-civicmine", "gene"): (1, 1, 1),
        ("mini-civicmine", "variant"): (1, 1, 1),
        ("mini-civicmine", "cancer"): (1, 1, 1),
        ("mini-civicmine", "drug"): (1, 1, 1),
        # KRAS is tagged; EGFR is tagged; the small vocabulary has no HSP90 and no NRAS
        ("mini-iob", "gene"): (5, 2, 2),
    }
    assert all(r.sentences == (2 if r.corpus == "mini-civicmine" else 3) for r in rows)
