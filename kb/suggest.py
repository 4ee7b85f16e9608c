"""Autocomplete over gene, tumor and drug names in Chinese and English, pinyin included.

A prefix is folded (full-width to half-width, case) and made Simplified
(:func:`kb.chinese.to_simplified`), then completed three ways: the names
themselves, the toneless pinyin of the Chinese names (``aoxi`` -> 奥希替尼,
spaces ignored) and their pinyin initials (``axt`` -> 奥希替尼); the last two
from two Latin letters on.

Order: a name that is the whole prefix first; then by :class:`Rank` (clinical
concepts before rarely used gene symbols: ``MSI`` shows what oncology means by
it before the Musashi genes MSI1/MSI2); then names before pinyin before
initials; then shorter names first.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum

from kb.chinese import is_chinese, syllables, to_simplified
from kb.text import fold, is_cjk
from kb.vocab import Vocabularies

__all__ = ["PINYIN_MIN_LETTERS", "Rank", "Suggester", "Suggestion", "distinct", "vocabulary_names"]

#: Pinyin and initials complete a prefix of this many Latin letters or more.
PINYIN_MIN_LETTERS = 2
_SCAN = 2000  # entries read past the first key with the prefix, per way of matching


class Rank(IntEnum):
    """Where an entry ranks among the completions of a prefix, best first."""

    FIRST = 0  # what a doctor means by a clinical abbreviation before any gene symbol (biomarkers: MSI-H)
    CLINICAL = 1  # genes with curated evidence or a Chinese name; drugs and tumors with a Chinese name
    OTHER = 2  # other drugs and tumor types
    RARE_GENE = 3  # gene symbols with neither evidence nor a Chinese name


class _Way(IntEnum):
    NAME = 0
    PINYIN = 1
    INITIALS = 2


@dataclass(frozen=True, slots=True)
class Suggestion:
    type: str  # gene | tumor | drug | biomarker
    id: str
    label: str
    label_zh: str
    matched: str  # the name that matched the prefix (the Chinese name for pinyin)


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    rank: Rank
    suggestion: Suggestion


class _Keys:
    """Entries sorted by key, for prefix look-up."""

    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = sorted(entries, key=lambda e: e.key)
        self.keys = [e.key for e in self.entries]

    def starting(self, prefix: str) -> list[_Entry]:
        start = bisect.bisect_left(self.keys, prefix)
        out = []
        for entry in self.entries[start : start + _SCAN]:
            if not entry.key.startswith(prefix):
                break
            out.append(entry)
        return out


def vocabulary_names(
    vocab: Vocabularies, *, prominent: set[str] | frozenset[str] = frozenset()
) -> Iterator[tuple[str, Rank, Suggestion]]:
    """Every name of a gene, tumor, drug and biomarker with its :class:`Rank` and the concept it names.

    Each kind has its loop here (a new kind adds one); ``prominent`` holds ``gene:SYMBOL`` keys of
    genes to rank as clinical (those with curated evidence). Shared by autocomplete and
    :mod:`kb.didyoumean`.
    """
    for gene in vocab.genes.genes.values():
        rank = Rank.CLINICAL if f"gene:{gene.symbol}" in prominent or gene.name_zh else Rank.RARE_GENE
        yield gene.symbol, rank, Suggestion("gene", gene.symbol, gene.symbol, gene.name_zh, gene.symbol)
        for name in (gene.name_zh, *gene.synonyms_zh):
            yield name, rank, Suggestion("gene", gene.symbol, gene.symbol, gene.name_zh, name)
    for tumor in vocab.tumors.nodes.values():
        rank = Rank.CLINICAL if tumor.name_zh else Rank.OTHER
        for name in (tumor.code, tumor.name, tumor.name_zh, *tumor.synonyms, *tumor.synonyms_zh):
            yield name, rank, Suggestion("tumor", tumor.code, tumor.name, tumor.name_zh, name)
    for drug in vocab.drugs.drugs.values():
        if drug.members:
            continue
        rank = Rank.CLINICAL if drug.name_zh else Rank.OTHER
        for name in (drug.name, drug.name_zh, *drug.synonyms_zh, *drug.brands, *drug.brands_zh):
            yield name, rank, Suggestion("drug", drug.inn, drug.name, drug.name_zh, name)
    for biomarker in vocab.biomarkers:
        for name in (biomarker.id, biomarker.name, biomarker.name_zh, *biomarker.synonyms, *biomarker.synonyms_zh):
            yield name, Rank.FIRST, Suggestion("biomarker", biomarker.id, biomarker.name, biomarker.name_zh, name)


class Suggester:
    """Prefix indexes over folded names, their pinyin and their pinyin initials.

    The names and their :class:`Rank` come from :func:`vocabulary_names`; Chinese names get their
    pinyin and initials here.
    """

    def __init__(self, vocab: Vocabularies, *, prominent: set[str] | frozenset[str] = frozenset()) -> None:
        self._ways: dict[_Way, list[_Entry]] = {way: [] for way in _Way}
        for name, rank, suggestion in vocabulary_names(vocab, prominent=prominent):
            self._add(name, rank, suggestion)
        self._keys = {way: _Keys(entries) for way, entries in self._ways.items()}

    def _add(self, name: str, rank: Rank, suggestion: Suggestion) -> None:
        """Index ``name`` and, for a Chinese name, its pinyin and initials."""
        key = fold(name)
        if not key:
            return
        self._ways[_Way.NAME].append(_Entry(key, rank, suggestion))
        compact = key.replace(" ", "")
        if is_cjk(compact[0]) and is_chinese(compact):
            sound = syllables(compact)
            if all(s.isascii() and s.isalpha() for s in sound):
                self._ways[_Way.PINYIN].append(_Entry("".join(sound), rank, suggestion))
                self._ways[_Way.INITIALS].append(_Entry("".join(s[0] for s in sound), rank, suggestion))

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        key = to_simplified(fold(prefix))
        if not key:
            return []
        found: list[tuple[bool, Rank, _Way, int, str, Suggestion]] = []
        latin = key.replace(" ", "").replace("'", "")
        for way, keys in self._keys.items():
            typed = key if way is _Way.NAME else latin
            if way is not _Way.NAME and not (len(typed) >= PINYIN_MIN_LETTERS and typed.isascii() and typed.isalpha()):
                continue
            for entry in keys.starting(typed):
                s = entry.suggestion
                found.append((entry.key != typed, entry.rank, way, len(entry.key), s.id, s))
        found.sort(key=lambda f: f[:5])
        return distinct([f[-1] for f in found], limit)


def distinct(suggestions: Iterable[Suggestion], limit: int) -> list[Suggestion]:
    """The first ``limit`` suggestions in order, each concept once."""
    out: list[Suggestion] = []
    seen: set[tuple[str, str]] = set()
    for suggestion in suggestions:
        if (suggestion.type, suggestion.id) not in seen:
            seen.add((suggestion.type, suggestion.id))
            out.append(suggestion)
            if len(out) == limit:
                break
    return out
