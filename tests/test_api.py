"""The /v1 API over HTTP: a real uvicorn server on a full store (CIViC, catalogue, 1,500 PubMed articles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:  # registered as a plugin by tests/conftest.py; imported here for the types only
    from tests.api_server import LiveServer


# the names partner apps depend on (the issue's contract); the API may add fields, never drop these
SEARCH_KEYS = {"data_version", "query", "evidence", "articles", "tests", "page"}
QUERY_KEYS = {"text", "concepts", "unresolved", "intents"}
CONCEPT_KEYS = {"type", "id", "label", "label_zh", "matched", "match"}
EVIDENCE_KEYS = {
    "id",
    "gene",
    "variant",
    "tumor",
    "drugs",
    "evidence_type",
    "significance",
    "level",
    "rating",
    "citations",
    "source",
}
TUMOR_KEYS = {"code", "name", "name_zh"}
ARTICLE_KEYS = {"pmid", "title", "journal", "year", "score", "concepts"}
TEST_KEYS = {"id", "name", "name_zh", "genes", "matched_genes", "tumors", "reason", "reason_zh", "sponsored"}
PAGE_KEYS = {"page", "size", "total_articles"}


def search(api: httpx.Client, q: str, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def concept_keys(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["type"], c["id"]) for c in body["query"]["concepts"]}


@dataclass(frozen=True)
class Wanted:
    """What a query's concepts stand for: the genes, drugs and tumor family evidence may match."""

    genes: frozenset[str]
    drugs: frozenset[str]
    tumors: frozenset[str]

    @classmethod
    def of(cls, body: dict[str, Any], server: LiveServer) -> Wanted:
        genes: set[str] = set()
        drugs: set[str] = set()
        tumors: set[str] = set()
        vocab = server.services.vocab.tumors
        for c in body["query"]["concepts"]:
            ids = c.get("candidates") or [c["id"]]
            if c["type"] == "gene":
                genes.update(ids)
            elif c["type"] == "variant":
                genes.update(i.partition(":")[0] for i in ids)
            elif c["type"] == "drug":
                drugs.update(ids)
            elif c["type"] == "tumor" and c["match"] != "ambiguous":
                for code in ids:
                    tumors.update([code, *vocab.ancestors(code), *vocab.descendants(code)])
        return cls(frozenset(genes), frozenset(drugs), frozenset(tumors))

    def matches(self, row: dict[str, Any]) -> bool:
        tumor = (row["tumor"] or {}).get("code")
        return row["gene"] in self.genes or bool(self.drugs.intersection(row["drugs"])) or tumor in self.tumors


# query -> (concepts it must resolve to, genes every test recommendation must match within)
QUERIES: dict[str, tuple[set[tuple[str, str]], set[str]]] = {
    "EGFR T790M 奥希替尼": ({("gene", "EGFR"), ("variant", "EGFR:T790M"), ("drug", "osimertinib")}, {"EGFR"}),
    "HER2阳性乳腺癌": ({("gene", "ERBB2"), ("variant", "ERBB2:AMPLIFICATION"), ("tumor", "BRCA")}, {"ERBB2"}),
    "ALK融合": ({("gene", "ALK"), ("variant", "ALK:FUSION")}, {"ALK"}),
    "乳腺癌 BRCA": ({("tumor", "BREAST"), ("gene", "BRCA")}, {"BRCA1", "BRCA2"}),
    "奥希替尼": ({("drug", "osimertinib"), ("gene", "EGFR")}, {"EGFR"}),
    "pembrolizumab": ({("drug", "pembrolizumab"), ("gene", "PDCD1")}, {"PDCD1"}),  # its receptor, from its label
    "肺腺癌": ({("tumor", "LUAD")}, set()),
}


# -- the response shape --------------------------------------------------------------------------------


