"""The field schema of each curated kind, for the editor's typed forms (``GET /v1/entries/{kind}/schema``).

Built from the kind's dataclass type hints (:mod:`kb.kinds`): each field's shape (text, number, yes/no, date, one
of a fixed set, a list, a nested record or a list of records), whether it may be empty (``null``), its choices
(the domain's enumerations: :class:`~kb.domain.EvidenceLevel`, :class:`~kb.domain.EvidenceType`,
:class:`~kb.domain.EvidenceDirection`, :class:`~kb.domain.AlterationKind`, the significances of
:data:`kb.editorial.validate.SIGNIFICANCES`, the test items' report types, samples, coverages and scopes, the
guideline bodies, grades and categories, the regulatory scopes) and the picker that fills it (OncoTree codes,
drugs, genes, biomarkers, PMIDs). The pages label the fields in Chinese; the schema keeps the English names.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from kb.domain import TestItem
from kb.editorial.validate import SIGNIFICANCES
from kb.errors import NotFoundError
from kb.guidance import GuidelineRecommendation, Regulatory
from kb.kinds import CURATED

__all__ = ["FormField", "form_schema"]

#: Pickers by field name: the vocabulary whose entries fill the field.
PICKERS = {
    "tumor_code": "tumor", "indications": "tumor", "tumor_codes": "tumor", "parent": "tumor",
    "drugs": "drug", "drug": "drug", "members": "drug",
    "gene": "gene", "genes": "gene", "targets": "gene", "full_genes": "gene",
    "biomarkers": "biomarker", "pmid": "pmid",
}  # fmt: skip
#: Texts long enough for a text area (and an inline word diff in review).
LONG = frozenset({"statement", "statement_zh", "description", "description_zh", "definition", "definition_zh",
                  "note", "text_zh", "indication_zh", "restriction_zh"})  # fmt: skip


def _union(table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for values in table.values() for v in values))


#: Fixed choices of plain string fields, by (class name, field): the class keeps them as constants.
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Evidence", "significance"): tuple(sorted(SIGNIFICANCES)),
    ("Evidence", "drug_interaction"): ("", "combination", "substitutes", "sequential"),
    ("TestItem", "reports"): TestItem.REPORTS,
    ("TestItem", "samples"): TestItem.SAMPLES,
    ("TestItem", "coverage"): ("", *TestItem.COVERAGES),
    ("TestItem", "pan_cancer"): ("", *TestItem.SCOPES),
    ("Regulatory", "pan_tumor"): ("", *Regulatory.SCOPES),
    ("GuidelineRecommendation", "body"): GuidelineRecommendation.BODIES,
    ("GuidelineRecommendation", "grade"): _union(GuidelineRecommendation.GRADES),
    ("GuidelineRecommendation", "category"): _union(GuidelineRecommendation.CATEGORIES),
    ("ReadingList", "topic_kind"): ("gene", "tumor", "drug", "biomarker"),
}


@dataclass(frozen=True, slots=True)
class FormField:
    """One field: ``type`` is text, longtext, int, float, bool, date, enum, list, record or records; a list holds
    ``item`` values (text or enum, with ``choices``); a record or records has ``fields``."""

    name: str
    type: str
    nullable: bool = False
    choices: tuple[str, ...] = ()
    picker: str = ""
    item: str = ""
    fields: tuple[FormField, ...] = ()


def _field(owner: type, name: str, hint: Any) -> FormField:
    args = typing.get_args(hint)
    nullable = type(None) in args
    if nullable:
        hint = next(a for a in args if a is not type(None))
    picker = PICKERS.get(name, "")
    fixed = CHOICES.get((owner.__name__, name), ())
    if typing.get_origin(hint) is tuple:
        inner = typing.get_args(hint)[0]
        if dataclasses.is_dataclass(inner):
            return FormField(name, "records", nullable, fields=_fields(inner))  # type: ignore[arg-type]
        choices = tuple(e.value for e in inner) if isinstance(inner, type) and issubclass(inner, Enum) else fixed
        return FormField(name, "list", nullable, choices, picker, "enum" if choices else "text")
    if dataclasses.is_dataclass(hint):
        return FormField(name, "record", nullable, fields=_fields(hint))  # type: ignore[arg-type]
    if isinstance(hint, type) and issubclass(hint, Enum):
        return FormField(name, "enum", nullable, tuple(e.value for e in hint), picker)
    if fixed:
        return FormField(name, "enum", nullable, fixed, picker)
    simple = {bool: "bool", int: "int", float: "float", date: "date"}
    shape = simple.get(hint) or ("longtext" if name in LONG else "text")
    return FormField(name, shape, nullable, picker=picker)


def _fields(cls: type) -> tuple[FormField, ...]:
    hints = typing.get_type_hints(cls)
    return tuple(_field(cls, f.name, hints[f.name]) for f in dataclasses.fields(cls))


def form_schema(kind: str) -> tuple[str, tuple[FormField, ...]]:
    """The key field's name and every field of a curated kind, in the dataclass's order."""
    spec = CURATED.get(kind)
    if spec is None:
        raise NotFoundError(f"unknown kind {kind!r}", details={"kinds": list(CURATED)})
    fields = _fields(spec.type)
    return fields[0].name, fields
