"""Find the surface forms of a query: normalised text, dictionary hits, variant patterns, typos.

The query is turned into one matching key (:func:`kb.text.name_key` applied
character by character: full-width to half-width, case folded, spaces and
punctuation dropped), so ``Her-2``, ``her 2`` and ``ＨＥＲ２`` all read ``her2``
and unspaced Chinese can be scanned. A term may start and end only at a
*cut*: between any two Chinese characters, at the edges of a Latin word, and
between letters and a number that runs into Chinese (``EGFR19号外显子``). Every
cut is tried against every key length up to the longest key of that first
character, so a query costs a few thousand dictionary look-ups at most.

Before the key is made, Traditional characters are made Simplified
(:func:`kb.chinese.to_simplified`, one character for one, so every key character
still points at the doctor's own text); :meth:`QueryText.read_as` says which
normalisation a span needed (``fullwidth``, ``traditional``, ``split``).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache

from kb.chinese import is_widened, to_simplified
from kb.domain import AlterationKind
from kb.query.forms import Reading, ReadingType
from kb.query.index import QueryIndex
from kb.text import is_cjk, name_key
from kb.vocab.variants import AMINO_ACIDS, PROTEIN_CHANGE, exon_events, normalise_protein_change

__all__ = ["Hit", "QueryText", "dictionary_hits", "fuzzy_hits", "normalise", "pattern_hits"]

_AA3 = "|".join(AMINO_ACIDS)
_PROTEIN3 = re.compile(rf"(?<![A-Za-z0-9])(?:p\.)?({_AA3})(\d{{2,4}})({_AA3}|ter|\*|fs|del)(?![A-Za-z0-9])", re.I)


@cache
def _exon_patterns() -> tuple[re.Pattern[str], ...]:
    """Exon events in either language, with the words of ``exon_events.tsv``: ``exon 19 deletion``,
    ``ex19del``, ``19del``, ``19号外显子缺失``, ``外显子19缺失``, ``14号外显子跳跃突变``."""
    events = exon_events()
    en, short, zh = (
        "|".join(map(re.escape, words))
        for words in (events.words("en"), events.words("en", shorthand=True), events.words("zh"))
    )
    mutation = "|".join(re.escape(w) for w in events.words("zh") if events.event(w) == "MUT")  # 缺失突变
    # right after the number, without 外显子: a named event only (19缺失, 14跳跃); "12突变/Mb" is no exon
    named = "|".join(re.escape(w) for w in events.words("zh") if events.event(w) != "MUT")
    return (
        re.compile(rf"(?<![a-z0-9])(?:exon|ex)\s*(\d{{1,2}})\s*({en})(?![a-z])", re.I),
        re.compile(rf"(?<![a-z0-9])(\d{{1,2}})\s*({short})(?![a-z])", re.I),
        re.compile(rf"第?\s*(\d{{1,2}})\s*号?\s*外显子\s*({zh})(?:{mutation})?"),
        re.compile(rf"外显子\s*(\d{{1,2}})\s*号?\s*({zh})(?:{mutation})?"),
        re.compile(rf"(?<![0-9/.])(\d{{1,2}})\s*号?\s*({named})(?:{mutation})?"),  # not BRCA1/2缺失
        # an exon with no event word is a mutation of it (KIT exon 11, KIT外显子11): the second group is empty
        re.compile(rf"(?<![a-z0-9])(?:exon|ex)\s*(\d{{1,2}})()(?![0-9a-z]|\s*(?:{en}|{zh}))", re.I),
        re.compile(rf"第?\s*(\d{{1,2}})\s*号?\s*外显子()(?!\s*(?:{zh}|{en}))", re.I),
        re.compile(rf"外显子\s*(\d{{1,2}})()(?![0-9]|\s*号|\s*(?:{zh}|{en}))", re.I),
    )


@dataclass(frozen=True, slots=True)
class QueryText:
    """A query as a matching key, each key character tied to its position in the raw text."""

    raw: str
    key: str
    src: tuple[int, ...]  # raw index of each key character
    cut: tuple[bool, ...]  # cut[p]: a term may start or end at key position p (len(key) + 1 entries)
    norm: str  # NFKC of the raw text made Simplified, case kept (for the variant patterns)
    norm_src: tuple[int, ...]
    how: tuple[str, ...] = ()  # per key character: "traditional", "fullwidth" or ""

    def surface(self, start: int, end: int) -> str:
        """The raw text of key positions ``[start, end)``."""
        if start >= end:
            return ""
        return self.raw[self.src[start] : self.src[end - 1] + 1]

    def glued(self, p: int) -> bool:
        """Key position ``p`` cuts one Latin word in two (``MET|14跳跃``, ``EGFR|T790M``)."""
        return (
            0 < p < len(self.key)
            and _word_char(self.key[p - 1])
            and _word_char(self.key[p])
            and self.src[p] - self.src[p - 1] <= 1
        )

    def read_as(self, start: int, end: int) -> str:
        """How ``[start, end)`` was read beyond the key's folding: ``split`` out of a run-together
        word, ``traditional`` through Simplified characters, ``fullwidth`` through NFKC; else ``""``."""
        if self.glued(start) or self.glued(end):
            return "split"
        tags = set(self.how[start:end])
        return "traditional" if "traditional" in tags else "fullwidth" if "fullwidth" in tags else ""

    def key_span(self, raw_start: int, raw_end: int) -> tuple[int, int]:
        return bisect_left(self.src, raw_start), bisect_left(self.src, raw_end)

    def is_upper(self, start: int, end: int) -> bool:
        letters = [c for c in self.surface(start, end) if c.isalpha()]
        return bool(letters) and all(c.isupper() for c in letters)

    def words(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Latin words and runs of Chinese characters in ``[start, end)``."""
        p = start
        while p < end:
            c = self.key[p]
            if not (c.isalnum() or is_cjk(c)):
                p += 1
                continue
            q = p + 1
            while q < end and _same_word(self, q):
                q += 1
            yield p, q
            p = q


