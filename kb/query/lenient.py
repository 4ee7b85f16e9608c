"""Second readings of words the dictionary did not match: run-together terms, pinyin and homophones.

Each finder looks only at words that no concept hit covers, and gives a hit
only when exactly one concept fits (pinyin and homophones: or several concepts
of one type, as one ``ambiguous`` reading for the doctor to choose from);
anything else stays unresolved, because a wrong concept is worse than none
(rules and examples in ``docs/query.md``, "Normalisation"):

* :func:`split_hits`: a Latin word glued from a gene name and an event
  (``EGFRL858R``, ``EGFR19del``, ``HER2amp``) is read as the two; when several
  cuts give a gene and an event, the longest gene name wins;
* :func:`pinyin_hits`: a Latin word, or words spaced or joined by ``'`` or
  ``-``, that spell the whole toneless pinyin of a Chinese concept name
  (``tairuisha``, ``tai rui sha``) on its syllable boundaries;
* :func:`homophone_hits`: Chinese characters that sound like a name of three
  characters or more, differ from it in few characters (a pinyin keyboard's
  wrong choice: 黑色素留 for 黑色素瘤) and stand on their own in the text.

:func:`glued_into_name` drops a pattern hit glued to letters that are no gene
name (``9p21缺失``) or that would cut a name short (``16缺失`` in ``p16缺失``,
where p16 is a gene name).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace

from kb.chinese import char_readings
from kb.query.forms import Reading, ReadingType
from kb.query.index import QueryIndex
from kb.query.pinyin import PINYIN_MIN_LETTERS, PinyinName
from kb.query.scan import Hit, QueryText, normalise, pattern_hits
from kb.text import is_cjk

__all__ = ["glued_into_name", "homophone_hits", "pinyin_hits", "split_hits"]

_PINYIN_JOINS = frozenset(" '’-")
_EVENT_TYPES = (ReadingType.EVENT, ReadingType.POLARITY)


def glued_into_name(text: QueryText, hit: Hit, dictionary: list[Hit]) -> bool:
    """A pattern hit that starts inside a Latin word without a gene name right before it (``9p21缺失``), or
    where a name runs into it (``p16缺失``: p16 is CDKN2A); ``MET14跳跃`` and ``EGFR19号外显子缺失`` are kept."""
    if not text.glued(hit.start):
        return False
    gene_before = any(d.end == hit.start and any(r.type is ReadingType.GENE for r in d.readings) for d in dictionary)
    return not gene_before or any(d.start < hit.start < d.end for d in dictionary)


def _one(readings: Iterable[Reading]) -> Reading | None:
    """The reading when all name one resolved concept; an ``ambiguous`` one with every candidate when they
    name several concepts of one type (阿伐替尼 and 阿法替尼 sound alike); else ``None``."""
    found = {(r.type, r.ids): r for r in readings}
    if len(found) == 1:
        (reading,) = found.values()
        return reading
    types = {r.type for r in found.values()}
    if len(types) != 1 or any(r.match == "ambiguous" for r in found.values()):
        return None
    ids = tuple(sorted({i for r in found.values() for i in r.ids}))
    return Reading(types.pop(), ids, "ambiguous")


def _as(reading: Reading, how: str) -> Reading:
    return reading if reading.match == "ambiguous" else replace(reading, match=how)


# --- run-together --------------------------------------------------------------------------------------


def split_hits(text: QueryText, index: QueryIndex, covered: list[bool]) -> list[Hit]:
    """Uncovered Latin words that are a gene name glued to an event (``BRAFV600E``, ``PTENloss``)."""
    hits: list[Hit] = []
    for s, e in text.words(0, len(text.key)):
        if any(covered[s:e]) or not text.key[s:e].isascii() or not text.key[s].isalpha():
            continue
        # the longest gene name first, as in the dictionary scan: EGFR19del is EGFR + 19del, not EGF + R19del
        for p in range(e - 1, s + 1, -1):
            gene = _gene(text, index, s, p)
            event = _event(text, index, p, e) if gene is not None else None
            if gene is not None and event is not None:
                hits += [Hit(s, p, (gene,)), Hit(p, e, (event,))]
                break
    return hits


def _gene(text: QueryText, index: QueryIndex, start: int, end: int) -> Reading | None:
    readings = index.readings(text.key[start:end])
    upper = text.is_upper(start, end)
    genes = [r for r in readings if r.type is ReadingType.GENE and (upper or not r.upper_only)]
    return genes[0] if genes else None


def _event(text: QueryText, index: QueryIndex, start: int, end: int) -> Reading | None:
    """The event a word's tail reads as on its own: an event word or 阳性 / positive, a protein change,
    an exon event (``19del``)."""
    words = [r for r in index.readings(text.key[start:end]) if r.type in _EVENT_TYPES]
    if words:
        return words[0]
    tail = normalise(text.raw[text.src[start] : text.src[end - 1] + 1])
    whole = [h for h in pattern_hits(tail) if (h.start, h.end) == (0, len(tail.key))]
    return whole[0].readings[0] if whole else None


# --- pinyin --------------------------------------------------------------------------------------------


def pinyin_hits(text: QueryText, index: QueryIndex, covered: list[bool]) -> list[Hit]:
    """Uncovered Latin words spelling the pinyin of exactly one Chinese concept name."""
    hits: list[Hit] = []
    for run in _latin_runs(text, covered):
        i = 0
        while i < len(run):
            i, hit = _spelled(text, index, run, i)
            if hit is not None:
                hits.append(hit)
    return hits


def _latin_runs(text: QueryText, covered: list[bool]) -> Iterator[list[tuple[int, int]]]:
    """Runs of uncovered, purely alphabetic Latin words joined by spaces, ``'`` or ``-``."""
    run: list[tuple[int, int]] = []
    for s, e in text.words(0, len(text.key)):
        word = text.key[s:e]
        if any(covered[s:e]) or not (word.isascii() and word.isalpha()):
            if run:
                yield run
            run = []
            continue
        if run and not _pinyin_join(text, run[-1][1], s):
            yield run
            run = []
        run.append((s, e))
    if run:
        yield run


