"""Query understanding: free text in Chinese, English or both to genes, variants, tumors and drugs.

Built from the real vocabularies and CIViC evidence of the shared data (the
``vocab_store`` session fixture); nothing is mocked.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

import pytest

from kb.domain import EvidenceDirection, EvidenceType
from kb.query import Concept, ParsedQuery, QueryIndex, build_query_index, parse_query
from kb.query.index import load_positive_readings
from kb.store import SQLiteStore
from kb.vocab import authored, vocabularies_from_store


@pytest.fixture(scope="module")
def built(vocab_store: SQLiteStore) -> tuple[QueryIndex, float]:
    vocab = vocabularies_from_store(vocab_store)
    evidence = list(vocab_store.iter_evidence())
    started = time.perf_counter()
    index = build_query_index(vocab, evidence)
    return index, time.perf_counter() - started


@pytest.fixture(scope="module")
def index(built: tuple[QueryIndex, float]) -> QueryIndex:
    return built[0]


def one(parsed: ParsedQuery, type: str, id: str) -> Concept:
    found = [c for c in parsed.concepts if c.type == type and c.id == id]
    assert len(found) == 1, f"{type}:{id} not found once in {[c.key for c in parsed.concepts]}"
    return found[0]


def keys(parsed: ParsedQuery) -> set[str]:
    return {c.key for c in parsed.concepts}


# --- the brief's examples ----------------------------------------------------------------


def test_gene_variant_and_chinese_drug_name(index: QueryIndex) -> None:
    parsed = parse_query("EGFR T790M 奥希替尼", index)
    gene = one(parsed, "gene", "EGFR")
    assert (gene.match, gene.matched, gene.implied) == ("exact", "EGFR", False)
    variant = one(parsed, "variant", "EGFR:T790M")
    assert (variant.label, variant.label_zh, variant.matched) == ("EGFR T790M", "EGFR T790M突变", "EGFR T790M")
    drug = one(parsed, "drug", "osimertinib")
    assert (drug.match, drug.label_zh) == ("exact", "奥希替尼")
    assert parsed.genes == ("EGFR",) and parsed.unresolved == ()


def test_her2_positive_breast_cancer_reads_erbb2_amplification(index: QueryIndex) -> None:
    parsed = parse_query("HER2阳性乳腺癌", index)
    assert one(parsed, "gene", "ERBB2").match == "alias"
    reading = one(parsed, "variant", "ERBB2:AMPLIFICATION")
    assert (reading.match, reading.matched, reading.label_zh) == ("alias", "HER2阳性", "ERBB2扩增")
    (tumor,) = parsed.of_type("tumor")
    assert tumor.id == "BRCA" and "BREAST" in index.vocab.tumors.ancestors(tumor.id)


@pytest.mark.parametrize("text", ["ALK融合", "ALK fusion", "ALK rearrangement", "ALK重排", "ALK fusions"])
def test_alk_fusion_wordings(index: QueryIndex, text: str) -> None:
    parsed = parse_query(text, index)
    variant = one(parsed, "variant", "ALK:FUSION")
    assert variant.label_zh == "ALK融合" and variant.match == "exact"
    assert parsed.genes == ("ALK",)


def test_alk_positive_lung_cancer_reads_alk_fusion(index: QueryIndex) -> None:
    parsed = parse_query("ALK阳性肺癌", index)
    assert one(parsed, "variant", "ALK:FUSION").match == "alias"
    assert parsed.tumors == ("LUNG",) and parsed.genes == ("ALK",)


def test_lower_case_gene_and_variant(index: QueryIndex) -> None:
    parsed = parse_query("egfr l858r", index)
    assert parsed.variants == ("EGFR:L858R",)
    assert one(parsed, "gene", "EGFR").matched == "egfr"


@pytest.mark.parametrize(
    ("text", "symbol", "match"),
    [("Her-2", "ERBB2", "alias"), ("HER2", "ERBB2", "alias"), ("her 2", "ERBB2", "alias"), ("B7-H1", "CD274", "alias"),
     ("MLL", "KMT2A", "alias"), ("ERBB1", "EGFR", "alias"), ("PD-1", "PDCD1", "alias"),
     ("p53", "TP53", "alias"), ("c-MET", "MET", "alias"), ("CD117", "KIT", "alias"), ("ＥＧＦＲ", "EGFR", "fullwidth"),
     ("表皮生长因子受体", "EGFR", "exact"), ("间变性淋巴瘤激酶", "ALK", "exact"), ("TP53", "TP53", "exact")],
)  # fmt: skip
def test_gene_names_and_aliases_resolve_to_one_hgnc_symbol(
    index: QueryIndex, text: str, symbol: str, match: str
) -> None:
    parsed = parse_query(text, index)
    (gene,) = parsed.concepts
    assert (gene.type, gene.id, gene.match, gene.matched) == ("gene", symbol, match, text)
    assert gene.label == symbol and gene.label_zh == index.vocab.genes.genes[symbol].name_zh


@pytest.mark.parametrize(
    ("text", "inn"), [("gefitnib", "gefitinib"), ("osimertinb", "osimertinib"), ("Herceptn", "trastuzumab")]
)
def test_one_typo_in_a_long_drug_name_is_a_fuzzy_match(index: QueryIndex, text: str, inn: str) -> None:
    parsed = parse_query(text, index)
    drug = one(parsed, "drug", inn)
    assert (drug.match, drug.matched) == ("fuzzy", text)


def test_one_typo_in_a_tumor_name_is_a_fuzzy_match(index: QueryIndex) -> None:
    assert one(parse_query("melanma", index), "tumor", "MEL").match == "fuzzy"


@pytest.mark.parametrize("text", ["KRAZ", "PIK3CX", "EGFX", "gefit"])
def test_short_terms_and_gene_symbols_are_never_fuzzy_matched(index: QueryIndex, text: str) -> None:
    parsed = parse_query(text, index)
    assert parsed.concepts == () and parsed.unresolved == (text,)


@pytest.mark.parametrize(
    ("text", "inn", "match"),
    [("泰瑞沙", "osimertinib", "alias"), ("Keytruda", "pembrolizumab", "alias"), ("易瑞沙", "gefitinib", "alias"),
     ("格列卫", "imatinib", "alias"), ("Tagrisso", "osimertinib", "alias"), ("K药", "pembrolizumab", "alias"),
     ("吉非替尼", "gefitinib", "exact"), ("阿来替尼", "alectinib", "exact"), ("帕博利珠单抗", "pembrolizumab", "exact"),
     ("赫赛汀", "trastuzumab", "alias"), ("osimertinib", "osimertinib", "exact"), ("O药", "nivolumab", "alias")],
)  # fmt: skip
def test_drug_names_and_brands_in_both_languages(index: QueryIndex, text: str, inn: str, match: str) -> None:
    drug = one(parse_query(text, index), "drug", inn)
    assert (drug.match, drug.matched) == (match, text)
    assert drug.label_zh == index.vocab.drugs.drugs[inn].name_zh


def test_breast_cancer_then_brca_means_the_genes_not_the_tumor_code(index: QueryIndex) -> None:
    parsed = parse_query("乳腺癌 BRCA", index)
    assert parsed.tumors == ("BREAST",)
    gene = one(parsed, "gene", "BRCA")
    assert gene.match == "ambiguous" and gene.candidates == ("BRCA1", "BRCA2")
    assert parsed.ids("gene", candidates=True) == ("BRCA1", "BRCA2")
    assert "tumor:BRCA" not in keys(parsed)


def test_brca_alone_is_the_oncotree_code(index: QueryIndex) -> None:
    assert parse_query("BRCA", index).tumors == ("BRCA",)


@pytest.mark.parametrize("text", ["BRCA突变", "BRCA 奥拉帕利", "BRCA mutation"])
def test_an_event_or_a_drug_targeting_the_genes_reads_brca_as_genes(index: QueryIndex, text: str) -> None:
    parsed = parse_query(text, index)
    assert one(parsed, "gene", "BRCA").candidates == ("BRCA1", "BRCA2")
    assert "tumor:BRCA" not in keys(parsed)


def test_an_ambiguous_gene_carries_its_ambiguity_into_its_variant(index: QueryIndex) -> None:
    variant = one(parse_query("BRCA突变", index), "variant", "BRCA:MUTATION")
    assert variant.match == "ambiguous" and variant.candidates == ("BRCA1:MUTATION", "BRCA2:MUTATION")


def test_lung_adenocarcinoma_egfr_exon_19_deletion(index: QueryIndex) -> None:
    parsed = parse_query("肺腺癌 EGFR 19号外显子缺失", index)
    assert parsed.tumors == ("LUAD",)
    variant = one(parsed, "variant", "EGFR:EXON19DEL")
    assert (variant.label, variant.label_zh) == ("EGFR exon 19 deletion", "EGFR 19号外显子缺失")
    assert parsed.unresolved == ()


def test_met_exon_14_skipping(index: QueryIndex) -> None:
    parsed = parse_query("MET 14号外显子跳跃突变", index)
    assert parsed.variants == ("MET:EXON14SKIP",) and parsed.genes == ("MET",)
    assert one(parsed, "variant", "MET:EXON14SKIP").matched == "MET 14号外显子跳跃突变"


def test_kras_g12c_colorectal_cancer(index: QueryIndex) -> None:
    parsed = parse_query("KRAS G12C 结直肠癌", index)
    assert (parsed.genes, parsed.variants, parsed.tumors) == (("KRAS",), ("KRAS:G12C",), ("COADREAD",))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "的", "hello world", "12345", "<script>alert(1)</script>", "SELECT * FROM genes", "😀🎉🧬",
     "SELECT * FROM genes; DROP TABLE genes;--", "\x00\t\n", "的和与患者治疗"],
)  # fmt: skip
def test_noise_resolves_to_no_concept(index: QueryIndex, text: str) -> None:
    parsed = parse_query(text, index)
    assert parsed.concepts == ()
    assert parsed.text == text


def test_stopwords_are_not_unresolved_but_unknown_words_are(index: QueryIndex) -> None:
    assert parse_query("的", index).unresolved == ()
    assert parse_query("EGFR 的 患者 治疗", index).unresolved == ()
    assert parse_query("hello world", index).unresolved == ("hello", "world")
    assert parse_query("EGFR hello", index).unresolved == ("hello",)


def test_five_hundred_random_cjk_characters_parse_quickly_without_error(index: QueryIndex) -> None:
    # a fixed pseudo-random walk over the CJK block (no random module state involved)
    text = "".join(chr(0x4E00 + (i * 7919) % 0x51A5) for i in range(500))
    started = time.perf_counter()
    parsed = parse_query(text, index)
    assert time.perf_counter() - started < 0.5
    assert all(c.matched in text for c in parsed.concepts)
    assert "".join(parsed.unresolved)  # the rest is reported, not dropped silently


# --- variants and the genes they imply -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variant", "gene"),
    [("T790M", "EGFR:T790M", "EGFR"), ("V600E", "BRAF:V600E", "BRAF"), ("L858R", "EGFR:L858R", "EGFR"),
     ("G12C", "KRAS:G12C", "KRAS"), ("p.Thr790Met", "EGFR:T790M", "EGFR"), ("ITD", "FLT3:ITD", "FLT3"),
     ("exon 19 deletion", "EGFR:EXON19DEL", "EGFR"), ("V600K", "BRAF:V600K", "BRAF")],
)  # fmt: skip
def test_a_bare_variant_implies_the_gene_the_evidence_files_it_under(
    index: QueryIndex, vocab_store: SQLiteStore, text: str, variant: str, gene: str
) -> None:
    parsed = parse_query(text, index)
    assert parsed.variants == (variant,)
    implied = one(parsed, "gene", gene)
    assert implied.implied and implied.implied_by == f"variant:{variant}"
    assert parsed.ids("gene", implied=False) == ()
    name = variant.split(":")[1].rstrip("K") if text == "V600K" else variant.split(":")[1]
    filed = Counter(e.gene for e in vocab_store.iter_evidence() if e.alteration.name == name)
    assert filed.most_common(1)[0][0] == gene


def test_a_bare_variant_filed_under_several_genes_stays_ambiguous(index: QueryIndex, vocab_store: SQLiteStore) -> None:
    parsed = parse_query("Q61", index)
    (variant,) = parsed.concepts
    filed = {e.gene for e in vocab_store.iter_evidence() if e.alteration.name == "Q61"}
    assert variant.match == "ambiguous" and len(filed) > 1
    assert {c.split(":")[0] for c in variant.candidates} == filed
    assert parsed.genes == ()


@pytest.mark.parametrize(
    ("text", "variant"),
    [("EGFR 19del", "EGFR:EXON19DEL"), ("EGFR ex19del", "EGFR:EXON19DEL"), ("EGFR外显子19缺失", "EGFR:EXON19DEL"),
     ("EGFR exon 20 insertion", "EGFR:EXON20INS"), ("EGFR 20ins", "EGFR:EXON20INS"),
     ("MET exon 14 skipping", "MET:EXON14SKIP"), ("KIT 11号外显子突变", "KIT:EXON11MUT"), ("BRAF V600E", "BRAF:V600E"),
     ("PIK3CA H1047R", "PIK3CA:H1047R"), ("IDH1 R132H", "IDH1:R132H"), ("FLT3-ITD", "FLT3:ITD"),
     ("MET扩增", "MET:AMPLIFICATION"), ("ERBB2 amplification", "ERBB2:AMPLIFICATION"), ("KRAS野生型", "KRAS:WILDTYPE"),
     ("p53突变", "TP53:MUTATION"), ("EGFR突变", "EGFR:MUTATION"), ("EGFR mutant", "EGFR:MUTATION"),
     ("HER2过表达", "ERBB2:OVEREXPRESSION"), ("EGFR C797S", "EGFR:C797S"), ("T790M EGFR", "EGFR:T790M"),
     ("EGFR exon 19 deletions", "EGFR:EXON19DEL"), ("MET 14号外显子跳读", "MET:EXON14SKIP"),
     ("PTEN losses", "PTEN:LOSS"), ("FLT3 ITDs", "FLT3:ITD"), ("KRAS wild type", "KRAS:WILDTYPE"),
     ("ALK rearranged", "ALK:FUSION")],
)  # fmt: skip
def test_a_gene_with_an_event_word_or_a_protein_change(index: QueryIndex, text: str, variant: str) -> None:
    parsed = parse_query(text, index)
    assert parsed.variants == (variant,)
    assert one(parsed, "variant", variant).match == "exact"
    assert parsed.ids("gene", implied=False) == (variant.split(":")[0],)


def test_a_mutation_word_after_a_variant_adds_nothing(index: QueryIndex) -> None:
    assert parse_query("EGFR L858R突变", index).variants == ("EGFR:L858R",)
    assert parse_query("EGFR突变阳性", index).variants == ("EGFR:MUTATION",)


def test_consecutive_variants_share_their_gene(index: QueryIndex) -> None:
    assert parse_query("EGFR L858R T790M", index).variants == ("EGFR:L858R", "EGFR:T790M")


def test_named_fusion_pair_gives_the_pair_and_the_gene_fusion(index: QueryIndex) -> None:
    parsed = parse_query("EML4-ALK", index)
    assert set(parsed.variants) == {"ALK:EML4-ALK", "ALK:FUSION"}
    assert set(parsed.genes) == {"EML4", "ALK"}
    assert one(parsed, "variant", "ALK:EML4-ALK").label_zh == "EML4-ALK融合"


def test_a_pair_unknown_to_the_evidence_is_named_by_the_gene_with_fusion_evidence(index: QueryIndex) -> None:
    parsed = parse_query("KIF5B-RET", index)
    assert set(parsed.variants) == {"RET:KIF5B-RET", "RET:FUSION"}


def test_a_chain_of_genes_is_not_a_fusion(index: QueryIndex) -> None:
    parsed = parse_query("EGFR-KRAS-BRAF", index)
    assert parsed.variants == () and parsed.genes == ("EGFR", "KRAS", "BRAF")


def test_bcr_abl_t315i_is_an_abl1_variant(index: QueryIndex) -> None:
    parsed = parse_query("BCR-ABL T315I", index)
    assert "ABL1:T315I" in parsed.variants and "ABL1:FUSION" in parsed.variants
    assert set(parsed.genes) == {"BCR", "ABL1"}


@pytest.mark.parametrize(
    ("text", "variants"),
    [("KRAS/NRAS/BRAF突变", {"KRAS:MUTATION", "NRAS:MUTATION", "BRAF:MUTATION"}),
     ("BRCA1/2突变", {"BRCA1:MUTATION", "BRCA2:MUTATION"})],
)  # fmt: skip
def test_an_event_after_a_list_of_genes_applies_to_each(index: QueryIndex, text: str, variants: set[str]) -> None:
    parsed = parse_query(text, index)
    assert set(parsed.variants) == variants
    assert {c.matched for c in parsed.of_type("variant")} == {text}


# --- 阳性 readings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variant"),
    [("B7-H1阳性", "CD274:EXPRESSION"), ("ROS1阳性", "ROS1:FUSION"), ("EGFR阳性", "EGFR:MUTATION"),
     ("HER2+", "ERBB2:AMPLIFICATION"), ("ALK-positive", "ALK:FUSION"), ("CD117阳性", "KIT:EXPRESSION"),
     ("ER阳性乳腺癌", "ESR1:EXPRESSION")],
)  # fmt: skip
def test_positive_reads_as_the_genes_authored_reading(index: QueryIndex, text: str, variant: str) -> None:
    concept = one(parse_query(text, index), "variant", variant)
    assert concept.match == "alias"


def test_positive_after_a_family_reads_each_member(index: QueryIndex) -> None:
    variant = one(parse_query("NTRK阳性", index), "variant", "NTRK:FUSION")
    assert variant.candidates == ("NTRK1:FUSION", "NTRK2:FUSION", "NTRK3:FUSION")


def test_negative_or_an_unlisted_gene_adds_no_variant(index: QueryIndex) -> None:
    assert parse_query("EGFR阴性", index).variants == ()
    assert parse_query("TP53阳性", index).variants == ()
    assert parse_query("TP53阳性", index).genes == ("TP53",)


def test_every_positive_reading_names_a_known_gene_and_an_alteration_the_evidence_uses(
    index: QueryIndex, vocab_store: SQLiteStore
) -> None:
    readings = load_positive_readings(authored("positive_readings.tsv"))
    used = {(e.alteration.kind, e.alteration.name) for e in vocab_store.iter_evidence()}
    assert len(readings) >= 10
    for gene, reading in readings.items():
        assert gene in index.vocab.genes.genes
        assert reading in used


# --- drugs and their targets ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gene"),
    [("奥希替尼", "EGFR"), ("gefitinib", "EGFR"), ("阿来替尼", "ALK"), ("trastuzumab", "ERBB2"), ("赫赛汀", "ERBB2"),
     ("格列卫", "KIT"), ("格列卫", "ABL1"), ("维莫非尼", "BRAF"), ("拉罗替尼", "NTRK1"), ("帕博利珠单抗", "PDCD1")],
)  # fmt: skip
def test_a_drug_implies_its_target_genes(index: QueryIndex, text: str, gene: str) -> None:
    parsed = parse_query(text, index)
    (drug,) = parsed.of_type("drug")
    implied = one(parsed, "gene", gene)
    assert implied.implied and implied.implied_by == f"drug:{drug.id}" and implied.matched == text
    assert implied.to_dict()["implied"] is True


def test_every_target_gene_has_supporting_sensitivity_evidence(index: QueryIndex, vocab_store: SQLiteStore) -> None:
    support: Counter[tuple[str, str]] = Counter()
    for e in vocab_store.iter_evidence():
        if (
            e.evidence_type is EvidenceType.PREDICTIVE
            and e.direction is EvidenceDirection.SUPPORTS
            and e.significance == "sensitivity"
        ):
            support.update((inn, e.gene) for inn in e.drugs)
    assert len(index.drug_targets) >= 50
    curated = {d.inn: d.targets for d in index.vocab.drugs.drugs.values() if d.targets}  # drug_targets.tsv
    for inn, genes in index.drug_targets.items():
        if inn in curated:
            assert genes == curated[inn], inn  # curated targets replace the evidence's
            continue
        assert 1 <= len(genes) <= 4
        assert all(support[(inn, gene)] >= 2 for gene in genes), inn
    assert index.drug_targets["osimertinib"] == ("EGFR",)
    assert index.drug_targets["trastuzumab"] == ("ERBB2",)


def test_a_named_gene_is_not_repeated_as_implied(index: QueryIndex) -> None:
    parsed = parse_query("EGFR 奥希替尼", index)
    assert [c.key for c in parsed.of_type("gene")] == ["gene:EGFR"]
    assert not parsed.of_type("gene")[0].implied


def test_two_drugs_and_a_tumor(index: QueryIndex) -> None:
    parsed = parse_query("达拉非尼 曲美替尼 黑色素瘤", index)
    assert parsed.drugs == ("dabrafenib", "trametinib") and parsed.tumors == ("MEL",)
    assert parsed.genes == ("BRAF",)
    assert one(parsed, "gene", "BRAF").implied_by == "drug:dabrafenib"


def test_a_combination_record_implies_its_members_targets(index: QueryIndex) -> None:
    parsed = parse_query("达拉非尼+曲美替尼", index)
    (drug,) = parsed.of_type("drug")
    assert index.vocab.drugs.drugs[drug.id].members == ("dabrafenib", "trametinib")
    assert "BRAF" in parsed.genes and index.targets(drug.id) == ("BRAF",)


# --- tumors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [("NSCLC", "NSCLC"), ("CRC", "COADREAD"), ("HCC", "HCC"), ("GIST", "GIST"), ("AML", "AML"), ("肺腺癌", "LUAD"),
     ("肺鳞癌", "LUSC"), ("三阴性乳腺癌", "BRCA"), ("非小细胞肺癌", "NSCLC"), ("肺癌", "LUNG"), ("胃癌", "STAD"),
     ("lung adenocarcinoma", "LUAD"), ("Melanoma", "MEL"), ("慢粒", "CML"), ("急性髓系白血病", "AML"),
     ("胶质瘤", "GNOS")],
)  # fmt: skip
def test_tumor_names_abbreviations_and_chinese_names(index: QueryIndex, text: str, code: str) -> None:
    parsed = parse_query(text, index)
    (tumor,) = parsed.concepts
    assert (tumor.type, tumor.id, tumor.matched) == ("tumor", code, text)
    assert tumor.label == index.vocab.tumors.nodes[code].name
    assert tumor.label_zh == index.vocab.tumors.nodes[code].name_zh


def test_tumor_hierarchy_is_kept_for_specific_names(index: QueryIndex) -> None:
    code = parse_query("肺腺癌", index).tumors[0]
    assert index.vocab.tumors.ancestors(code)[:2] == ["NSCLC", "LUNG"]


# --- ambiguity and context ----------------------------------------------------------------


def test_an_ambiguous_alias_lists_its_candidates(index: QueryIndex) -> None:
    gene = one(parse_query("TRK", index), "gene", "TRK")
    assert gene.match == "ambiguous" and set(gene.candidates) >= {"NTRK1", "TPM3"}
    assert gene.to_dict()["candidates"] == list(gene.candidates)


def test_a_drug_settles_an_ambiguous_alias(index: QueryIndex) -> None:
    parsed = parse_query("TRK 拉罗替尼", index)
    gene = one(parsed, "gene", "NTRK1")
    assert (gene.match, gene.matched, gene.implied) == ("alias", "TRK", False)


def test_an_authored_family_beats_a_single_hgnc_alias(index: QueryIndex) -> None:
    gene = one(parse_query("MEK", index), "gene", "MEK")
    assert gene.candidates == ("MAP2K1", "MAP2K2")


@pytest.mark.parametrize(("text", "code"), [("HCC", "HCC"), ("CML", "CML"), ("MDS", "MDS"), ("ALL", "BLL")])
def test_a_tumor_abbreviation_that_is_also_a_gene_alias_reads_as_the_tumor(
    index: QueryIndex, text: str, code: str
) -> None:
    parsed = parse_query(text, index)
    assert parsed.tumors == (code,) and parsed.of_type("gene") == ()


def test_an_oncology_gene_symbol_stays_a_gene_even_if_it_is_a_tumor_code(index: QueryIndex) -> None:
    assert "ATM" in index.vocab.tumors.nodes
    parsed = parse_query("ATM", index)
    assert parsed.genes == ("ATM",) and parsed.tumors == ()


def test_english_words_need_capitals_to_be_concepts(index: QueryIndex) -> None:
    assert parse_query("all EGFR", index).tumors == ()
    assert parse_query("cap", index).concepts == ()
    assert parse_query("CAP", index).of_type("gene")[0].match == "ambiguous"


def test_clinical_abbreviations_are_not_genes(index: QueryIndex) -> None:
    for text in ("FISH", "HRD", "CAR-T", "ORR", "OS", "TKI"):
        assert parse_query(text, index).of_type("gene") == (), text


# --- mixed queries, shapes and speed ---------------------------------------------------------


def test_mixed_chinese_and_english_with_filler(index: QueryIndex) -> None:
    parsed = parse_query("非小细胞肺癌 EGFR突变 一线治疗", index)
    assert (parsed.tumors, parsed.variants, parsed.unresolved) == (("NSCLC",), ("EGFR:MUTATION",), ())


def test_an_english_question(index: QueryIndex) -> None:
    parsed = parse_query("Lung cancer with ALK fusion, crizotinib vs alectinib?", index)
    assert parsed.tumors == ("LUNG",) and parsed.variants == ("ALK:FUSION",)
    assert parsed.drugs == ("crizotinib", "alectinib") and parsed.unresolved == ()


def test_full_width_query(index: QueryIndex) -> None:
    parsed = parse_query("ＥＧＦＲ　Ｔ７９０Ｍ", index)
    assert parsed.variants == ("EGFR:T790M",) and one(parsed, "gene", "EGFR").matched == "ＥＧＦＲ"


def test_to_dict_is_the_api_shape(index: QueryIndex) -> None:
    parsed = parse_query("EGFR T790M 奥希替尼 BRCA 奥拉帕利", index)
    shapes = [c.to_dict() for c in parsed.concepts]
    base = {"type", "id", "label", "label_zh", "matched", "match"}
    for concept, shape in zip(parsed.concepts, shapes, strict=True):
        extra = set(shape) - base
        assert extra == ({"candidates"} if concept.match == "ambiguous" else set()) | (
            {"implied", "implied_by"} if concept.implied else set()
        )
    assert parsed.to_dict()["text"] == "EGFR T790M 奥希替尼 BRCA 奥拉帕利"


def test_index_builds_in_seconds_and_parses_in_milliseconds(built: tuple[QueryIndex, float]) -> None:
    index, seconds = built
    assert seconds < 15
    queries = ["EGFR T790M 奥希替尼", "HER2阳性乳腺癌", "肺腺癌 EGFR 19号外显子缺失", "gefitnib", "KRAS G12C 结直肠癌"]
    timings = []
    for _ in range(20):
        for query in queries:
            started = time.perf_counter()
            parse_query(query, index)
            timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.005


@pytest.mark.parametrize(
    ("text", "variant"),
    [
        ("PDGFRA exon 18", "PDGFRA:EXON18MUT"),
        ("KIT 第9外显子 舒尼替尼", "KIT:EXON9MUT"),
        ("KIT 11号外显子", "KIT:EXON11MUT"),
        ("外显子11 KIT", "KIT:EXON11MUT"),
        ("EGFR exon 19 deletion", "EGFR:EXON19DEL"),  # an event word still names its event
        ("EGFR 20号外显子插入", "EGFR:EXON20INS"),
    ],
)
def test_an_exon_written_without_an_event_word_is_a_mutation_of_it(index: QueryIndex, text: str, variant: str) -> None:
    written = {c.key for c in parse_query(text, index).concepts if not c.implied}
    assert f"variant:{variant}" in written
    assert not any(k.startswith("variant:") and k != f"variant:{variant}" for k in written)


@pytest.mark.parametrize("text", ["EGFR 21外显子 L858R", "EGFR exon 21 L858R", "BRAF V600E 15号外显子"])
def test_a_bare_exon_beside_a_protein_change_only_locates_it(index: QueryIndex, text: str) -> None:
    written = {c.key for c in parse_query(text, index).concepts if not c.implied}
    assert [k for k in written if k.startswith("variant:")] and not any("EXON" in k for k in written), written


def _written(index: QueryIndex, text: str) -> dict[str, Concept]:
    return {c.key: c for c in parse_query(text, index).concepts if not c.implied}


@pytest.mark.parametrize(
    ("text", "drug"),
    [("贝伐 联合化疗", "bevacizumab"), ("西妥昔 一线", "cetuximab"), ("帕妥珠 新辅助", "pertuzumab")],
)
def test_a_chinese_antibody_name_without_its_suffix_reads_as_the_drug(index: QueryIndex, text: str, drug: str) -> None:
    assert f"drug:{drug}" in _written(index, text)


@pytest.mark.parametrize("text", ["PD-L1 TPS 1", "PD-L1 CPS 5", "胃癌 CPS 1分"])
def test_a_score_and_a_number_are_a_value_not_a_gene_alias(index: QueryIndex, text: str) -> None:
    written = _written(index, text)
    assert not [k for k in written if k.startswith("gene:")], written


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("乳腺癌 HER2(2+) FISH(-)", ("HER2-low",)),
        ("HER2（1+）", ("HER2-low",)),
        ("胃癌 HER2 +++", ("HER2-positive",)),
        ("HER2 ++", ("HER2-low", "HER2-positive")),  # 2+ without ISH: both, shown as ambiguous
    ],
)
def test_ihc_results_in_brackets_and_plus_signs(index: QueryIndex, text: str, states: tuple[str, ...]) -> None:
    (found,) = [c for c in parse_query(text, index).concepts if c.type == "biomarker"]
    assert set(found.candidates or (found.id,)) == set(states)


def test_a_lone_plus_after_her2_is_no_ihc_score(index: QueryIndex) -> None:
    assert "variant:ERBB2:AMPLIFICATION" in _written(index, "HER2+ 乳腺癌")


def test_a_treatment_word_beside_a_resistance_word_is_no_second_intent(index: QueryIndex) -> None:
    assert parse_query("胃癌 靶向治疗耐药 HER2", index).intents == ("resistance",)
    assert parse_query("HER2 胃癌 治疗", index).intents == ("sensitivity",)
    assert set(parse_query("奥希替尼 耐药 疗效", index).intents) == {"resistance", "sensitivity"}


def test_a_generation_without_its_class_is_settled_by_the_querys_genes(index: QueryIndex) -> None:
    assert "drug_class:egfr-tki-gen1" in _written(index, "EGFR L858R 一代TKI")
    assert "drug_class:bcr-abl-tki-gen2" in _written(index, "BCR-ABL 2代TKI")
    (alone,) = parse_query("三代TKI", index).concepts
    assert alone.match == "ambiguous" and "egfr-tki-gen3" in alone.candidates and len(alone.candidates) > 1


@pytest.mark.parametrize("text", ["MGMT启动子甲基化", "MGMT promoter methylation", "MGMT 甲基化"])
def test_methylation_is_an_event(index: QueryIndex, text: str) -> None:
    assert "variant:MGMT:METHYLATION" in _written(index, text)
