"""The concept tagger: ids, precision rules, variants, and the batch path.

Rule tests use a small hand-built vocabulary (fast, and each rule is visible);
the headline behaviour is checked on the full vocabularies built from the shared data.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import spacy

from ingest.vocabularies import load_vocabularies
from kb.domain import Drug, Gene, TumorType
from kb.tagging import ConceptTagger, Label, Mention, WordTokenizer, build_tagger, concept_terms
from kb.vocab import DrugVocabulary, GeneVocabulary, TumorVocabulary, Vocabularies


def _gene(symbol: str, *, aliases: tuple[str, ...] = (), previous: tuple[str, ...] = (), zh: str = "") -> Gene:
    return Gene(symbol=symbol, hgnc_id=f"HGNC:{symbol}", previous_symbols=previous, aliases=aliases, name_zh=zh)


def small_vocabularies() -> Vocabularies:
    genes = [
        _gene("EGFR", aliases=("ERBB", "HER1"), zh="表皮生长因子受体"),
        _gene("ERBB2", zh="人表皮生长因子受体2"),
        _gene("BRAF", zh="BRAF"),
        _gene("KRAS", zh="KRAS"),
        _gene("ALK", zh="ALK"),
        _gene("EML4", zh="EML4"),
        _gene("FLT3", zh="FLT3"),
        _gene("PTEN", zh="PTEN"),
        _gene("MET", zh="MET"),
        _gene("TP53", aliases=("p53",), zh="TP53"),
        _gene("BCL2"),
        _gene("ROS1", aliases=("ROS",), zh="ROS1"),
        _gene("SET"),
        _gene("IMPACT"),
        _gene("NUP214", previous=("CAN",)),
        _gene("DCR"),
        _gene("VTN"),
        _gene("SQSTM1", aliases=("p62",)),
        _gene("DOK1", aliases=("p62",)),
        _gene("PCSK9", aliases=("PC9",)),
        _gene("MIR21"),
        _gene("SNAI1", aliases=("Snail", "SNAH")),
        _gene("GLEEV", aliases=("GLEEVEC",)),
    ]
    tumors = [
        TumorType("LUNG", "Lung", level=1, synonyms=("lung cancer",)),
        TumorType("NSCLC", "Non-Small Cell Lung Cancer", parent="LUNG", level=2, synonyms=("NSCLC",)),
        TumorType("MEL", "Melanoma", parent="SKIN", level=2),
        TumorType("AML", "Acute Myeloid Leukemia", parent="MYELOID", level=2, synonyms=("AML",)),
    ]
    drugs = [
        Drug("osimertinib", "Osimertinib", synonyms=("AZD9291",), brands=("Tagrisso",)),
        Drug("imatinib", "Imatinib", brands=("Gleevec",)),
        Drug("tyrosine kinase inhibitor", "Tyrosine Kinase Inhibitor"),
        Drug("dabrafenib + trametinib", "Dabrafenib + Trametinib", members=("dabrafenib", "trametinib")),
    ]
    return Vocabularies(GeneVocabulary.build(genes), TumorVocabulary.build(tumors), DrugVocabulary.build(drugs))


@pytest.fixture(scope="module")
def small() -> ConceptTagger:
    return build_tagger(small_vocabularies())


@pytest.fixture(scope="session")
def full_tagger(data_dir: Path) -> ConceptTagger:
    """The tagger over the full vocabularies (44k genes); built once, about 5 s."""
    return build_tagger(load_vocabularies(data_dir))


def spans(mentions: list[Mention], label: Label | None = None) -> list[tuple[str, str]]:
    return [(m.text, m.concept_id) for m in mentions if label is None or m.label is label]


# --- headline behaviour on the full vocabularies -------------------------------------------------


@pytest.mark.slow
def test_tags_egfr_t790m_osimertinib_and_nsclc_with_concept_ids(full_tagger: ConceptTagger) -> None:
    text = "Osimertinib overcomes the EGFR T790M mutation in NSCLC."
    mentions = full_tagger.tag(text)
    assert spans(mentions) == [
        ("Osimertinib", "drug:osimertinib"),
        ("EGFR", "gene:EGFR"),
        ("T790M mutation", "variant:EGFR:T790M"),
        ("NSCLC", "tumor:NSCLC"),
    ]
    first = mentions[0]
    assert (first.start_char, first.end_char, first.label) == (0, 11, Label.DRUG)
    assert all(text[m.start_char : m.end_char] == m.text for m in mentions)


@pytest.mark.slow
def test_english_words_in_prose_are_not_genes(full_tagger: ConceptTagger) -> None:
    text = "We can set out the impact of all treatments, and Set up a trial. Can it help?"
    assert spans(full_tagger.tag(text), Label.GENE) == []


@pytest.mark.slow
def test_full_vocabulary_reads_usual_gene_spellings(full_tagger: ConceptTagger) -> None:
    text = "Bcl-2, p53, HER2/neu, c-Met, PD-L1 and miR-21-5p were measured."
    assert spans(full_tagger.tag(text), Label.GENE) == [
        ("Bcl-2", "gene:BCL2"),
        ("p53", "gene:TP53"),
        ("HER2", "gene:ERBB2"),
        ("c-Met", "gene:MET"),
        ("PD-L1", "gene:CD274"),
        ("miR-21-5p", "gene:MIR21"),
    ]


@pytest.mark.slow
def test_tag_many_equals_tag(full_tagger: ConceptTagger) -> None:
    texts = [
        "BRAF V600E melanoma responds to dabrafenib.",
        "",
        "ALK rearrangement\nin lung adenocarcinoma treated with crizotinib.",
        "The disease control rate (DCR) was 60%.",
    ]
    assert list(full_tagger.tag_many(texts, batch_size=2)) == [full_tagger.tag(t) for t in texts]


@pytest.mark.slow
def test_concepts_are_sorted_and_unique(full_tagger: ConceptTagger) -> None:
    text = "KRAS G12C in NSCLC; sotorasib targets KRAS G12C. KRAS mutations are common."
    concepts = full_tagger.concepts(text)
    assert concepts == tuple(sorted(set(concepts)))
    assert {"gene:KRAS", "variant:KRAS:G12C", "variant:KRAS:MUTATION", "tumor:NSCLC"} <= set(concepts)


# --- precision rules (small vocabulary) ---------------------------------------------------------


def test_gene_symbols_match_case_sensitively(small: ConceptTagger) -> None:
    assert spans(small.tag("We set the met criteria."), Label.GENE) == []
    assert spans(small.tag("MET and EGFR bind."), Label.GENE) == [("MET", "gene:MET"), ("EGFR", "gene:EGFR")]


def test_forms_with_a_digit_match_in_any_case(small: ConceptTagger) -> None:
    assert spans(small.tag("Bcl-2, P53 and BCL2."), Label.GENE) == [
        ("Bcl-2", "gene:BCL2"),
        ("P53", "gene:TP53"),
        ("BCL2", "gene:BCL2"),
    ]


def test_stoplisted_symbols_and_english_like_aliases_are_not_terms() -> None:
    forms = {t.form for t in concept_terms(small_vocabularies()) if t.label is Label.GENE}
    assert {"IMPACT", "SET", "Snail", "ROS", "CAN", "GLEEVEC"}.isdisjoint(forms)  # rules 5, 5, 3, 3, 3, 4
    assert {"MET", "c-MET", "c-Met", "SNAH", "ROS1", "p53", "BCL-2", "miR-21", "HER1"} <= forms


def test_ambiguous_alias_is_skipped_without_context(small: ConceptTagger) -> None:
    assert spans(small.tag("p62 accumulates in autophagy-deficient cells."), Label.GENE) == []


def test_ambiguous_alias_takes_the_candidate_named_in_the_text(small: ConceptTagger) -> None:
    assert spans(small.tag("SQSTM1 (p62) accumulates; p62 rises."), Label.GENE) == [
        ("SQSTM1", "gene:SQSTM1"),
        ("p62", "gene:SQSTM1"),
        ("p62", "gene:SQSTM1"),
    ]


def test_abbreviation_defined_as_something_else_is_not_a_gene(small: ConceptTagger) -> None:
    assert spans(small.tag("The disease control rate (DCR) was 60%. DCR rose."), Label.GENE) == []
    assert spans(small.tag("Serum vitronectin (VTN) rose."), Label.GENE) == [("VTN", "gene:VTN")]


def test_capitals_in_a_shouted_title_are_not_genes(small: ConceptTagger) -> None:
    assert spans(small.tag("THE IMPACT OF SET AND MET ON SURVIVAL"), Label.GENE) == []


def test_alias_naming_a_cell_line_is_not_a_gene(small: ConceptTagger) -> None:
    assert spans(small.tag("PC9 cells were treated."), Label.GENE) == []


def test_gene_span_takes_a_following_gene_noun(small: ConceptTagger) -> None:
    assert spans(small.tag("the BRAF gene"), Label.GENE) == [("BRAF gene", "gene:BRAF")]


def test_unicode_hyphens_are_read_as_hyphens_and_reported_as_written(small: ConceptTagger) -> None:
    assert spans(small.tag("Bcl\u20112 rose."), Label.GENE) == [("Bcl\u20112", "gene:BCL2")]


# --- variants -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BRAF V600E mutation", [("V600E mutation", "variant:BRAF:V600E")]),
        ("BRAF(V600E)", [("V600E", "variant:BRAF:V600E")]),
        ("EGFR p.Thr790Met", [("p.Thr790Met", "variant:EGFR:T790M")]),
        ("EGFR exon 19 deletion", [("exon 19 deletion", "variant:EGFR:EXON19DEL")]),
        ("EGFR deletions in exon 19", [("deletions in exon 19", "variant:EGFR:EXON19DEL")]),
        ("EGFR ex20ins", [("ex20ins", "variant:EGFR:EXON20INS")]),
        ("EML4-ALK fusion", [("EML4-ALK fusion", "variant:ALK:EML4-ALK")]),
        ("FLT3-ITD", [("ITD", "variant:FLT3:ITD")]),
        ("loss of PTEN", [("loss", "variant:PTEN:LOSS")]),
        ("KRAS mutations", [("mutations", "variant:KRAS:MUTATION")]),
        ("mutant KRAS", [("mutant", "variant:KRAS:MUTATION")]),
        ("ERBB2 amplification", [("amplification", "variant:ERBB2:AMPLIFICATION")]),
        ("The T790M mutation emerged.", [("T790M mutation", "variant:T790M")]),
        ("BRAF V600E mutants", [("V600E mutants", "variant:BRAF:V600E")]),
        ("PTEN losses", [("losses", "variant:PTEN:LOSS")]),
        ("EGFR exon 19 mut", [("exon 19 mut", "variant:EGFR:EXON19MUT")]),
        ("EGFR exon 20 duplications", [("exon 20 duplications", "variant:EGFR:EXON20DUP")]),
        ("KRAS wild\ntype", [("wild\ntype", "variant:KRAS:WILDTYPE")]),
    ],
)
def test_variants_get_gene_qualified_ids(small: ConceptTagger, text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(small.tag(text), Label.VARIANT) == expected


def test_variant_takes_the_gene_of_its_sentence(small: ConceptTagger) -> None:
    text = "KRAS G12C is common. BRAF is also mutated; V600E dominates."
    assert spans(small.tag(text), Label.VARIANT)[0] == ("G12C", "variant:KRAS:G12C")
    assert ("V600E", "variant:BRAF:V600E") in spans(small.tag(text), Label.VARIANT)


def test_pathways_and_cell_lines_are_not_variants(small: ConceptTagger) -> None:
    assert spans(small.tag("The KRAS-BRAF-MET pathway and EGFR-MET signaling."), Label.VARIANT) == []
    assert spans(small.tag("EGFR-MET Signaling In Lung Cancer"), Label.VARIANT) == []
    assert spans(small.tag("T47D cells grew."), Label.VARIANT) == []


# --- tumors and drugs ---------------------------------------------------------------------------


def test_tumor_names_are_tagged_in_british_spelling() -> None:
    vocab = small_vocabularies()
    gist = TumorType("GIST", "GIST", parent="SOFT_TISSUE", level=2, synonyms=("gastrointestinal stromal tumor",))
    vocab = replace(vocab, tumors=TumorVocabulary.build([*vocab.tumors.nodes.values(), gist]))
    text = "Gastrointestinal stromal tumours and oesophageal cancer."
    assert spans(build_tagger(vocab).tag(text), Label.TUMOR) == [("Gastrointestinal stromal tumours", "tumor:GIST")]


def test_tumor_names_plurals_and_abbreviations(small: ConceptTagger) -> None:
    text = "Non-small cell lung cancers and NSCLC; melanomas; lung cancer; nsclc."
    assert spans(small.tag(text), Label.TUMOR) == [
        ("Non-small cell lung cancers", "tumor:NSCLC"),
        ("NSCLC", "tumor:NSCLC"),
        ("melanomas", "tumor:MEL"),
        ("lung cancer", "tumor:LUNG"),
    ]


def test_drug_inns_codes_and_brands(small: ConceptTagger) -> None:
    text = "AZD9291 (Tagrisso, osimertinib) after Gleevec."
    assert spans(small.tag(text), Label.DRUG) == [
        ("AZD9291", "drug:osimertinib"),
        ("Tagrisso", "drug:osimertinib"),
        ("osimertinib", "drug:osimertinib"),
        ("Gleevec", "drug:imatinib"),
    ]


def test_abbreviation_defined_for_a_drug_is_tagged_as_that_drug(small: ConceptTagger) -> None:
    text = "Tyrosine kinase inhibitors (TKIs) help; TKI resistance follows."
    assert spans(small.tag(text), Label.DRUG) == [
        ("Tyrosine kinase inhibitors", "drug:tyrosine kinase inhibitor"),
        ("TKIs", "drug:tyrosine kinase inhibitor"),
        ("TKI", "drug:tyrosine kinase inhibitor"),
    ]


def test_chinese_text_does_not_hide_english_symbols(small: ConceptTagger) -> None:
    assert spans(small.tag("EGFR突变的肺癌"), Label.GENE) == [("EGFR", "gene:EGFR")]


# --- the tokenizer ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "  a", "a\nb", "a  b", "a \n b ", "BRAF(V600E) x\t\ty", "é β-catenin_x"])
def test_word_tokenizer_keeps_the_text(text: str) -> None:
    doc = WordTokenizer(spacy.blank("en").vocab)(text)
    assert doc.text == text


def test_word_tokenizer_splits_punctuation_and_cjk() -> None:
    doc = WordTokenizer(spacy.blank("en").vocab)("EML4-ALK(V600E)肺癌")
    assert [t.text for t in doc] == ["EML4", "-", "ALK", "(", "V600E", ")", "肺", "癌"]
