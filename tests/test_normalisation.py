"""Chinese and English as typed on a phone: full-width, Traditional, pinyin, homophones, run-together words.

Built on the real vocabularies and CIViC evidence (the ``vocab_store`` fixture). Besides single examples,
two property tests run over every Chinese name of the index, so the rules hold beyond the examples:
a homophone or a pinyin spelling never reads a concept other than the name it sounds like.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace

import pytest

from kb.chinese import char_readings, to_simplified
from kb.query import Concept, ParsedQuery, QueryIndex, build_query_index, parse_query
from kb.query.forms import Reading, ReadingType
from kb.query.pinyin import PinyinName, build_pinyin_index, english_words
from kb.services import _prominent
from kb.store import SQLiteStore
from kb.suggest import Suggester
from kb.vocab import vocabularies_from_store
from kb.vocab.words import spacy_stop_words


@pytest.fixture(scope="module")
def index(vocab_store: SQLiteStore) -> QueryIndex:
    return build_query_index(vocabularies_from_store(vocab_store), vocab_store.iter_evidence())


@pytest.fixture(scope="module")
def english(vocab_store: SQLiteStore) -> frozenset[str]:
    return english_words(e.statement for e in vocab_store.iter_evidence()) | spacy_stop_words("en")


def written(parsed: ParsedQuery) -> dict[str, Concept]:
    """The concepts the text names (implied ones left out), by ``type:id``."""
    return {c.key: c for c in parsed.concepts if not c.implied}


def drug_name(inn: str) -> Reading:
    return Reading(ReadingType.DRUG, (inn,))


# --- full-width and Traditional: the echo keeps the doctor's characters ------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ＫＲＡＳ Ｇ１２Ｃ", {"gene:KRAS", "variant:KRAS:G12C"}), ("ｅｒｌｏｔｉｎｉｂ", {"drug:erlotinib"}),
     ("ＢＲＡＦ Ｖ６００Ｅ 黑色素瘤", {"gene:BRAF", "variant:BRAF:V600E", "tumor:MEL"})],
)  # fmt: skip
def test_full_width_letters_and_digits_read_as_half_width(index: QueryIndex, text: str, expected: set[str]) -> None:
    parsed = parse_query(text, index)
    found = written(parsed)
    assert set(found) == expected and parsed.text == text and parsed.unresolved == ()
    for key, concept in found.items():
        assert concept.matched in text
        assert concept.match == ("exact" if key.startswith("tumor") else "fullwidth"), key


@pytest.mark.parametrize(
    ("text", "key", "matched"),
    [("結直腸癌", "tumor:COADREAD", "結直腸癌"), ("帕博利珠單抗", "drug:pembrolizumab", "帕博利珠單抗"),
     ("KRAS突變", "variant:KRAS:MUTATION", "KRAS突變"),
     ("EGFR 19號外顯子缺失", "variant:EGFR:EXON19DEL", "EGFR 19號外顯子缺失"),
     ("可瑞達", "drug:pembrolizumab", "可瑞達"), ("ALK陽性", "variant:ALK:FUSION", "ALK陽性")],
)  # fmt: skip
def test_traditional_characters_match_through_simplified_and_echo_as_written(
    index: QueryIndex, text: str, key: str, matched: str
) -> None:
    parsed = parse_query(text, index)
    concept = written(parsed)[key]
    assert (concept.match, concept.matched) == ("traditional", matched)
    assert parsed.text == text and parsed.unresolved == ()


def test_simplified_text_is_not_marked_traditional(index: QueryIndex) -> None:
    for text in ("结直肠癌 KRAS突变", "帕博利珠单抗", "EGFR 19号外显子缺失"):
        assert {c.match for c in parse_query(text, index).concepts} <= {"exact", "alias"}, text


def test_traditional_conversion_keeps_one_character_per_character() -> None:
    for text in ("非小細胞肺癌 HER2陽性", "乾燥綜合徵", "後來", "EGFR＋", ""):
        assert len(to_simplified(text)) == len(text)


def test_every_chinese_name_of_the_index_is_its_own_simplified_form(index: QueryIndex) -> None:
    names = [n.key for group in index.pinyin.spellings.values() for n in group]
    assert len(names) > 1000
    assert [n for n in names if to_simplified(n) != n] == []


# --- pinyin ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["jifeitini", "ji fei ti ni", "ji-fei-ti-ni", "Ji'fei'ti'ni", "JIFEITINI", "ｊｉｆｅｉｔｉｎｉ"]
)
def test_pinyin_of_a_chinese_drug_name_with_or_without_spaces(index: QueryIndex, text: str) -> None:
    parsed = parse_query(text, index)
    drug = written(parsed)["drug:gefitinib"]
    assert (drug.match, drug.matched, drug.label_zh) == ("pinyin", text, "吉非替尼")
    assert parsed.unresolved == ()


def test_pinyin_of_a_tumor_and_a_brand_among_other_words(index: QueryIndex) -> None:
    parsed = parse_query("xiaoxibaofeiai EGFR tairuisha", index)
    found = written(parsed)
    assert found["tumor:SCLC"].match == "pinyin" and found["drug:osimertinib"].match == "pinyin"
    assert found["gene:EGFR"].match == "exact"


@pytest.mark.parametrize("text", ["jif eitini", "jifeitin", "feia", "tini"])
def test_pinyin_must_be_a_whole_name_on_syllable_boundaries(index: QueryIndex, text: str) -> None:
    parsed = parse_query(text, index)
    assert parsed.concepts == () and parsed.unresolved


def test_every_pinyin_spelling_reads_its_own_name_or_nothing(index: QueryIndex) -> None:
    """All Chinese names of the index, spelled in pinyin: the concept read is the name's, never another."""
    right = checked = 0
    for spelling, names in sorted(index.pinyin.spellings.items()):
        if spelling in index.forms:  # tamoxifen is also an INN: the dictionary reads it
            continue
        wanted = {f"{r.type.value}:{i}" for name in names for r in name.readings for i in r.ids}
        read = [c for c in parse_query(spelling, index).concepts if c.match == "pinyin"]
        assert {c.key for c in read} <= wanted, spelling
        checked += 1
        right += bool(read)
    assert checked > 1000 and right / checked > 0.9


