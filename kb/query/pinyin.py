"""The pinyin of every Chinese name of the query index, built once with it.

Two look-ups, both over the names that are concepts (genes, tumors, drugs and
any other kind; not stop words, event words or 阳性):

* ``spellings``: the toneless pinyin of a name written as one Latin word
  (``tairuisha`` -> 泰瑞沙) -> the names spelled so, with their syllables, so that
  a query that spaces the syllables (``tai rui sha``) can be checked against
  syllable boundaries. A spelling that is an English word (a word of the
  evidence statements or an English stop word: ``human`` would spell 胡曼) is
  left out: a word is never hijacked;
* ``sounds``: the syllables of a name of three characters or more -> the names
  that sound so, for homophone typos of pinyin keyboards (黑色素留 for 黑色素瘤),
  with every prefix of every name's syllables for a walk that stops early.

Pinyin initials (``axtn``) are too ambiguous to read a query by; only
autocomplete uses them (:mod:`kb.suggest`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kb.chinese import is_chinese, syllables
from kb.query.forms import Reading, ReadingType

__all__ = [
    "HOMOPHONE_MIN_CHARS",
    "PINYIN_MIN_LETTERS",
    "PinyinIndex",
    "PinyinName",
    "build_pinyin_index",
    "english_words",
]

#: Reading types that pinyin never produces: words around concepts, not concepts.
_WORD = re.compile(r"[a-z]+")
_NOT_NAMES = frozenset({ReadingType.STOP, ReadingType.EVENT, ReadingType.POLARITY, ReadingType.FUSION})
#: A homophone is looked for only in names of this many characters or more (two-character names
#: such as 肺癌 sound like too many everyday words).
HOMOPHONE_MIN_CHARS = 3
#: A Latin word is read as pinyin only when it has this many letters and two syllables or more.
PINYIN_MIN_LETTERS = 5


@dataclass(frozen=True, slots=True)
class PinyinName:
    """A Chinese name of the index (its matching key), its syllables and its concept readings."""

    key: str
    syllables: tuple[str, ...]
    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class PinyinIndex:
    spellings: Mapping[str, tuple[PinyinName, ...]] = field(default_factory=dict)
    sounds: Mapping[tuple[str, ...], tuple[PinyinName, ...]] = field(default_factory=dict)
    sound_prefixes: frozenset[tuple[str, ...]] = frozenset()
    longest: int = 0  # characters of the longest name in ``sounds``


def english_words(texts: Iterable[str]) -> frozenset[str]:
    """The lower-case Latin words of English texts (the evidence statements)."""
    words: set[str] = set()
    for text in texts:
        words.update(_WORD.findall(text.casefold()))
    return frozenset(words)


def build_pinyin_index(forms: Iterable[tuple[str, tuple[Reading, ...]]], english: frozenset[str]) -> PinyinIndex:
    """Pinyin of the Chinese names among ``forms`` (matching key -> readings), spellings that are words of
    ``english`` left out; about 0.1 s for 3,000 names."""
    spellings: dict[str, list[PinyinName]] = defaultdict(list)
    sounds: dict[tuple[str, ...], list[PinyinName]] = defaultdict(list)
    prefixes: set[tuple[str, ...]] = set()
    longest = 0
    for key, readings in forms:
        if not is_chinese(key):
            continue
        names = tuple(r for r in readings if r.type not in _NOT_NAMES)
        if not names:
            continue
        sound = syllables(key)
        if len(sound) != len(key) or not all(s.isascii() and s.isalpha() for s in sound):
            continue
        name = PinyinName(key, sound, names)
        if "".join(sound) not in english:
            spellings["".join(sound)].append(name)
        if len(key) >= HOMOPHONE_MIN_CHARS:
            sounds[sound].append(name)
            prefixes.update(sound[:i] for i in range(1, len(sound) + 1))
            longest = max(longest, len(key))
    return PinyinIndex(
        spellings={k: tuple(v) for k, v in spellings.items()},
        sounds={k: tuple(v) for k, v in sounds.items()},
        sound_prefixes=frozenset(prefixes),
        longest=longest,
    )
