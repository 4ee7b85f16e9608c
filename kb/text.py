"""Text normalisation shared by vocabularies, tagging and query understanding."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "is_cjk", "name_key", "split_list"]

_KEY_STRIP = re.compile(r"[\s\-_/.,:;()\[\]'\"·•–—]+")


def fold(text: str) -> str:
    """NFKC (full-width to half-width), casefold and collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def name_key(text: str) -> str:
    """Matching key of a name: folded, with spaces and punctuation removed.

    ``"Her-2"``, ``"HER2"`` and ``"her 2"`` share the key ``"her2"``.
    """
    return _KEY_STRIP.sub("", fold(text))


def is_cjk(char: str) -> bool:
    """True for a CJK unified ideograph."""
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def split_list(value: str, sep: str = "|") -> tuple[str, ...]:
    """Split a ``|``-separated cell into stripped, non-empty items."""
    return tuple(item.strip() for item in value.split(sep) if item.strip())
