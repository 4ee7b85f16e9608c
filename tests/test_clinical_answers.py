"""Clinical answers: the evidence order (kb.ordering) and the clinical statements (kb.summaries), on the
real CIViC 2021 evidence and assertions loaded by the real ingest job (the ``vocab_store`` fixture), through
the real :class:`~kb.search.SearchService` (no embedding model).

The queries are written here from clinical practice; every expectation is checked against the stored
evidence itself (what exists for that gene, variant and tumor), not against remembered answers.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence

import pytest

from ingest.civic import read_assertions
from kb.domain import Evidence, EvidenceDirection, EvidenceType
from kb.ordering import Relation
from kb.query import build_query_index
from kb.ranking import LEVEL_WEIGHT
from kb.search import SearchResult, SearchService
from kb.store import SQLiteStore
from kb.summaries import Statement
from kb.vocab import vocabularies_from_store


@pytest.fixture(scope="module")
def service(vocab_store: SQLiteStore) -> SearchService:
    index = build_query_index(vocabularies_from_store(vocab_store), vocab_store.iter_evidence())
    return SearchService(vocab_store, index)


def everything(service: SearchService, text: str) -> SearchResult:
    """One page holding every statement and item of the answer."""
    return service.search(text, size=1000)


def level(item: Evidence | Statement) -> int:
    value = item.best_level.value if isinstance(item, Statement) else item.level.value
    return LEVEL_WEIGHT[value]


# -- order -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["EGFR L858R 非小细胞肺癌", "NRAS Q61 黑色素瘤", "PIK3CA 乳腺癌", "BRAF V600E 甲状腺癌", "KIT 胃肠间质瘤"],
)
def test_a_therapy_row_of_the_asked_tumor_comes_first_when_there_is_one(service: SearchService, text: str) -> None:
    result = everything(service, text)
    ev = result.evidence
    assert ev, text
    best_match = [e for e in ev if e.gene == ev[0].gene and e.alteration.id == ev[0].alteration.id]
    in_tumor = [e for e in best_match if result.summaries and e.tumor_code in result.targets.tumor_family]
    therapy = [e for e in in_tumor if e.evidence_type is EvidenceType.PREDICTIVE]
    assert therapy, f"{text}: no therapy row in the tumor to compare with"
    first = result.summaries[0]
    assert first.evidence_type is EvidenceType.PREDICTIVE, (text, first.key)
    assert first.relation in (Relation.EXACT, Relation.FAMILY), (text, first.key)


@pytest.mark.parametrize("text", ["EGFR L858R 非小细胞肺癌", "BRAF V600E 结直肠癌", "IDH1 胶质瘤", "KRAS G12C"])
def test_within_one_variant_and_tumor_therapy_precedes_prognosis_and_levels_run_a_to_e(
    service: SearchService, text: str
) -> None:
    """Items of the same alteration and the same tumor relation: predictive first; among the predictive ones
    of one relation, the levels never go back up (A before B before C ...)."""
    result = everything(service, text)
    seen_other: set[tuple[str, str, Relation]] = set()
    last_level: dict[tuple[str, str, Relation], int] = {}
    for st in result.summaries:
        group = (st.alteration.id, st.alteration.label, st.relation)
        if st.evidence_type is EvidenceType.PREDICTIVE:
            assert group not in seen_other, f"{text}: therapy row {st.key} after a non-therapy row of its group"
            if st.direction != "does_not_support" and st.direction != "mixed":
                assert level(st) <= last_level.get(group, 99), f"{text}: {st.key} out of level order"
                last_level[group] = level(st)
        else:
            seen_other.add(group)


def test_supporting_rows_come_before_rows_that_do_not_support_at_the_same_level(service: SearchService) -> None:
    for text in ("EGFR T790M", "BRAF V600E 黑色素瘤", "KRAS 结直肠癌 西妥昔单抗"):
        ev = everything(service, text).evidence
        for before, after in itertools.pairwise(ev):
            same = (
                before.alteration.id == after.alteration.id
                and before.tumor_code == after.tumor_code
                and before.evidence_type is after.evidence_type
                and before.level is after.level
                and before.significance == after.significance
            )
            if same:
                assert not (
                    before.direction is EvidenceDirection.DOES_NOT_SUPPORT
                    and after.direction is EvidenceDirection.SUPPORTS
                ), f"{text}: {before.id} (does not support) before {after.id}"


def test_a_resistance_question_shows_resistance_first_then_the_targets_resistance_variants(
    service: SearchService,
) -> None:
    result = everything(service, "奥希替尼 耐药")
    ev = result.evidence
    resistant = [e.significance in ("resistance", "reduced_sensitivity") for e in ev]
    with_drug = ["osimertinib" in e.drugs for e in ev]
    # the drug's own resistance rows lead
    n = with_drug.index(True)
    assert n == 0 and resistant[0]
    drug_rows = [r for r, d in zip(resistant, with_drug, strict=True) if d]
    assert drug_rows == sorted(drug_rows, reverse=True), "a sensitivity row of the drug before a resistance row"
    # then rows of its target gene without the drug: its acquired-resistance variants before the rest
    target_rows = [(r, e) for r, d, e in zip(resistant, with_drug, ev, strict=True) if not d and e.gene == "EGFR"]
    assert target_rows and target_rows[0][0], "the target gene's resistance variants should come first"
    flags = [r for r, _ in target_rows]
    assert flags == sorted(flags, reverse=True)


# -- statements --------------------------------------------------------------------------------------
def _same_statement(items: Sequence[Evidence]) -> bool:
    def fields(i: Evidence) -> tuple[object, ...]:
        where = i.tumor_code or i.disease
        return (i.alteration.id, i.alteration.label, where, tuple(sorted(i.drugs)), i.evidence_type, i.significance)

    return len({fields(i) for i in items}) == 1


@pytest.mark.parametrize("text", ["EGFR L858R 吉非替尼", "ERBB2 扩增 乳腺癌", "BRAF V600E"])
def test_statements_roll_up_every_item_once_with_their_level_agreement_and_pmids(
    service: SearchService, text: str
) -> None:
    result = everything(service, text)
    assert result.total_summaries == len(result.summaries) < result.total_evidence
    rolled = [i.id for st in result.summaries for i in st.items]
    assert sorted(rolled) == sorted(e.id for e in result.evidence)
    assert any(len(st.items) > 1 for st in result.summaries), "nothing was rolled up"
    for st in result.summaries:
        assert _same_statement(st.items), st.key
        supporting = [i for i in st.items if i.direction is EvidenceDirection.SUPPORTS] or list(st.items)
        assert level(st) == max(level(i) for i in supporting)
        assert set(st.pmids) == {c.pmid for i in st.items for c in i.citations if c.pmid}
        directions = {i.direction for i in st.items} - {EvidenceDirection.NA}
        assert st.agree == (len(directions) <= 1)
        reviews = [i.last_review for i in st.items if i.last_review]
        assert st.last_review == (max(reviews) if reviews else None)
    # statements keep the order of their best-ranked item
    firsts = [result.evidence.index(st.items[0]) for st in result.summaries]
    assert firsts == sorted(firsts)


def test_the_rows_of_one_association_are_one_statement(service: SearchService) -> None:
    result = everything(service, "EGFR L858R 非小细胞肺癌 吉非替尼")
    one = [
        st
        for st in result.summaries
        if (st.alteration.id, st.tumor_code, st.drugs, st.significance)
        == ("EGFR:L858R", "NSCLC", ("gefitinib",), "sensitivity")
    ]
    assert len(one) == 1 and len(one[0].items) >= 3
    assert "gefitinib" in result.summaries[0].drugs and result.summaries[0].alteration.gene == "EGFR"


def test_civic_assertions_are_attached_to_the_statements_they_cover(
    service: SearchService, vocab_store: SQLiteStore
) -> None:
    cited = vocab_store.get_evidence_many(["civic:EID528", "civic:EID1122"])
    assert {a.id for e in cited.values() for a in e.assertions} == {"civic:AID2"}
    result = everything(service, "HER2扩增 乳腺癌 曲妥珠单抗")
    covered = [st for st in result.summaries if any(a.id == "civic:AID2" for a in st.assertions)]
    assert covered, "the trastuzumab statement carries CIViC assertion 2"
    aid2 = next(a for a in covered[0].assertions if a.id == "civic:AID2")
    assert aid2.amp_category == "Tier I - Level A"
    assert aid2.nccn_guideline == "Breast Cancer" and aid2.regulatory_approval is True
    assert covered[0].drugs == ("trastuzumab",) and covered[0].significance == "sensitivity"
    # an item no assertion cites carries none
    assert all(not i.assertions for st in result.summaries if st not in covered for i in st.items)


def test_an_assertion_flag_that_is_not_true_is_not_stated() -> None:
    header = "assertion_id\tevidence_item_ids\tamp_category\tnccn_guideline\tregulatory_approval\tfda_companion_test\n"
    rows = "4\t11,12\t\t\tfalse\t\n5\tx,13\tTier II - Level C\tMelanoma\ttrue\tTRUE\n"
    found = read_assertions(io.StringIO(header + rows))
    assert set(found) == {"civic:EID11", "civic:EID12", "civic:EID13"}
    (four,) = found["civic:EID11"]
    assert four.regulatory_approval is None and four.fda_companion_test is None and four.amp_category == ""
    (five,) = found["civic:EID13"]
    assert (five.regulatory_approval, five.fda_companion_test, five.amp_category) == (True, True, "Tier II - Level C")


# -- the asked variant -------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["KIT D816V", "BRAF V600E 黑色素瘤", "PIK3CA H1047R 乳腺癌", "IDH1 R132H"])
def test_a_variant_question_leaves_out_other_alterations_of_its_gene(service: SearchService, text: str) -> None:
    """(Other genes' items may follow, through the tumor or the text.)"""
    result = everything(service, text)
    asked = {v for v in result.targets.variants}
    genes = {v.split(":")[0] for v in asked}
    assert result.evidence
    for e in (e for e in result.evidence if e.gene in genes):
        about = {e.alteration.id} | {a.alteration.id for a in e.assertions if a.alteration}
        # compound alterations ("V600E/K") name the asked one among their events
        assert about & asked or any(v.split(":")[1] in e.alteration.label.upper() for v in asked), (text, e.id)


def test_a_variant_with_no_evidence_of_its_own_still_gets_its_genes_evidence(service: SearchService) -> None:
    rare = "EGFR A859T"  # a real EGFR variant with no CIViC 2021 item of its own
    result = everything(service, rare)
    assert "EGFR:A859T" in result.targets.variants
    assert not [e for e in result.evidence if e.alteration.id == "EGFR:A859T"]
    assert result.evidence and all(e.gene == "EGFR" for e in result.evidence)


def test_a_resistance_question_keeps_the_other_alterations_of_the_gene(service: SearchService) -> None:
    plain = {e.alteration.id for e in everything(service, "ALK融合 克唑替尼").evidence}
    resistance = {e.alteration.id for e in everything(service, "ALK融合 克唑替尼 耐药").evidence}
    assert resistance > plain


def test_items_cited_by_an_assertion_answer_the_assertions_variant(
    service: SearchService, vocab_store: SQLiteStore
) -> None:
    broader = [
        e
        for e in vocab_store.iter_evidence()
        for a in e.assertions
        if a.alteration and a.alteration.gene == e.gene and a.alteration.id != e.alteration.id and e.drugs
    ]
    assert broader, "CIViC 2021 has assertions citing items filed under a broader alteration"
    for e in broader[:5]:
        a = next(a for a in e.assertions if a.alteration and a.alteration.id != e.alteration.id)
        assert a.alteration is not None
        text = f"{a.alteration.gene} {a.alteration.label or a.alteration.name} {e.drugs[0]}"
        found = everything(service, text)
        assert e.id in {i.id for i in found.evidence}, (text, e.id)


@pytest.mark.parametrize("text", ["≥50%", "50", "1-49%"])
def test_a_bare_number_or_value_is_no_question(service: SearchService, text: str) -> None:
    result = service.search(text)
    assert not result.understood and not result.evidence and not result.tests
