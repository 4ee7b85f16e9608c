"""The value rules of the China layer's records (docs/regulatory.md, "Editors' rules"): what the editorial workflow
(:mod:`kb.editorial.validate`) and ingestion refuse in a regulatory record, a guideline recommendation or a reading
list once its types are right. Each problem is ``(field, message)``, the field as ``data.nmpa.source``."""

from __future__ import annotations

import re
from collections.abc import Container, Iterator

from kb.guidance import GuidelineRecommendation, ReadingList, Regulatory
from kb.vocab import Vocabularies

__all__ = ["TOPIC_KINDS", "guidance_problems", "topic_problem"]

#: the kinds a reading list's topic may be
TOPIC_KINDS = ("gene", "tumor", "drug", "biomarker")

_PMID = re.compile(r"[0-9]{1,9}")
_YEARS = range(1990, 2100)


def guidance_problems(
    record: Regulatory | GuidelineRecommendation | ReadingList, vocab: Vocabularies
) -> Iterator[tuple[str, str]]:
    """What is wrong with the values of ``record`` (nothing: an empty iterator)."""
    if isinstance(record, Regulatory):
        yield from _regulatory(record, vocab)
    elif isinstance(record, GuidelineRecommendation):
        yield from _recommendation(record, vocab)
    else:
        yield from _reading_list(record, vocab)


def _regulatory(r: Regulatory, vocab: Vocabularies) -> Iterator[tuple[str, str]]:
    if not r.id.strip():
        yield "data.id", "an id is needed, e.g. osimertinib:NSCLC"
    if r.drug not in vocab.drugs:
        yield "data.drug", f"unknown drug {r.drug!r} (an INN the drug vocabulary knows)"
    for i, code in enumerate(r.tumor_codes):
        if code not in vocab.tumors:
            yield f"data.tumor_codes.{i}", f"unknown OncoTree code {code!r}"
    if r.pan_tumor and r.pan_tumor not in Regulatory.SCOPES:
        yield "data.pan_tumor", f"a pan-tumour scope is one of {', '.join(Regulatory.SCOPES)}"
    if not r.tumor_codes and not r.pan_tumor:
        yield "data.tumor_codes", "say which tumours the indication covers: OncoTree codes or a pan-tumour scope"
    if not r.indication_zh.strip():
        yield "data.indication_zh", "the indication in Chinese, as its source words it"
    for name, approval in (("nmpa", r.nmpa), ("fda", r.fda)):
        if approval is not None and not approval.source.strip():
            yield f"data.{name}.source", "an approval needs its source: the approval number, label or announcement"
    if r.nrdl is not None:
        if not r.nrdl.source.strip():
            yield "data.nrdl.source", "a reimbursement entry needs its source: the list's title and entry"
        if r.nrdl.year not in _YEARS:
            yield "data.nrdl.year", "the list's edition, a year such as 2024"
    if r.listings and not r.source.strip():
        yield "data.source", "a guideline listing needs its source"
    if not (r.nmpa or r.fda or r.nrdl or r.listings):
        yield "data", "the record states nothing: an NMPA or FDA approval, an NRDL entry or a guideline listing"


def _recommendation(r: GuidelineRecommendation, vocab: Vocabularies) -> Iterator[tuple[str, str]]:
    if r.body not in GuidelineRecommendation.BODIES:
        yield "data.body", f"a guideline body is one of {', '.join(GuidelineRecommendation.BODIES)}"
        return
    if r.grade not in GuidelineRecommendation.GRADES[r.body]:
        grades = " ".join(g for g in GuidelineRecommendation.GRADES[r.body] if g) or "none (leave it empty)"
        yield "data.grade", f"a {r.body} grade is {grades}"
    if r.category not in GuidelineRecommendation.CATEGORIES[r.body]:
        yield "data.category", f"a {r.body} category is one of {', '.join(GuidelineRecommendation.CATEGORIES[r.body])}"
    if r.year not in _YEARS:
        yield "data.year", "the guideline's year, such as 2024"
    for name in ("guideline", "version", "source"):
        if not getattr(r, name).strip():
            yield f"data.{name}", f"the guideline's {name} is needed"
    if not r.evidence and not (r.alteration and r.drug):
        yield "data.evidence", "name the evidence items it qualifies, or the row: alteration, tumor_code and drug"
    if r.tumor_code is not None and r.tumor_code not in vocab.tumors:
        yield "data.tumor_code", f"unknown OncoTree code {r.tumor_code!r}"
    for i, inn in enumerate(r.drug.split("+") if r.drug else ()):
        if inn not in vocab.drugs:
            yield "data.drug", f"unknown drug {inn!r} (member {i + 1})"


def _reading_list(r: ReadingList, vocab: Vocabularies) -> Iterator[tuple[str, str]]:
    if not r.id.strip() or r.id != r.id.strip().lower() or " " in r.id:
        yield "data.id", "an id is a lowercase slug without spaces, e.g. egfr-nsclc-key-trials"
    if not r.title_zh.strip():
        yield "data.title_zh", "a reading list needs a Chinese title"
    for where, topic in (
        ("data.topic_key", f"{r.topic_kind}:{r.topic_key}"),
        *((f"data.topics.{i}", t) for i, t in enumerate(r.topics)),
    ):
        problem = topic_problem(topic, vocab)
        if problem:
            yield where, problem
    if not r.items:
        yield "data.items", "a reading list needs at least one article or evidence item"
    for i, item in enumerate(r.items):
        if bool(item.pmid) == bool(item.evidence):
            yield f"data.items.{i}", "an entry is either a PMID or an evidence id"
        elif item.pmid and not _PMID.fullmatch(item.pmid):
            yield f"data.items.{i}.pmid", "a PMID is 1 to 9 digits"


def topic_problem(topic: str, vocab: Vocabularies) -> str | None:
    """What is wrong with a reading list's topic ``kind:key`` (``gene:EGFR``), or None when the vocabularies know it."""
    kind, _, key = topic.partition(":")
    if kind not in TOPIC_KINDS:
        return f"a topic is a {', '.join(TOPIC_KINDS)}, not {kind!r}"
    if key not in _known(vocab, kind):
        return f"unknown {kind} {key!r}"
    return None


def _known(vocab: Vocabularies, kind: str) -> Container[str]:
    known: dict[str, Container[str]] = {
        "gene": vocab.genes, "tumor": vocab.tumors, "drug": vocab.drugs, "biomarker": vocab.biomarkers,
    }  # fmt: skip
    return known[kind]
