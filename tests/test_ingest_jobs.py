"""Ingest jobs end to end on a real store: counts, idempotence, resumption and bad input."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.jobs import ingest_pubmed_files, run_source
from ingest.loader import load
from ingest.records import Rejected
from kb.domain import Article
from kb.settings import Settings
from kb.store import SQLiteStore
from kb.vocab import authored
from kb.vocab.tables import read_table
from tests.conftest import make_context

FIXTURES = Path(__file__).parent / "fixtures"


def rejects(settings: Settings, job: str) -> list[dict[str, str]]:
    path = settings.work_dir / "rejects" / f"{job}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def subset_xml(data_dir: Path) -> bytes:
    return gzip.decompress((data_dir / "pubmed" / "pubmed21n1298.oncology_subset.xml.gz").read_bytes())


def test_vocabulary_and_evidence_jobs_load_every_source_record(vocab_store: SQLiteStore) -> None:
    counts = vocab_store.stats()
    assert counts["genes"] == 44_430
    assert counts["tumors"] == 898
    facts = read_table(authored("biomarker_evidence.tsv"))  # the cited biomarker facts join CIViC's items
    assert counts["evidence"] == 3_650 + len(facts)
    assert counts["biomarkers"] == len(read_table(authored("biomarkers.tsv"))) >= 13
    assert counts["drugs"] > 500
    assert counts["tests_published"] >= 15


def test_a_second_run_changes_no_count(settings: Settings, store: SQLiteStore, data_dir: Path) -> None:
    ctx = make_context(settings, store)
    for source in ("oncotree", "civic"):
        run_source(ctx, source, data_dir)
    first = store.stats()
    version = store.data_version()
    reports = [r for source in ("oncotree", "civic") for r in run_source(ctx, source, data_dir)]
    assert store.stats() == first and store.data_version() == version
    assert all(r.result.inserted == r.result.updated == 0 for r in reports)


def test_the_1500_oncology_citations_load_once(settings: Settings, store: SQLiteStore, data_dir: Path) -> None:
    ctx = make_context(settings, store)
    path = data_dir / "pubmed" / "pubmed21n1298.oncology_subset.xml.gz"
    (report,) = ingest_pubmed_files(ctx, [path], tag=False)
    assert report.result.inserted == 1_500 and store.stats()["articles"] == 1_500
    (again,) = ingest_pubmed_files(ctx, [path], tag=False)
    assert again.result.unchanged == 1_500 and store.stats()["articles"] == 1_500


class Interrupted(Exception):
    pass


def _dies_after(records: Iterator[object], n: int) -> Iterator[object]:
    for i, record in enumerate(records):
        if i == n:
            raise Interrupted
        yield record


def test_an_interrupted_load_resumes_without_duplicates_or_gaps(
    settings: Settings, store: SQLiteStore, subset_xml: bytes
) -> None:
    from ingest.pubmed import parse_pubmed

    def run(limit: int | None) -> None:
        import io

        records = parse_pubmed(io.BytesIO(subset_xml))
        stream = _dies_after(records, limit) if limit is not None else records
        load(stream, job="pubmed:test", store=store, write=store.upsert_articles, work_dir=settings.work_dir,
             identity="subset-v1", batch_size=100, progress=False)  # fmt: skip

    with pytest.raises(Interrupted):
        run(730)
    assert store.stats()["articles"] == 700  # the committed batches, not the half-read one
    run(None)
    assert store.stats()["articles"] == 1_500
    pmids = [a.pmid for a in store.iter_articles()]
    assert len(pmids) == len(set(pmids)) == 1_500


def test_truncated_xml_keeps_what_came_before_and_loses_nothing_stored(
    settings: Settings, store: SQLiteStore, data_dir: Path, subset_xml: bytes, tmp_path: Path
) -> None:
    ctx = make_context(settings, store)
    ingest_pubmed_files(ctx, [data_dir / "pubmed" / "pubmed1.xml"], tag=False)
    before = store.stats()["articles"]
    cut = tmp_path / "cut.xml"
    cut.write_bytes(subset_xml[: len(subset_xml) // 2])
    complete = len(re.findall(rb"</PubmedArticle>", subset_xml[: len(subset_xml) // 2]))
    (report,) = ingest_pubmed_files(ctx, [cut], tag=False)
    assert report.result.inserted == complete
    assert store.stats()["articles"] == before + complete
    (reject,) = rejects(settings, "pubmed:cut.xml")
    assert "truncated or malformed" in reject["reason"]


def test_a_gz_file_that_is_not_gzip_is_reported_and_other_files_still_load(
    settings: Settings, store: SQLiteStore, data_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "pubmed"
    folder.mkdir()
    (folder / "broken.xml.gz").write_bytes(b"<PubmedArticleSet></PubmedArticleSet>")
    shutil.copy(data_dir / "pubmed" / "pubmed2.xml", folder / "pubmed2.xml")
    ctx = make_context(settings, store)
    expected = len(re.findall(rb"<PubmedArticle>", (folder / "pubmed2.xml").read_bytes()))
    reports = run_source(ctx, "pubmed", data_dir, folder)
    assert [r.result.inserted for r in reports] == [0, expected]
    (reject,) = rejects(settings, "pubmed:broken.xml.gz")
    assert "not a gzip file" in reject["reason"]
    assert store.stats()["articles"] == expected > 0


def test_duplicated_pmid_keeps_the_newest_version(settings: Settings, store: SQLiteStore) -> None:
    ctx = make_context(settings, store)
    ingest_pubmed_files(ctx, [FIXTURES / "pubmed_versions.xml"], tag=False)
    ingest_pubmed_files(ctx, [FIXTURES / "pubmed_versions.xml"], tag=False)
    stored = store.get_article("90000201")
    assert stored is not None and stored.version == 2
    assert len([a for a in store.iter_articles() if a.pmid == "90000201"]) == 1


def test_delete_citation_for_unknown_pmids_is_reported_and_known_ones_are_deleted(
    settings: Settings, store: SQLiteStore
) -> None:
    ctx = make_context(settings, store)
    store.upsert_articles([Article(pmid="90000002", title="Placeholder to be deleted")])
    (report,) = ingest_pubmed_files(ctx, [FIXTURES / "pubmed_update.xml"], tag=False)
    assert report.deleted == 1 and report.result.inserted == 2
    reasons = {r["key"]: r["reason"] for r in rejects(settings, "pubmed:pubmed_update.xml")}
    assert set(reasons) == {"90000001", "90000003"}
    assert all("not in the store" in reason for reason in reasons.values())
    assert store.get_article("90000002") is not None and store.stats()["articles_deleted"] == 1


def test_catalogue_item_with_an_unknown_tumor_code_is_rejected_alone(
    settings: Settings, store: SQLiteStore, data_dir: Path, tmp_path: Path
) -> None:
    ctx = make_context(settings, store)
    run_source(ctx, "oncotree", data_dir)
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(
        "version: 1\nitems:\n"
        "  - {id: A-1, name: EGFR test, name_zh: EGFR检测, genes: [EGFR], indications: [NSCLC],"
        " sample_types: [FFPE], method: PCR, turnaround_days: 5}\n"
        "  - {id: B-2, name: Bad test, name_zh: 错误, genes: [KRAS], indications: [NOT_A_CODE],"
        " sample_types: [FFPE], method: NGS, turnaround_days: 7}\n",
        encoding="utf-8",
    )
    (report,) = run_source(ctx, "catalogue", data_dir, catalogue)
    assert [t.id for t in store.iter_tests()] == ["A-1"]
    (reject,) = rejects(settings, "catalogue")
    assert reject["key"] == "B-2" and "NOT_A_CODE" in reject["reason"]
    assert report.rejected == 1


def test_loader_writes_rejects_with_reasons_and_a_summary_line(settings: Settings, store: SQLiteStore) -> None:
    items: list[Article | Rejected] = [Article(pmid="1", title="t"), Rejected("x", "line 3", "bad row")]
    report = load(items, job="unit", store=store, write=store.upsert_articles, work_dir=settings.work_dir,
                  progress=False)  # fmt: skip
    assert rejects(settings, "unit") == [{"source": "x", "key": "line 3", "reason": "bad row"}]
    assert "1 records (1 new" in report.summary() and "1 rejected (see" in report.summary()
