"""Display labels of concepts, in English and Chinese, from the vocabularies and the event words."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

from kb.domain import AlterationKind
from kb.query.concepts import Concept, MatchKind
from kb.query.index import QueryIndex
from kb.vocab.variants import exon_events

__all__ = [
    "concept_for_biomarker",
    "concept_for_class",
    "concept_for_drug",
    "concept_for_gene",
    "concept_for_tumor",
    "fusion_parts",
    "variant_labels",
]

_EXON = re.compile(r"EXON(\d{1,2})([A-Z]+)")


def concept_for_gene(index: QueryIndex, ids: tuple[str, ...], matched: str, match: MatchKind) -> Concept:
    if match == "ambiguous" or len(ids) != 1:
        return Concept("gene", matched.upper().strip(), matched.upper().strip(), "", matched, "ambiguous", ids)
    gene = index.gene(ids[0])
    return Concept("gene", ids[0], ids[0], gene.name_zh if gene else "", matched, match)


def concept_for_tumor(index: QueryIndex, ids: tuple[str, ...], matched: str, match: MatchKind) -> Concept:
    if match == "ambiguous" or len(ids) != 1:
        return Concept("tumor", matched.strip(), matched.strip(), "", matched, "ambiguous", ids)
    tumor = index.tumor(ids[0])
    return Concept("tumor", ids[0], tumor.name if tumor else ids[0], tumor.name_zh if tumor else "", matched, match)


def concept_for_drug(index: QueryIndex, ids: tuple[str, ...], matched: str, match: MatchKind) -> Concept:
    if match == "ambiguous" or len(ids) != 1:
        return Concept("drug", matched.strip(), matched.strip(), "", matched, "ambiguous", ids)
    drug = index.drug(ids[0])
    label = (drug.name or drug.inn) if drug else ids[0]
    return Concept("drug", ids[0], label, drug.name_zh if drug else "", matched, match)


def concept_for_class(
    index: QueryIndex, ids: tuple[str, ...], matched: str, match: MatchKind, genes: Collection[str] = ()
) -> Concept:
    """A drug class by its id (``egfr-tki-gen3``): its English and Chinese labels, the generation's included.

    Several ids are a generation written without its class (三代TKI): the class whose targets are among the
    query's ``genes`` (T790M阳性 三代TKI: EGFR), else an ambiguous concept with every candidate."""
    if len(ids) > 1:
        fits = [c for c in ids if (found := index.drug_classes.get(c)) and set(genes).intersection(found.targets)]
        if len(fits) != 1:
            return Concept("drug_class", matched.strip(), matched.strip(), "", matched, "ambiguous", ids)
        ids, match = (fits[0],), "alias"
    found = index.drug_classes.get(ids[0])
    label, label_zh = (found.label, found.label_zh) if found else (ids[0], "")
    return Concept("drug_class", ids[0], label, label_zh, matched, match)


def fusion_parts(concepts: list[Concept], pairs: list[tuple[str, str]]) -> list[Concept]:
    """A named fusion (BCR-ABL, EML4::ALK; ``pairs`` of its id and partner gene) is what was written: its generic
    form (ABL1 fusion) and its partner gene (BCR) come with it as implied concepts, never as separate questions.
    The written concepts come first."""
    parts: dict[str, str] = {}  # concept key -> the named fusion's key
    for ident, partner in pairs:
        parts[f"variant:{ident.split(':', 1)[0]}:FUSION"] = f"variant:{ident}"
        parts[f"gene:{partner}"] = f"variant:{ident}"
    out = [
        replace(c, implied=True, implied_by=parts[c.key]) if c.key in parts and not c.implied else c for c in concepts
    ]
    return [c for c in out if not c.implied] + [c for c in out if c.implied]


def concept_for_biomarker(
    index: QueryIndex, ids: tuple[str, ...], matched: str, match: MatchKind, value: str = ""
) -> Concept:
    """A biomarker by id (``MSI-H``) with its English and Chinese names; ``value`` as written with it."""
    if match == "ambiguous" or len(ids) != 1:
        return Concept("biomarker", matched.strip(), matched.strip(), "", matched, "ambiguous", ids, value=value)
    found = index.vocab.biomarkers.biomarkers.get(ids[0])
    label, label_zh = (found.name, found.name_zh) if found else (ids[0], "")
    return Concept("biomarker", ids[0], label, label_zh, matched, match, value=value)


def variant_labels(index: QueryIndex, gene: str, kind: AlterationKind, name: str) -> tuple[str, str]:
    """``EGFR T790M`` / ``EGFR T790M突变``; ``EGFR exon 19 deletion`` / ``EGFR 19号外显子缺失``; ``ALK融合``.

    The words are the first of each event in ``variant_terms.tsv`` and ``exon_events.tsv``."""
    if kind is AlterationKind.PROTEIN_CHANGE:
        return f"{gene} {name}".strip(), f"{gene} {name}{index.event_words['MUTATION'][1]}".strip()
    exon = _EXON.fullmatch(name)
    events = exon_events()
    if exon and (en := events.label(exon[2], "en")):
        zh = events.label(exon[2], "zh")
        return f"{gene} exon {exon[1]} {en}".strip(), f"{gene} {exon[1]}号外显子{zh}".strip()
    if kind is AlterationKind.FUSION and name != "FUSION":
        en, zh = index.event_words["FUSION"]
        return f"{name} {en}", f"{name}{zh}"
    en, zh = index.event_words.get(name, (name.lower(), ""))
    return f"{gene} {en}".strip(), f"{gene}{zh}" if zh else ""