@pytest.mark.parametrize("q", list(QUERIES))
def test_search_answers_with_every_field_partner_apps_depend_on(api: httpx.Client, q: str) -> None:
    body = search(api, q)
    assert body.keys() >= SEARCH_KEYS
    assert body["query"].keys() >= QUERY_KEYS
    assert body["query"]["text"] == q
    assert body["page"].keys() >= PAGE_KEYS
    assert body["page"]["page"] == 1 and body["page"]["size"] == 10
    for concept in body["query"]["concepts"]:
        assert concept.keys() >= CONCEPT_KEYS
    for row in body["evidence"]:
        assert row.keys() >= EVIDENCE_KEYS
        assert row["tumor"] is None or row["tumor"].keys() >= TUMOR_KEYS
        assert all(c["pmid"] for c in row["citations"])
    for article in body["articles"]:
        assert article.keys() >= ARTICLE_KEYS
    for test in body["tests"]:
        assert test.keys() >= TEST_KEYS
    assert body["evidence"] and body["articles"] and body["tests"]


# -- concepts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "concepts"), [(q, c) for q, (c, _) in QUERIES.items()])
def test_chinese_and_english_queries_resolve_to_their_concepts(
    api: httpx.Client, q: str, concepts: set[tuple[str, str]]
) -> None:
    body = search(api, q)
    assert concepts <= concept_keys(body)
    assert body["query"]["unresolved"] == []


def test_mixed_query_reads_the_gene_the_variant_and_the_chinese_drug_name(api: httpx.Client) -> None:
    body = search(api, "EGFR T790M 奥希替尼")
    drug = next(c for c in body["query"]["concepts"] if c["type"] == "drug")
    assert (drug["id"], drug["label"], drug["label_zh"], drug["matched"]) == (
        "osimertinib",
        "Osimertinib",
        "奥希替尼",
        "奥希替尼",
    )
    top = body["evidence"][0]
    assert (top["gene"], top["variant"], "osimertinib" in top["drugs"]) == ("EGFR", "T790M", True)


def test_her2_positive_is_read_as_an_erbb2_alias_and_amplification(api: httpx.Client) -> None:
    concepts = {c["id"]: c for c in search(api, "HER2阳性乳腺癌")["query"]["concepts"]}
    assert concepts["ERBB2"]["matched"] == "HER2"
    assert concepts["ERBB2"]["match"] == "alias"
    assert concepts["ERBB2:AMPLIFICATION"]["label_zh"]


def test_an_ambiguous_gene_lists_its_candidates(api: httpx.Client) -> None:
    brca = next(c for c in search(api, "乳腺癌 BRCA")["query"]["concepts"] if c["type"] == "gene")
    assert brca["match"] == "ambiguous"
    assert set(brca["candidates"]) == {"BRCA1", "BRCA2"}


@pytest.mark.parametrize(("q", "gene"), [("奥希替尼", "EGFR"), ("pembrolizumab", "PDCD1")])
def test_a_drug_alone_implies_its_target_gene(api: httpx.Client, q: str, gene: str) -> None:
    body = search(api, q)
    drug = next(c for c in body["query"]["concepts"] if c["type"] == "drug")
    implied = next(c for c in body["query"]["concepts"] if c["type"] == "gene")
    assert implied["id"] == gene
    assert implied["implied"] is True
    assert implied["implied_by"] == f"drug:{drug['id']}"


# -- evidence ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", list(QUERIES))
def test_evidence_rows_match_the_query_concepts(api: httpx.Client, live_api: LiveServer, q: str) -> None:
    body = search(api, q, size=100)
    wanted = Wanted.of(body, live_api)
    flags = [wanted.matches(row) for row in body["evidence"]]
    assert all(flags[:10]), [(r["gene"], r["variant"], r["tumor"]) for r in body["evidence"][:10]]
    # lexical-only rows may follow, but never ahead of a row matching a concept
    first_unmatched = flags.index(False) if False in flags else len(flags)
    assert not any(flags[first_unmatched:])


RESISTANCE = {"resistance", "reduced_sensitivity"}


@pytest.mark.parametrize("drug", ["克唑替尼", "gefitinib"])
def test_a_resistance_intent_lists_resistance_evidence_first(api: httpx.Client, drug: str) -> None:
    plain = search(api, drug, size=100)
    asked = search(api, f"{drug} 耐药", size=100)
    assert asked["query"]["intents"] == ["resistance"] and plain["query"]["intents"] == []
    assert asked["page"]["total_evidence"] == plain["page"]["total_evidence"]  # the same evidence, another order
    assert plain["evidence"][0]["significance"] not in RESISTANCE
    assert asked["evidence"][0]["significance"] in RESISTANCE
    first = [row["id"] for row in asked["evidence"] if row["significance"] in RESISTANCE][:5]
    assert [row["id"] for row in asked["evidence"][:5]] == first


