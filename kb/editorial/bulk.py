"""Bulk names and synonyms: a curator's TSV of Chinese names or synonyms for many genes, tumors, drugs or biomarkers
becomes one submitted change per entry, each reviewed as any other (docs/editorial.md, "Bulk names and synonyms").

The TSV has a header with ``kind`` and ``key`` and at least one of ``name_zh``, ``synonyms_zh`` and ``synonyms``
(``|`` between several values); a ``reason`` column is optional. A row's ``name_zh`` replaces the entry's Chinese
name, its synonyms are added to the entry's (kept once each). Rows of the same entry are merged, in order. Every
entry is validated as a submission is (:mod:`kb.editorial.validate`), row by row: a row that fails is listed with
its line and why, and the others go on. Nothing is written for a row that changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from kb.editorial.accounts import Principal
from kb.editorial.views import SubmissionView
from kb.editorial.workflow import WRITERS, Editorial
from kb.errors import DataError, InvalidRecord, KBError
from kb.text import split_list

__all__ = ["BULK_KINDS", "MAX_ROWS", "BulkResult", "Rejected", "bulk_names"]

#: the kinds whose names a bulk file may change, and the field of their Chinese name
BULK_KINDS = {"gene": "name_zh", "tumor": "name_zh", "drug": "name_zh", "biomarker": "name_zh"}
MAX_ROWS = 2000
_VALUES = ("name_zh", "synonyms_zh", "synonyms")


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    kind: str
    key: str
    reason: str
    field: str = ""


@dataclass
class BulkResult:
    submitted: list[tuple[tuple[int, ...], SubmissionView]] = field(default_factory=list)  # the lines of each
    rejected: list[Rejected] = field(default_factory=list)
    unchanged: list[tuple[int, str, str]] = field(default_factory=list)  # line, kind, key


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t")
    header = [h.strip() for h in reader.fieldnames or ()]
    missing = [c for c in ("kind", "key") if c not in header]
    if missing or not set(header) & set(_VALUES):
        raise DataError(
            "the file needs a header with kind, key and at least one of name_zh, synonyms_zh, synonyms",
            details={"header": header},
        )
    rows = [(n, {(k or "").strip(): (v or "").strip() for k, v in row.items()}) for n, row in enumerate(reader, 2)]
    if len(rows) > MAX_ROWS:
        raise DataError(f"at most {MAX_ROWS} rows a file; this one has {len(rows)}", details={"limit": MAX_ROWS})
    return rows


def _merged(record: dict[str, Any], row: dict[str, str]) -> dict[str, Any]:
    out = dict(record)
    if row.get("name_zh"):
        out["name_zh"] = row["name_zh"]
    for name in ("synonyms_zh", "synonyms"):
        added = split_list(row.get(name, ""))
        if added:
            if name not in out:
                raise InvalidRecord(f"data.{name}: this kind has no {name}", details={"field": f"data.{name}"})
            out[name] = list(dict.fromkeys([*out[name], *added]))
    return out


def bulk_names(editorial: Editorial, actor: Principal, text: str, *, reason: str = "") -> BulkResult:
    """Turn the TSV ``text`` into one submitted change per entry (see the module's doc)."""
    actor.require_role(*WRITERS)
    result = BulkResult()
    entries: dict[tuple[str, str], tuple[list[int], dict[str, Any], dict[str, Any], str]] = {}
    for line, row in _rows(text):
        kind, key = row.get("kind", "").lower(), row.get("key", "")
        if kind not in BULK_KINDS:
            result.rejected.append(Rejected(line, kind, key, f"kind is one of {', '.join(BULK_KINDS)}", "kind"))
            continue
        try:
            if (kind, key) in entries:
                lines, before, record, why = entries[(kind, key)]
            else:
                published, _ = editorial.entry(kind, key)
                if published is None:
                    raise DataError(f"no {kind} {key!r}: bulk files change existing entries")
                lines, before, record, why = [], published, published, row.get("reason", "")
            merged = _merged(record, row)
            editorial.validate(kind, key, merged)  # row by row: this row's values are checked here
        except KBError as exc:
            result.rejected.append(Rejected(line, kind, key, exc.message, str(exc.details.get("field", ""))))
            continue
        entries[(kind, key)] = ([*lines, line], before, merged, why or row.get("reason", ""))
    for (kind, key), (lines, before, record, why) in entries.items():
        if record == before:
            result.unchanged.extend((n, kind, key) for n in lines)
            continue
        sub = editorial.create(actor, kind, key, record, why or reason or "bulk names and synonyms")
        sub = editorial.submit(actor, sub.id, str(sub.version))
        result.submitted.append((tuple(lines), sub))
    return result