def test_an_english_word_or_a_gene_symbol_is_never_hijacked_by_pinyin(
    index: QueryIndex, english: frozenset[str]
) -> None:
    # names made up so that their pinyin spells an English word of the evidence (胡曼 = human) and a
    # gene symbol (凡擦 = fanca); 胡曼特 = humante is the control: the mechanism reads made-up names
    made_up = [("胡曼", (drug_name("gefitinib"),)), ("凡擦", (drug_name("erlotinib"),))]
    made_up += [("胡曼特", (drug_name("afatinib"),))]
    assert "human" in english
    patched = replace(index, pinyin=build_pinyin_index([*index.forms.items(), *made_up], english))
    assert parse_query("human", patched).concepts == ()
    assert parse_query("hu man", patched).concepts == ()
    for text in ("FANCA", "fanca"):
        assert [c.key for c in parse_query(text, patched).concepts] == ["gene:FANCA"]
    assert written(parse_query("humante", patched))["drug:afatinib"].match == "pinyin"


def test_pinyin_is_not_read_from_initials(index: QueryIndex) -> None:
    for text in ("jftn", "axtn", "fxxbfa"):  # 吉非替尼, 奥希替尼, 非小细胞肺癌
        assert parse_query(text, index).concepts == (), text


# --- homophones ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [("吉菲替尼", "drug:gefitinib"), ("结直肠爱", "tumor:COADREAD"), ("泰瑞莎", "drug:osimertinib"),
     ("肺腺癌 奥西替尼耐药", "drug:osimertinib"), ("帕博丽珠单抗", "drug:pembrolizumab")],
)  # fmt: skip
def test_a_wrong_character_with_the_same_sound_reads_the_name(index: QueryIndex, text: str, key: str) -> None:
    concept = written(parse_query(text, index))[key]
    assert concept.match == "homophone" and concept.matched in text


def test_homophone_in_traditional_characters(index: QueryIndex) -> None:
    concept = written(parse_query("吉菲替尼 結直腸癌", index))["drug:gefitinib"]
    assert concept.match == "homophone"


def test_names_that_sound_alike_give_an_ambiguous_concept(index: QueryIndex) -> None:
    parsed = parse_query("阿珐替尼", index)  # sounds like both 阿法替尼 (afatinib) and 阿伐替尼 (avapritinib)
    (drug,) = parsed.concepts
    assert drug.match == "ambiguous" and set(drug.candidates) == {"afatinib", "avapritinib"}
    assert parsed.drugs == ()


def test_a_made_up_pair_of_homophone_names_stays_ambiguous(index: QueryIndex, english: frozenset[str]) -> None:
    made_up = [("奥莱替尼", (drug_name("gefitinib"),)), ("奥来替尼", (drug_name("erlotinib"),))]
    patched = replace(index, pinyin=build_pinyin_index([*index.forms.items(), *made_up], english))
    (drug,) = parse_query("奥赖替尼", patched).concepts
    assert drug.match == "ambiguous" and set(drug.candidates) == {"gefitinib", "erlotinib"}