def _pinyin_join(text: QueryText, end: int, start: int) -> bool:
    between = text.raw[text.src[end - 1] + 1 : text.src[start]]
    return all(c in _PINYIN_JOINS for c in unicodedata.normalize("NFKC", between))


def _spelled(text: QueryText, index: QueryIndex, run: list[tuple[int, int]], i: int) -> tuple[int, Hit | None]:
    """The longest words ``run[i:j]`` spelling a name: ``(j, hit)``; a spelling of several concepts is skipped
    whole; ``(i + 1, None)`` when no name is spelled from ``run[i]``."""
    for j in range(len(run), i, -1):
        words = [text.key[s:e] for s, e in run[i:j]]
        spelled = "".join(words)
        if len(spelled) < PINYIN_MIN_LETTERS or spelled in index.forms:
            continue
        names = [n for n in index.pinyin.spellings.get(spelled, ()) if len(n.syllables) >= 2 and _aligned(words, n)]
        if not names:
            continue
        reading = _one(r for name in names for r in name.readings)
        hit = Hit(run[i][0], run[j - 1][1], (_as(reading, "pinyin"),)) if reading is not None else None
        return j, hit
    return i + 1, None


def _aligned(words: list[str], name: PinyinName) -> bool:
    """Every word is whole syllables of the name (``tai rui sha``, not ``ta irui sha``)."""
    bounds = {0}
    at = 0
    for syllable in name.syllables:
        at += len(syllable)
        bounds.add(at)
    at = 0
    for word in words:
        at += len(word)
        if at not in bounds:
            return False
    return True


# --- homophones ----------------------------------------------------------------------------------------


def homophone_hits(text: QueryText, index: QueryIndex, covered: list[bool], dictionary: list[Hit]) -> list[Hit]:
    """Uncovered Chinese that sounds like a concept name (one concept, or several of one type: ambiguous),
    differs from it in few characters and stands on its own: at both ends the text ends, or a non-Chinese
    character, a concept or a stop word begins (评估肿瘤 holds no homophone of 骨肿瘤: 估 starts no word)."""
    hits: list[Hit] = []
    edges = {p for hit in dictionary for p in (hit.start, hit.end)}  # where a concept or a stop word may be
    for s, e in _cjk_runs(text, covered):
        bounds = edges | {s, e}
        i = s
        while i < e:
            if i not in bounds:
                i += 1
                continue
            found = [(end, names) for end, names in _sounds_like(text.key, index, i, e) if end in bounds]
            if not found:
                i += 1
                continue
            end, names = found[-1]
            reading = _one(r for name in names for r in name.readings)
            if reading is not None:
                hits.append(Hit(i, end, (_as(reading, "homophone"),)))
            i = end
    return hits


def _differences_allowed(length: int) -> int:
    """How many characters a homophone may differ from a name of ``length`` characters: 1, 2 from six."""
    return max(1, length // 3)


def _cjk_runs(text: QueryText, covered: list[bool]) -> Iterator[tuple[int, int]]:
    p, size = 0, len(text.key)
    while p < size:
        if covered[p] or not is_cjk(text.key[p]):
            p += 1
            continue
        q = p + 1
        while q < size and not covered[q] and is_cjk(text.key[q]) and text.src[q] - text.src[q - 1] == 1:
            q += 1
        yield p, q
        p = q


def _sounds_like(key: str, index: QueryIndex, start: int, end: int) -> Iterator[tuple[int, list[PinyinName]]]:
    """Every span from ``start``, shortest first, that sounds like names it differs from in few characters."""
    pinyin = index.pinyin
    states: set[tuple[str, ...]] = {()}
    for k in range(start, min(end, start + pinyin.longest)):
        readings = char_readings(key[k])
        states = {grown for state in states for r in readings if (grown := (*state, r)) in pinyin.sound_prefixes}
        if not states:
            return
        span = key[start : k + 1]
        names = [
            name
            for state in states
            for name in pinyin.sounds.get(state, ())
            if 0 < sum(a != b for a, b in zip(name.key, span, strict=True)) <= _differences_allowed(len(span))
        ]
        if names:
            yield k + 1, names
