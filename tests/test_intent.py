"""Intent: what a doctor asks (耐药, prognosis, 胚系 ...) is read from the query, never dropped or unresolved,
and moves the evidence that answers it first among items that match the concepts equally well
(:func:`kb.ordering.clinical_key`).

Query reading runs on the real vocabularies and CIViC evidence (the ``vocab_store`` session fixture);
the ranking steer is a pure function, tested on made-up evidence.
"""

from __future__ import annotations

import pytest

from kb.domain import Alteration, AlterationKind, Evidence, EvidenceDirection, EvidenceLevel, EvidenceType
from kb.ordering import INTENT_ANSWERS, clinical_key, intent_answers
from kb.query import ParsedQuery, QueryIndex, build_query_index, parse_query
from kb.ranking import ConceptTargets
from kb.store import SQLiteStore
from kb.vocab import vocabularies_from_store
from kb.vocab.words import Intent, StopContext, intent_words, stop_words


@pytest.fixture(scope="module")
def index(vocab_store: SQLiteStore) -> QueryIndex:
    return build_query_index(vocabularies_from_store(vocab_store), vocab_store.iter_evidence())


def ids(parsed: ParsedQuery) -> set[str]:
    return {c.key for c in parsed.concepts if not c.implied}


# --- reading intents ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent", "concepts"),
    [
        ("奥拉帕利 获得性耐药", "resistance", {"drug:olaparib"}),
        ("crizotinib acquired resistance", "resistance", {"drug:crizotinib"}),
        ("KIT 伊马替尼 不敏感", "resistance", {"gene:KIT", "drug:imatinib"}),
        ("PIK3CA 阿培利司 疗效", "sensitivity", {"gene:PIK3CA", "drug:alpelisib"}),
        ("sensitivity to trametinib", "sensitivity", {"drug:trametinib"}),
        ("IDH1 胶质瘤 预后", "prognosis", {"gene:IDH1"}),
        ("prognostic TP53 AML", "prognosis", {"gene:TP53", "tumor:AML"}),
        ("JAK2 V617F 诊断", "diagnosis", {"gene:JAK2", "variant:JAK2:V617F"}),
        ("NPM1 differential diagnosis", "diagnosis", {"gene:NPM1"}),
        ("BRCA2 胚系", "germline", {"gene:BRCA2"}),
        ("hereditary MLH1", "germline", {"gene:MLH1"}),
    ],
)
def test_intent_words_are_read_in_chinese_and_english(
    index: QueryIndex, text: str, intent: str, concepts: set[str]
) -> None:
    parsed = parse_query(text, index)
    assert parsed.intents == (intent,)
    assert concepts <= ids(parsed)
    assert parsed.unresolved == ()


@pytest.mark.parametrize("row", intent_words(), ids=lambda row: row.word)
def test_a_query_of_one_intent_word_is_understood_with_no_concept(index: QueryIndex, row: object) -> None:
    word, intent = row.word, row.intent  # type: ignore[attr-defined]
    parsed = parse_query(word, index)
    assert (parsed.intents, parsed.concepts, parsed.unresolved) == ((intent.value,), (), ())
    assert parsed.to_dict()["intents"] == [intent.value]


def test_intent_words_are_never_stop_words() -> None:
    words = {row.word.casefold() for row in intent_words()}
    assert not words & {w.casefold() for w in stop_words(StopContext.QUERY)}
    assert {row.intent for row in intent_words()} == set(Intent)
    assert {row.lang for row in intent_words() if row.intent is Intent.GERMLINE} == {"zh", "en"}


def test_several_intents_keep_the_order_written_once_each(index: QueryIndex) -> None:
    parsed = parse_query("ALK 预后 耐药 prognosis", index)
    assert parsed.intents == ("prognosis", "resistance")


def test_an_intent_between_a_gene_and_its_event_keeps_the_event(index: QueryIndex) -> None:
    parsed = parse_query("KRAS耐药突变", index)
    assert parsed.variants == ("KRAS:MUTATION",) and parsed.intents == ("resistance",)


def test_a_longer_intent_word_wins_over_the_shorter_one_inside_it(index: QueryIndex) -> None:
    assert parse_query("EGFR 不敏感", index).intents == ("resistance",)
    assert parse_query("EGFR 敏感", index).intents == ("sensitivity",)


