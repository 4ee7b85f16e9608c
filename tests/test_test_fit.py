"""Tests that fit (issue 13): a catalogue test is offered only when it can detect what the question asks
and fits the tumor; a tumor-only question ranks tests by coverage of the tumor's actionable genes; the
reasons state facts about the test and the query, never evidence levels or counts.

Everything is real: the authored catalogue ingested with genes, OncoTree, drugs, biomarkers and CIViC into
the shared SQLite store (tests/conftest.py ``vocab_store``), searched through ``SearchService.search``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.catalogue import parse_catalogue
from ingest.records import Rejected
from kb import domain
from kb.codec import from_dict, to_dict
from kb.query import QueryIndex, build_query_index
from kb.recommend import HEME_ROOTS, Recommendation
from kb.search import SearchService
from kb.services import build_services
from kb.store import SQLiteStore
from kb.vocab import Vocabularies, vocabularies_from_store
from kb.vocab.variants import parse_alteration
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def vocab(vocab_store: SQLiteStore) -> Vocabularies:
    return vocabularies_from_store(vocab_store)


@pytest.fixture(scope="module")
def index(vocab_store: SQLiteStore, vocab: Vocabularies) -> QueryIndex:
    return build_query_index(vocab, vocab_store.iter_evidence())


@pytest.fixture(scope="module")
def service(vocab_store: SQLiteStore, index: QueryIndex) -> SearchService:
    return SearchService(vocab_store, index)


def offered(service: SearchService, text: str) -> list[Recommendation]:
    return service.search(text).tests


def ids(tests: list[Recommendation]) -> list[str]:
    return [r.item.id for r in tests]


def family(code: str, vocab: Vocabularies) -> set[str]:
    tumors = vocab.tumors
    return {code, *tumors.ancestors(code), *tumors.descendants(code)}


def heme(code: str, vocab: Vocabularies) -> bool:
    line = vocab.tumors.ancestors(code)
    return (line[-1] if line else code) in HEME_ROOTS


# -- the catalogue states what each test can report -------------------------------------------------
# words of a description and the report type they promise
PROMISES = {r"fusion": "fusion", r"amplification|copy number": "cnv", r"immunohistochemistry": "expression",
            r"methylation": "methylation", r"microsatellite|\bMSI\b": "msi", r"\bTMB\b|mutations per megabase": "tmb",
            r"instability score": "hrd"}  # fmt: skip


def test_every_catalogue_item_states_what_it_reports_with_a_source(vocab_store: SQLiteStore) -> None:
    items = list(vocab_store.iter_tests())
    assert len(items) == 30
    for t in items:
        assert t.reports and t.samples and t.source.startswith(f"Product specification of {t.id}"), t.id
        assert t.indications or t.pan_cancer, t.id
        for pattern, kind in PROMISES.items():  # what the description says is in reports
            if re.search(pattern, t.description, re.I):
                assert kind in t.reports, (t.id, kind)
        sequenced = any("snv_indel" in t.reports_for(g) for g in t.genes)
        assert (t.coverage in ("full", "hotspot")) == sequenced, t.id
        if t.coverage == "hotspot":
            assert t.hotspots, t.id
        for hotspot in t.hotspots:  # the project's own normalised ids
            gene, _, name = hotspot.partition(":")
            assert gene in t.genes and parse_alteration(gene, name).name == name, (t.id, hotspot)


def _item(ident: str, extra: str, source: str = "source: product sheet, ") -> str:
    return (
        f"  - {{id: {ident}, name: n, name_zh: n, genes: [EGFR], indications: [NSCLC], sample_types: [FFPE],"
        f" method: NGS, turnaround_days: 7, samples: [tissue], {source}{extra}}}\n"
    )


def test_an_item_whose_capabilities_do_not_hold_is_rejected_with_the_reason(
    vocab: Vocabularies, tmp_path: Path
) -> None:
    text = "items:\n" + "".join(
        [_item("OK", "reports: [snv_indel], coverage: hotspot, hotspots: [EGFR:T790M, EGFR:EXON19DEL]"),
         _item("TYPE", "reports: [sequencing], coverage: full"),
         _item("FORM", "reports: [snv_indel], coverage: hotspot, hotspots: [EGFR:Thr790Met]"),
         _item("GENE", "reports: [snv_indel], coverage: hotspot, hotspots: [KRAS:G12C]"),
         _item("COVERAGE", "reports: [snv_indel, cnv]"),
         _item("MSI", "reports: [snv_indel], coverage: full, biomarkers: [MSI-H]"),
         _item("SCOPE", "reports: [cnv], pan_cancer: everything"),
         _item("SOURCE", "reports: [cnv]", source="")]
    )  # fmt: skip
    out = list(parse_catalogue(io.StringIO(text), data_dir=tmp_path, tumor_codes={"NSCLC"},
                               genes=vocab.genes, biomarkers=vocab.biomarkers))  # fmt: skip
    (item,) = [t for t in out if isinstance(t, domain.TestItem)]
    assert item.id == "OK" and item.hotspots == ("EGFR:T790M", "EGFR:EXON19DEL") and item.coverage == "hotspot"
    reasons = {r.key: r.reason for r in out if isinstance(r, Rejected)}
    assert set(reasons) == {"TYPE", "FORM", "GENE", "COVERAGE", "MSI", "SCOPE", "SOURCE"}
    assert "report type 'sequencing'" in reasons["TYPE"]
    assert "EGFR:T790M" in reasons["FORM"] and "normalised" in reasons["FORM"]
    assert "KRAS" in reasons["GENE"] and "coverage" in reasons["COVERAGE"] and "msi" in reasons["MSI"]
    assert "scope 'everything'" in reasons["SCOPE"] and "source" in reasons["SOURCE"]


def test_an_editor_s_test_record_is_checked_like_the_catalogue(vocab_store: SQLiteStore) -> None:
    for item in vocab_store.iter_tests():  # what the editorial workflow stores and reads back
        assert from_dict(domain.TestItem, to_dict(item)) == item
    record = to_dict(next(t for t in vocab_store.iter_tests() if t.id == "LC-EGFR-01"))
    changes: list[tuple[dict[str, Any], str]] = [
        ({"reports": ["snv_indel", "ngs"]}, "report type 'ngs'"), ({"coverage": ""}, "needs coverage"),
        ({"hotspots": ["KRAS:G12C"]}, "KRAS:G12C"), ({"source": ""}, "source"),
        ({"pan_cancer": "lung"}, "scope 'lung'"),
    ]  # fmt: skip
    for change, message in changes:
        with pytest.raises(ValueError, match=message):
            from_dict(domain.TestItem, record | change)


# -- a test is offered only for what it can detect ---------------------------------------------------
@pytest.mark.parametrize(
    ("missed", "found", "hotspot_test", "sequenced_in_full"),
    [("EGFR L718Q 奥希替尼耐药", "EGFR L858R 肺腺癌", "LC-EGFR-01", "LC-PANEL-10"),
     ("BRAF D594G 结直肠癌", "KRAS A146T 结直肠癌", "CRC-RAS-01", "CRC-PANEL-01"),
     ("FLT3 F691L 急性髓系白血病", "FLT3 D835Y 急性髓系白血病", "HEME-FLT3-01", "HEME-MYELOID-01"),
     ("KIT T670I 胃肠间质瘤", "PDGFRA D842V 胃肠间质瘤", "GIST-PANEL-01", "PAN-468-01")],
)  # fmt: skip
def test_a_hotspot_assay_is_offered_only_for_the_variants_it_lists(
    service: SearchService, missed: str, found: str, hotspot_test: str, sequenced_in_full: str
) -> None:
    outside = ids(offered(service, missed))
    assert hotspot_test not in outside and sequenced_in_full in outside, outside
    assert hotspot_test in ids(offered(service, found))


def test_an_alk_point_mutation_gets_no_ihc_test_but_an_alk_fusion_does(service: SearchService) -> None:
    assert "LC-ALK-IHC-01" not in ids(offered(service, "ALK L1196M"))  # IHC sees the protein, not the residue
    assert "LC-ALK-IHC-01" in ids(offered(service, "ALK融合 非小细胞肺癌"))


@pytest.mark.parametrize("text", ["HER2低表达 乳腺癌 德曲妥珠单抗", "HER2-low breast cancer"])
def test_fish_is_not_offered_for_her2_low(service: SearchService, vocab: Vocabularies, text: str) -> None:
    assert "HER2-low" in service.search(text).targets.biomarkers
    for rec in offered(service, text):  # whatever is offered reports the HER2 IHC state itself
        assert "HER2-low" in rec.item.biomarkers, rec.item.id
    amplified = offered(service, "HER2扩增 胃癌")  # what FISH does see
    fish = next(r for r in amplified if r.item.id == "HER2-FISH-01")
    assert "扩增" in fish.reason_zh and "胃癌" in fish.reason_zh


# -- and only when it fits the tumor -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("FLT3-ITD 急性髓系白血病", "HEME-FLT3-01"), ("NPM1突变 急性髓系白血病", "HEME-MYELOID-01"),
     ("IDH2 R140Q 急性髓系白血病", "HEME-MYELOID-01"), ("JAK2 V617F 真性红细胞增多症", "HEME-MPN-01"),
     ("慢性髓系白血病 ABL1", "HEME-ABLKD-01"), ("MSI-H 急性髓系白血病", None)],
)  # fmt: skip
def test_no_solid_tumour_test_for_a_leukaemia(
    service: SearchService, vocab: Vocabularies, text: str, expected: str | None
) -> None:
    result = service.search(text)
    (code,) = result.targets.tumors
    assert heme(code, vocab)
    for rec in result.tests:
        assert rec.item.pan_cancer != "solid", rec.item.id
        assert family(code, vocab).intersection(rec.item.indications), rec.item.id
    assert ids(result.tests)[:1] == ([expected] if expected else [])


@pytest.mark.parametrize(
    "text",
    ["BRAF V600E 黑色素瘤", "KRAS G12D 胰腺癌", "EGFR扩增 胶质母细胞瘤", "BRAF V600E 甲状腺乳头状癌",
     "KRAS G12C 非小细胞肺癌", "MSI-H 胰腺癌"],
)  # fmt: skip
def test_no_test_for_another_organ(service: SearchService, vocab: Vocabularies, text: str) -> None:
    result = service.search(text)
    assert result.tests
    (code,) = result.targets.tumors
    for rec in result.tests:
        indicated = family(code, vocab).intersection(rec.item.indications)
        pan = rec.item.pan_cancer in ("any", "solid") and not heme(code, vocab)
        assert indicated or pan, (rec.item.id, rec.item.indications)
        assert set(rec.matched_tumors) == indicated


@pytest.mark.parametrize(("text", "solid_panel"), [("FLT3 D835Y", "PAN-468-01"), ("IDH2 R140Q", "CT-LB-01")])
def test_with_no_tumor_named_the_evidence_s_tumors_stand_in(
    service: SearchService, vocab: Vocabularies, text: str, solid_panel: str
) -> None:
    result = service.search(text, size=20)  # myeloid variants: their best evidence is about AML
    context = {e.tumor_code for e in result.evidence if e.tumor_code}
    assert "AML" in context and result.tests and solid_panel not in ids(result.tests)
    for rec in result.tests:
        fits = any(family(c, vocab).intersection(rec.item.indications) for c in context)
        assert fits or (rec.item.pan_cancer == "solid" and any(not heme(c, vocab) for c in context)), rec.item.id


def test_a_pan_cancer_test_fits_a_solid_tumour_it_does_not_list(service: SearchService) -> None:
    msi = next(r for r in offered(service, "MSI-H 胰腺癌") if r.item.id == "IO-MSI-01")
    assert "PAAD" not in msi.item.indications and msi.item.pan_cancer == "solid"
    assert "泛癌种" in msi.reason_zh and "胰腺" in msi.reason_zh and "pan-cancer" in msi.reason


# -- tumor-only questions ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["非小细胞肺癌", "结直肠癌", "急性髓系白血病", "乳腺癌", "黑色素瘤"])
def test_a_tumor_only_question_puts_the_broad_panel_first(service: SearchService, text: str) -> None:
    tests = offered(service, text)
    assert tests and len(tests[0].item.genes) >= 10, ids(tests)
    scores = [r.score for r in tests]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    small = [r for r in tests if len(r.item.genes) < 3]  # single genes, IHC and biomarker-only tests
    assert all(r.score < tests[0].score for r in small)
    assert all(not r.matched_genes for r in tests)  # no gene was asked


def test_equal_coverage_goes_to_the_broader_then_the_faster_test_not_to_the_first_id(
    vocab_store: SQLiteStore, index: QueryIndex
) -> None:
    lung = next(t for t in vocab_store.iter_tests() if t.id == "LC-PANEL-10")
    copies = [replace(lung, id="A-SLOW", turnaround_days=20), replace(lung, id="B-SLOWER", turnaround_days=30),
              replace(lung, id="Z-FAST", turnaround_days=5),
              replace(lung, id="Y-BROADER", genes=(*lung.genes, "ZNF217"), turnaround_days=25)]  # fmt: skip
    tests = SearchService(vocab_store, index, catalogue=copies).search("非小细胞肺癌").tests
    assert len({r.score for r in tests}) == 1  # ZNF217 is not actionable in lung cancer: equal coverage
    assert ids(tests) == ["Y-BROADER", "Z-FAST", "A-SLOW", "B-SLOWER"]


# -- reasons -------------------------------------------------------------------------------------------
GRADES = re.compile(r"[A-E]级|\d+\s*条|CIViC|证据|level|evidence|items|improve|提高|获益", re.I)


@pytest.mark.parametrize(
    "text", ["EGFR L858R 肺腺癌", "非小细胞肺癌", "MSI-H 胰腺癌", "ALK融合", "HER2扩增 胃癌", "FLT3-ITD 急性髓系白血病"]
)
def test_reasons_state_facts_never_levels_counts_or_outcomes(
    service: SearchService, vocab: Vocabularies, text: str
) -> None:
    tests = offered(service, text)
    assert tests
    for rec in tests:
        assert not GRADES.search(rec.reason) and not GRADES.search(rec.reason_zh), rec.reason_zh
        assert (
            rec.reason.startswith("Company test: ") and rec.reason_zh.startswith("本公司检测项目：") and rec.sponsored
        )
        assert f"{rec.item.turnaround_days}个工作日" in rec.reason_zh
        assert f"{rec.item.turnaround_days} working days" in rec.reason
        narrowest = [
            c for c in rec.matched_tumors if not any(c in vocab.tumors.ancestors(o) for o in rec.matched_tumors)
        ]
        for code in narrowest:  # named in Chinese
            assert (vocab.tumors.nodes[code].name_zh or vocab.tumors.nodes[code].name) in rec.reason_zh


def test_a_reason_says_what_the_test_detects_for_the_query(service: SearchService) -> None:
    arms = next(r for r in offered(service, "EGFR L858R 肺腺癌") if r.item.id == "LC-EGFR-01")
    assert (
        "EGFR热点突变" in arms.reason_zh and "可检出L858R" in arms.reason_zh and "适用于非小细胞肺癌" in arms.reason_zh
    )
    assert "组织" in arms.reason_zh and "detects L858R" in arms.reason
    panel = next(r for r in offered(service, "EGFR L718Q 奥希替尼耐药") if r.item.id == "LC-PANEL-10")
    assert "EGFR全外显子" in panel.reason_zh and "可检出L718Q" in panel.reason_zh and "血浆" in panel.reason_zh


# -- the API serves the capability fields --------------------------------------------------------------
@pytest.fixture(scope="module")
def client(vocab_store: SQLiteStore, tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("test-fit-api"), data_dir)
    services = build_services(settings, embed=False, store=vocab_store)
    with TestClient(create_app(settings, services=services)) as http:
        yield http


def test_the_api_serves_what_a_test_can_report(client: TestClient, vocab_store: SQLiteStore) -> None:
    item = next(t for t in vocab_store.iter_tests() if t.id == "CNS-GLIOMA-01")
    body = client.get("/v1/tests/CNS-GLIOMA-01").json()
    assert body["reports"] == list(item.reports) and body["coverage"] == "hotspot" and body["source"]
    assert body["gene_reports"]["EGFR"] == ["cnv"] and "IDH1:R132" in body["hotspots"]
    assert body["samples"] == ["tissue"] and body["turnaround_days"] == item.turnaround_days
    found = client.get("/v1/search", params={"q": "EGFR扩增 胶质母细胞瘤"}).json()["tests"]
    glioma = next(t for t in found if t["id"] == "CNS-GLIOMA-01")
    assert glioma["matched_tumors"] == ["ADIFG", "GB"] and glioma["sponsored"] is True
