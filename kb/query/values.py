"""Biomarker values in a query, with the words of ``biomarker_words.tsv`` (rules in ``docs/query.md``):

* a score and a number: ``TPS≥50%``, ``CPS ≥ 10``, ``TMB 12 mut/Mb``, ``肿瘤突变负荷≥10``. The score
  names the biomarkers with a cut-off on it. A *defining* cut-off decides which of them the value
  is (TMB 12 is TMB-H, TMB 6 TMB-L); a reporting one (PD-L1's TPS and CPS) names the biomarker
  whatever the value. A value that meets no defining cut-off names nothing and is reported
  unresolved, as is a number with no score (``≥50%``);
* a qualitative word after a biomarker that takes one (its ``values``): ``PD-L1高表达``,
  ``HRD阴性``; and a percentage after one scored in % (``PD-L1 80%``);
* an IHC result after a gene whose IHC states are biomarkers (their ``ihc``): ``HER2 1+`` is
  HER2-low, ``HER2 2+`` HER2-low or HER2-positive (ambiguous) unless an ISH result follows.

The value is kept on the reading (``Reading.value``) and becomes the concept's ``value``:
``TPS>=50%``, ``TMB 12 mut/Mb``, ``high``, ``IHC 2+/ISH-``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from functools import cache

from kb.query.forms import Reading, ReadingType
from kb.query.scan import Hit, QueryText
from kb.vocab import Vocabularies
from kb.vocab.biomarkers import BiomarkerVocabulary, biomarker_words

__all__ = ["biomarker_hits"]

_SIGNS = {"+": "positive", "-": "negative"}
_ISH = r"(?:FISH|ISH|CISH|SISH|DISH|原位杂交)"


def _alternation(words: Iterable[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w) + (r"(?![A-Za-z])" if w[-1:].isalpha() and w.isascii() else "") for w in ordered)


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Score values, qualitative values, percentages and IHC results, from ``biomarker_words.tsv``."""
    words = biomarker_words()
    ops, after, units = _alternation(words.comparators), _alternation(words.after), _alternation(words.units)
    gap = r"[\s()（）:：]*"
    filler = rf"(?:{gap}(?:{_alternation(words.fillers)}))*" if words.fillers else ""
    number = rf"{filler}{gap}(?P<op>{ops})?\s*(?P<num>\d+(?:\.\d+)?)(?![\d.])"
    score = re.compile(
        rf"(?<![A-Za-z0-9])(?P<score>{_alternation(words.scores)}){number}\s*(?P<unit>{units})?\s*(?P<after>{after})?",
        re.I,
    )
    signs = [w for w in words.values if w in _SIGNS]
    named = _alternation(w for w in words.values if w not in _SIGNS)
    value = re.compile(
        rf"[\s-]*(?P<word>{named})|\s*(?P<sign>{'|'.join(map(re.escape, signs)) or '(?!)'})(?![A-Za-z0-9])", re.I
    )
    percent = re.compile(rf"{number}\s*%\s*(?P<after>{after})?", re.I)
    ish = r"(?P<ish>阴性|阳性|negative|positive|无扩增|未扩增|扩增|amplified|not amplified|[+-])"
    ihc = re.compile(
        rf"\s*[(（]?\s*(?:IHC|免疫组化)?\s*[:：]?\s*(?:(?P<score>[0-3])(?![\d.])\s*(?P<plus>\+*)|(?P<pluses>\+{{2,3}})(?!\+))"
        rf"\s*[)）]?(?:\s*[/,，、]?\s*{_ISH}\s*[:：]?\s*[(（]?\s*{ish}\s*[)）]?)?",
        re.I,
    )
    return score, value, percent, ihc


