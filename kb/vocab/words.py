"""Word lists that are no concept names: the stop words, the intent words, and the context words of the tagger.

``stop_words.tsv`` is the one stop-word table; its ``context`` column says where
a word is a stop word (:class:`StopContext`). The query also consumes spaCy's
English and Chinese lists (:func:`spacy_stop_words`), read here too so that
every stop word comes from this module. ``intent_words.tsv`` holds the words that
say what a doctor asks (耐药, 预后, germline: :class:`Intent`, :func:`intent_words`).
``context_words.tsv`` holds the words around a mention that decide how the tagger
reads it (:class:`ContextWords`). Each table is read once, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from kb.text import is_cjk
from kb.vocab.tables import authored, read_table

__all__ = [
    "ContextWords",
    "Intent",
    "IntentWord",
    "StopContext",
    "StopWord",
    "context_words",
    "intent_words",
    "load_stop_words",
    "spacy_stop_words",
    "stop_words",
]


class StopContext(StrEnum):
    """Where a word is a stop word."""

    SEARCH = "search"  # not an index term for BM25 (kb.analysis), in documents and queries alike
    QUERY = "query"  # filler in a doctor's query: consumed between concepts, never unresolved (kb.query)
    NOT_GENE = "not_gene"  # an abbreviation for something else: never a gene name (kb.tagging, kb.query)


@dataclass(frozen=True, slots=True)
class StopWord:
    """One row of ``stop_words.tsv``."""

    word: str
    contexts: frozenset[StopContext]
    note: str = ""


@cache
def load_stop_words() -> tuple[StopWord, ...]:
    """``stop_words.tsv``; an unknown context is an error in the table, so it raises ``ValueError``."""
    return tuple(
        StopWord(row["word"], frozenset(StopContext(c.strip()) for c in row["context"].split("|")), row["note"])
        for row in read_table(authored("stop_words.tsv"))
        if row["word"]
    )


@cache
def stop_words(context: StopContext) -> frozenset[str]:
    """The words of ``stop_words.tsv`` that are stop words in ``context``, as written in the table."""
    return frozenset(row.word for row in load_stop_words() if context in row.contexts)


@cache
def spacy_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words of ``"en"``, or the ones of ``"zh"`` written in Chinese characters only.

    Only the query reads them; spaCy is imported on first use so that text
    analysis does not load it.
    """
    if lang == "en":
        from spacy.lang.en.stop_words import STOP_WORDS as english

        return frozenset(english)
    if lang == "zh":
        from spacy.lang.zh.stop_words import STOP_WORDS as chinese

        return frozenset(w for w in chinese if all(is_cjk(c) for c in w))
    raise ValueError(f"no spaCy stop words for {lang!r}: expected 'en' or 'zh'")


class Intent(StrEnum):
    """What a doctor asks about the concepts of a query (``intent_words.tsv``)."""

    RESISTANCE = "resistance"  # 耐药: what confers resistance, what works after it
    SENSITIVITY = "sensitivity"  # 敏感, 疗效, 治疗: does it respond, what treats it
    PROGNOSIS = "prognosis"  # 预后
    DIAGNOSIS = "diagnosis"  # 诊断
    GERMLINE = "germline"  # 胚系, 遗传: inherited predisposition


@dataclass(frozen=True, slots=True)
class IntentWord:
    """One row of ``intent_words.tsv``."""

    word: str
    lang: str
    intent: Intent


@cache
def intent_words() -> tuple[IntentWord, ...]:
    """``intent_words.tsv``; an unknown intent or language is an error in the table: ``ValueError``."""
    out = []
    for row in read_table(authored("intent_words.tsv")):
        if row["lang"] not in ("zh", "en"):
            raise ValueError(f"intent_words.tsv: {row['word']!r} has language {row['lang']!r}; use zh or en")
        out.append(IntentWord(row["word"], row["lang"], Intent(row["intent"])))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ContextWords:
    """``context_words.tsv``: table words (syntax of :func:`kb.vocab.tables.word_alternation`) by context."""

    gene_cue: tuple[str, ...]  # a long form with one of these names a gene or protein
    tumor_cue: tuple[str, ...]  # a long form with one of these names a tumor
    not_fusion: tuple[str, ...]  # after a gene pair: a pathway or an interaction, not a fusion


@cache
def context_words() -> ContextWords:
    """``context_words.tsv``; an unknown context raises ``ValueError``."""
    found: dict[str, list[str]] = {"gene_cue": [], "tumor_cue": [], "not_fusion": []}
    for row in read_table(authored("context_words.tsv")):
        if row["context"] not in found:
            raise ValueError(f"context_words.tsv: unknown context {row['context']!r} of {row['word']!r}")
        found[row["context"]].append(row["word"])
    return ContextWords(*(tuple(found[name]) for name in ("gene_cue", "tumor_cue", "not_fusion")))