@pytest.mark.parametrize("text", ["评估肿瘤", "为爱", "肝爱", "黑色"])
def test_running_text_and_short_words_are_not_read_as_homophones(index: QueryIndex, text: str) -> None:
    assert [c for c in parse_query(text, index).concepts if c.match == "homophone"] == []


def _same_sound_characters() -> dict[str, list[str]]:
    """Characters with a single toneless reading, by reading."""
    chars: dict[str, list[str]] = defaultdict(list)
    for code in range(0x4E00, 0x9FA6):
        readings = char_readings(chr(code))
        if len(readings) == 1:
            chars[next(iter(readings))].append(chr(code))
    return chars


def test_every_name_with_one_homophone_typo_reads_its_own_concept_or_nothing(index: QueryIndex) -> None:
    """Names of four characters or more with one character swapped for another of the same sound: a
    homophone read from the whole text is the name's concept, never another; most are read."""
    chars = _same_sound_characters()
    names: list[PinyinName] = sorted(
        (n for group in index.pinyin.sounds.values() for n in group if len(n.key) >= 4), key=lambda n: n.key
    )
    right = checked = 0
    for name in names[::3]:
        at = len(name.key) // 2
        typo = next((c for c in chars.get(name.syllables[at], ()) if c != name.key[at]), None)
        text = name.key[:at] + typo + name.key[at + 1 :] if typo else ""
        if not text or text in index.forms:
            continue
        wanted = {f"{r.type.value}:{i}" for r in name.readings for i in r.ids}
        whole = [c for c in parse_query(text, index).concepts if c.matched == text and not c.implied]
        assert all(c.key in wanted for c in whole if c.match == "homophone"), (name.key, text)
        checked += 1
        right += any(c.match == "homophone" for c in whole)
    assert checked > 200 and right / checked > 0.6


# --- run-together ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variant"),
    [("BRAFV600E", "BRAF:V600E"), ("ROS1G2032R", "ROS1:G2032R"), ("EGFR19del", "EGFR:EXON19DEL"),
     ("PTENloss", "PTEN:LOSS"), ("HER2amp", "ERBB2:AMPLIFICATION"), ("KIT11号外显子突变", "KIT:EXON11MUT"),
     ("EGFR19号外显子缺失", "EGFR:EXON19DEL"), ("MET14跳读", "MET:EXON14SKIP"),
     ("EGFR20插入", "EGFR:EXON20INS"), ("肺腺癌EGFRL858R", "EGFR:L858R")],
)  # fmt: skip
def test_a_gene_glued_to_its_event_is_split(index: QueryIndex, text: str, variant: str) -> None:
    parsed = parse_query(text, index)
    found = written(parsed)
    gene = variant.split(":")[0]
    assert found[f"variant:{variant}"].match == "split" and found[f"gene:{gene}"].match == "split"
    assert parsed.unresolved == ()


def test_an_exon_number_written_straight_before_a_chinese_exon_event(index: QueryIndex) -> None:
    assert parse_query("EGFR 19缺失", index).variants == ("EGFR:EXON19DEL",)
    assert parse_query("EGFR 20号插入", index).variants == ("EGFR:EXON20INS",)


@pytest.mark.parametrize(
    ("text", "variant"),
    [("p16缺失", "CDKN2A:LOSS"), ("TP53缺失", "TP53:LOSS"), ("CDKN2A 9p21缺失", "CDKN2A:LOSS"),
     ("KRAS 12突变", "KRAS:MUTATION")],
)  # fmt: skip
def test_digits_that_are_no_exon_number_are_not_read_as_one(index: QueryIndex, text: str, variant: str) -> None:
    parsed = parse_query(text, index)
    assert parsed.variants == (variant,)


@pytest.mark.parametrize("text", ["CD19CAR", "EGFRX", "KRASxyz"])
def test_a_glued_word_without_an_event_stays_unresolved(index: QueryIndex, text: str) -> None:
    parsed = parse_query(text, index)
    assert parsed.concepts == () and parsed.unresolved == (text,)


# --- bad input -------------------------------------------------------------------------------------------


def test_mixed_scripts_and_emoji(index: QueryIndex) -> None:
    parsed = parse_query("😀ＥＧＦＲ突變🧬 肺腺癌 Привет αβγ osimertinib💊", index)
    assert {"gene:EGFR", "variant:EGFR:MUTATION", "tumor:LUAD", "drug:osimertinib"} <= set(written(parsed))
    assert set(parsed.unresolved) == {"Привет", "αβγ"}
    assert all(c.matched in parsed.text for c in parsed.concepts)


