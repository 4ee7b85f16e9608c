"""Text analysis for search, done in ``kb`` so every backend indexes the same tokens.

``analyze`` turns text into index terms: NFKC and case folding, word tokens with
English stop words removed (the ``search`` rows of ``kb/vocab/data/stop_words.tsv``)
and Snowball (Porter 2) stems, hyphenated names both split and joined (``PD-L1``
gives ``pd``, ``l1`` and ``pdl1``), and Chinese as character bigrams. Backends
index ``" ".join(analyze(text))`` with a plain whitespace/unicode tokenizer and
score it with BM25.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

from kb.domain import Evidence
from kb.text import fold
from kb.vocab.words import StopContext, stop_words

__all__ = ["analyze", "analyzed_text", "evidence_fields", "evidence_text"]

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
    stops = stop_words(StopContext.SEARCH)
    for token in _WORD.findall(fold(text)):
        if _CJK.match(token):
            terms.extend(token[i : i + 2] for i in range(max(len(token) - 1, 1)))
            continue
        parts = [p for p in _PARTS.split(token) if p]
        if len(parts) > 1:
            terms.append("".join(parts))
        for part in parts:
            if part not in stops and not (len(part) == 1 and part.isalpha()):
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