@pytest.mark.parametrize(
    ("q", "intents"), [("耐药", ["resistance"]), ("prognosis", ["prognosis"]), ("胚系 遗传", ["germline"])]
)
def test_a_query_of_intent_words_only_is_understood(api: httpx.Client, q: str, intents: list[str]) -> None:
    body = search(api, q)
    assert body["query"]["intents"] == intents
    assert body["query"]["concepts"] == [] and body["query"]["unresolved"] == []


def test_a_drug_class_brings_its_drugs_and_target_genes(api: httpx.Client) -> None:
    concepts = search(api, "三代EGFR-TKI")["query"]["concepts"]
    (drug_class,) = [c for c in concepts if c["type"] == "drug_class"]
    assert drug_class["id"] == "egfr-tki-gen3" and drug_class["label_zh"].startswith("第三代")
    by_class = [c for c in concepts if c["implied_by"] == "drug_class:egfr-tki-gen3"]
    assert {c["id"] for c in by_class if c["type"] == "gene"} == {"EGFR"}
    drugs = {c["id"] for c in by_class if c["type"] == "drug"}
    assert "osimertinib" in drugs and not drugs & {"gefitinib", "afatinib"}


@pytest.mark.parametrize(("inn", "target"), [("nivolumab", "PDCD1"), ("durvalumab", "CD274"), ("ipilimumab", "CTLA4")])
def test_a_checkpoint_antibody_page_names_its_receptor(api: httpx.Client, inn: str, target: str) -> None:
    assert api.get(f"/v1/drugs/{inn}").json()["target_genes"] == [target]


def test_a_gene_variant_query_ranks_that_variant_first(api: httpx.Client) -> None:
    rows = search(api, "EGFR T790M 奥希替尼")["evidence"]
    assert all(r["gene"] == "EGFR" for r in rows)
    assert rows[0]["variant"] == "T790M"
    assert rows[0]["level"] in {"A", "B"}


def test_a_tumor_query_returns_the_tumor_s_evidence(api: httpx.Client, live_api: LiveServer) -> None:
    rows = search(api, "肺腺癌", size=50)["evidence"]
    family = {"LUAD", *live_api.services.vocab.tumors.ancestors("LUAD")}
    assert rows and {r["tumor"]["code"] for r in rows} <= family
    assert any(r["tumor"]["code"] == "LUAD" for r in rows)
    luad = next(r["tumor"] for r in rows if r["tumor"]["code"] == "LUAD")
    assert luad == {"code": "LUAD", "name": "Lung Adenocarcinoma", "name_zh": "肺腺癌"}


def test_an_evidence_row_opens_by_its_id(api: httpx.Client) -> None:
    row = search(api, "ALK融合")["evidence"][0]
    response = api.get(f"/v1/evidence/{row['id']}")
    assert response.status_code == 200
    assert response.json() == row
    bare = row["id"].removeprefix("civic:")
    assert api.get(f"/v1/evidence/{bare}").json()["id"] == row["id"]


# -- tests (company products) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "genes"), [(q, g) for q, (_, g) in QUERIES.items()])
def test_every_test_is_sponsored_with_a_reason_naming_its_matched_genes_in_both_languages(
    api: httpx.Client, q: str, genes: set[str]
) -> None:
    tests = search(api, q)["tests"]
    assert tests
    for test in tests:
        assert test["sponsored"] is True
        assert set(test["matched_genes"]) <= genes
        assert set(test["matched_genes"]) <= set(test["genes"])
        assert test["reason"].startswith("Company test")
        assert test["reason_zh"].startswith("本公司检测项目")
        for gene in test["matched_genes"]:
            assert gene in test["reason"]
            assert gene in test["reason_zh"]
    if genes:
        assert all(t["matched_genes"] for t in tests)


