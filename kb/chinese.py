"""Chinese as typed on a phone: Traditional characters, full-width forms and pinyin.

Pure functions over text, shared by query understanding (:mod:`kb.query`) and
autocomplete (:mod:`kb.suggest`). The conversions come from libraries, never
from tables of our own: OpenCC (``t2s``) turns Traditional characters into
Simplified ones, pypinyin gives the toneless pinyin of a name (``ü`` written
``v``, as pinyin keyboards take it) and every reading of a character.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import opencc
from pypinyin import Style, lazy_pinyin, pinyin

from kb.text import is_cjk, name_key

__all__ = ["char_readings", "is_chinese", "is_widened", "syllables", "to_simplified"]


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` with Traditional characters made Simplified, one character for one.

    OpenCC converts phrase by phrase; if it ever changes the length, each
    character is converted on its own (keeping it when it would become two), so
    position ``i`` of the result always stands for position ``i`` of ``text``.
    """
    if not any(is_cjk(c) for c in text):
        return text
    converted: str = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    out = []
    for char in text:
        one: str = _t2s().convert(char) if is_cjk(char) else char
        out.append(one if len(one) == 1 else char)
    return "".join(out)


def is_widened(char: str) -> bool:
    """A full-width or other compatibility form of a letter, digit or sign (``Ｅ``, ``７``, ``＋``):
    NFKC changes it and the result is part of a matching key."""
    return not is_cjk(char) and unicodedata.normalize("NFKC", char) != char and bool(name_key(char))


def is_chinese(text: str) -> bool:
    """Only CJK characters (and at least one)."""
    return bool(text) and all(is_cjk(c) for c in text)


def syllables(name: str) -> tuple[str, ...]:
    """The toneless pinyin of a Chinese name, one syllable per character (``泰瑞沙`` -> tai, rui, sha);
    pypinyin reads polyphonic characters in the context of their phrase."""
    return tuple(s.casefold() for s in lazy_pinyin(name, style=Style.NORMAL, v_to_u=False))


@cache
def char_readings(char: str) -> frozenset[str]:
    """Every toneless reading of one character (``重`` -> zhong, chong, tong); empty for no CJK character."""
    if not is_cjk(char):
        return frozenset()
    (readings,) = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore") or [[]]
    return frozenset(r.casefold() for r in readings if r.isalpha())
