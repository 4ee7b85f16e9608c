"""Tumor-type vocabulary: the OncoTree hierarchy with English and Chinese names.

``tumors_zh.tsv`` gives Chinese names and synonyms (:func:`load_tumor_zh`);
``spelling_variants.tsv`` the British spellings of English names (:func:`spelling_variants`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kb.domain import TumorType
from kb.text import name_key, split_list
from kb.vocab.tables import authored, read_table

__all__ = ["TumorNames", "TumorVocabulary", "load_tumor_zh", "spelling_variants"]


@dataclass(frozen=True, slots=True)
class TumorNames:
    """Authored names of one OncoTree code."""

    name_zh: str
    synonyms_zh: tuple[str, ...]
    synonyms_en: tuple[str, ...]


def load_tumor_zh(path: Path) -> dict[str, TumorNames]:
    """The authored Chinese tumor table: ``code -> TumorNames``."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            row["code"].strip(): TumorNames(
                row["name_zh"].strip(),
                split_list(row.get("synonyms_zh") or ""),
                split_list(row.get("synonyms_en") or ""),
            )
            for row in csv.DictReader(fh, delimiter="\t")
            if row.get("code")
        }


@cache
def spelling_variants() -> tuple[tuple[str, str], ...]:
    """``spelling_variants.tsv``: ``(American, British)`` parts of tumor names (tumor, tumour), in table order."""
    return tuple((row["us"], row["gb"]) for row in read_table(authored("spelling_variants.tsv")) if row["us"])


@dataclass
class TumorVocabulary:
    """OncoTree nodes by code, their children, and a name index (code, names, synonyms)."""

    nodes: dict[str, TumorType] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    _names: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, tumors: Iterable[TumorType]) -> TumorVocabulary:
        vocab = cls()
        for tumor in tumors:
            vocab.nodes[tumor.code] = tumor
            if tumor.parent:
                vocab.children.setdefault(tumor.parent, []).append(tumor.code)
            for name in (tumor.name, *tumor.synonyms, tumor.name_zh, *tumor.synonyms_zh):
                key = name_key(name)
                if key:
                    vocab._names.setdefault(key, set()).add(tumor.code)
        return vocab

    def lookup(self, name: str) -> tuple[str, ...]:
        """Codes whose name or synonym is ``name`` (several when ambiguous)."""
        return tuple(sorted(self._names.get(name_key(name), ())))

    def by_code(self, code: str) -> TumorType | None:
        return self.nodes.get(code.upper())

    def ancestors(self, code: str) -> list[str]:
        """Parent, grandparent ... up to (not including) the TISSUE root."""
        out: list[str] = []
        node = self.nodes.get(code)
        while node is not None and node.parent and node.parent != "TISSUE":
            out.append(node.parent)
            node = self.nodes.get(node.parent)
        return out

    def descendants(self, code: str) -> Iterator[str]:
        """Every code below ``code`` (depth first)."""
        stack = list(self.children.get(code, ()))
        while stack:
            child = stack.pop()
            yield child
            stack.extend(self.children.get(child, ()))

    def names(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Every name key with its codes (for building taggers)."""
        for key, codes in self._names.items():
            yield key, tuple(sorted(codes))

    def __contains__(self, code: object) -> bool:
        return code in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)