def test_a_drug_alone_gets_tests_through_its_target_genes(api: httpx.Client) -> None:
    drug = api.get("/v1/drugs/奥希替尼").json()
    assert drug["inn"] == "osimertinib"
    assert "EGFR" in drug["target_genes"]
    tests = search(api, "奥希替尼")["tests"]
    assert tests
    for test in tests:
        assert test["matched_genes"] and set(test["matched_genes"]) <= set(drug["target_genes"])
        assert "EGFR" in test["reason"] and "EGFR" in test["reason_zh"]


def test_a_tumor_query_gets_tests_indicated_for_the_tumor_s_family(api: httpx.Client, live_api: LiveServer) -> None:
    tests = search(api, "肺腺癌")["tests"]
    family = {"LUAD", *live_api.services.vocab.tumors.ancestors("LUAD")}
    assert tests
    for test in tests:
        assert family.intersection(test["tumors"])
        assert "适用于" in test["reason_zh"] and "indicated for" in test["reason"]


@pytest.mark.parametrize("q", list(QUERIES))
def test_tests_are_never_mixed_into_evidence(api: httpx.Client, q: str) -> None:
    body = search(api, q, size=100)
    catalogue = {t["id"] for t in api.get("/v1/tests").json()["items"]}
    assert catalogue
    for row in body["evidence"]:
        assert row["id"] not in catalogue
        assert row["source"] in ("CIViC", "genekb")  # genekb: the cited biomarker facts (biomarker_evidence.tsv)
        assert "sponsored" not in row
    for test in body["tests"]:
        assert test["id"] in catalogue
    evidence_ids = {r["id"] for r in body["evidence"]}
    assert not evidence_ids & {t["id"] for t in body["tests"]}


# -- pagination ------------------------------------------------------------------------------------------


def test_page_two_follows_page_one_and_the_totals_hold(api: httpx.Client) -> None:
    first = search(api, "肺腺癌", size=5)
    second = search(api, "肺腺癌", size=5, page=2)
    assert second["page"]["page"] == 2 and second["page"]["size"] == 5
    assert len(first["articles"]) == len(second["articles"]) == 5
    assert {a["pmid"] for a in first["articles"]}.isdisjoint(a["pmid"] for a in second["articles"])
    assert {e["id"] for e in first["evidence"]}.isdisjoint(e["id"] for e in second["evidence"])
    assert first["page"]["total_articles"] == second["page"]["total_articles"] > 10
    both = search(api, "肺腺癌", size=10)
    assert [a["pmid"] for a in both["articles"]] == [a["pmid"] for a in first["articles"] + second["articles"]]


def test_a_page_past_the_end_is_empty_and_keeps_the_totals(api: httpx.Client) -> None:
    first = search(api, "ALK融合", size=100)
    past = search(api, "ALK融合", size=100, page=1000)
    assert past["articles"] == [] and past["evidence"] == []
    assert past["page"]["total_articles"] == first["page"]["total_articles"]


# -- filters ---------------------------------------------------------------------------------------------


def test_evidence_type_filter_keeps_only_that_type(api: httpx.Client) -> None:
    rows = search(api, "EGFR", evidence_type="prognostic", size=100)["evidence"]
    assert rows and {r["evidence_type"] for r in rows} == {"prognostic"}


def test_level_filter_accepts_several_levels(api: httpx.Client) -> None:
    only_a = search(api, "EGFR", level="A", size=100)["evidence"]
    a_or_b = search(api, "EGFR", level=["A", "B"], size=100)["evidence"]
    assert only_a and {r["level"] for r in only_a} == {"A"}
    assert {r["level"] for r in a_or_b} == {"A", "B"}
    assert len(a_or_b) > len(only_a)


def test_tumor_filter_includes_the_tumor_s_descendants(api: httpx.Client, live_api: LiveServer) -> None:
    rows = search(api, "EGFR", tumor="NSCLC", size=100)["evidence"]
    allowed = {"NSCLC", *live_api.services.vocab.tumors.descendants("NSCLC")}
    codes = {r["tumor"]["code"] for r in rows}
    assert codes <= allowed
    assert {"NSCLC", "LUAD"} <= codes  # NSCLC also returns LUAD evidence
    assert search(api, "EGFR", tumor="nsclc", size=100)["evidence"] == rows


