"""Biomarkers: the kind, its ingest, how queries read them (names and values, Chinese and English),
the tests and evidence they bring, the entity endpoint, and an editor's change read by the next query.

The stores are real (the shared ``vocab_store`` of tests/conftest.py; the publishing site of
tests/test_publishing.py); nothing is mocked.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.biomarkers import parse_biomarker_evidence, parse_biomarkers, parse_cutoff
from ingest.catalogue import parse_catalogue
from ingest.jobs import run_source
from ingest.records import Rejected
from kb import domain
from kb.domain import Biomarker, Cutoff, Evidence
from kb.query import ParsedQuery, QueryIndex, build_query_index, parse_query
from kb.search import SearchFilters, SearchService
from kb.services import build_services
from kb.settings import Settings
from kb.store import SQLiteStore
from kb.vocab import Vocabularies, authored, vocabularies_from_store
from kb.vocab.biomarkers import BiomarkerVocabulary
from kb.vocab.tables import read_table
from tests.conftest import make_context, make_settings
from tests.test_editorial import Site
from tests.test_publishing import built, publish, site  # noqa: F401  (fixtures: a live site over a full store)


@pytest.fixture(scope="module")
def vocab(vocab_store: SQLiteStore) -> Vocabularies:
    return vocabularies_from_store(vocab_store)


@pytest.fixture(scope="module")
def index(vocab_store: SQLiteStore, vocab: Vocabularies) -> QueryIndex:
    return build_query_index(vocab, vocab_store.iter_evidence())


@pytest.fixture(scope="module")
def service(vocab_store: SQLiteStore, index: QueryIndex) -> SearchService:
    return SearchService(vocab_store, index)


def biomarkers(parsed: ParsedQuery) -> dict[str, Any]:
    """The biomarker concepts: id -> (value, match, candidates)."""
    return {c.id: (c.value, c.match, c.candidates) for c in parsed.of_type("biomarker")}


# -- the table and the kind ---------------------------------------------------------------------
def test_every_biomarker_of_the_table_is_stored_with_a_definition_and_a_source(vocab: Vocabularies) -> None:
    table = read_table(authored("biomarkers.tsv"))
    assert {row["id"] for row in table} == set(vocab.biomarkers.biomarkers)
    for biomarker in vocab.biomarkers:
        assert biomarker.name and biomarker.name_zh and biomarker.group, biomarker.id
        assert biomarker.definition and biomarker.definition_zh and biomarker.source, biomarker.id
        assert all(gene in vocab.genes for gene in biomarker.genes), biomarker.id
    tmb = vocab.biomarkers.biomarkers["TMB-H"]
    assert tmb.cutoffs == (Cutoff("TMB", ">=", 10.0, "mut/Mb", defining=True),) and "10" in tmb.definition


@pytest.mark.parametrize(
    ("text", "cutoff"),
    [("defines TMB>=10 mut/Mb", Cutoff("TMB", ">=", 10.0, "mut/Mb", True)),
     ("reports CPS>=1", Cutoff("CPS", ">=", 1.0)), ("reports TPS >= 50%", Cutoff("TPS", ">=", 50.0, "%"))],
)  # fmt: skip
def test_cut_offs_are_read_as_structured_values(text: str, cutoff: Cutoff) -> None:
    assert parse_cutoff(text) == cutoff
    with pytest.raises(ValueError, match="cut-off"):
        parse_cutoff(text.replace(">=", "about"))


def test_bad_biomarker_rows_are_rejected_with_their_reason() -> None:
    header = "id\tgroup\tname\tgenes\tcutoffs\tvalues\n"
    rows = (
        "X-1\tX\tGood one\tEGFR\t\t\nX-2\tX\tUnknown gene\tNOTAGENE\t\t\nX-3\tX\tBad cut-off\t\tdefines X about 3\t\n"
    )
    rows += "X-4\tX\tBad value\t\t\tsomewhat\n\tX\tNo id\t\t\t\n"
    out = list(parse_biomarkers(io.StringIO("# a comment\n" + header + rows), genes=lambda g: g == "EGFR"))
    assert [b.id for b in out if isinstance(b, Biomarker)] == ["X-1"]
    reasons = {r.key: r.reason for r in out if isinstance(r, Rejected)}
    assert set(reasons) == {"X-2", "X-3", "X-4", "line 7"}
    assert "NOTAGENE" in reasons["X-2"] and "cut-off" in reasons["X-3"]


def test_a_fact_needs_known_biomarkers_tumor_drugs_and_a_source() -> None:
    known = {"MSS": Biomarker("MSS", "Microsatellite stable", "微卫星稳定")}
    header = "id\tbiomarkers\ttumor\tdrugs\tevidence_type\tdirection\tsignificance\tlevel\tpmids\tlabel\tstatement\n"
    good = "F1\tMSS\tCOADREAD\tnivolumab\tpredictive\tdoes_not_support\tsensitivity\tB\t123\t\tNo response.\n"
    bad = [
        "F2\tMSI-X\tCOADREAD\tnivolumab\tpredictive\tsupports\tsensitivity\tB\t123\t\t.\n",
        "F3\tMSS\tNOWHERE\tnivolumab\tpredictive\tsupports\tsensitivity\tB\t123\t\t.\n",
        "F4\tMSS\tCOADREAD\tunknownmab\tpredictive\tsupports\tsensitivity\tB\t123\t\t.\n",
        "F5\tMSS\tCOADREAD\tnivolumab\tpredictive\tsupports\tsensitivity\tB\t\t\t.\n",
        "F6\tMSS\tCOADREAD\tnivolumab\tpredictive\tsupports\tsensitivity\tB\tPMC1\t\t.\n",
    ]
    drugs = {"nivolumab": "nivolumab"}
    out = list(parse_biomarker_evidence(io.StringIO(header + good + "".join(bad)), biomarkers=known,
                                        tumor_codes={"COADREAD"}, drug=drugs.get))  # fmt: skip
    (item,) = [e for e in out if isinstance(e, Evidence)]
    assert (item.id, item.source, item.gene, item.biomarkers, item.alteration.id) == (
        "genekb:F1", "genekb", "", ("MSS",), "MSS")  # fmt: skip
    assert item.alteration.label_zh == "微卫星稳定" and item.citations[0].pmid == "123"
    assert sorted(r.key for r in out if isinstance(r, Rejected)) == [f"genekb:F{n}" for n in range(2, 7)]


def test_every_cited_fact_is_loaded_with_a_pmid_or_a_label_and_a_level(vocab_store: SQLiteStore) -> None:
    facts = {e.id: e for e in vocab_store.iter_evidence() if e.source == "genekb"}
    assert len(facts) == len(read_table(authored("biomarker_evidence.tsv"))) >= 7
    for item in facts.values():
        assert item.biomarkers and item.gene == "" and item.level.value in "AB"
        assert any(c.pmid.isdigit() or c.source == "label" for c in item.citations)
        assert all(c.pmid or c.source_id for c in item.citations)  # every citation names its source
    assert {"32919526", "35665782", "31851799"} <= {c.pmid for e in facts.values() for c in e.citations}


def test_the_biomarker_job_is_idempotent_on_a_fresh_store(
    settings: Settings, store: SQLiteStore, data_dir: Path
) -> None:
    ctx = make_context(settings, store)
    first = run_source(ctx, "biomarkers", data_dir)
    version = store.data_version()
    again = run_source(ctx, "biomarkers", data_dir)
    assert [r.job for r in first] == ["biomarkers", "biomarker_evidence"]
    assert first[0].result.inserted == store.stats()["biomarkers"] >= 13 and first[1].rejected == 0
    assert all(r.result.inserted == r.result.updated == 0 for r in again) and store.data_version() == version


def test_the_catalogue_reads_biomarker_ids_and_the_former_group_names(vocab: Vocabularies, tmp_path: Path) -> None:
    text = """items:
  - {id: A, name: a, name_zh: a, biomarkers: [MSI, PD-L1 IHC, TMB-H], indications: [], sample_types: [x], method: m,
     turnaround_days: 1}
  - {id: B, name: b, name_zh: b, biomarkers: [nothing-of-the-sort], indications: [], sample_types: [x], method: m,
     turnaround_days: 1}