def _word_char(c: str) -> bool:
    return c.isalnum() and not is_cjk(c)


def _same_word(text: QueryText, p: int) -> bool:
    a, b = text.key[p - 1], text.key[p]
    if is_cjk(a) and is_cjk(b):
        return True
    return not text.cut[p] and _word_char(a) and _word_char(b)


def normalise(raw: str) -> QueryText:
    key: list[str] = []
    src: list[int] = []
    how: list[str] = []
    norm: list[str] = []
    norm_src: list[int] = []
    for i, (original, ch) in enumerate(zip(raw, to_simplified(raw), strict=True)):
        tag = "traditional" if ch != original else "fullwidth" if is_widened(original) else ""
        for k in name_key(ch):
            key.append(k)
            src.append(i)
            how.append(tag)
        for n in unicodedata.normalize("NFKC", ch):
            norm.append(n)
            norm_src.append(i)
    cut = [True] * (len(key) + 1)
    for p in range(1, len(key)):
        a, b = key[p - 1], key[p]
        if _word_char(a) and _word_char(b) and src[p] - src[p - 1] <= 1:
            cut[p] = a.isalpha() and b.isdigit() and _digits_into_cjk(key, p)
    return QueryText(raw, "".join(key), tuple(src), tuple(cut), "".join(norm), tuple(norm_src), tuple(how))


def _digits_into_cjk(key: list[str], p: int) -> bool:
    while p < len(key) and key[p].isdigit():
        p += 1
    return p < len(key) and is_cjk(key[p])


@dataclass(frozen=True, slots=True)
class Hit:
    """Key positions ``[start, end)`` and what the text there may mean."""

    start: int
    end: int
    readings: tuple[Reading, ...]

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Hit) -> bool:
        return self.start < other.end and other.start < self.end