def test_filters_combine(api: httpx.Client, live_api: LiveServer) -> None:
    rows = search(api, "EGFR", tumor="NSCLC", level=["A", "B"], evidence_type="predictive", size=100)["evidence"]
    allowed = {"NSCLC", *live_api.services.vocab.tumors.descendants("NSCLC")}
    assert rows
    for row in rows:
        assert row["level"] in {"A", "B"}
        assert row["evidence_type"] == "predictive"
        assert row["tumor"]["code"] in allowed


def test_year_filters_bound_the_articles_not_the_evidence(api: httpx.Client) -> None:
    unfiltered = search(api, "肺腺癌", size=100)
    recent = search(api, "肺腺癌", size=100, year_from=2021)
    older = search(api, "肺腺癌", size=100, year_to=2020)
    assert recent["articles"] and all(a["year"] >= 2021 for a in recent["articles"])
    assert older["articles"] and all(a["year"] <= 2020 for a in older["articles"])
    total = unfiltered["page"]["total_articles"]
    assert recent["page"]["total_articles"] < total and older["page"]["total_articles"] < total
    assert recent["evidence"] == unfiltered["evidence"]
    window = search(api, "肺腺癌", size=100, year_from=2020, year_to=2020)["articles"]
    assert window and {a["year"] for a in window} == {2020}
    assert search(api, "肺腺癌", year_from=2030)["articles"] == []


# -- odd and hostile input --------------------------------------------------------------------------------

ODD_QUERIES = [
    "",
    "   ",
    "😀🧬💊",
    "EGFR 😀 奥希替尼",
    "<script>alert('x')</script>",
    "'; DROP TABLE evidence; --",
    "EGFR' OR '1'='1",
    '"',
    '"EGFR',
    "*",
    "EGFR*",
    "NEAR(",
    "NEAR(EGFR ALK, 2)",
    "EGFR AND OR NOT",
    "AND",
    "NOT NOT",
    "title:EGFR",
    "^EGFR",
    "(((",
    "a\x00b",
    "\x00",
    "EGFR\x00T790M",
    "\u200b\ufeff",
    "%",
    "_",
    "\\",
    "{}[]",
    "ＥＧＦＲ　Ｔ７９０Ｍ",  # full-width forms
    "egfr t790m",
    "中" * 500,
    "EGFR " * 100,
]


@pytest.mark.parametrize("q", ODD_QUERIES, ids=[f"odd{i}" for i in range(len(ODD_QUERIES))])
def test_odd_and_hostile_queries_never_get_a_server_error(api: httpx.Client, q: str) -> None:
    response = api.get("/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.keys() >= SEARCH_KEYS
    for test in body["tests"]:
        assert test["sponsored"] is True


def test_a_500_character_chinese_query_is_accepted_and_501_is_refused(api: httpx.Client) -> None:
    assert api.get("/v1/search", params={"q": "肺" * 500}).status_code == 200
    refused = api.get("/v1/search", params={"q": "肺" * 501})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    "raw",
    ["q=%FF%FE", "q=%00", "q=%C0%AF", "q=EGFR%ED%A0%80", "q=%E5%A5", "q=a&q=b", "q=EGFR&page=1&page=2"],
)
def test_malformed_percent_encoding_never_gets_a_server_error(api: httpx.Client, raw: str) -> None:
    response = api.get(f"/v1/search?{raw}")
    assert response.status_code in {200, 422}, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/v1/genes/%3Cscript%3E",
        "/v1/genes/%00",
        "/v1/genes/%FF",
        "/v1/tumors/'%20OR%201=1",
        "/v1/drugs/%F0%9F%98%80",
        "/v1/articles/1%20OR%201=1",
        "/v1/evidence/..%2F..%2Fetc%2Fpasswd",
        "/v1/tests/%22",
        "/v1/suggest?q=%00",
        "/v1/suggest?q=%FF",
        "/v1/suggest?q=*",
        "/v1/suggest?q=NEAR(",
    ],
)
def test_odd_entity_ids_and_prefixes_never_get_a_server_error(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code in {200, 404, 422}, response.text
    if response.status_code != 200:
        assert set(response.json()) == {"error"}


# -- suggest ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "kind", "ident"),
    [
        ("奥希", "drug", "osimertinib"),
        ("osim", "drug", "osimertinib"),
        ("泰瑞", "drug", "osimertinib"),
        ("EGF", "gene", "EGFR"),
        ("her2", "gene", "ERBB2"),
        ("乳腺", "tumor", "BREAST"),
        ("肺腺", "tumor", "LUAD"),
        ("Lung Adeno", "tumor", "LUAD"),
    ],
)
def test_suggest_autocompletes_genes_tumors_and_drugs_in_both_languages(
    api: httpx.Client, prefix: str, kind: str, ident: str
) -> None:
    response = api.get("/v1/suggest", params={"q": prefix})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == prefix
    found = {(s["type"], s["id"]) for s in body["suggestions"]}
    assert (kind, ident) in found
    for s in body["suggestions"]:
        assert {"type", "id", "label", "label_zh", "matched"} <= s.keys()
        assert s["type"] in {"gene", "tumor", "drug", "biomarker"}