"""
    out = list(parse_catalogue(io.StringIO(text), data_dir=tmp_path, tumor_codes=set(), biomarkers=vocab.biomarkers))
    (item,) = [t for t in out if isinstance(t, domain.TestItem)]
    assert item.biomarkers == ("MSI-H", "MSI-L", "MSS", "PD-L1", "TMB-H")
    assert [r.key for r in out if isinstance(r, Rejected)] == ["B"]
    unchecked = list(parse_catalogue(io.StringIO(text), data_dir=tmp_path, tumor_codes=set()))  # no vocabulary yet
    assert next(t.biomarkers for t in unchecked if isinstance(t, domain.TestItem)) == ("MSI", "PD-L1 IHC", "TMB-H")


# -- names in a query ---------------------------------------------------------------------------
def test_every_authored_name_and_synonym_reads_as_its_biomarker(index: QueryIndex, vocab: Vocabularies) -> None:
    for biomarker in vocab.biomarkers:
        for name in BiomarkerVocabulary.all_names(biomarker):
            if not name or len(vocab.biomarkers.lookup(name)) != 1:
                continue
            parsed = parse_query(name, index)
            found = biomarkers(parsed)
            if not found:  # a gene's positivity wording (HER2-positive, HER2阳性) stays the gene's 阳性 reading
                assert [v.match for v in parsed.of_type("variant")] == ["alias"], name
                continue
            assert list(found) == [biomarker.id], (name, found)


@pytest.mark.parametrize(
    ("text", "ident", "tumor"),
    [("微卫星不稳定性 胃癌", "MSI-H", "STAD"), ("MMR蛋白缺失的子宫内膜癌", "dMMR", None),
     ("mismatch repair-proficient colorectal cancer", "pMMR", "COADREAD"), ("高TMB 黑色素瘤", "TMB-H", "MEL"),
     ("HRD status ovarian cancer", "HRD", None), ("HER2低表达胃癌", "HER2-low", "STAD"),
     ("HER2 ultra-low breast cancer", "HER2-ultralow", None)],
)  # fmt: skip
def test_biomarkers_are_read_beside_tumors_in_chinese_and_english(
    index: QueryIndex, text: str, ident: str, tumor: str | None
) -> None:
    parsed = parse_query(text, index)
    assert list(biomarkers(parsed)) == [ident], parsed.to_dict()
    assert parsed.unresolved == () and (tumor is None or tumor in parsed.tumors)


def test_msi_is_the_biomarker_never_the_musashi_genes(index: QueryIndex) -> None:
    for text in ("MSI", "msi 检测", "MSI status colorectal"):
        parsed = parse_query(text, index)
        assert "MSI-H" in biomarkers(parsed)
        assert not {"MSI1", "MSI2"} & set(parsed.ids("gene", candidates=True)), text


def test_her2_low_is_not_an_amplification_and_her2_positive_still_is(index: QueryIndex) -> None:
    for text in ("HER2低表达乳腺癌", "HER2-low breast cancer", "乳腺癌 HER2 IHC 1+"):
        parsed = parse_query(text, index)
        assert list(biomarkers(parsed)) == ["HER2-low"] and {"BRCA", "BREAST"} & set(parsed.tumors)
        assert parsed.variants == () and "ERBB2" not in parsed.genes, text
    assert "ERBB2:AMPLIFICATION" in parse_query("HER2阳性胃癌", index).variants  # positive_readings.tsv stays


# -- values ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "ident", "value"),
    [("TPS ≥ 80%", "PD-L1", "TPS>=80%"), ("PD-L1 TPS 35%", "PD-L1", "TPS 35%"), ("CPS评分≥5", "PD-L1", "CPS>=5"),
     ("CPS大于等于20 食管鳞癌", "PD-L1", "CPS>=20"), ("PD-L1 表达 60%以上", "PD-L1", ">=60%"),
     ("PD-L1强阳性", "PD-L1", "high"), ("PD-L1 negative NSCLC", "PD-L1", "negative"), ("ＴＰＳ５％", "PD-L1", "TPS 5%"),
     ("肿瘤突变负荷 15 mut/Mb", "TMB-H", "TMB 15 mut/Mb"), ("TMB>=12", "TMB-H", "TMB>=12"), ("TMB 3", "TMB-L", "TMB 3"),
     ("TMB小于10", "TMB-L", "TMB<10"), ("HRD negative", "HRD", "negative"), ("GIS 51", "HRD", "GIS 51"),
     ("HER2 IHC 0", "HER2-0", None), ("her2 (1+)", "HER2-low", "IHC 1+"),
     ("HER2 2+ ISH阳性", "HER2-positive", "IHC 2+/ISH+"), ("HER2 IHC 2+，FISH无扩增", "HER2-low", "IHC 2+/ISH-")],
)  # fmt: skip
def test_values_are_read_with_their_biomarker(index: QueryIndex, text: str, ident: str, value: str | None) -> None:
    parsed = parse_query(text, index)
    found = biomarkers(parsed)
    assert list(found) == [ident], parsed.to_dict()
    assert value is None or found[ident][0] == value
    assert parsed.unresolved == ()
    concept = parsed.of_type("biomarker")[0]
    assert concept.to_dict().get("value") == (concept.value or None)


@pytest.mark.parametrize("text", ["≥ 30%", "表达 70%以上", "> 20", "CPS", "TMB>3", "GIS 20"])
def test_a_value_without_its_biomarker_stays_unresolved(index: QueryIndex, text: str) -> None:
    parsed = parse_query(text, index)
    assert parsed.of_type("biomarker") == () and parsed.unresolved, parsed.to_dict()


def test_ambiguous_results_list_their_candidates(index: QueryIndex) -> None:
    assert biomarkers(parse_query("HER2 2+", index))["HER2 2+"][1:] == ("ambiguous", ("HER2-low", "HER2-positive"))
    negated = biomarkers(parse_query("MSI阴性 结直肠癌", index))
    assert next(iter(negated.values()))[1:] == ("ambiguous", ("MSI-L", "MSS"))  # never MSI-H
    assert list(biomarkers(parse_query("dMMR negative", index))) == ["pMMR"]
    assert biomarkers(parse_query("MMR", index))["MMR"][2] == ("dMMR", "pMMR")


# -- search: evidence and tests ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "test", "measures"),
    [("TMB 18 mut/Mb 肺癌", "IO-TMB-01", "检测TMB"), ("HRD 奥拉帕利", "HRD-01", "检测HRD"),
     ("错配修复缺陷 子宫内膜癌", "IO-MMR-IHC-01", "检测MMR"), ("PD-L1 CPS≥10 胃癌", "IO-PDL1-01", "检测PD-L1")],
)  # fmt: skip
def test_a_biomarker_question_gets_the_test_that_measures_it(
    service: SearchService, text: str, test: str, measures: str
) -> None:
    result = service.search(text)
    top = result.tests[0]
    assert top.item.id == test and top.matched_biomarkers, [(r.item.id, r.score) for r in result.tests]
    assert measures in top.reason_zh and top.reason.startswith("Company test: measures ")
    assert "improve" not in top.reason and top.sponsored


def test_a_biomarker_question_is_answered_by_evidence_about_it(
    service: SearchService, vocab_store: SQLiteStore
) -> None:
    low = service.search("HER2低表达 乳腺癌 德曲妥珠单抗", size=50).evidence
    assert low[0].id == "genekb:BM5" and all(e.alteration.id != "ERBB2:AMPLIFICATION" for e in low)
    pdl1 = service.search("PD-L1 TPS≥50% 非小细胞肺癌", size=50).evidence
    assert pdl1 and all(e.alteration.id == "CD274:EXPRESSION" or "PD-L1" in e.biomarkers for e in pdl1[:5])
    assert "civic:EID1733" in [e.id for e in pdl1]  # KEYNOTE-024 (PMID 27718847), CIViC's own item
    tissue_agnostic = [e.id for e in service.search("TMB-H", size=50).evidence]
    assert tissue_agnostic[0] == "genekb:BM1"
    filtered = service.search("MSI-H", size=50, filters=_levels("B")).evidence
    assert filtered and all(e.level.value == "B" for e in filtered)


def _levels(*levels: str) -> SearchFilters:
    return SearchFilters(levels=levels)


# -- the entity endpoint ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(vocab_store: SQLiteStore, tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("biomarker-api"), data_dir)
    services = build_services(settings, embed=False, store=vocab_store)
    with TestClient(create_app(settings, services=services)) as http:
        yield http


@pytest.mark.parametrize("name", ["dMMR", "错配修复缺陷", "mismatch repair deficiency"])
def test_the_biomarker_endpoint_answers_by_id_or_name(client: TestClient, name: str) -> None:
    body = client.get(f"/v1/biomarkers/{name}").json()
    assert (body["id"], body["name_zh"], body["group"]) == ("dMMR", "错配修复功能缺陷", "MMR")
    assert {"MLH1", "MSH2", "MSH6", "PMS2"} == set(body["genes"]) and body["definition_zh"]
    assert [t["id"] for t in body["tests"]] == ["IO-MMR-IHC-01"] and body["tests"][0]["matched_biomarkers"] == ["dMMR"]
    ids = {e["id"] for e in body["top_evidence"]}
    assert {"genekb:BM2", "civic:EID1877"} <= ids and body["evidence_count"] >= len(ids)


def test_the_biomarker_endpoint_gives_cut_offs_and_answers_404_for_an_unknown_name(client: TestClient) -> None:
    pdl1 = client.get("/v1/biomarkers/PD-L1").json()
    assert {(c["score"], c["value"]) for c in pdl1["cutoffs"]} >= {("TPS", 50.0), ("CPS", 10.0)}
    assert not any(c["defining"] for c in pdl1["cutoffs"])
    missing = client.get("/v1/biomarkers/not-a-biomarker")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_search_shows_biomarker_concepts_with_their_value(client: TestClient) -> None:
    body = client.get("/v1/search", params={"q": "肿瘤突变负荷≥20 结直肠癌"}).json()
    (concept,) = [c for c in body["query"]["concepts"] if c["type"] == "biomarker"]
    assert (concept["id"], concept["value"], concept["label_zh"]) == ("TMB-H", "TMB>=20", "肿瘤突变负荷高")
    assert body["tests"][0]["matched_biomarkers"] == ["TMB-H"]
    assert client.get("/v1/search", params={"q": "EGFR"}).json()["query"]["concepts"][0].get("value") is None


# -- editors --------------------------------------------------------------------------------------
def test_an_accepted_biomarker_synonym_is_understood_by_the_next_query(site: Site) -> None:  # noqa: F811
    word = f"同源重组障碍{uuid.uuid4().hex[:4].upper()}"
    before = site.call(None, "GET", "/v1/search", params={"q": word}).json()["query"]
    assert not [c for c in before["concepts"] if c["type"] == "biomarker"]
    entry = site.call("editor", "GET", "/v1/entries/biomarker/HRD").json()
    publish(site, "biomarker", "HRD", entry["data"] | {"synonyms_zh": [*entry["data"]["synonyms_zh"], word]})
    after = site.call(None, "GET", "/v1/search", params={"q": f"{word} 卵巢癌"}).json()
    assert [(c["id"], c["match"]) for c in after["query"]["concepts"] if c["type"] == "biomarker"] == [("HRD", "alias")]
    assert site.call(None, "GET", f"/v1/biomarkers/{word}").json()["id"] == "HRD"
    followed = site.call("doctor", "POST", "/v1/follows", json={"kind": "biomarker", "key": "HRD"})
    assert followed.status_code in (200, 201), followed.text
