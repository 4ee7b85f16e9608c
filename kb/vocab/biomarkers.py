"""Biomarker vocabulary: MSI-H, dMMR, TMB-H, HRD, PD-L1 and the HER2 IHC states, with their names.

The records come from the store (ingested from ``biomarkers.tsv``, curated by editors).
``biomarker_words.tsv`` holds the words written with a biomarker's value in a query: score
names (TPS, 肿瘤突变负荷), comparators (≥, 以上) and qualitative values (高表达, 阴性);
:func:`biomarker_words` reads it once. :meth:`BiomarkerVocabulary.evidence_links` links each
biomarker to the evidence items about it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from kb.domain import Biomarker, Evidence
from kb.text import name_key
from kb.vocab.tables import authored, read_table

__all__ = ["BiomarkerVocabulary", "BiomarkerWords", "biomarker_words"]


@dataclass
class BiomarkerVocabulary:
    """Biomarkers by id, and a name index over ids, names, synonyms and groups."""

    biomarkers: dict[str, Biomarker] = field(default_factory=dict)
    _names: dict[str, set[str]] = field(default_factory=dict)
    _groups: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, biomarkers: Iterable[Biomarker]) -> BiomarkerVocabulary:
        vocab = cls()
        for biomarker in biomarkers:
            vocab.biomarkers[biomarker.id] = biomarker
            for name in vocab.all_names(biomarker):
                if key := name_key(name):
                    vocab._names.setdefault(key, set()).add(biomarker.id)
            if biomarker.group:
                vocab._groups.setdefault(name_key(biomarker.group), []).append(biomarker.id)
        return vocab

    @staticmethod
    def all_names(biomarker: Biomarker) -> tuple[str, ...]:
        return (biomarker.id, biomarker.name, biomarker.name_zh, *biomarker.synonyms, *biomarker.synonyms_zh)

    def lookup(self, name: str) -> tuple[str, ...]:
        """Ids named by ``name``: the id itself, else every biomarker with that name or synonym."""
        if name in self.biomarkers:
            return (name,)
        return tuple(sorted(self._names.get(name_key(name), ())))

    def group(self, name: str) -> tuple[str, ...]:
        """The biomarkers a test of ``name`` reports (``MSI`` -> MSI-H, MSI-L, MSS), in table order."""
        return tuple(self._groups.get(name_key(name), ()))

    def resolve(self, value: str) -> tuple[str, ...]:
        """A test item's biomarker value as ids: an id, a group (``TMB``) or an unambiguous name."""
        if value in self.biomarkers:
            return (value,)
        found = self.group(value) or self.lookup(value)
        return found if len(found) == 1 or self.group(value) else ()

    def evidence_links(self, evidence: Iterable[Evidence]) -> dict[str, tuple[str, ...]]:
        """Biomarker id -> the evidence items about it: the ones that name it, and the ones filed under
        one of its ``alterations`` (CIViC's CD274 EXPRESSION items for PD-L1)."""
        by_alteration: dict[str, list[str]] = defaultdict(list)
        for biomarker in self.biomarkers.values():
            for alteration in biomarker.alterations:
                by_alteration[alteration].append(biomarker.id)
        out: dict[str, dict[str, None]] = defaultdict(dict)
        for item in evidence:
            for ident in (*item.biomarkers, *by_alteration.get(item.alteration.id, ())):
                if ident in self.biomarkers:
                    out[ident][item.id] = None
        return {ident: tuple(ids) for ident, ids in out.items()}

    def __contains__(self, ident: object) -> bool:
        return ident in self.biomarkers

    def __iter__(self) -> Iterator[Biomarker]:
        return iter(self.biomarkers.values())

    def __len__(self) -> int:
        return len(self.biomarkers)


@dataclass(frozen=True, slots=True)
class BiomarkerWords:
    """The words of ``biomarker_words.tsv`` by kind, each with what it means."""

    scores: dict[str, str]  # word -> score (肿瘤突变负荷 -> TMB)
    fillers: dict[str, str]  # words allowed between a score and its number (值, 评分)
    comparators: dict[str, str]  # word written before a number -> op (≥, 大于等于 -> >=)
    after: dict[str, str]  # word written after a number -> op (以上 -> >=, 以下 -> <)
    values: dict[str, str]  # qualitative word -> value (高表达 -> high, 阴性 -> negative)
    units: dict[str, str]  # unit word -> unit (% -> %, mut/Mb)


@cache
def biomarker_words() -> BiomarkerWords:
    tables: dict[str, dict[str, str]] = {kind: {} for kind in ("score", "filler", "op", "after", "value", "unit")}
    for row in read_table(authored("biomarker_words.tsv")):
        if row["kind"] in tables and row["word"]:
            tables[row["kind"]][row["word"]] = row["meaning"]
    return BiomarkerWords(
        tables["score"], tables["filler"], tables["op"], tables["after"], tables["value"], tables["unit"]
    )
