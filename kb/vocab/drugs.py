"""Drug vocabulary: INNs with English, Chinese and brand names, and combinations; the curated targets of
``drug_targets.tsv`` (:func:`load_drug_targets`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kb.domain import Drug
from kb.text import name_key
from kb.vocab.tables import authored, read_table

__all__ = ["DrugTarget", "DrugVocabulary", "inn_of", "load_drug_targets", "split_combination"]

_SALTS = re.compile(
    r"\s+(mesylate|mesilate|hydrochloride|dihydrochloride|tosylate|maleate|malate|citrate|sulfate|"
    r"phosphate|tartrate|besylate|succinate|acetate|sodium|potassium|dimaleate|ditosylate|hcl)$",
    re.IGNORECASE,
)
_COMBO_SPLIT = re.compile(r"\s*(?:\+|,|;| and | plus |/)\s*", re.IGNORECASE)


def inn_of(name: str) -> str:
    """Stable lowercase INN of a drug name: ``"Imatinib Mesylate"`` -> ``"imatinib"``."""
    return _SALTS.sub("", " ".join(name.split())).casefold()


def split_combination(name: str) -> tuple[str, ...]:
    """``"Dabrafenib + Trametinib"`` -> ``("dabrafenib", "trametinib")``; a single agent -> one INN."""
    return tuple(inn_of(part) for part in _COMBO_SPLIT.split(name) if part.strip())


@dataclass(frozen=True, slots=True)
class DrugTarget:
    """One row of ``drug_targets.tsv``: a drug's curated target genes and the label that names them."""

    inn: str
    targets: tuple[str, ...]
    source: str


def load_drug_targets(path: Path | None = None) -> dict[str, DrugTarget]:
    """``drug_targets.tsv`` (or a table like it) by INN; a row without targets or source raises ``ValueError``."""
    out: dict[str, DrugTarget] = {}
    for row in read_table(path or authored("drug_targets.tsv")):
        targets = tuple(t.strip() for t in row["targets"].split("|") if t.strip())
        if not row["inn"] or not targets or not row["source"]:
            raise ValueError(f"drug_targets.tsv: {row['inn']!r} needs targets and a source")
        out[row["inn"]] = DrugTarget(row["inn"], targets, row["source"])
    return out


@dataclass
class DrugVocabulary:
    """Drugs by INN and a name index over INN, synonyms, Chinese names and brands."""

    drugs: dict[str, Drug] = field(default_factory=dict)
    _names: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, drugs: Iterable[Drug]) -> DrugVocabulary:
        vocab = cls()
        for drug in drugs:
            vocab.drugs[drug.inn] = drug
            for name in vocab.all_names(drug):
                key = name_key(name)
                if key:
                    vocab._names.setdefault(key, set()).add(drug.inn)
        return vocab

    @staticmethod
    def all_names(drug: Drug) -> tuple[str, ...]:
        return (drug.inn, drug.name, *drug.synonyms, drug.name_zh, *drug.synonyms_zh, *drug.brands, *drug.brands_zh)

    def lookup(self, name: str) -> tuple[str, ...]:
        """INNs named by ``name`` (several when a brand or synonym is shared)."""
        return tuple(sorted(self._names.get(name_key(name), ())))

    def names(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        for key, inns in self._names.items():
            yield key, tuple(sorted(inns))

    def __contains__(self, inn: object) -> bool:
        return inn in self.drugs

    def __len__(self) -> int:
        return len(self.drugs)