def biomarker_hits(text: QueryText, vocabularies: Vocabularies, found: list[Hit]) -> list[Hit]:
    """Score values anywhere in ``text``, and the values written after the biomarker and gene hits of ``found``."""
    vocab = vocabularies.biomarkers
    if not len(vocab):
        return []
    score, value, percent, ihc = _patterns()
    words = biomarker_words()
    hits: list[Hit] = []
    for m in score.finditer(text.norm):
        if text.norm[m.end("score")].isdigit() and not (m["op"] or m["unit"] or m["after"]):
            continue  # CPS1, TMB10: a gene symbol or a code, not a score (CPS 1, TPS50% are)
        name = words.scores[_word(words.scores, m["score"])]
        unit = words.units.get(_word(words.units, m["unit"] or ""), "")
        op = _op(m)
        reading = _score_reading(vocab, name, op, float(m["num"]), f"{name}{_shown(op, m['num'], unit)}")
        hits.append(_hit(text, text.norm_src[m.start()], _raw_end(text, m.end()), reading))
    ihc_genes = {gene for b in vocab if b.ihc for gene in b.genes}
    for hit in found:
        for reading in hit.readings:
            if reading.type is ReadingType.BIOMARKER and reading.ids:
                hits += _valued(text, vocab, hit, reading, value, percent)
            elif reading.type is ReadingType.GENE and ihc_genes.intersection(reading.ids):
                hits += _ihc(text, vocab, hit, reading, ihc)
    return [h for h in hits if h.end > h.start]


def _op(m: re.Match[str]) -> str:
    """The comparator of a number: written before it (≥, 大于) or after it (以上)."""
    words = biomarker_words()
    before = words.comparators.get(_word(words.comparators, m["op"] or ""), "")
    return before or words.after.get(_word(words.after, m["after"] or ""), "")


def _ihc(text: QueryText, vocab: BiomarkerVocabulary, hit: Hit, reading: Reading, ihc: re.Pattern[str]) -> list[Hit]:
    """The gene hit extended over an IHC result (HER2 2+, HER2 IHC 2+ FISH阴性) that names its IHC states."""
    start, end = text.src[hit.start], text.src[hit.end - 1] + 1
    m = ihc.match(text.norm, bisect_left(text.norm_src, end))
    if m is None or not (m["plus"] or m["pluses"] or m["score"] == "0"):
        return []
    # ++ and +++ are 2+ and 3+; a lone + (HER2+) is no IHC score
    score, plus = (str(len(m["pluses"])), "+") if m["pluses"] else (m["score"], m["plus"])
    states = _ihc_states(vocab, reading.ids, score, plus, m["ish"])
    shown = f"IHC {score}{'+' if plus else ''}" + (f"/ISH{_ish_sign(m['ish'])}" if m["ish"] else "")
    found = Reading(ReadingType.BIOMARKER, states, "ambiguous" if len(states) > 1 else "exact", value=shown)
    return [_hit(text, start, _raw_end(text, m.end()), found)]


def _valued(
    text: QueryText,
    vocab: BiomarkerVocabulary,
    hit: Hit,
    reading: Reading,
    value: re.Pattern[str],
    percent: re.Pattern[str],
) -> list[Hit]:
    """The biomarker hit extended over a qualitative value (高表达, negative) or a percentage written after it."""
    biomarkers = [vocab.biomarkers[i] for i in reading.ids if i in vocab.biomarkers]
    start, end = text.src[hit.start], text.src[hit.end - 1] + 1
    at = bisect_left(text.norm_src, end)
    words = biomarker_words()
    out = []
    m = value.match(text.norm, at) if biomarkers else None
    if m:
        meaning = _SIGNS.get(m["sign"] or "") or words.values[_word(words.values, m["word"])]
        if all(meaning in b.values for b in biomarkers):
            out.append(_hit(text, start, _raw_end(text, m.end()), _with(reading, meaning)))
        elif not any(b.values for b in biomarkers) and meaning in ("positive", "negative"):
            said = reading if meaning == "positive" else _negated(vocab, reading)  # MSI阴性: MSI-L or MSS
            out.append(_hit(text, start, _raw_end(text, m.end()), said))
    if biomarkers and all(any(c.unit == "%" for c in b.cutoffs) for b in biomarkers):
        share = percent.match(text.norm, at)
        if share:
            shown = _shown(_op(share), share["num"], "%").strip()
            out.append(_hit(text, start, _raw_end(text, share.end()), _with(reading, shown)))
    return out


