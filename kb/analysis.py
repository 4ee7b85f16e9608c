"""Text analysis for search, done in ``kb`` so every backend indexes the same tokens.

``analyze`` turns text into index terms: NFKC and case folding, word tokens with
English stopwords removed and Snowball (Porter 2) stems, hyphenated names both
split and joined (``PD-L1`` gives ``pd``, ``l1`` and ``pdl1``), and Chinese as
character bigrams. Backends index ``" ".join(analyze(text))`` with a plain
whitespace/unicode tokenizer and score it with BM25.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

from kb.domain import Evidence
from kb.text import fold

__all__ = ["STOPWORDS", "analyze", "analyzed_text", "evidence_fields", "evidence_text"]

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "et",
        "al",
        "may",
        "might",
        "must",
        "shall",
        "would",
        "within",
        "without",
        "via",
        "vs",
        "versus",
    ]
)

_WORD = re.compile(r"[a-z0-9]+(?:[-/.][a-z0-9]+)*|[\u3400-\u4dbf\u4e00-\u9fff]+")
_PARTS = re.compile(r"[-/.]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    return str(_STEMMER.stemWord(word))


def analyze(text: str) -> list[str]:
    """Index terms of ``text`` (see the module docstring)."""
    terms: list[str] = []
    for token in _WORD.findall(fold(text)):
        if _CJK.match(token):
            terms.extend(token[i : i + 2] for i in range(max(len(token) - 1, 1)))
            continue
        parts = [p for p in _PARTS.split(token) if p]
        if len(parts) > 1:
            terms.append("".join(parts))
        for part in parts:
            if part not in STOPWORDS and not (len(part) == 1 and part.isalpha()):
                terms.append(_stem(part))
    return terms


def analyzed_text(*fields: str) -> str:
    """The analyzed terms of ``fields`` joined by spaces, as the backends index them."""
    return " ".join(term for text in fields if text for term in analyze(text))


def evidence_fields(item: Evidence) -> str:
    """The structured fields of an evidence item as text: gene, variant, disease and drugs."""
    variant = item.alteration.label or item.alteration.name
    return " ".join(p for p in (item.gene, variant, item.disease, ", ".join(item.drugs)) if p)


def evidence_text(item: Evidence) -> str:
    """The searchable text of an evidence item (what is embedded): its fields and statement."""
    return " ".join(p for p in (evidence_fields(item), item.statement) if p)