REPORT = (
    "病理报告（术后标本）：左肺下叶结节，大小约2.1×1.8cm。镜下见肿瘤细胞呈腺管状及乳头状排列，核异型明显，"
    "诊断为浸润性腺癌（贴壁型20%，腺泡型60%，实体型20%），未累及脏层胸膜，支气管切缘阴性，"
    "区域淋巴结0/12。免疫组化：CK7(+)，TTF-1(+)，NapsinA(+)，P40(-)，Ki-67约25%。"
    "ALK-V(D5F3)阴性，ROS1阴性，PD-L1(22C3)TPS约5%。基因检测（组织NGS，425基因）："
    "EGFR 19号外显子缺失突变（丰度18.3%），TP53 p.R273H，未见KRAS、BRAF、MET扩增及RET融合。"
    "建议：结合临床可考虑EGFR-TKI治疗，如奥希替尼或阿美替尼，并定期随访复查胸部CT及头颅MRI。"
    "患者女性，58岁，无吸烟史，ECOG 0分，既往体健，否认家族肿瘤史。报告医师签名，审核医师签名。"
    "本结果仅供临床参考，请结合影像及其他检查综合判断；若对报告有疑问，请于收到报告后七个工作日内与病理科联系。"
)


def test_numbers_in_lists_and_units_are_no_exon_numbers(index: QueryIndex) -> None:
    assert set(parse_query("BRCA1/2缺失", index).variants) == {"BRCA1:LOSS", "BRCA2:LOSS"}
    assert not [v for v in parse_query("TMB 12突变/Mb EGFR", index).variants if "EXON" in v]


def test_a_pasted_pathology_report_reads_its_concepts_and_lists_the_rest(index: QueryIndex) -> None:
    assert 400 <= len(REPORT) <= 520
    started = time.perf_counter()
    parsed = parse_query(REPORT, index)
    assert time.perf_counter() - started < 0.5
    found = written(parsed)
    assert {"variant:EGFR:EXON19DEL", "variant:TP53:R273H", "drug:osimertinib", "drug:almonertinib"} <= set(found)
    assert all(c.matched in REPORT for c in parsed.concepts)
    assert [c.key for c in parsed.concepts if c.match in ("homophone", "pinyin", "fuzzy")] == []
    assert parsed.unresolved and all(word in REPORT for word in parsed.unresolved)


# --- autocomplete ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suggester(vocab_store: SQLiteStore) -> Suggester:
    vocab = vocabularies_from_store(vocab_store)
    return Suggester(vocab, prominent=_prominent(list(vocab_store.iter_evidence())))


@pytest.mark.parametrize(
    ("prefix", "key", "matched"),
    [("jifei", "drug:gefitinib", "吉非替尼"), ("ji fei ti", "drug:gefitinib", "吉非替尼"),
     ("jftn", "drug:gefitinib", "吉非替尼"), ("feixian", "tumor:LUAD", "肺腺癌"), ("fxa", "tumor:LUAD", "肺腺癌"),
     ("結直腸", "tumor:COADREAD", "结直肠癌"), ("ｅｒｌｏ", "drug:erlotinib", "Erlotinib")],
)  # fmt: skip
def test_autocomplete_completes_pinyin_initials_traditional_and_full_width(
    suggester: Suggester, prefix: str, key: str, matched: str
) -> None:
    found = {f"{s.type}:{s.id}": s for s in suggester.suggest(prefix, limit=10)}
    assert key in found and found[key].matched == matched


def test_autocomplete_ranks_clinical_concepts_above_rare_gene_symbols(
    suggester: Suggester, vocab_store: SQLiteStore
) -> None:
    # "fe": pinyin of 肺癌 / 肺腺癌 (tumors with Chinese names) before rarely used symbols such as FEM1A
    first = suggester.suggest("fe", limit=5)
    assert first and all(s.type != "gene" or s.label_zh for s in first)
    genes = [s for s in suggester.suggest("fe", limit=50) if s.type == "gene"]
    assert any(not s.label_zh for s in genes)
    # a name equal to the prefix comes first, then clinical genes before the rest
    assert [s.id for s in suggester.suggest("EGFR", limit=1)] == ["EGFR"]
    ranked = suggester.suggest("MSI", limit=10)
    assert {s.id for s in ranked} >= {"MSI1", "MSI2"}


def test_autocomplete_needs_two_letters_for_pinyin(suggester: Suggester) -> None:
    assert all(s.matched.isascii() for s in suggester.suggest("j", limit=20))