def _negated(vocab: BiomarkerVocabulary, reading: Reading) -> Reading:
    """A biomarker that takes no value, negated: the other states of its group (dMMR阴性 -> pMMR; MSI-H阴性 ->
    MSI-L or MSS), or nothing (unresolved) when it has no group."""
    groups = {vocab.biomarkers[i].group for i in reading.ids}
    group = groups.pop() if len(groups) == 1 else ""
    others = tuple(b.id for b in vocab if group and b.group == group and b.id not in reading.ids)
    return Reading(ReadingType.BIOMARKER, others, "ambiguous" if len(others) > 1 else "alias")


def _with(reading: Reading, value: str) -> Reading:
    return Reading(ReadingType.BIOMARKER, reading.ids, reading.match, value=value)


def _word(table: Mapping[str, str], written: str) -> str:
    """The table's word for ``written`` (tables are matched ignoring case)."""
    if written in table:
        return written
    folded = written.casefold()
    return next((w for w in table if w.casefold() == folded), written)


def _shown(op: str, number: str, unit: str) -> str:
    return f"{op or ' '}{float(number):g}{'' if unit in ('', '%') else ' '}{unit}"


def _score_reading(vocab: BiomarkerVocabulary, score: str, op: str, number: float, shown: str) -> Reading:
    """The biomarkers a score value names (rules in the module docstring); none when it meets no defining cut-off."""
    low, high = {">=": (number, float("inf")), ">": (number, float("inf")), "<=": (float("-inf"), number)}.get(
        op, (float("-inf"), number) if op == "<" else (number, number)
    )
    closed = (op != ">", op != "<")
    ids: list[str] = []
    for biomarker in vocab:
        cutoffs = [c for c in biomarker.cutoffs if c.score.casefold() == score.casefold()]
        defining = [c for c in cutoffs if c.defining]
        if (defining and all(c.holds(low, high, closed) for c in defining)) or (cutoffs and not defining):
            ids.append(biomarker.id)
    return Reading(ReadingType.BIOMARKER, tuple(ids), "ambiguous" if len(ids) > 1 else "exact", value=shown)


def _ihc_states(
    vocab: BiomarkerVocabulary, genes: tuple[str, ...], score: str, plus: str, ish: str | None
) -> tuple[str, ...]:
    """The IHC states of ``genes`` an IHC result names: ``1+`` -> HER2-low; ``2+`` without ISH -> both 2+ states."""
    base = f"{score}+" if plus else score
    written = f"{base}/ISH{_ish_sign(ish)}" if ish else base
    states = [b for b in vocab if b.ihc and set(b.genes) & set(genes)]
    for wanted in (written, base):
        found = tuple(b.id for b in states if wanted in b.ihc)
        if found:
            return found
    return tuple(b.id for b in states if any(r.startswith(f"{base}/") for r in b.ihc))


def _ish_sign(ish: str | None) -> str:
    folded = (ish or "").casefold()
    negative = folded in ("-", "阴性", "negative", "无扩增", "未扩增", "not amplified")
    return "-" if negative else "+"


def _raw_end(text: QueryText, norm_end: int) -> int:
    """The raw index after the norm text up to ``norm_end`` (trailing spaces left out)."""
    while norm_end > 0 and text.norm[norm_end - 1].isspace():
        norm_end -= 1
    return text.norm_src[norm_end - 1] + 1 if norm_end else 0


def _hit(text: QueryText, raw_start: int, raw_end: int, reading: Reading) -> Hit:
    start, end = text.key_span(raw_start, raw_end)
    return Hit(start, end, (reading,))
