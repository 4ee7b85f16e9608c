"""Drug tables: CIViC drug names, the NHC Chinese drug list, and our authored
Chinese-name, brand and target tables, merged into one :class:`~kb.domain.Drug` per INN."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from ingest.records import Rejected
from kb.domain import Drug
from kb.errors import SchemaError
from kb.text import name_key, split_list
from kb.vocab.drugs import inn_of

_PAREN = re.compile(r"\s*\([^)]*\)\s*$")

__all__ = ["DrugNames", "merge_drugs", "parse_drug_names", "parse_name_table"]


@dataclass
class DrugNames:
    """Names gathered for one INN from every table."""

    name: str = ""
    name_zh: str = ""
    synonyms: set[str] = field(default_factory=set)
    synonyms_zh: set[str] = field(default_factory=set)
    brands: set[str] = field(default_factory=set)
    brands_zh: set[str] = field(default_factory=set)
    members: tuple[str, ...] = ()


def parse_drug_names(stream: TextIO) -> Iterator[str | Rejected]:
    """English drug names from CIViC's DrugSummaries (``drug_name``) or a ``therapy_name`` table."""
    reader = csv.DictReader(stream, delimiter="\t")
    column = next((c for c in ("drug_name", "therapy_name", "name") if c in (reader.fieldnames or ())), None)
    if column is None:
        raise SchemaError("drug table lacks a drug_name column", details={"columns": reader.fieldnames})
    for row in reader:
        name = (row.get(column) or "").strip()
        if name:
            yield name
        else:
            yield Rejected("drugs", f"line {reader.line_num}", "empty drug name")


def parse_name_table(stream: TextIO, *, required: tuple[str, ...] = ("name_en",)) -> Iterator[dict[str, str]]:
    """Rows of a tab-separated name table (NHC list, authored Chinese names, brands)."""
    reader = csv.DictReader(stream, delimiter="\t")
    missing = [c for c in required if c not in (reader.fieldnames or ())]
    if missing:
        raise SchemaError(f"name table lacks column(s) {', '.join(missing)}", details={"missing": missing})
    for row in reader:
        if (row.get("name_en") or "").strip():
            yield {k: (v or "").strip() for k, v in row.items() if k}


def merge_drugs(
    english: Iterable[str],
    chinese: Iterable[dict[str, str]],
    brands: Iterable[dict[str, str]],
    combinations: Iterable[tuple[str, ...]] = (),
    targets: Mapping[str, tuple[str, ...]] | None = None,
) -> Iterator[Drug]:
    """One Drug per INN; combinations become records whose ``members`` are INNs. ``targets`` are the curated
    target genes of ``drug_targets.tsv`` by INN (they replace the evidence-derived ones, docs/vocabularies.md)."""
    targets = targets or {}
    table: dict[str, DrugNames] = {}
    known: dict[str, str] = {}  # name key -> INN, for names that tables list as synonyms

    def entry(name: str) -> DrugNames:
        inn = _resolve(name, known)
        names = table.setdefault(inn, DrugNames(name=name))
        if name.casefold() != inn:
            names.synonyms.add(name)
        known.setdefault(name_key(name), inn)
        return names

    chinese = list(chinese)
    for row in chinese:  # the curated tables first, so CIViC's variant spellings fold into them
        names = entry(row["name_en"])
        zh = row.get("name_zh", "")
        if zh and not names.name_zh:
            names.name_zh = zh
        elif zh and zh != names.name_zh:
            names.synonyms_zh.add(zh)
        names.synonyms_zh.update(split_list(row.get("synonyms_zh", "")))
        for synonym in split_list(row.get("synonyms_en", "")):
            names.synonyms.add(synonym)
            known.setdefault(name_key(synonym), inn_of(row["name_en"]))
    for row in brands:
        names = entry(row["name_en"])
        names.brands.update(split_list(row.get("brands_en", "")))
        names.brands_zh.update(split_list(row.get("brands_zh", "")))
    for name in english:
        entry(name)
    for members in combinations:
        key = " + ".join(sorted(members))
        combo = table.setdefault(key, DrugNames(name=" + ".join(_title(m) for m in sorted(members))))
        combo.members = tuple(sorted(members))
        zh_members = [table[m].name_zh if m in table else "" for m in combo.members]
        if all(zh_members):
            combo.name_zh = "+".join(zh_members)
    for inn, names in sorted(table.items()):
        yield Drug(
            inn=inn,
            name=names.name or _title(inn),
            name_zh=names.name_zh,
            synonyms=tuple(sorted(names.synonyms - {names.name})),
            synonyms_zh=tuple(sorted(names.synonyms_zh - {names.name_zh})),
            brands=tuple(sorted(names.brands)),
            brands_zh=tuple(sorted(names.brands_zh)),
            members=names.members,
            targets=targets.get(inn, ()),
        )


def _resolve(name: str, known: dict[str, str]) -> str:
    """The INN a name stands for: a listed synonym, the name without a trailing "(code)", or its own INN."""
    for candidate in (name, _PAREN.sub("", name)):
        inn = known.get(name_key(candidate))
        if inn is not None:
            return inn
    return inn_of(_PAREN.sub("", name) or name)


def _title(inn: str) -> str:
    return inn[:1].upper() + inn[1:]
