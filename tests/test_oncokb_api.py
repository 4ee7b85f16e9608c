"""The OncoKB-compatible API (/oncokb/api/v1) on a live server, read by OncoKB's own clients.

pyoncokb (PyPI) parses every answer into its strict dataclasses; the fields oncokb-annotator
(github.com/oncokb/oncokb-annotator, AnnotatorCore.py) reads are checked the way it reads them, on the
requests it sends (POST arrays with numbers as strings, GET with ``isFunctionalFusion=TRUE``, ``info``
without a key). Answers keep the order and the ids, GET and POST agree, bad items answer 200 with
``geneExist``/``variantExist`` false, and nothing but OncoKB's level codes is ever sent.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pyoncokb.annotations.batchannotator import BatchAnnotator  # type: ignore[import-untyped]
from pyoncokb.annotations.copynumberalterationannotator import CopyNumberAlterationAnnotator  # type: ignore[import-untyped]
from pyoncokb.annotations.genomicchangeannotator import GenomicChangeAnnotator  # type: ignore[import-untyped]
from pyoncokb.annotations.proteinchangeannotator import ProteinChangeAnnotator  # type: ignore[import-untyped]
from pyoncokb.annotations.proteinchangesannotator import ProteinChangesAnnotator  # type: ignore[import-untyped]
from pyoncokb.annotations.structuralvariantannotator import StructuralVariantAnnotator  # type: ignore[import-untyped]
from pyoncokb.cancergenes.cancergenelistget import CancerGeneListGet  # type: ignore[import-untyped]
from pyoncokb.models.indicatorqueryresp import IndicatorQueryResp  # type: ignore[import-untyped]
from pyoncokb.oncokbapi import OncokbApi  # type: ignore[import-untyped]

from kb.crosswalk import DIAGNOSTIC, PROGNOSTIC, RESISTANCE, SENSITIVE, level_rank

if TYPE_CHECKING:  # registered as a plugin by tests/conftest.py; imported here for the types only
    from tests.api_server import LiveServer

BASE = "/oncokb/api/v1"
PROTEIN = f"{BASE}/annotate/mutations/byProteinChange"
GENOMIC = f"{BASE}/annotate/mutations/byGenomicChange"
HGVSG = f"{BASE}/annotate/mutations/byHGVSg"
CNA = f"{BASE}/annotate/copyNumberAlterations"
SV = f"{BASE}/annotate/structuralVariants"
THERAPY = {*SENSITIVE, *RESISTANCE}
BRAF_V600E = "7,140453136,140453136,A,T"  # CIViC's GRCh37 coordinates of BRAF V600E


class Partner:
    """A partner's client of one live server, with its key sent as OncoKB's clients send theirs."""

    def __init__(self, server: LiveServer, key: str) -> None:
        self.server = server
        self.key = key
        self.headers = {"Authorization": f"Bearer {key}"}

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        answer = httpx.get(f"{self.server.url}{path}", params=params, headers=self.headers, timeout=60)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def post(self, path: str, items: list[Any]) -> list[dict[str, Any]]:
        answer = httpx.post(f"{self.server.url}{path}", json=items, headers=self.headers, timeout=120)
        assert answer.status_code == 200, answer.text
        body: list[dict[str, Any]] = answer.json()
        assert len(body) == len(items)
        return body


def new_key(server: LiveServer, **kw: Any) -> str:
    name, password = f"oncokb-admin-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    server.app.state.editorial.accounts.create_user(name, password, "admin", actor="test-setup")
    login = httpx.post(f"{server.url}/v1/auth/login", json={"username": name, "password": password}, timeout=30)
    assert login.status_code == 200, login.text
    made = httpx.post(
        f"{server.url}/v1/keys",
        json={"name": "oncokb client", "scope": "read", **kw},
        headers={"Authorization": f"Bearer {login.json()['token']}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    key: str = made.json()["key"]
    return key


@pytest.fixture(scope="module")
def partner(live_api: LiveServer) -> Partner:
    return Partner(live_api, new_key(live_api, rate_limit=100000))


@pytest.fixture()
def oncokb(partner: Partner) -> OncokbApi:
    """pyoncokb's client (a singleton) pointed at this server, with the partner key as its authorization."""
    api = OncokbApi(auth=f"Bearer {partner.key}", sleep_seconds=0, sleep_queries=10**9, timeout=120)
    api.base_url = f"{partner.server.url}{BASE}"
    return api


