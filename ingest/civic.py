"""CIViC evidence TSVs, in the 2021 layout (``gene``, ``variant``, ``drugs``) or the
current one (``molecular_profile``, ``therapies``, ``significance``), and CIViC assertions
(:func:`read_assertions`: AMP/ASCO/CAP tier, NCCN guideline, FDA approval and companion test), which
the ingest job attaches to the evidence items each assertion cites.

Diseases are Disease Ontology names and DOIDs; :class:`DiseaseMap` (an authored
table) turns them into OncoTree codes. An unmapped disease keeps the evidence
(``tumor_code=None``) and is listed by the ingest job in a report file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO, TypeVar

from ingest.records import Rejected
from kb.domain import Assertion, Citation, Evidence, EvidenceDirection, EvidenceLevel, EvidenceStatus, EvidenceType
from kb.errors import SchemaError
from kb.text import name_key
from kb.vocab.drugs import inn_of
from kb.vocab.variants import parse_alteration

__all__ = ["DiseaseMap", "assertions_beside", "parse_civic", "read_assertions"]

_COMMON = (
    "disease",
    "doid",
    "evidence_type",
    "evidence_direction",
    "evidence_level",
    "evidence_statement",
    "citation_id",
    "source_type",
    "rating",
    "evidence_status",
    "evidence_id",
)
_LAYOUT_2021: tuple[str, ...] = (*_COMMON, "gene", "variant", "drugs", "drug_interaction_type", "clinical_significance")
_LAYOUT_NOW: tuple[str, ...] = (*_COMMON, "molecular_profile", "therapies", "therapy_interaction_type", "significance")
_E = TypeVar("_E", EvidenceType, EvidenceLevel, EvidenceDirection)
_SIGNIFICANCE = {"sensitivityresponse": "sensitivity", "na": "na", "": "na"}


@dataclass
class DiseaseMap:
    """CIViC disease (DOID or name) -> OncoTree code, from ``civic_disease_oncotree.tsv``."""

    by_doid: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)  # name keys listed, mapped or not

    @classmethod
    def load(cls, path: Path) -> DiseaseMap:
        table = cls()
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                key = name_key(row.get("disease") or "")
                table.known.add(key)
                code = (row.get("oncotree_code") or "").strip().upper()
                if not code:
                    continue
                if (row.get("doid") or "").strip():
                    table.by_doid[row["doid"].strip()] = code
                table.by_name[key] = code
        return table

    def code(self, doid: str, disease: str) -> str | None:
        return self.by_doid.get(doid.strip()) or self.by_name.get(name_key(disease))


def parse_civic(stream: TextIO, diseases: DiseaseMap) -> Iterator[Evidence | Rejected]:
    """Yield one Evidence per accepted row; bad rows become :class:`Rejected`.

    :raises SchemaError: the header matches neither layout (names the missing columns).
    """
    reader = csv.DictReader(stream, delimiter="\t")
    header = set(reader.fieldnames or ())
    if "molecular_profile" in header:
        layout = _LAYOUT_NOW
    elif "gene" in header or "variant" in header:
        layout = _LAYOUT_2021
    else:
        layout = _LAYOUT_NOW if "therapies" in header else _LAYOUT_2021
    missing = [c for c in layout if c not in header]
    if missing:
        raise SchemaError(
            f"CIViC evidence file lacks column(s): {', '.join(missing)}",
            details={"missing": missing, "layout": "current" if layout is _LAYOUT_NOW else "2021"},
        )
    for row in reader:
        try:
            item = _evidence(row, diseases, current=layout is _LAYOUT_NOW)
        except ValueError as exc:
            eid = (row.get("evidence_id") or "").strip()
            yield Rejected("civic", f"EID{eid}" if eid else f"line {reader.line_num}", str(exc))
            continue
        if item is not None:
            yield item
        else:
            yield Rejected("civic", f"EID{row['evidence_id']}", f"status is {row['evidence_status']!r}, not accepted")


def _evidence(row: dict[str, str], diseases: DiseaseMap, *, current: bool) -> Evidence | None:
    eid = row["evidence_id"].strip()
    if not eid.isdigit():
        raise ValueError(f"evidence_id {eid!r} is not a number")
    status = row["evidence_status"].strip().lower()
    if status != "accepted":
        return None
    if current:
        gene, _, variant = row["molecular_profile"].strip().partition(" ")
        variant = variant.split(" AND ")[0].split(" OR ")[0]
        drug_names = row["therapies"]
        interaction = row["therapy_interaction_type"]
        significance = row["significance"]
    else:
        gene, variant = row["gene"].strip(), row["variant"].strip()
        drug_names = row["drugs"]
        interaction = row["drug_interaction_type"]
        significance = row["clinical_significance"]
    if not gene:
        raise ValueError("no gene")
    evidence_type = _enum(EvidenceType, row["evidence_type"], "evidence_type")
    level = _enum(EvidenceLevel, row["evidence_level"].upper(), "evidence_level")
    direction_raw = row["evidence_direction"].strip().lower().replace("n/a", "na")
    direction_key = re.sub(r"[^a-z]+", "_", direction_raw).strip("_") or "na"
    direction = _enum(EvidenceDirection, direction_key, "evidence_direction")
    rating = row["rating"].strip()
    if rating and not rating.isdigit():
        raise ValueError(f"rating {rating!r} is not a number")
    drugs = tuple(dict.fromkeys(inn_of(d) for d in drug_names.split(",") if d.strip()))
    source_type = row["source_type"].strip() or "PubMed"
    citation_id = row["citation_id"].strip()
    citation = Citation(
        pmid=citation_id if source_type.lower() == "pubmed" else "",
        source=source_type,
        source_id=citation_id,
        text=(row.get("citation") or "").strip(),
    )
    sig_key = re.sub(r"[^a-z]+", "", significance.lower())
    return Evidence(
        id=f"civic:EID{eid}",
        source="CIViC",
        source_id=eid,
        gene=gene,
        alteration=parse_alteration(gene, variant or "MUTATION"),
        evidence_type=evidence_type,
        direction=direction,
        significance=_SIGNIFICANCE.get(sig_key, re.sub(r"[^a-z]+", "_", significance.lower()).strip("_")),
        level=level,
        rating=int(rating) if rating else None,
        tumor_code=diseases.code(row["doid"], row["disease"]),
        disease=row["disease"].strip(),
        doid=row["doid"].strip(),
        drugs=drugs,
        drug_interaction=interaction.strip().lower(),
        citations=(citation,) if citation_id else (),
        statement=row["evidence_statement"].strip(),
        variant_origin=(row.get("variant_origin") or "").strip(),
        status=EvidenceStatus.ACCEPTED,
        last_review=_date(row.get("last_review_date") or ""),
    )


def _enum(kind: type[_E], value: str, column: str) -> _E:
    try:
        return kind(value.strip().lower() if kind is not EvidenceLevel else value.strip())
    except ValueError:
        raise ValueError(f"unknown {column} {value!r}") from None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def read_assertions(stream: TextIO) -> dict[str, tuple[Assertion, ...]]:
    """CIViC assertions (``*AssertionSummaries.tsv``) by the evidence ids they cite (``civic:EID528``).

    Only the structured facts are kept: the AMP/ASCO/CAP category, the NCCN guideline and its version,
    and the approval and companion-test flags when CIViC sets them (``true``; anything else is "not
    stated", never "no"). An assertion that is not accepted, when the file says so, is skipped.
    """
    by_item: dict[str, list[Assertion]] = {}
    for row in csv.DictReader(stream, delimiter="\t"):
        aid = (row.get("assertion_id") or "").strip()
        if not aid.isdigit() or (row.get("status") or "accepted").strip().lower() != "accepted":
            continue
        assertion = Assertion(
            id=f"civic:AID{aid}",
            alteration=parse_alteration(gene, variant)
            if (gene := (row.get("gene") or "").strip()) and (variant := (row.get("variant") or "").strip())
            else None,
            amp_category=(row.get("amp_category") or "").strip(),
            nccn_guideline=(row.get("nccn_guideline") or "").strip(),
            nccn_version=(row.get("nccn_guideline_version") or "").strip(),
            regulatory_approval=_stated(row.get("regulatory_approval")),
            fda_companion_test=_stated(row.get("fda_companion_test")),
        )
        for eid in (row.get("evidence_item_ids") or "").split(","):
            if eid.strip().isdigit():
                by_item.setdefault(f"civic:EID{eid.strip()}", []).append(assertion)
    return {eid: tuple(found) for eid, found in by_item.items()}


def assertions_beside(evidence_path: Path) -> dict[str, tuple[Assertion, ...]]:
    """The assertions file next to a CIViC evidence file (the newest by name), read; none when absent."""
    found = sorted(evidence_path.parent.glob("*AssertionSummaries.tsv"))
    if not found:
        return {}
    with found[-1].open(encoding="utf-8", newline="") as fh:
        return read_assertions(fh)


def _stated(value: str | None) -> bool | None:
    return True if (value or "").strip().lower() == "true" else None
