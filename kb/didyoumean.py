"""Honest empty answers: whether a query was understood, and what its words may have meant.

**Understood.** A query is understood when it resolves at least one concept, or, resolving none,
when its words match the library lexically: more than half (:data:`MIN_FOUND_SHARE`) of the words
the parser left unresolved (``ParsedQuery.unresolved``: whole words, stop words excluded; a word
whose analysed terms are all stop words or single letters does not count) occur in the index, that
is, BM25 finds at least one article or evidence item holding one of the word's analysed terms.
A query with no such word (``mutation`` alone, an intent word alone, nothing at all) is not
understood. The measure is the same on both backends: it asks whether a term occurs, never how
high a score is. Not understood, the search answers with no evidence, no articles and no tests.

**Did you mean.** Each unresolved word (:func:`typed_words`; and, for several words, the words
together: a misspelt two-word name) is compared with every name of the vocabularies
(:func:`kb.suggest.vocabulary_names`: genes, tumors, drugs and biomarkers, English and Chinese)
by edit distance (rapidfuzz):

* a Latin word with the folded Latin names and with the toneless pinyin of the Chinese names
  (``aoxitinni`` -> 奥希替尼), by optimal string alignment (a swap of two letters is one edit:
  ``BRFA`` -> BRAF), at most one edit per four letters, rounded (``(len + 1) // 4``: one for 3 to 6
  letters, two for 7 to 10, three for 11 to 14);
* a Chinese word with the Chinese names, character by character, and with their syllables, syllable
  by syllable (a wrong character of another sound, one too many), at most ``len // 3`` edits
  (words of 3 characters or more).

Suggestions are ordered by edit distance, then clinical concepts first (:class:`kb.suggest.Rank`),
then names before pinyin, then names as long as the word typed before longer or shorter ones
(``EGRF``: EGFR before EGF). Gene symbols with neither curated evidence nor a
Chinese name are never suggested: among 40,000 symbols nearly any short word is one edit from one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from kb.analysis import analyze
from kb.chinese import is_chinese, syllables, to_simplified
from kb.store.base import ArticleFilter, Backend, EvidenceFilter
from kb.suggest import Rank, Suggestion, distinct, vocabulary_names
from kb.text import fold, is_cjk
from kb.vocab import Vocabularies

if TYPE_CHECKING:
    from kb.query import ParsedQuery

__all__ = ["MIN_FOUND_SHARE", "DidYouMean", "found_in", "typed_words", "understood"]

#: A query that resolves no concept is understood when more than this share of its words occur in the index.
MIN_FOUND_SHARE = 0.5
#: Words of one query checked against the index and for suggestions (a query, not a document).
MAX_WORDS = 12
LATIN_LETTERS_PER_EDIT = 4
CHINESE_CHARS_PER_EDIT = 3


def understood(parsed: ParsedQuery, found: Callable[[str], bool]) -> bool:
    """Whether ``parsed`` resolved a concept or more than half its countable words are ``found``."""
    if parsed.concepts:
        return True
    # a word needs letters or Chinese: a bare number or value (50, ≥50%) says nothing by itself
    words = [w for w in parsed.unresolved[:MAX_WORDS] if analyze(w) and any(c.isalpha() for c in w)]
    hits = sum(1 for w in words if found(w))
    return bool(words) and hits > MIN_FOUND_SHARE * len(words)


def typed_words(parsed: ParsedQuery) -> list[str]:
    """The unresolved words, and the written word around each that is only a piece of one (the parser may leave
    奥希 and 尪 of 奥希替尪 unresolved: the whole word is what was meant)."""
    words = dict.fromkeys(parsed.unresolved)
    for token in parsed.text.split():
        if any(w in token and w != token for w in parsed.unresolved):
            words[token] = None
    return list(words)


def found_in(backend: Backend) -> Callable[[str], bool]:
    """Whether a word's analysed terms occur in an article or an evidence item of ``backend`` (no filters)."""

    def found(word: str) -> bool:
        terms = analyze(word)
        return bool(
            backend.bm25_articles(terms, limit=1, filters=ArticleFilter())
            or backend.bm25_evidence(terms, limit=1, filters=EvidenceFilter())
        )

    return found


