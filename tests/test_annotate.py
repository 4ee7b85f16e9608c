"""Batch variant annotation (kb.annotate) and the level crosswalk (kb.crosswalk) on the full store of both
backends: CIViC, the vocabularies and the catalogue as ingested."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kb.annotate import Annotation, AnnotationQuery
from kb.domain import EvidenceLevel
from kb.genomic import parse_change
from kb.kinds import Refresh
from kb.ordering import Relation
from kb.services import Services, build_services
from kb.settings import Settings
from kb.store.base import Backend
from tests.backends import BACKENDS, es_url, full_store

__all__ = ["es_url", "full_store"]

THERAPY = ("LEVEL_1", "LEVEL_2", "LEVEL_3A", "LEVEL_3B", "LEVEL_4", "LEVEL_R1", "LEVEL_R2")


@pytest.fixture(scope="module", params=BACKENDS)
def services(
    request: pytest.FixtureRequest, full_store: Callable[[str], tuple[Settings, Backend]]
) -> Iterator[Services]:
    settings, store = full_store(request.param)
    yield build_services(settings, embed=False, store=store)


def one(services: Services, **fields: str) -> Annotation:
    return services.annotator().one(AnnotationQuery(**fields))


def reasons(a: Annotation) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in a.problems]


def test_one_and_three_letter_protein_changes_are_one_variant(services: Services) -> None:
    short, long = (
        one(services, gene="EGFR", alteration="L858R", tumor="LUAD"),
        one(services, gene="EGFR", alteration="p.Leu858Arg", tumor="LUAD"),
    )
    assert short.variant is not None and short.variant.id == "EGFR:L858R"
    assert long.variant is not None and long.variant.id == short.variant.id and long.variant_exist and not long.problems
    assert [s.statement.key for s in long.statements] == [s.statement.key for s in short.statements]


def test_only_evidence_about_the_variant_answers_it(services: Services) -> None:
    a = one(services, gene="EGFR", alteration="T790M", tumor="NSCLC")
    assert a.variant_exist and a.statements
    assert all("T790M" in s.statement.alteration.id or "T790" in s.statement.alteration.label for s in a.statements)
    drugs = {d for s in a.statements if s.mapped and s.mapped.kind == "resistance" for d in s.statement.drugs}
    assert "erlotinib" in drugs or "gefitinib" in drugs  # first-generation TKIs: T790M is their resistance
    hr = a.highest("resistance")
    assert hr is not None and hr.code in ("LEVEL_R1", "LEVEL_R2")


def test_a_fusion_is_annotated_on_the_gene_its_evidence_is_filed_under_however_it_is_written(
    services: Services,
) -> None:
    forms = [
        one(services, alteration="EML4-ALK", tumor="NSCLC"),
        one(services, alteration="EML4::ALK", tumor="NSCLC"),
        one(services, gene="EML4", alteration="EML4-ALK", tumor="NSCLC"),
        one(services, gene="ALK", alteration="EML4/ALK fusion", tumor="NSCLC"),
    ]
    assert {a.gene for a in forms} == {"ALK"}
    assert {a.variant.id for a in forms if a.variant} == {"ALK:EML4-ALK"}
    assert all(a.variant_exist and not a.problems for a in forms)
    sensitive = forms[0].highest("sensitive")
    assert sensitive is not None and sensitive.code in THERAPY[:5]
    # ALK fusion rows answer a named ALK fusion
    assert any(s.statement.alteration.id == "ALK:FUSION" for s in forms[0].statements)


def test_copy_number_words_and_entrez_ids(services: Services) -> None:
    amp = one(services, gene="2064", alteration="AMPLIFICATION", tumor="BRCA")  # ERBB2's Entrez id
    assert amp.gene == "ERBB2" and amp.variant is not None and amp.variant.id == "ERBB2:AMPLIFICATION"
    assert amp.variant_exist and amp.highest("sensitive") is not None
    assert (
        one(services, gene="ERBB2", alteration="Deletion").variant
        == one(services, gene="ERBB2", alteration="LOSS").variant
    )
    gain = one(services, gene="ERBB2", alteration="Gain", tumor="BRCA")  # a shallow gain is no amplification
    assert gain.variant is not None and gain.variant.id == "ERBB2:GAIN" and not gain.problems
    assert not gain.variant_exist and not gain.statements


def test_tumors_by_code_english_or_chinese_name_and_unknown_ones(services: Services) -> None:
    by_code = one(services, gene="EGFR", alteration="L858R", tumor="luad")
    by_name = one(services, gene="EGFR", alteration="L858R", tumor="Lung Adenocarcinoma")
    by_zh = one(services, gene="EGFR", alteration="L858R", tumor="肺腺癌")
    assert by_code.tumor == by_name.tumor == by_zh.tumor == "LUAD"
    unknown = one(services, gene="EGFR", alteration="L858R", tumor="NOTACODE")
    assert unknown.tumor is None and reasons(unknown) == [("tumor", "unknown_tumor")]
    assert unknown.statements and {s.statement.relation for s in unknown.statements} == {Relation.ANY}


def test_each_bad_item_says_why_and_the_batch_goes_on(services: Services) -> None:
    batch = [
        AnnotationQuery(id="a", gene="NOTAGENE1", alteration="V600E"),
        AnnotationQuery(id="b", gene="EGFR", alteration=""),
        AnnotationQuery(id="c", gene="EGFR", alteration="not a variant at all"),
        AnnotationQuery(id="d", gene="", alteration="V600E"),
        AnnotationQuery(id="e", genomic=",,,,"),
        AnnotationQuery(id="f", gene="BRAF", alteration="V600E", tumor="MEL", reference_genome="hg99"),
        AnnotationQuery(id="g", gene="BRAF", alteration="V600E", tumor="MEL"),
    ]
    out = services.annotator().annotate(batch)
    assert [a.query.id for a in out] == list("abcdefg")
    assert [reasons(a) for a in out] == [
        [("gene", "unknown_gene")],
        [("alteration", "missing_alteration")],
        [("alteration", "unreadable_alteration")],
        [("gene", "missing_gene")],
        [("genomic", "unreadable_genomic_change")],
        [("reference_genome", "unknown_reference_genome")],
        [],
    ]
    assert [a.gene_exist for a in out] == [False, True, True, False, False, True, True]
    assert not any(a.variant_exist or a.statements or a.tests for a in out[:5])
    assert out[6].variant_exist and out[6].tests  # a good item beside bad ones is answered in full


def test_genomic_changes_map_by_civic_grch37_coordinates(services: Services) -> None:
    for change in ("7,140453136,140453136,A,T", "7:g.140453136A>T", "chr7:g.140453136A>T"):
        a = one(services, genomic=change, tumor="MEL")
        assert a.gene == "BRAF" and a.variant is not None and a.variant.id == "BRAF:V600E", change
        assert a.genomic is not None and a.variant_exist
    elsewhere = one(services, genomic="7,140453137,140453137,C,G", tumor="MEL")
    assert not elsewhere.variant_exist and reasons(elsewhere) == [("genomic", "unknown_genomic_change")]
    grch38 = one(services, genomic="7,140753336,140753336,A,T", reference_genome="GRCh38")
    assert not grch38.variant_exist and grch38.problems[0].message.endswith("GRCh37 only")
    assert parse_change("7,1,1,-,T") == ("7", 1, 1, "", "T") and parse_change("7,a,1,A,T") is None


def test_a_biomarker_alteration(services: Services) -> None:
    a = one(services, alteration="MSI-H", tumor="COADREAD")
    assert a.biomarker == "MSI-H" and a.variant_exist and not a.problems
    assert any("pembrolizumab" in s.statement.drugs for s in a.statements)
    assert any("MSI-H" in t.matched_biomarkers for t in a.tests)


def test_mapped_levels_keep_to_the_crosswalk(services: Services) -> None:
    """Over a batch of real answers: the rules of kb.crosswalk hold for every statement."""
    batch = [
        AnnotationQuery(gene=g, alteration=v, tumor=t)
        for g, v in (("EGFR", "L858R"), ("BRAF", "V600E"), ("KRAS", "G12D"), ("ERBB2", "Amplification"))
        for t in ("NSCLC", "MEL", "COADREAD", "")
    ]
    seen = 0
    for a in services.annotator().annotate(batch):
        for s in a.statements:
            st, mapped = s.statement, s.mapped
            seen += 1
            if st.direction not in ("supports", "mixed") or st.best_level is EvidenceLevel.E:
                assert mapped is None, st.key
            if mapped is None:
                continue
            assert mapped.level is st.best_level
            if st.relation is Relation.OTHER:
                assert mapped.code in ("LEVEL_3B", "LEVEL_4", "LEVEL_R2"), (st.key, mapped)
            if mapped.code == "LEVEL_1":
                assert any(x.regulatory_approval for x in st.assertions), st.key
            if mapped.code.startswith(("LEVEL_Dx", "LEVEL_Px")):
                assert st.relation is not Relation.OTHER
    assert seen > 50


def test_statements_come_therapy_first_and_the_asked_tumor_first(services: Services) -> None:
    a = one(services, gene="BRAF", alteration="V600E", tumor="COADREAD")
    therapy = [s for s in a.statements if s.statement.evidence_type.value == "predictive"]
    assert a.statements[: len(therapy)] == therapy
    relations = [s.statement.relation is Relation.OTHER for s in therapy]
    assert relations == sorted(relations)  # the asked tumor and its family before other tumors


def test_each_genes_evidence_is_read_once_across_batches_until_published_changes_refresh(services: Services) -> None:
    first = services.annotator()
    first.annotate([AnnotationQuery(gene="EGFR", alteration=v, tumor="NSCLC") for v in ("L858R", "T790M", "G719S")])
    assert "EGFR" in first.genes._evidence and "EGFR" in first.genes._groups
    assert services.annotator().genes is first.genes  # the next batch reads nothing again
    services.refresh(Refresh.CATALOGUE)
    assert services.annotator().genes is not first.genes