def levels_of(answer: dict[str, Any]) -> list[str]:
    """Every level code an answer carries."""
    found: list[str] = [t["level"] for t in answer["treatments"]]
    found += [i["levelOfEvidence"] for i in answer["diagnosticImplications"] + answer["prognosticImplications"]]
    keys = ("highestSensitiveLevel", "highestResistanceLevel", "highestDiagnosticImplicationLevel")
    found += [answer[k] for k in (*keys, "highestPrognosticImplicationLevel", "highestFdaLevel") if answer[k]]
    found += answer["otherSignificantSensitiveLevels"] + answer["otherSignificantResistanceLevels"]
    return found


def without_id(answer: dict[str, Any]) -> dict[str, Any]:
    return {**answer, "query": {**answer["query"], "id": None}}


# -- pyoncokb: every answer parses into its strict dataclasses --------------------------------------------------
def test_pyoncokb_reads_a_protein_change_with_levels_treatments_and_dates(oncokb: OncokbApi) -> None:
    resp = ProteinChangeAnnotator(oncokb, gene_symbol="BRAF", alteration="V600E").annotate()
    assert isinstance(resp, IndicatorQueryResp)
    assert resp.gene_exist and resp.variant_exist and resp.is_unknown()  # oncogenicity: genekb doesn't curate it
    assert resp.highest_sensitive_level in SENSITIVE and resp.treatments
    assert resp.query.hugo_symbol == "BRAF" and resp.query.entrez_gene_id == 673 and resp.query.protein_start == 600
    assert {t.level for t in resp.treatments} <= THERAPY
    assert resp.get_last_update_date().year >= 2000
    summary = resp.summarize_treatments_of_certain_level(resp.highest_sensitive_level)
    assert summary and all(s["drug_names"] and s["level_associated_cancer_type_name"] for s in summary)
    nothing = ProteinChangeAnnotator(oncokb, gene_symbol="NOTAGENE9", alteration="V600E").annotate()
    assert nothing is not None and nothing.gene_exist is False and nothing.variant_exist is False


def test_pyoncokb_reads_genomic_changes_and_requeries_the_protein_change(oncokb: OncokbApi) -> None:
    resp = GenomicChangeAnnotator(oncokb, genomic_change=BRAF_V600E).annotate()
    assert resp is not None and resp.variant_exist and resp.query.hugo_symbol == "BRAF"
    assert resp.query.alteration == "V600E"
    unmapped = GenomicChangeAnnotator(oncokb, genomic_change="1,1000,1000,A,T").annotate()
    assert unmapped is not None and unmapped.variant_exist is False and unmapped.gene_exist is False
    unreadable = GenomicChangeAnnotator(oncokb, genomic_change=",,,,").annotate()
    assert unreadable is not None and unreadable.variant_exist is False


def test_pyoncokb_reads_copy_number_and_structural_variants(oncokb: OncokbApi) -> None:
    amp = CopyNumberAlterationAnnotator(oncokb, gene_symbol="ERBB2", copy_alteration_type="AMPLIFICATION").annotate()
    assert amp is not None and amp.variant_exist and amp.highest_sensitive_level in SENSITIVE
    assert amp.query.alteration == "Amplification"
    gain = CopyNumberAlterationAnnotator(oncokb, gene_symbol="ERBB2", copy_alteration_type="GAIN").annotate()
    assert gain is not None and gain.gene_exist and gain.query.alteration == "Gain"
    assert gain.variant_exist is False and gain.treatments == []  # a shallow gain is not an amplification (kb.annotate)
    loss = CopyNumberAlterationAnnotator(oncokb, gene_symbol="CDKN2A", copy_alteration_type="LOSS").annotate()
    assert loss is not None and loss.gene_exist
    fusion = StructuralVariantAnnotator(oncokb, "FUSION", True, "EML4", "ALK").annotate()
    assert fusion is not None and fusion.variant_exist and fusion.query.hugo_symbol == "ALK"
    assert fusion.highest_sensitive_level in SENSITIVE and fusion.query.sv_type == "FUSION"
    deletion = StructuralVariantAnnotator(oncokb, "DELETION", False, "EGFR", "EGFR").annotate()
    assert deletion is not None and deletion.gene_exist and deletion.variant_exist is False