@dataclass(frozen=True, slots=True)
class _Named:
    rank: Rank
    pinyin: bool
    suggestion: Suggestion


@dataclass(frozen=True, slots=True)
class _Near:
    distance: int
    longer: int  # characters (syllables) more or fewer than typed
    named: _Named


class _Names:
    """Keys (strings or syllable tuples) and what each names, for one way of comparing."""

    def __init__(self) -> None:
        self.named: dict[Hashable, list[_Named]] = {}
        self._keys: list[Hashable] = []

    def add(self, key: Hashable, named: _Named) -> None:
        if key not in self.named:
            self._keys.append(key)
        self.named.setdefault(key, []).append(named)

    def near(self, typed: Sequence[Hashable], edits: int, scorer: Callable[..., int]) -> Iterable[_Near]:
        """Every name within ``edits`` of ``typed``, with its distance and difference in length."""
        found = process.extract(typed, self._keys, scorer=scorer, score_cutoff=edits, limit=None)
        for key, distance, _ in found:
            for named in self.named[key]:
                yield _Near(int(distance), abs(len(key) - len(typed)), named)


class DidYouMean:
    """What unresolved query words may have meant, from the names of ``vocab``."""

    def __init__(self, vocab: Vocabularies, *, prominent: set[str] | frozenset[str] = frozenset()) -> None:
        self.vocab = vocab
        self._latin = _Names()  # folded Latin names and the joined pinyin of Chinese names
        self._chinese = _Names()  # Chinese names
        self._syllables = _Names()  # the syllables of Chinese names
        for name, rank, suggestion in vocabulary_names(vocab, prominent=prominent):
            if rank is Rank.RARE_GENE:
                continue
            key = to_simplified(fold(name))
            if not key:
                continue
            if not is_chinese(key.replace(" ", "")):
                self._latin.add(key, _Named(rank, False, suggestion))
                continue
            key = key.replace(" ", "")
            self._chinese.add(key, _Named(rank, False, suggestion))
            sound = syllables(key)
            if len(sound) == len(key) and all(s.isascii() and s.isalpha() for s in sound):
                self._syllables.add(sound, _Named(rank, True, suggestion))
                self._latin.add("".join(sound), _Named(rank, True, suggestion))

    def suggest(self, words: Sequence[str], *, limit: int = 5) -> list[Suggestion]:
        """Concepts that ``words`` (query words no concept matched) may have meant, best first."""
        typed = [to_simplified(fold(w)).strip() for w in words[:MAX_WORDS]]
        typed = [w for w in typed if w]
        if len(typed) > 1:
            typed.append(" ".join(typed))
        found: list[tuple[int, Rank, bool, int, str, Suggestion]] = []
        for word in typed:
            for near in self._near(word):
                s = near.named.suggestion
                found.append((near.distance, near.named.rank, near.named.pinyin, near.longer, s.id, s))
        found.sort(key=lambda f: f[:5])
        return distinct([f[-1] for f in found], limit)

    def _near(self, word: str) -> Iterable[_Near]:
        compact = word.replace(" ", "")
        if is_chinese(compact):
            edits = len(compact) // CHINESE_CHARS_PER_EDIT
            if edits:
                yield from self._chinese.near(compact, edits, Levenshtein.distance)
                yield from self._syllables.near(syllables(compact), edits, Levenshtein.distance)
            return
        if any(is_cjk(c) for c in compact):  # Chinese and Latin run together: the parser's business
            return
        edits = (len(compact) + 1) // LATIN_LETTERS_PER_EDIT
        if edits:
            yield from self._latin.near(word, edits, OSA.distance)
