"""Strict validation of a submission's record before anything is written.

A curated record reaches every reader of the store, so an editor's ``data`` is checked as
strictly as the domain model allows, in this order, each failure an :class:`InvalidRecord`
(422) whose ``details["field"]`` names the first offending field (``data.citations.0.pmid``):

1. **Safe text**: no lone surrogate and no control character other than tab and newline in
   any key or string, at any depth; at most :data:`MAX_DEPTH` levels of nesting (walked
   without recursion, so a 900-deep array is refused, not a stack overflow).
2. **Size**: the record as UTF-8 JSON is at most ``KB_SUBMISSION_MAX_BYTES``.
3. **Shape**: no field the kind's dataclass lacks, at any depth.
4. **Types**: a strict pydantic ``TypeAdapter`` over the kind's dataclass (no coercion: ``"five"``
   is not a rating, ``1`` is not a PMID, a list is not a statement; enums by value).
5. **Values**: PMIDs of 1 to 9 digits, a CIViC rating of 1 to 5, a significance of
   :data:`SIGNIFICANCES`, and tumor codes, drugs and biomarkers the vocabularies know; the China layer's
   kinds as :mod:`kb.guidance_checks` says (a source for every approval, a grade the guideline body uses).

The workflow calls :func:`validate_record` on create, on update and again on accept, and the
publisher refuses a record that no longer passes :func:`kb.codec.from_dict` (a legacy row).
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from collections.abc import Iterator
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from kb.codec import to_dict
from kb.domain import Biomarker, Drug, Evidence, TestItem, TumorType
from kb.errors import InvalidRecord
from kb.guidance import GuidelineRecommendation, ReadingList, Regulatory
from kb.guidance_checks import guidance_problems
from kb.kinds import Kind
from kb.vocab import Vocabularies

__all__ = ["MAX_DEPTH", "SIGNIFICANCES", "check_text", "validate_record"]

#: Deepest nesting a record may have (evidence → assertions → alteration is 4 levels).
MAX_DEPTH = 12

#: CIViC's clinical significances, as the CIViC parser normalises them (``Sensitivity/Response``
#: is ``sensitivity``); ``na`` where the source states none.
SIGNIFICANCES = frozenset(
    {
        "sensitivity", "reduced_sensitivity", "resistance", "adverse_response",
        "better_outcome", "poor_outcome", "positive", "negative",
        "pathogenic", "likely_pathogenic", "benign", "likely_benign", "uncertain_significance",
        "predisposition", "protectiveness", "oncogenicity", "likely_oncogenic",
        "gain_of_function", "loss_of_function", "unaltered_function", "neomorphic", "dominant_negative",
        "unknown", "na",
    }
)  # fmt: skip

_PMID = re.compile(r"[0-9]{1,9}")
# C0 controls but tab and newline, DEL and C1 controls, and lone surrogates
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _problem(field: str, message: str, **details: object) -> InvalidRecord:
    return InvalidRecord(f"{field}: {message}", details={"field": field, **details})


def check_text(value: Any, field: str) -> None:
    """Refuse unsafe characters in every key and string of ``value`` and nesting beyond :data:`MAX_DEPTH`."""
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _problem(where, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str):
            bad = _UNSAFE.search(item)
            if bad:
                raise _problem(where, f"control character or lone surrogate U+{ord(bad.group()):04X} at {bad.start()}")
        elif isinstance(item, dict):
            for key, sub in item.items():
                if not isinstance(key, str) or _UNSAFE.search(key):
                    raise _problem(where, "a key holds a control character or a lone surrogate")
                stack.append((sub, f"{where}.{key}", depth + 1))
        elif isinstance(item, (list, tuple)):
            stack.extend((sub, f"{where}.{i}", depth + 1) for i, sub in enumerate(item))


def validate_record(
    spec: Kind[Any], key: str, data: dict[str, Any], vocab: Vocabularies, *, max_bytes: int
) -> dict[str, Any]:
    """The record of kind ``spec`` keyed ``key`` that ``data`` proposes, as plain JSON, or :class:`InvalidRecord`."""
    check_text(data, "data")
    try:
        raw = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except ValueError:
        raise _problem("data", "NaN and infinite numbers are not JSON") from None
    if len(raw) > max_bytes:
        raise _problem("data", f"the record is {len(raw)} bytes; the limit is {max_bytes}", limit=max_bytes)
    for where in _unknown_fields(spec.type, data, "data"):
        raise _problem(where, f"no such field in a {spec.name} record")
    try:
        record = _adapter(typing.cast(type, spec.type)).validate_json(raw, strict=True)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(("data", *map(str, e["loc"]))), "problem": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        raise _problem(problems[0]["field"], problems[0]["problem"], problems=problems) from None
    if spec.key(record) != key:
        raise _problem("key", f"the record's key is {spec.key(record)!r}, not {key!r}")
    for where, message in _value_problems(record, vocab):
        raise _problem(where, message)
    return to_dict(record)


@cache
def _adapter(cls: type) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


def _unknown_fields(cls: type, value: Any, where: str) -> Iterator[str]:
    """Paths of keys in ``value`` that the dataclass ``cls`` (and the ones it nests) does not have."""
    if not isinstance(value, dict):
        return  # the type check names it
    hints = _hints(cls)
    for name, sub in value.items():
        if name not in hints:
            yield f"{where}.{name}"
            continue
        for inner, many in _nested(hints[name]):
            items = enumerate(sub) if many and isinstance(sub, list) else [] if many else [(None, sub)]
            for i, item in items:
                yield from _unknown_fields(inner, item, f"{where}.{name}" + ("" if i is None else f".{i}"))


@cache
def _hints(cls: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in typing.get_type_hints(cls).items() if k in names}


def _nested(hint: Any) -> list[tuple[type, bool]]:
    """The dataclasses a field holds: ``(cls, False)`` for one, ``(cls, True)`` for a tuple of them."""
    args = [a for a in typing.get_args(hint) if a is not type(None)] if typing.get_origin(hint) is not None else []
    many = typing.get_origin(hint) is tuple
    for candidate in args[:1] if many else (hint, *args):
        if isinstance(candidate, type) and dataclasses.is_dataclass(candidate):
            return [(candidate, many)]
    return []


def _value_problems(record: Any, vocab: Vocabularies) -> Iterator[tuple[str, str]]:
    """Values of the right type that are still wrong: forms, ranges and codes the vocabularies lack."""
    tumors, drugs, biomarkers = vocab.tumors.nodes, vocab.drugs.drugs, vocab.biomarkers.biomarkers
    if isinstance(record, Evidence):
        if record.rating is not None and not 1 <= record.rating <= 5:
            yield "data.rating", "a rating is 1 to 5"
        if record.significance not in SIGNIFICANCES:
            yield "data.significance", f"unknown significance; choose from {', '.join(sorted(SIGNIFICANCES))}"
        if record.tumor_code is not None and record.tumor_code not in tumors:
            yield "data.tumor_code", f"unknown OncoTree code {record.tumor_code!r}"
        yield from _unknown("data.drugs", record.drugs, drugs, "drug")
        yield from _unknown("data.biomarkers", record.biomarkers, biomarkers, "biomarker")
        for i, citation in enumerate(record.citations):
            if citation.pmid and not _PMID.fullmatch(citation.pmid):
                yield f"data.citations.{i}.pmid", "a PMID is 1 to 9 digits"
    elif isinstance(record, TestItem):
        yield from _unknown("data.indications", record.indications, tumors, "OncoTree code")
        yield from _unknown("data.biomarkers", record.biomarkers, biomarkers, "biomarker")
    elif isinstance(record, TumorType):
        if record.parent is not None and record.parent not in tumors:
            yield "data.parent", f"unknown OncoTree code {record.parent!r}"
    elif isinstance(record, Drug):
        yield from _unknown("data.members", record.members, drugs, "drug")
    elif isinstance(record, Regulatory | GuidelineRecommendation | ReadingList):
        yield from guidance_problems(record, vocab)
    elif isinstance(record, Biomarker):
        for i, cutoff in enumerate(record.cutoffs):
            if cutoff.op not in (">=", ">", "<=", "<"):
                yield f"data.cutoffs.{i}.op", "an operator is >=, >, <= or <"


def _unknown(field: str, values: tuple[str, ...], known: Any, what: str) -> Iterator[tuple[str, str]]:
    for i, value in enumerate(values):
        if value not in known:
            yield f"{field}.{i}", f"unknown {what} {value!r}"