def test_pyoncokb_batches_keep_the_order_and_ids(oncokb: OncokbApi) -> None:
    queries = [
        {"id": "a", "gene": {"hugoSymbol": "EGFR"}, "alteration": "T790M", "referenceGenome": "GRCh37"},
        {"id": "b", "gene": {"hugoSymbol": "NOTAGENE9"}, "alteration": "V600E", "referenceGenome": "GRCh37"},
        {"id": "c", "gene": {"hugoSymbol": "BRAF"}, "alteration": "V600E", "referenceGenome": "GRCh37"},
    ]
    out = ProteinChangesAnnotator(oncokb, queries).annotate()
    assert out is not None and [r.query.id for r in out] == ["a", "b", "c"]
    assert [r.gene_exist for r in out] == [True, False, True]
    batches: dict[str, list[dict[str, Any]]] = {
        "/annotate/mutations/byGenomicChange": [{"id": "g", "genomicLocation": BRAF_V600E}, {"id": "h"}],
        "/annotate/mutations/byHGVSg": [{"id": "i", "hgvsg": "7:g.140453136A>T"}, {"id": "j", "hgvsg": "nonsense"}],
        "/annotate/copyNumberAlterations": [
            {"id": "k", "gene": {"hugoSymbol": "ERBB2"}, "copyNameAlterationType": "AMPLIFICATION"},
            {"id": "l", "gene": {"hugoSymbol": "ERBB2"}, "copyNameAlterationType": "DIPLOID"},
        ],
        "/annotate/structuralVariants": [
            {"id": "m", "geneA": {"hugoSymbol": "EML4"}, "geneB": {"hugoSymbol": "ALK"}, "functionalFusion": True},
            {"id": "n", "geneA": {"hugoSymbol": "EGFR"}, "geneB": {"hugoSymbol": "EGFR"}, "functionalFusion": False},
        ],
    }
    for path, items in batches.items():
        found = BatchAnnotator(oncokb, path, items).annotate()
        assert found is not None and [r.query.id for r in found] == [i["id"] for i in items]
        assert [r.variant_exist for r in found] == [True, False], path


def test_pyoncokb_reads_the_cancer_gene_list(oncokb: OncokbApi, partner: Partner) -> None:
    genes = CancerGeneListGet(oncokb).get()
    assert genes is not None and len(genes) > 100
    egfr = next(g for g in genes if g.hugo_symbol == "EGFR")
    assert egfr.entrez_gene_id == 1956 and egfr.oncokb_annotated and "ERBB1" in egfr.gene_aliases
    assert not any(g.msk_impact or g.oncogene or g.tsg for g in genes)  # nothing genekb does not know
    listed = httpx.get(f"{partner.server.url}{BASE}/utils/cancerGeneList", headers=partner.headers, timeout=30).json()
    counts = {g["hugoSymbol"]: g["genekbEvidenceCount"] for g in listed}
    native = httpx.get(f"{partner.server.url}/v1/genes/EGFR", timeout=30).json()
    assert counts["EGFR"] == native["evidence_count"]


# -- oncokb-annotator: its requests, and the fields it reads ---------------------------------------------------
def read_like_the_annotator(answer: dict[str, Any]) -> list[str]:
    """The fields AnnotatorCore.process_oncokb_annotation reads, read as it reads them."""
    row = [str(answer["geneExist"]), str(answer["variantExist"]), answer["oncogenic"]]
    effect = answer["mutationEffect"]
    row += [
        effect["knownEffect"],
        *effect["citations"]["pmids"],
        *(a["abstract"] + a["link"] for a in effect["citations"]["abstracts"]),
    ]
    for t in answer["treatments"]:
        row += [
            t["level"],
            "+".join(d["drugName"] for d in t["drugs"]),
            *t["pmids"],
            *(a["abstract"] + "(" + a["link"] + ")" for a in t["abstracts"]),
        ]
    for i in answer["diagnosticImplications"] + answer["prognosticImplications"]:
        tumor = i["tumorType"]
        row += [
            i["levelOfEvidence"],
            tumor["code"] or tumor["name"] or tumor["mainType"]["name"],
            *i["pmids"],
            *(a["abstract"] for a in i["abstracts"]),
        ]
    row += [str(answer["highestDiagnosticImplicationLevel"]), str(answer["highestPrognosticImplicationLevel"])]
    query = answer["query"]
    row += [
        str(answer["hotspot"]),
        str(query["hugoSymbol"]),
        str(query["consequence"]),
        str(query["proteinStart"]),
        str(query["proteinEnd"]),
    ]
    return row  # fmt: skip


