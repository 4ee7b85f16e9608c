"""What changed, in words: the sentences of "new for you" items, from small authored vocabularies and the
shipped significance words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from kb.codec import to_dict
from kb.domain import Alteration, AlterationKind, Drug, TumorType
from kb.editorial.changes_text import describe_article, describe_evidence
from kb.vocab import DrugVocabulary, TumorVocabulary, Vocabularies
from kb.vocab.genes import GeneVocabulary
from tests.records import article, evidence


@pytest.fixture(scope="module")
def vocab() -> Vocabularies:
    return Vocabularies(
        genes=GeneVocabulary.build([]),
        tumors=TumorVocabulary.build([TumorType("NSCLC", "Non-Small Cell Lung Cancer", name_zh="非小细胞肺癌")]),
        drugs=DrugVocabulary.build(
            [Drug("osimertinib", "Osimertinib", "奥希替尼"), Drug("trametinib", "Trametinib", "曲美替尼")]
        ),
    )


def _record(**changes: Any) -> dict[str, Any]:
    return {**to_dict(evidence(1)), **changes}


def test_accepted_evidence_reads_gene_variant_drug_in_chinese_significance_and_level(vocab: Vocabularies) -> None:
    alt = to_dict(Alteration("EGFR", AlterationKind.PROTEIN_CHANGE, "C797S"))
    text = describe_evidence(_record(alteration=alt, drugs=["osimertinib"], significance="resistance"), vocab)
    assert text.zh == "新增证据：EGFR C797S 对奥希替尼耐药（非小细胞肺癌，B级）"
    assert text.en == "New evidence: EGFR C797S, resistance to osimertinib (Non-Small Cell Lung Cancer, level B)"


def test_an_updated_entry_a_combination_and_an_unknown_drug_keep_their_words(vocab: Vocabularies) -> None:
    record = _record(drugs=["osimertinib", "trametinib"], drug_interaction="combination", significance="sensitivity")
    assert describe_evidence(record, vocab, updated=True).zh == (
        "证据更新：EGFR T790M 对奥希替尼+曲美替尼敏感（非小细胞肺癌，B级）"
    )
    unknown = describe_evidence(_record(drugs=["newdrugumab"], tumor_code="XYZ", disease="Odd Tumor"), vocab)
    assert unknown.zh == "新增证据：EGFR T790M 对newdrugumab耐药（Odd Tumor，B级）"


def test_evidence_without_a_drug_says_the_significance_of_the_variant(vocab: Vocabularies) -> None:
    label = {**to_dict(Alteration("EGFR", AlterationKind.PROTEIN_CHANGE, "EXON19DEL")), "label": "Exon 19 deletion",
             "label_zh": "19号外显子缺失"}  # fmt: skip
    text = describe_evidence(_record(alteration=label, drugs=[], significance="poor_outcome", level="C"), vocab)
    assert text.zh == "新增证据：EGFR 19号外显子缺失：预后较差（非小细胞肺癌，C级）"
    assert text.en == "New evidence: EGFR Exon 19 deletion: poor outcome (Non-Small Cell Lung Cancer, level C)"


def test_a_new_article_reads_its_title_pmid_and_the_day_the_library_took_it_in() -> None:
    taken = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    text = describe_article(replace(article(12345, "Osimertinib after C797S."), first_ingested=taken))
    assert text.zh == "新文献：Osimertinib after C797S（PMID 12345，收录于 2026-11-02）"
    assert text.en == "New article: Osimertinib after C797S (PMID 12345, in the library since 2026-11-02)"
    assert describe_article(article(7, "Untimed")).zh == "新文献：Untimed（PMID 7）"