def test_suggest_respects_its_limit(api: httpx.Client) -> None:
    assert len(api.get("/v1/suggest", params={"q": "E", "limit": 3}).json()["suggestions"]) <= 3


def test_suggest_with_nothing_typed_suggests_nothing(api: httpx.Client) -> None:
    assert api.get("/v1/suggest", params={"q": ""}).json() == {"query": "", "suggestions": []}


@pytest.mark.parametrize(("prefix", "ident"), [("jifei", "gefitinib"), ("jftn", "gefitinib"), ("吉非替", "gefitinib")])
def test_suggest_completes_pinyin_and_its_initials_with_the_chinese_name(
    api: httpx.Client, prefix: str, ident: str
) -> None:
    found = {s["id"]: s for s in api.get("/v1/suggest", params={"q": prefix}).json()["suggestions"]}
    assert (found[ident]["type"], found[ident]["matched"]) == ("drug", "吉非替尼")


@pytest.mark.parametrize(
    ("q", "key", "match"),
    [("jifeitini", "drug:gefitinib", "pinyin"), ("結直腸癌", "tumor:COADREAD", "traditional"),
     ("吉菲替尼", "drug:gefitinib", "homophone"), ("ＫＲＡＳ", "gene:KRAS", "fullwidth"),
     ("BRAFV600E", "variant:BRAF:V600E", "split")],
)  # fmt: skip
def test_search_says_how_each_concept_was_read(api: httpx.Client, q: str, key: str, match: str) -> None:
    body = search(api, q)
    concepts = {f"{c['type']}:{c['id']}": c for c in body["query"]["concepts"]}
    assert concepts[key]["match"] == match and concepts[key]["matched"] in q
    assert body["query"]["text"] == q


# -- entities ---------------------------------------------------------------------------------------------


def test_a_gene_opens_by_symbol_or_alias_with_its_evidence(api: httpx.Client) -> None:
    gene = api.get("/v1/genes/HER2").json()
    assert gene["symbol"] == "ERBB2"
    assert gene["name_zh"]
    assert gene["evidence_count"] >= len(gene["top_evidence"]) > 0
    assert {e["gene"] for e in gene["top_evidence"]} == {"ERBB2"}
    assert api.get("/v1/genes/erbb2").json()["symbol"] == "ERBB2"


def test_a_tumor_shows_its_place_in_the_hierarchy(api: httpx.Client) -> None:
    nsclc = api.get("/v1/tumors/NSCLC").json()
    assert nsclc["name_zh"] == "非小细胞肺癌"
    assert "LUAD" in {c["code"] for c in nsclc["children"]}
    luad = api.get("/v1/tumors/luad").json()
    assert luad["code"] == "LUAD"
    assert luad["parent"]["code"] == "NSCLC"
    assert nsclc["evidence_count"] > luad["evidence_count"] > 0