def test_the_annotators_requests_are_answered_with_the_fields_it_reads(partner: Partner) -> None:
    proteins = [  # as MafAnnotator sends them: positions as strings, consequences joined by %2B, a tumor per row
        {"gene": {"hugoSymbol": "BRAF"}, "alteration": "V600E", "tumorType": "MEL", "referenceGenome": "GRCh37",
         "consequence": "missense_variant", "proteinStart": "600", "proteinEnd": "600"},
        {"gene": {"hugoSymbol": "EGFR"}, "alteration": "E746_A750del", "tumorType": "NSCLC",
         "consequence": "inframe_deletion%2Bframeshift_variant", "proteinStart": "746", "proteinEnd": "750"},
        {"gene": {"hugoSymbol": "TP53"}, "alteration": "P999L", "tumorType": ""},  # no curated evidence
    ]  # fmt: skip
    answers = partner.post(PROTEIN, proteins)
    answers += partner.post(HGVSG, [{"hgvsg": "7:g.140453136A>T", "tumorType": "MEL", "referenceGenome": "GRCh37"}])
    answers += partner.post(GENOMIC, [{"genomicLocation": BRAF_V600E, "tumorType": "MEL", "referenceGenome": "GRCh37"}])
    answers += partner.post(
        CNA, [{"gene": {"hugoSymbol": "ERBB2"}, "copyNameAlterationType": "AMPLIFICATION", "tumorType": "BRCA"}]
    )
    fusion = {"geneA": {"hugoSymbol": "EML4"}, "geneB": {"hugoSymbol": "ALK"}, "functionalFusion": True,
              "structuralVariantType": "FUSION", "tumorType": "LUAD"}  # fmt: skip
    answers += partner.post(SV, [fusion, {**fusion, "geneB": {"hugoSymbol": "EML4"}, "functionalFusion": False}])
    answers.append(  # its GET fallback: isFunctionalFusion in capitals
        partner.get(
            SV, hugoSymbolA="EML4", hugoSymbolB="ALK", structuralVariantType="FUSION", isFunctionalFusion="TRUE",
            tumorType="LUAD",
        )
    )  # fmt: skip
    rows = [read_like_the_annotator(a) for a in answers]
    flags = (
        [["True", "True"]] * 2 + [["True", "False"]] + [["True", "True"]] * 4 + [["True", "False"], ["True", "True"]]
    )
    assert [r[:2] for r in rows] == flags
    assert answers[0]["query"]["proteinStart"] == 600 and answers[0]["query"]["consequence"] == "missense_variant"
    assert all(a["oncogenic"] == "Unknown" and a["mutationEffect"]["knownEffect"] == "Unknown" for a in answers)
    assert answers[3]["treatments"] == answers[4]["treatments"] == answers[0]["treatments"]  # HGVSg, genomic, protein
    assert without_id(answers[-1]) == without_id(answers[-3])  # GET and POST of the same fusion


def test_info_is_open_and_says_the_data_version_as_the_annotator_reads_it(partner: Partner) -> None:
    info = httpx.get(f"{partner.server.url}{BASE}/info", timeout=30)  # the annotator sends no key here
    assert info.status_code == 200
    body = info.json()
    version = partner.server.services.store.data_version()
    assert body["dataVersion"]["version"] == version and len(body["dataVersion"]["date"]) == 10
    assert {level["levelOfEvidence"] for level in body["levels"]} <= {*THERAPY, *DIAGNOSTIC, *PROGNOSTIC}
    assert body["oncoTreeVersion"].startswith("oncotree_") and body["publicInstance"] is False
    answer = partner.get(PROTEIN, hugoSymbol="EGFR", alteration="T790M")
    assert answer["dataVersion"] == version and answer["lastUpdate"] == body["dataVersion"]["date"]


# -- the contract: order, ids, GET = POST, bad items, levels, auth, limits --------------------------------------
GOOD = [
    ("EGFR", "T790M", "NSCLC"),
    ("EGFR", "L858R", "LUAD"),
    ("BRAF", "V600E", "MEL"),
    ("KRAS", "G12C", ""),
    ("ALK", "EML4-ALK", "NSCLC"),
    ("ERBB2", "Amplification", "BRCA"),
    ("PIK3CA", "H1047R", "BRCA"),
    ("IDH1", "R132H", "GBM"),
]


