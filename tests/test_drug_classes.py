"""Drug classes (``drug_classes.tsv``) and curated drug targets (``drug_targets.tsv``).

The tables are checked against the real vocabularies (the ``vocab_store`` session fixture, built from the
shared data by the ingest jobs, so the drugs carry the curated targets); queries are generated from the
tables, so every class is tested, not a list of examples.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from ingest.drugs import merge_drugs
from kb.query import ParsedQuery, QueryIndex, build_query_index, parse_query
from kb.query.forms import ReadingType, class_forms
from kb.store import SQLiteStore
from kb.text import is_cjk
from kb.vocab import Vocabularies, vocabularies_from_store
from kb.vocab.classes import CLASS_FORMS, GENERATION_WORDS, DrugClass, load_drug_classes
from kb.vocab.drugs import load_drug_targets

CLASSES = load_drug_classes()
WITH_GENERATIONS = [c for c in CLASSES if c.generation]


@pytest.fixture(scope="module")
def vocab(vocab_store: SQLiteStore) -> Vocabularies:
    return vocabularies_from_store(vocab_store)


@pytest.fixture(scope="module")
def index(vocab: Vocabularies, vocab_store: SQLiteStore) -> QueryIndex:
    return build_query_index(vocab, vocab_store.iter_evidence())


def the_class(parsed: ParsedQuery) -> str:
    (found,) = [c for c in parsed.concepts if c.type == "drug_class"]
    return found.id


def implied(parsed: ParsedQuery, type: str, by: str) -> list[str]:
    return [c.id for c in parsed.concepts if c.type == type and c.implied and c.implied_by == f"drug_class:{by}"]


# --- the tables ----------------------------------------------------------------------------------


def test_every_class_member_is_a_drug_and_every_target_a_gene(vocab: Vocabularies) -> None:
    for drug_class in CLASSES:
        assert drug_class.members, drug_class.id
        assert [m for m in drug_class.members if m not in vocab.drugs] == [], drug_class.id
        assert [g for g in drug_class.targets if g not in vocab.genes.genes] == [], drug_class.id
        assert drug_class.source, drug_class.id


def test_every_curated_target_names_a_drug_and_genes_with_a_label_source(vocab: Vocabularies) -> None:
    table = load_drug_targets()
    assert len(table) >= 19
    for inn, row in table.items():
        assert inn in vocab.drugs, inn
        assert all(g in vocab.genes.genes for g in row.targets), inn
        assert "label" in row.source, inn


def test_no_two_classes_share_a_written_form() -> None:
    """Except a generation written without its class (三代TKI): one reading listing every class with that
    generation, left for the query's genes to settle."""
    owners: dict[str, set[str]] = defaultdict(set)
    shared: dict[str, set[str]] = {}
    for key, reading in class_forms(CLASSES):
        if len(reading.ids) > 1:
            shared[key] = set(reading.ids)
        else:
            owners[key].update(reading.ids)
    assert {key: ids for key, ids in owners.items() if len(ids) > 1} == {}
    assert shared and not set(shared) & set(owners)
    for key, ids in shared.items():
        assert all(by_generation.generation for by_generation in CLASSES if by_generation.id in ids), key


def test_a_generation_holds_only_its_members_and_the_class_holds_them_all() -> None:
    by_id = {c.id: c for c in CLASSES}
    for generation in WITH_GENERATIONS:
        parent = by_id[generation.parent]
        assert set(generation.members) <= set(parent.members)
        others = [g for g in WITH_GENERATIONS if g.parent == parent.id and g is not generation]
        assert not any(set(generation.members) & set(o.members) for o in others), generation.id


def test_the_classes_agree_with_the_curated_targets(vocab: Vocabularies) -> None:
    """A member with curated targets shares one with its class (an anti-PD-1 antibody targets PDCD1)."""
    for drug_class in CLASSES:
        for inn in drug_class.members:
            drug = vocab.drugs.drugs[inn]
            if drug.targets and drug_class.targets:
                assert set(drug.targets) & set(drug_class.targets), (drug_class.id, inn)


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("x\t\tX\tX\t\tsmall\ta\t\ts\n", "unknown form"),
        ("x\t2\t\t\t\t\ta\t\ts\n", "must follow its class"),
        ("x\t\tX\tX\t\t\ty\t\ts\ny\t\tY\tY\t\t\tx\t\ts\n", "contains itself"),
    ],
)
def test_a_broken_class_table_is_refused(tmp_path: Path, rows: str, problem: str) -> None:
    path = tmp_path / "classes.tsv"
    path.write_text("class\tgeneration\tnames_en\tnames_zh\tstems\tforms\tmembers\ttargets\tsource\n" + rows)
    with pytest.raises(ValueError, match=problem):
        load_drug_classes(path)