def test_a_drug_opens_by_inn_brand_or_chinese_name(api: httpx.Client) -> None:
    by_inn = api.get("/v1/drugs/osimertinib").json()
    assert api.get("/v1/drugs/泰瑞沙").json() == by_inn
    assert api.get("/v1/drugs/Tagrisso").json() == by_inn
    assert by_inn["name_zh"] == "奥希替尼"
    assert by_inn["evidence_count"] > 0


def test_an_article_from_the_results_opens_by_pmid(api: httpx.Client) -> None:
    hit = search(api, "EGFR T790M 奥希替尼")["articles"][0]
    article = api.get(f"/v1/articles/{hit['pmid']}").json()
    assert (article["pmid"], article["title"], article["journal"]) == (hit["pmid"], hit["title"], hit["journal"])
    assert article["abstract"]
    assert set(hit["concepts"]) <= set(article["concepts"])


def test_the_test_catalogue_lists_published_sponsored_items(api: httpx.Client) -> None:
    catalogue = api.get("/v1/tests").json()
    ready = api.get("/v1/ready").json()
    assert catalogue["total"] == len(catalogue["items"]) == ready["counts"]["tests_published"]
    assert all(t["sponsored"] is True for t in catalogue["items"])
    first = catalogue["items"][0]
    assert api.get(f"/v1/tests/{first['id']}").json() == first
    assert api.get(f"/v1/tests/{first['id'].lower()}").json()["id"] == first["id"]


def test_an_unpublished_test_is_not_served(api: httpx.Client, live_api: LiveServer) -> None:
    drafts = [t.id for t in live_api.services.store.iter_tests() if not t.published]
    assert drafts
    published = {t["id"] for t in api.get("/v1/tests").json()["items"]}
    for draft in drafts:
        assert draft not in published
        assert api.get(f"/v1/tests/{draft}").status_code == 404


# -- health, readiness and docs ----------------------------------------------------------------------------


def test_health_answers_ok(api: httpx.Client) -> None:
    response = api.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_shows_the_backend_and_its_counts(api: httpx.Client, live_api: LiveServer) -> None:
    ready = api.get("/v1/ready").json()
    assert ready["status"] == "ok"
    expected = "sqlite" if live_api.services.settings.store.startswith("sqlite") else "elasticsearch"
    assert ready["backend"] == expected
    assert ready["data_version"] == search(api, "EGFR")["data_version"]
    counts = ready["counts"]
    assert counts["articles"] == 1500
    assert counts["evidence"] > 3000
    assert counts["genes"] > 40000 and counts["tumors"] > 800 and counts["drugs"] > 500
    assert counts["tests_published"] > 0


def test_ready_says_empty_before_anything_is_ingested(empty_live_api: LiveServer) -> None:
    response = httpx.get(f"{empty_live_api.url}/v1/ready")
    assert response.status_code == 200
    ready = response.json()
    assert ready["status"] == "empty"
    assert ready["counts"]["evidence"] == ready["counts"]["articles"] == 0
    search = httpx.get(f"{empty_live_api.url}/v1/search", params={"q": "EGFR T790M 奥希替尼"})
    assert search.status_code == 200
    assert search.json()["evidence"] == search.json()["tests"] == []


def test_openapi_schema_is_served_with_every_route(api: httpx.Client) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "genekb"
    expected = {
        "/v1/search",
        "/v1/suggest",
        "/v1/genes/{symbol}",
        "/v1/tumors/{code}",
        "/v1/drugs/{name}",
        "/v1/articles/{pmid}",
        "/v1/evidence/{evidence_id}",
        "/v1/tests",
        "/v1/tests/{test_id}",
        "/v1/health",
        "/v1/ready",
    }
    assert expected <= set(schema["paths"])
    props = schema["components"]["schemas"]["SearchOut"]["properties"]
    assert set(props) >= SEARCH_KEYS


def test_interactive_docs_are_off_unless_asked_for(api: httpx.Client) -> None:
    """/docs and /redoc load scripts from a CDN; KB_API_DOCS turns them on (tests/test_api_hardening.py)."""
    assert [api.get(path).status_code for path in ("/docs", "/redoc")] == [404, 404]
    assert api.get("/openapi.json").status_code == 200