def dictionary_hits(text: QueryText, index: QueryIndex, start: int = 0, end: int | None = None) -> list[Hit]:
    """Every key of the index found between cuts (overlapping; the parser selects)."""
    key, cut = text.key, text.cut
    end = len(key) if end is None else end
    hits: list[Hit] = []
    for s in range(start, end):
        if not cut[s]:
            continue
        longest = index.max_len.get(key[s], 0)
        for e in range(s + 1, min(end, s + longest) + 1):
            if not cut[e]:
                continue
            readings = index.forms.get(key[s:e])
            if readings is None:
                continue
            if any(r.upper_only for r in readings) and not text.is_upper(s, e):
                readings = tuple(r for r in readings if not r.upper_only)
            if any(r.type is ReadingType.GENE for r in readings) and _score_value(text.surface(s, e), index):
                readings = tuple(r for r in readings if r.type is not ReadingType.GENE)  # TPS 1 is no TPS1
            if readings:
                hits.append(Hit(s, e, readings))
    return hits


def _score_value(surface: str, index: QueryIndex) -> bool:
    """Whether the text is a biomarker score and a number apart (``TPS 1``, ``CPS 10``): a value, no gene alias."""
    m = re.fullmatch(r"([A-Za-z]+)\s+\d", surface.strip())
    return m is not None and m.group(1).upper() in {c.score.upper() for b in index.vocab.biomarkers for c in b.cutoffs}


def pattern_hits(text: QueryText) -> list[Hit]:
    """Protein changes (T790M, p.Thr790Met, E746_A750del) and exon events in either language."""
    hits: list[Hit] = []
    for m in PROTEIN_CHANGE.finditer(text.norm):
        if len(m.group(2)) >= 2 and (name := normalise_protein_change(m.group(0))):
            hits.append(
                _event_hit(text, m.span(), Reading(ReadingType.EVENT, kind=AlterationKind.PROTEIN_CHANGE, name=name))
            )
    for m in _PROTEIN3.finditer(text.norm):
        written = "".join(part.capitalize() if part.isalpha() and len(part) == 3 else part for part in m.groups())
        if name := normalise_protein_change(written):
            hits.append(
                _event_hit(text, m.span(), Reading(ReadingType.EVENT, kind=AlterationKind.PROTEIN_CHANGE, name=name))
            )
    events = exon_events()
    changes = [(h.start, h.end) for h in hits]  # protein changes, found above
    for pattern in _exon_patterns():
        for m in pattern.finditer(text.norm):
            number, event = int(m.group(1)), events.event(m.group(2)) if m.group(2) else "MUT"
            reading = Reading(ReadingType.EVENT, kind=AlterationKind.EXON, name=f"EXON{number}{event}")
            hit = _event_hit(text, m.span(), reading)
            # a bare exon next to a protein change only says where it is (EGFR 21外显子 L858R)
            if not m.group(2) and any(s - 2 <= hit.end and hit.start <= e + 2 for s, e in changes):
                continue
            hits.append(hit)
    return [hit for hit in hits if hit.end > hit.start]


def _event_hit(text: QueryText, span: tuple[int, int], reading: Reading) -> Hit:
    raw_start = text.norm_src[span[0]]
    raw_end = text.norm_src[span[1] - 1] + 1
    start, end = text.key_span(raw_start, raw_end)
    return Hit(start, end, (reading,))


def fuzzy_hits(text: QueryText, index: QueryIndex, covered: list[bool]) -> list[Hit]:
    """Uncovered Latin words one edit from exactly one drug or tumor name (gefitnib -> gefitinib)."""
    hits: list[Hit] = []
    for s, e in text.words(0, len(text.key)):
        word = text.key[s:e]
        if any(covered[s:e]) or word in index.forms or not word.isascii():
            continue
        found: dict[tuple[ReadingType, tuple[str, ...]], Reading] = {}
        for key in index.fuzzy(word):
            for reading in index.readings(key):
                found.setdefault((reading.type, reading.ids), reading)
        if len(found) == 1:
            (reading,) = found.values()
            if reading.match != "ambiguous":
                hits.append(Hit(s, e, (replace(reading, match="fuzzy"),)))
    return hits
