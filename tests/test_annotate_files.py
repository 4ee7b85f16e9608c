"""``kb annotate`` on MAF, CNA and fusion files, over HTTP against a live server and once in-process, and the
bad inputs of ``POST /v1/annotate`` (batch-level ones refused in the one error shape, the rest per item).

The fixtures are in tests/data/annotate (README there). The command runs as a user runs it: a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_server import LiveServer

KB = [sys.executable, "-m", "cli.main"]
DATA = Path(__file__).resolve().parent / "data" / "annotate"
MAF_ROWS = 16  # data rows of maf.txt


def run_kb(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "120", **(env or {})}
    return subprocess.run([*KB, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def table(text: str) -> list[dict[str, str]]:
    """The data rows of an annotated table, by column name (the # lines skipped)."""
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def error_shape(response: httpx.Response) -> bool:
    body = response.json()
    return set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])


@pytest.fixture(scope="module")
def make_key(live_api: LiveServer) -> Callable[[int], str]:
    """Partner keys with a given rate limit, made by an admin through POST /v1/keys."""
    name, password = f"annotate-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    live_api.app.state.editorial.accounts.create_user(name, password, "admin", actor="test-setup")
    login = httpx.post(f"{live_api.url}/v1/auth/login", json={"username": name, "password": password}, timeout=30)
    assert login.status_code == 200, login.text
    token = login.json()["token"]

    def make(limit: int) -> str:
        body = {"name": f"partner {limit}", "scope": "read", "rate_limit": limit}
        headers = {"Authorization": f"Bearer {token}"}
        made = httpx.post(f"{live_api.url}/v1/keys", json=body, headers=headers, timeout=30)
        assert made.status_code == 201, made.text
        key: str = made.json()["key"]
        return key

    return make


