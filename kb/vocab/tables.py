"""The authored tables in ``kb/vocab/data``: where they are, how they are read, and their word syntax.

A table is UTF-8 TSV with a header row. Lines starting with ``#`` before it say
what each column means; :func:`read_table` skips them. The rule tables
(``stop_words.tsv``, ``context_words.tsv``, ``alteration_words.tsv`` ...) are
read once, on first use, by a cached loader beside the code that uses them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

__all__ = ["authored", "read_table", "word_alternation"]


def authored(name: str) -> Path:
    """Path of an authored table shipped in ``kb/vocab/data``."""
    return Path(str(files("kb.vocab") / "data" / name))


def read_table(path: Path) -> list[dict[str, str]]:
    """The rows of a TSV table as stripped strings (``""`` for an empty or missing cell), comments skipped."""
    with path.open(encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        return [
            {key: (value or "").strip() for key, value in row.items() if key is not None}
            for row in csv.DictReader(lines, delimiter="\t")
        ]


def word_alternation(words: Iterable[str], *, plural: bool = False) -> str:
    """A regex alternation of table words, to be compiled case-insensitive.

    A word matches as a whole word, and a space in it also matches a hyphen
    (``wild type`` matches ``wild-type``); ``word*`` matches any ending and
    ``*word`` any beginning (``amplifi*``, ``*kinase``). With ``plural``, a
    word may end in ``s``.
    """
    s = "s?" if plural else ""
    parts = []
    for word in words:
        if word.endswith("*"):
            parts.append(rf"\b{_escape(word[:-1])}\w*")
        elif word.startswith("*"):
            parts.append(rf"{_escape(word[1:])}{s}\b")
        else:
            parts.append(rf"\b{_escape(word)}{s}\b")
    return "|".join(parts) or "(?!)"


def _escape(word: str) -> str:
    return re.escape(word).replace(r"\ ", r"[\s-]")