def test_answers_keep_the_order_and_ids_and_get_and_post_agree(partner: Partner) -> None:
    items = [
        {"id": f"q{i}", "gene": {"hugoSymbol": g}, "alteration": alt, "tumorType": tumor}
        for i, (g, alt, tumor) in enumerate(GOOD * 3)
    ][::-1]
    answers = partner.post(PROTEIN, items)
    assert [a["query"]["id"] for a in answers] == [i["id"] for i in items]
    assert [a["query"]["alteration"] for a in answers] == [i["alteration"] for i in items]
    for gene, alteration, tumor in GOOD:
        got = partner.get(PROTEIN, hugoSymbol=gene, alteration=alteration, tumorType=tumor, unknownParam="ignored")
        posted = [a for a, i in zip(answers, items, strict=True) if i["alteration"] == alteration]
        assert all(without_id(p) == got for p in posted), alteration
        assert got["variantExist"], alteration


def test_levels_are_oncokbs_codes_with_genekbs_level_beside_and_agree_with_the_native_api(partner: Partner) -> None:
    for gene, alteration, tumor in GOOD:
        answer = partner.get(PROTEIN, hugoSymbol=gene, alteration=alteration, tumorType=tumor)
        assert {t["level"] for t in answer["treatments"]} <= THERAPY
        assert {i["levelOfEvidence"] for i in answer["diagnosticImplications"]} <= set(DIAGNOSTIC)
        assert {i["levelOfEvidence"] for i in answer["prognosticImplications"]} <= set(PROGNOSTIC)
        assert set(levels_of(answer)) <= {*THERAPY, *DIAGNOSTIC, *PROGNOSTIC}
        parts = answer["treatments"] + answer["diagnosticImplications"] + answer["prognosticImplications"]
        assert all(p["genekbLevel"] in "ABCDE" and len(p["genekbLevel"]) == 1 for p in parts)
        sensitive = [t["level"] for t in answer["treatments"] if t["level"] in SENSITIVE]
        assert answer["highestSensitiveLevel"] == min(sensitive, key=level_rank, default=None)
        native = httpx.post(
            f"{partner.server.url}/v1/annotate",
            json={"items": [{"gene": gene, "alteration": alteration, "tumor": tumor}]},
            headers=partner.headers,
            timeout=60,
        ).json()["annotations"][0]
        assert answer["highestSensitiveLevel"] == ((native["highest_sensitive_level"] or {}).get("oncokb"))
        assert answer["highestResistanceLevel"] == ((native["highest_resistance_level"] or {}).get("oncokb"))
        assert "tests" not in answer and "sponsored" not in str(answer)  # product suggestions stay in /v1/annotate


def test_bad_items_answer_200_with_gene_and_variant_flags_false(partner: Partner) -> None:
    items = [
        {"id": "no gene", "alteration": "V600E"},
        {"id": "empty alteration", "gene": {"hugoSymbol": "EGFR"}, "alteration": ""},
        {"id": "unknown gene", "gene": {"hugoSymbol": "NOTAGENE9"}, "alteration": "V600E"},
        {"id": "unreadable", "gene": {"hugoSymbol": "EGFR"}, "alteration": "not a change !!"},
        {"id": "long", "gene": {"hugoSymbol": "EGFR"}, "alteration": "T790M" + " " * 300 + "X"},
        {"id": "bad numbers", "gene": {"hugoSymbol": "EGFR", "entrezGeneId": "x"}, "proteinStart": "abc"},
        {"id": "nothing"},
    ]  # fmt: skip
    answers = partner.post(PROTEIN, items)
    assert [(a["geneExist"], a["variantExist"]) for a in answers] == [
        (False, False), (True, False), (False, False), (True, False), (True, False), (True, False), (False, False)
    ]  # fmt: skip
    assert all(a["treatments"] == [] and a["highestSensitiveLevel"] is None for a in answers)
    assert "NOTAGENE9" in answers[2]["variantSummary"]
    for location in (",,,,", "", "chr7:not-a-change", "7,140453136,140453136,A,T,extra"):
        got = partner.get(GENOMIC, genomicLocation=location)
        assert (got["geneExist"], got["variantExist"]) == (False, False), location
    assert partner.get(CNA, hugoSymbol="ERBB2", copyNameAlterationType="TRIPLOID")["variantExist"] is False
    assert partner.get(SV, hugoSymbolA="NOTAGENE9", structuralVariantType="DELETION")["geneExist"] is False