# --- classes in queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("drug_class", [c for c in CLASSES if not c.generation], ids=lambda c: c.id)
def test_each_class_name_reads_as_the_class_with_its_members_and_targets(
    index: QueryIndex, drug_class: DrugClass
) -> None:
    known = index.drug_classes[drug_class.id]
    for name in (drug_class.names_en[0], drug_class.names_zh[0]):
        parsed = parse_query(name, index)
        assert the_class(parsed) == drug_class.id, name
        assert set(implied(parsed, "drug", drug_class.id)) == set(known.members)
        assert set(implied(parsed, "gene", drug_class.id)) == set(known.targets)
        assert parsed.unresolved == ()


@pytest.mark.parametrize("drug_class", [c for c in CLASSES if c.stems and not c.generation], ids=lambda c: c.id)
def test_a_stem_with_each_suffix_of_its_forms_reads_as_the_class(index: QueryIndex, drug_class: DrugClass) -> None:
    for stem in drug_class.stems:
        for form in drug_class.forms:
            for suffix in CLASS_FORMS[form]:
                assert the_class(parse_query(f"{stem}{suffix}", index)) == drug_class.id, f"{stem}{suffix}"


@pytest.mark.parametrize("generation", WITH_GENERATIONS, ids=lambda c: c.id)
def test_a_generation_word_keeps_that_generation_only(index: QueryIndex, generation: DrugClass) -> None:
    members = set(index.drug_classes[generation.id].members)
    everyone = set(index.drug_classes[generation.parent].members)
    for word in GENERATION_WORDS[generation.generation]:
        for name in (generation.names_zh[0], generation.names_en[-1]):
            parsed = parse_query(f"{word}{'' if is_cjk(word[-1]) else ' '}{name}", index)  # 三代EGFR-TKI
            assert the_class(parsed) == generation.id, f"{word} {name}"
            assert set(implied(parsed, "drug", generation.id)) == members
            assert not (everyone - members) & set(parsed.drugs)


def test_a_drug_record_named_like_a_class_joins_the_class(index: QueryIndex) -> None:
    """CIViC files some evidence under a class as a whole ("Immune Checkpoint Inhibitor", "PD1 Inhibitor")."""
    joined = 0
    for drug_class in (c for c in CLASSES if not c.generation):
        members = index.drug_classes[drug_class.id].members
        for key in dict(class_forms([drug_class])):
            for drug in index.readings(key):
                if drug.type is ReadingType.DRUG and len(drug.ids) == 1:
                    assert drug.ids[0] in members, (drug_class.id, key)
                    joined += 1
    assert joined >= 5


def test_a_target_word_the_table_has_no_class_for_is_no_class(index: QueryIndex) -> None:
    for text in ("KIT抑制剂", "IDH1 inhibitor", "ESR1单抗"):
        parsed = parse_query(text, index)
        assert not parsed.of_type("drug_class"), text
        assert parsed.genes, text


def test_a_member_written_beside_its_class_is_not_repeated(index: QueryIndex) -> None:
    parsed = parse_query("CDK4/6抑制剂 阿贝西利 乳腺癌", index)
    abemaciclib = [c for c in parsed.concepts if c.type == "drug" and c.id == "abemaciclib"]
    assert len(abemaciclib) == 1 and not abemaciclib[0].implied
    assert parsed.tumors and the_class(parsed) == "cdk4-6-inhibitor"


def test_a_class_and_an_intent_together(index: QueryIndex) -> None:
    parsed = parse_query("二代ALK-TKI 耐药", index)
    assert the_class(parsed) == "alk-inhibitor-gen2" and parsed.intents == ("resistance",)
    assert "ALK" in parsed.genes and parsed.unresolved == ()


# --- curated targets ---------------------------------------------------------------------------------


def test_checkpoint_antibodies_target_their_receptor(index: QueryIndex) -> None:
    classes = {c.id: c for c in CLASSES}
    for ident, receptor in (("pd-1-inhibitor", "PDCD1"), ("pd-l1-inhibitor", "CD274"), ("ctla-4-inhibitor", "CTLA4")):
        for inn in classes[ident].members:
            assert receptor in index.targets(inn), inn
            if ident != "pd-l1-inhibitor":
                assert "CD274" not in index.targets(inn), inn


def test_an_anti_pd1_antibody_in_a_query_implies_pdcd1_not_cd274(index: QueryIndex) -> None:
    for inn in ("nivolumab", "sintilimab"):
        drug = index.vocab.drugs.drugs[inn]
        parsed = parse_query(drug.name_zh, index)
        genes = [c.id for c in parsed.concepts if c.type == "gene" and c.implied_by == f"drug:{inn}"]
        assert genes == ["PDCD1"], inn


def test_ingest_puts_the_curated_targets_on_the_drug() -> None:
    (drug,) = merge_drugs(["Nivolumab"], [], [], targets={"nivolumab": ("PDCD1",)})
    assert drug.targets == ("PDCD1",)
    (plain,) = merge_drugs(["Gefitinib"], [], [])
    assert plain.targets == ()