def test_a_query_without_intent_words_has_none(index: QueryIndex) -> None:
    for text in ("EGFR T790M", "肺腺癌", "", "😀", "≥50%"):
        assert parse_query(text, index).intents == ()


# --- the ranking steer (a pure function) ---------------------------------------------------------------


def item(
    ident: str,
    evidence_type: EvidenceType = EvidenceType.PREDICTIVE,
    significance: str = "sensitivity",
    origin: str = "Somatic",
) -> Evidence:
    return Evidence(
        id=ident,
        source="test",
        source_id=ident,
        gene="EGFR",
        alteration=Alteration("EGFR", AlterationKind.MUTATION, "MUTATION"),
        evidence_type=evidence_type,
        direction=EvidenceDirection.SUPPORTS,
        significance=significance,
        level=EvidenceLevel.B,
        rating=3,
        tumor_code=None,
        disease="",
        variant_origin=origin,
    )


SENS1, SENS2 = item("s1"), item("s2")
RES1, RES2 = item("r1", significance="resistance"), item("r2", significance="reduced_sensitivity")
PROG = item("p", EvidenceType.PROGNOSTIC, "poor_outcome")
DIAG = item("d", EvidenceType.DIAGNOSTIC, "positive")
PRED = item("g", EvidenceType.PREDISPOSING, "pathogenic", "Rare Germline")
GERM = item("gp", significance="sensitivity", origin="Common Germline")


def order(ranked: list[tuple[Evidence, float]]) -> list[str]:
    return [e.id for e, _ in ranked]


QUERY = ConceptTargets(genes=frozenset({"EGFR"}))


def steer(ranked: list[tuple[Evidence, float]], intents: tuple[str, ...]) -> list[tuple[Evidence, float]]:
    """Sort ``(item, concept score)`` pairs in the clinical order with these intents (as the search sorts)."""
    answers = intent_answers(intents)
    return sorted(ranked, key=lambda pair: clinical_key(pair[0], QUERY, pair[1], 0.0, answers))


def test_without_an_intent_therapy_comes_first() -> None:
    ranked = [(PROG, 3.0), (DIAG, 3.0), (SENS1, 3.0), (RES1, 3.0), (PRED, 3.0)]
    assert order(steer(ranked, ())) == ["s1", "r1", "p", "d", "g"]
    assert order(steer(ranked, ("unknown",))) == order(steer(ranked, ()))


def test_resistance_moves_resistance_first_within_an_equal_concept_match() -> None:
    ranked = [
        (SENS1, 3.0),
        (RES1, 3.0),
        (SENS2, 3.0),
        (RES2, 3.0),
        (PROG, 2.5),
        (item("r3", significance="resistance"), 2.5),
    ]
    assert order(steer(ranked, ("resistance",))) == ["r1", "r2", "s1", "s2", "r3", "p"]


def test_a_better_concept_match_stays_ahead_of_an_item_that_answers_the_intent() -> None:
    ranked = [(SENS1, 3.5), (RES1, 3.0)]
    assert order(steer(ranked, ("resistance",))) == ["s1", "r1"]
    # scores equal once rounded to three decimals are one group
    assert order(steer([(SENS1, 3.0001), (RES1, 3.0)], ("resistance",))) == ["r1", "s1"]


@pytest.mark.parametrize(
    ("intent", "first"),
    [("prognosis", ["p"]), ("diagnosis", ["d"]), ("germline", ["gp", "g"]), ("sensitivity", ["s1", "gp", "s2"])],
)
def test_each_intent_moves_its_evidence_first(intent: str, first: list[str]) -> None:
    ranked = [(e, 1.0) for e in (RES1, SENS1, PROG, DIAG, PRED, GERM, SENS2)]
    steered = order(steer(ranked, (intent,)))
    assert steered[: len(first)] == first
    assert sorted(steered) == sorted(order(ranked))


def test_the_first_intent_written_goes_first() -> None:
    ranked = [(e, 1.0) for e in (SENS1, PROG, RES1)]
    assert order(steer(ranked, ("resistance", "prognosis"))) == ["r1", "p", "s1"]
    assert order(steer(ranked, ("prognosis", "resistance"))) == ["p", "r1", "s1"]


def test_every_intent_says_which_evidence_answers_it() -> None:
    assert set(INTENT_ANSWERS) == set(Intent)