def annotate_over_http(server: LiveServer, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_kb(["annotate", *args, "--url", server.url, "--no-progress"], {"KB_ANNOTATE_KEY": key})
    assert done.returncode == 0, done.stderr
    return done


def check_maf(rows: list[dict[str, str]]) -> None:
    """What maf.txt must come back with (clinical.txt, --tumor NSCLC), whichever way it was annotated."""
    source = (DATA / "maf.txt").read_text(encoding="utf-8").splitlines()[2:]
    assert [(r["Hugo_Symbol"], r["Tumor_Sample_Barcode"], r["HGVSp"]) for r in rows] == [
        (line.split("\t")[0], line.split("\t")[10], line.split("\t")[11]) for line in source
    ]  # every row, in order, its cells untouched
    egfr = rows[0]  # EGFR L858R in S01, LUAD by the clinical file
    assert (egfr["GENEKB_VARIANT"], egfr["GENEKB_TUMOR"], egfr["VARIANT_IN_GENEKB"]) == ("EGFR:L858R", "LUAD", "TRUE")
    assert egfr["HIGHEST_SENSITIVE_LEVEL"] in ("LEVEL_1", "LEVEL_2") and egfr["HIGHEST_LEVEL"]
    assert "erlotinib" in (egfr["LEVEL_1"] + "," + egfr["LEVEL_2"]).split(",")
    assert egfr["TESTS"] and egfr["ANNOTATION_PROBLEMS"] == "" and egfr["GENEKB_LEVELS"].startswith("sensitive:A")
    t790m = rows[1]
    assert t790m["HIGHEST_RESISTANCE_LEVEL"] == "LEVEL_R1" and t790m["HIGHEST_LEVEL"] == "LEVEL_R1"  # R1 before 2
    kras = rows[2]  # HGVSp_Short empty: its three-letter HGVSp p.Gly12Cys
    assert (kras["HGVSp_Short"], kras["GENEKB_VARIANT"]) == ("", "KRAS:G12C")
    genomic = rows[3]  # no protein change: 7,140453136,140453136,A,T maps to BRAF V600E in melanoma
    assert (genomic["GENEKB_VARIANT"], genomic["GENEKB_TUMOR"], genomic["HIGHEST_SENSITIVE_LEVEL"]) == (
        "BRAF:V600E", "MEL", rows[15]["HIGHEST_SENSITIVE_LEVEL"])  # fmt: skip
    unknown = rows[4]
    assert (unknown["GENE_IN_GENEKB"], unknown["HIGHEST_LEVEL"], unknown["ANNOTATION_PROBLEMS"]) == (
        "FALSE", "", "gene:unknown_gene")  # fmt: skip
    assert rows[6]["ANNOTATION_PROBLEMS"] == "tumor:unknown_tumor" and rows[6]["GENEKB_TUMOR"] == ""  # S06: XYZQ
    assert rows[7]["GENEKB_TUMOR"] == "NSCLC"  # S07 is in no clinical row: --tumor
    assert rows[14]["ANNOTATION_PROBLEMS"] == "alteration:unreadable_alteration"  # p.X1010_splice
    assert rows[14]["GENE_IN_GENEKB"] == "TRUE" and rows[14]["VARIANT_IN_GENEKB"] == "FALSE"


MAF_ARGS = [str(DATA / "maf.txt"), "--clinical", str(DATA / "clinical.txt"), "--tumor", "NSCLC"]


def test_a_maf_annotated_over_http_keeps_its_rows_and_gets_levels_and_problems(
    live_api: LiveServer, make_key: Callable[[int], str]
) -> None:
    done = annotate_over_http(live_api, make_key(1000), *MAF_ARGS)
    check_maf(table(done.stdout))
    doc = [line for line in done.stdout.splitlines() if line.startswith("#")]
    assert doc[0] == "#version 2.4"  # the input's comment lines first
    assert any(line.startswith("#TESTS:") and "PRODUCT SUGGESTIONS" in line for line in doc)
    assert f"by {live_api.url}" in doc[1]
    summary = [line for line in done.stderr.splitlines() if line.startswith("annotate:")]
    assert summary[0].startswith(f"annotate: {MAF_ROWS} rows, {MAF_ROWS} annotated")
    assert "rows with problems: 3 " in summary[2]
    assert all(f"{reason} 1" in summary[2] for reason in ("unknown_gene", "unknown_tumor", "unreadable_alteration"))


def test_in_process_writes_the_same_table_as_the_server(
    live_api: LiveServer, make_key: Callable[[int], str], tmp_path: Path
) -> None:
    settings = live_api.services.settings
    out = tmp_path / "maf.genekb.txt"
    env = {"KB_STORE": settings.store, "KB_ES_INDEX_PREFIX": settings.es_index_prefix,
           "KB_DATA_DIR": str(settings.data_dir), "KB_WORK_DIR": str(tmp_path)}  # fmt: skip
    done = run_kb(["annotate", *MAF_ARGS, "-o", str(out), "--no-progress"], env)
    assert done.returncode == 0, done.stderr
    local = table(out.read_text(encoding="utf-8"))
    check_maf(local)
    assert local == table(annotate_over_http(live_api, make_key(1000), *MAF_ARGS).stdout)


def test_a_cna_matrix_comes_out_individual_with_deletions_and_amplifications(
    live_api: LiveServer, make_key: Callable[[int], str]
) -> None:
    args = [str(DATA / "cna_matrix.txt"), "--clinical", str(DATA / "clinical.txt"), "--tumor", "NSCLC"]
    rows = table(annotate_over_http(live_api, make_key(1000), *args).stdout)
    assert [(r["Tumor_Sample_Barcode"], r["Hugo_Symbol"], r["ALTERATION"], r["GENEKB_TUMOR"]) for r in rows] == [
        ("S05", "ERBB2", "Amplification", "BRCA"),
        ("S01", "CDKN2A", "Deletion", "LUAD"),  # -2; the -1 of S05 is not written out
        ("S01", "MET", "Amplification", "LUAD"),
        ("S02", "EGFR", "Amplification", "LUAD"),
        ("S09", "PTEN", "Deletion", "NSCLC"),  # S09 has no clinical row
    ]
    assert rows[0]["GENEKB_VARIANT"] == "ERBB2:AMPLIFICATION" and rows[0]["HIGHEST_SENSITIVE_LEVEL"] == "LEVEL_1"
    assert "trastuzumab" in rows[0]["LEVEL_1"].split(",")
    assert rows[1]["GENEKB_VARIANT"] == "CDKN2A:LOSS"


def test_individual_cna_and_fusions_are_annotated_row_by_row(
    live_api: LiveServer, make_key: Callable[[int], str]
) -> None:
    key = make_key(1000)
    cna = table(annotate_over_http(live_api, key, str(DATA / "cna_individual.txt"), "--tumor", "LUAD").stdout)
    assert [r["GENEKB_VARIANT"] for r in cna] == ["ERBB2:AMPLIFICATION", "CDKN2A:LOSS", "MET:AMPLIFICATION", ""]
    assert cna[3]["ANNOTATION_PROBLEMS"] == "alteration:not_amplification_or_deletion"  # EGFR 0
    fusions = table(annotate_over_http(live_api, key, str(DATA / "fusions.txt"), "--clinical",
                                       str(DATA / "clinical.txt")).stdout)  # fmt: skip
    assert [r["GENEKB_VARIANT"] for r in fusions] == ["ALK:EML4-ALK", "ROS1:CD74-ROS1", "RET:KIF5B-RET",
                                                      "NTRK1:TPM3-NTRK1"]  # fmt: skip
    assert fusions[0]["HIGHEST_SENSITIVE_LEVEL"] == "LEVEL_1" and "crizotinib" in fusions[0]["LEVEL_1"]
    sv = table(annotate_over_http(live_api, key, str(DATA / "fusions_sv.txt"), "--tumor", "LUAD").stdout)
    assert [r["GENEKB_VARIANT"] for r in sv] == ["ALK:EML4-ALK", "ROS1:CD74-ROS1"]
    assert sv[0]["LEVEL_1"] == fusions[0]["LEVEL_1"]


def test_a_batch_over_the_keys_limit_is_split_and_its_429s_waited_out(
    live_api: LiveServer, make_key: Callable[[int], str], tmp_path: Path
) -> None:
    variants = [("EGFR", "p.L858R"), ("BRAF", "p.V600E"), ("KRAS", "p.G12C"), ("PIK3CA", "p.H1047R"),
                ("ERBB2", "p.L755S"), ("IDH1", "p.R132C"), ("KIT", "p.D816V"), ("KRAS", "p.G12D")]  # fmt: skip
    tumors = ("LUAD", "MEL", "COADREAD", "BRCA")
    maf = tmp_path / "many.maf"
    lines = [f"{g}\t{p}\tS{i}\t{t}" for i, (t, (g, p)) in enumerate((t, v) for t in tumors for v in variants)]
    maf.write_text("\n".join(["Hugo_Symbol\tHGVSp_Short\tTumor_Sample_Barcode\tONCOTREE_CODE", *lines]) + "\n")
    done = annotate_over_http(live_api, make_key(30), str(maf))  # 32 distinct items, 30 a minute (one per 2 s)
    rows = table(done.stdout)
    assert [(r["Hugo_Symbol"], r["GENEKB_TUMOR"]) for r in rows] == [(g, t) for t in tumors for g, _ in variants]
    assert rows[0]["GENEKB_VARIANT"] == "EGFR:L858R" and rows[0]["HIGHEST_SENSITIVE_LEVEL"] in ("LEVEL_1", "LEVEL_2")
    assert "rate limited: waiting" in done.stderr
    assert "annotate: 32 rows, 32 annotated" in done.stderr


def test_bad_files_and_options_exit_2_with_one_clear_line(tmp_path: Path, live_api: LiveServer) -> None:
    cases: list[tuple[list[str], str, dict[str, str]]] = []
    missing = tmp_path / "nope.maf"
    cases.append(([str(missing)], f"{missing}: no such file", {}))
    one_column = tmp_path / "spaces.maf"
    one_column.write_text("Hugo_Symbol HGVSp_Short\nEGFR p.L858R\n")
    cases.append(([str(one_column)], "the header has one column; is the file tab-separated?", {}))
    odd = tmp_path / "odd.txt"
    odd.write_text("Sample\tValue\nS1\t3\n")
    cases.append(([str(odd)], "can't tell the kind of file from its columns (Sample, Value)", {}))
    matrix = tmp_path / "cna.txt"
    matrix.write_text("Hugo_Symbol\tS1\nERBB2\tamp\n")
    cases.append(([str(matrix)], "line 2: 'amp' for ERBB2 in S1 is not -2, -1, 0, 1 or 2", {}))
    ragged = tmp_path / "ragged.maf"
    ragged.write_text("Hugo_Symbol\tHGVSp_Short\nEGFR\tp.L858R\textra\n")
    cases.append(([str(ragged)], "line 2: 3 cells, but the header has 2", {}))
    clinical = tmp_path / "clinical.txt"
    clinical.write_text("PATIENT\tCODE\nS1\tLUAD\n")
    cases.append(([str(DATA / "maf.txt"), "--clinical", str(clinical)], "needs SAMPLE_ID and ONCOTREE_CODE", {}))
    cases.append(([str(DATA / "maf.txt"), "--url", live_api.url], "--url needs a partner key", {}))
    cases.append(([str(DATA / "maf.txt"), "--url", live_api.url], "the API key is not valid",
                  {"KB_ANNOTATE_KEY": "gk_nothing_here"}))  # fmt: skip
    nobody = "http://127.0.0.1:9"  # nothing listens: fails at once, no retries
    cases.append(([str(DATA / "maf.txt"), "--url", nobody], f"{nobody}: ConnectError", {"KB_ANNOTATE_KEY": "gk_a_b"}))
    for args, message, env in cases:
        done = run_kb(["annotate", *args, "--no-progress"], env)
        assert (done.returncode, done.stdout) == (2, ""), (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)


# -- POST /v1/annotate: bad inputs -----------------------------------------------------------------------------
def post(server: LiveServer, key: str, items: list[dict[str, Any]]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.post(f"{server.url}/v1/annotate", json={"items": items}, headers=headers, timeout=60)


def test_batch_level_mistakes_are_refused_in_the_one_error_shape(
    live_api: LiveServer, make_key: Callable[[int], str]
) -> None:
    key = make_key(5000)
    empty = post(live_api, key, [])
    too_many = post(live_api, key, [{"gene": "EGFR", "alteration": "L858R"}] * 1001)
    unknown_field = post(live_api, key, [{"gene": "EGFR", "alteration": "L858R", "hugoSymbol": "EGFR"}])
    for answer in (empty, too_many, unknown_field):
        assert answer.status_code == 422 and error_shape(answer), answer.text
        assert answer.json()["error"]["code"] == "invalid_request"
    anonymous = httpx.post(f"{live_api.url}/v1/annotate", json={"items": [{"gene": "EGFR"}]}, timeout=30)
    assert anonymous.status_code == 401 and error_shape(anonymous)


def test_item_level_mistakes_come_back_as_problems_of_their_item(
    live_api: LiveServer, make_key: Callable[[int], str]
) -> None:
    items = [
        {"id": "no-gene", "alteration": "L858R", "tumor": "LUAD"},
        {"id": "no-alteration", "gene": "EGFR", "alteration": "", "tumor": "LUAD"},
        {"id": "bad-tumor", "gene": "EGFR", "alteration": "L858R", "tumor": "XYZQ"},
        {"id": "commas", "genomicChange": ",,,,", "tumor": "LUAD"},
        {"id": "three-letter", "gene": "EGFR", "alteration": "p.Thr790Met", "tumor": "LUAD"},
        {"id": "chinese", "gene": "EGFR", "alteration": "L858R", "tumor": "肺腺癌"},
        {"id": "code", "gene": "EGFR", "alteration": "L858R", "tumor": "LUAD"},
    ]
    answer = post(live_api, make_key(1000), items)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    found = {a["id"]: a for a in body["annotations"]}
    assert [a["id"] for a in body["annotations"]] == [i["id"] for i in items] and body["count"] == 7
    problems = {i: [(p["field"], p["reason"]) for p in a["problems"]] for i, a in found.items()}
    assert problems == {
        "no-gene": [("gene", "missing_gene")],
        "no-alteration": [("alteration", "missing_alteration")],
        "bad-tumor": [("tumor", "unknown_tumor")],
        "commas": [("genomicChange", "unreadable_genomic_change")],
        "three-letter": [],
        "chinese": [],
        "code": [],
    }
    assert body["with_problems"] == 4
    assert found["bad-tumor"]["variant"]["id"] == "EGFR:L858R" and found["bad-tumor"]["tumor"] is None
    assert found["three-letter"]["variant"]["id"] == "EGFR:T790M"
    assert found["three-letter"]["highest_resistance_level"]["oncokb"] == "LEVEL_R1"
    assert found["chinese"]["tumor"]["code"] == "LUAD"  # 肺腺癌: lung adenocarcinoma, read as its OncoTree code
    assert found["chinese"]["summaries"] == found["code"]["summaries"] and found["code"]["summaries"]


def test_each_item_costs_one_request_of_the_keys_rate_limit(
    live_api: LiveServer, make_key: Callable[[int], str]
) -> None:
    item = {"gene": "EGFR", "alteration": "L858R", "tumor": "LUAD"}
    over = post(live_api, make_key(5), [item] * 6)  # six items on a limit of five a minute
    assert over.status_code == 429 and error_shape(over) and int(over.headers["Retry-After"]) >= 1
    assert over.headers["RateLimit-Limit"] == "5"
    key = make_key(7)
    answers = [post(live_api, key, [item] * 3) for _ in range(3)]  # 3 + 3 of 7; the third batch finds 1 left
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].headers["RateLimit-Remaining"] == "1" and error_shape(answers[2])