def test_three_letter_codes_entrez_ids_and_tumor_names_read_as_the_codes_do(partner: Partner) -> None:
    plain = partner.get(PROTEIN, hugoSymbol="EGFR", alteration="T790M", tumorType="NSCLC")
    for other in (
        partner.get(PROTEIN, hugoSymbol="EGFR", alteration="p.Thr790Met", tumorType="NSCLC"),
        partner.get(PROTEIN, entrezGeneId="1956", alteration="T790M", tumorType="Non-Small Cell Lung Cancer"),
        partner.get(PROTEIN, hugoSymbol="EGFR", alteration="T790M", tumorType="非小细胞肺癌"),
    ):
        assert other["geneExist"] and other["variantExist"] and other["treatments"] == plain["treatments"]
    unknown = partner.get(PROTEIN, hugoSymbol="EGFR", alteration="T790M", tumorType="no such tumour 123")
    assert unknown["variantExist"] and "no such tumour 123" in unknown["variantSummary"]
    assert unknown["tumorTypeSummary"] == ""


def test_evidence_types_choose_the_parts_of_an_answer(partner: Partner) -> None:
    full = partner.get(PROTEIN, hugoSymbol="EGFR", alteration="T790M", tumorType="NSCLC")
    standard = partner.get(
        PROTEIN, hugoSymbol="EGFR", alteration="T790M", tumorType="NSCLC",
        evidenceType="STANDARD_THERAPEUTIC_IMPLICATIONS_FOR_DRUG_SENSITIVITY",
    )  # fmt: skip
    assert standard["treatments"] and {t["level"] for t in standard["treatments"]} <= {"LEVEL_1", "LEVEL_2"}
    assert standard["treatments"] == [t for t in full["treatments"] if t["level"] in ("LEVEL_1", "LEVEL_2")]
    assert standard["prognosticImplications"] == [] and standard["geneSummary"] == ""
    assert standard["highestResistanceLevel"] is None and full["highestResistanceLevel"] == "LEVEL_R1"
    posted = partner.post(
        PROTEIN,
        [{"gene": {"hugoSymbol": "EGFR"}, "alteration": "T790M", "tumorType": "NSCLC",
          "evidenceTypes": ["STANDARD_THERAPEUTIC_IMPLICATIONS_FOR_DRUG_SENSITIVITY"]}],
    )  # fmt: skip
    assert posted[0] == standard
    assert partner.get(PROTEIN, hugoSymbol="EGFR", alteration="T790M", tumorType="NSCLC", evidenceType="NOPE") == full


def test_a_partner_key_is_needed_and_errors_have_the_one_shape(partner: Partner) -> None:
    url = partner.server.url
    for answer in (
        httpx.get(f"{url}{PROTEIN}", params={"hugoSymbol": "EGFR", "alteration": "T790M"}, timeout=30),
        httpx.post(f"{url}{CNA}", json=[{"gene": {"hugoSymbol": "ERBB2"}}], timeout=30),
        httpx.post(f"{url}{SV}", json={"not": "an array"}, timeout=30),  # refused before the body is read
        httpx.get(f"{url}{GENOMIC}", headers={"Authorization": "Bearer gk_nope_nope"}, timeout=30),
    ):
        assert answer.status_code == 401, answer.text
        assert set(answer.json()["error"]) == {"code", "message", "details"}
    assert httpx.get(f"{url}{BASE}/utils/cancerGeneList", timeout=30).status_code == 200


def test_batches_hold_1_to_1000_items_and_cost_one_request_each(partner: Partner) -> None:
    url = partner.server.url
    body: object
    for body in ([], [{"gene": {"hugoSymbol": "EGFR"}, "alteration": "T790M"}] * 1001, [1, 2], {"items": []}):
        refused = httpx.post(f"{url}{PROTEIN}", json=body, headers=partner.headers, timeout=60)
        assert refused.status_code == 422 and set(refused.json()["error"]) == {"code", "message", "details"}
    thousand = [
        {"id": str(i), "gene": {"hugoSymbol": GOOD[i % 8][0]}, "alteration": GOOD[i % 8][1]} for i in range(1000)
    ]
    assert [a["query"]["id"] for a in partner.post(PROTEIN, thousand)] == [str(i) for i in range(1000)]
    small = Partner(partner.server, new_key(partner.server, rate_limit=5))
    assert len(small.post(CNA, [{"gene": {"hugoSymbol": "ERBB2"}, "copyNameAlterationType": "GAIN"}] * 5)) == 5
    spent = httpx.get(f"{url}{CNA}", params={"hugoSymbol": "ERBB2"}, headers=small.headers, timeout=30)
    assert spent.status_code == 429 and spent.headers["RateLimit-Remaining"] == "0"
