"""Drug tables: CIViC drug names, the NHC Chinese drug list, and our authored
Chinese-name and brand tables, merged into one :class:`~kb.domain.Drug` per INN."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from ingest.records import Rejected
from kb.domain import Drug
from kb.errors import SchemaError
from kb.text import split_list
from kb.vocab.drugs import inn_of

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
) -> Iterator[Drug]:
    """One Drug per INN; combinations become records whose ``members`` are INNs."""
    table: dict[str, DrugNames] = {}

    def entry(name: str) -> DrugNames:
        inn = inn_of(name)
        names = table.setdefault(inn, DrugNames(name=name))
        if name.casefold() != inn:
            names.synonyms.add(name)
        return names

    for name in english:
        entry(name)
    for row in chinese:
        names = entry(row["name_en"])
        zh = row.get("name_zh", "")
        if zh and not names.name_zh:
            names.name_zh = zh
        elif zh and zh != names.name_zh:
            names.synonyms_zh.add(zh)
        names.synonyms_zh.update(split_list(row.get("synonyms_zh", "")))
        names.synonyms.update(split_list(row.get("synonyms_en", "")))
    for row in brands:
        names = entry(row["name_en"])
        names.brands.update(split_list(row.get("brands_en", "")))
        names.brands_zh.update(split_list(row.get("brands_zh", "")))
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
        )


def _title(inn: str) -> str:
    return inn[:1].upper() + inn[1:]
