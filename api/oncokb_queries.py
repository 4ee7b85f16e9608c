"""OncoKB's queries as genekb's annotator reads them (the OncoKB-compatible API, api/routes/oncokb.py).

Each query becomes an :class:`Ask`: the :class:`~kb.annotate.AnnotationQuery` to answer, and what the
answer's ``query`` echoes. Reading is lenient, as OncoKB's is: a field longer than 200 characters is not
read (it answers as missing rather than being cut into another meaning), numbers may come as strings, and a
query that can't be read still gets an answer, with ``geneExist``/``variantExist`` false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from api.oncokb_schemas import CopyNumberIn, GeneIn, GenomicChangeIn, HgvsgIn, ProteinChangeIn, StructuralVariantIn
from kb.annotate import AnnotationQuery, Annotator

__all__ = ["Ask", "copy_number_ask", "evidence_types", "genomic_ask", "protein_ask", "structural_ask"]

_MAX_TEXT = 200
_COPY_NUMBER = ("AMPLIFICATION", "DELETION", "GAIN", "LOSS")
_KNOWN_TYPES = frozenset(
    {
        "STANDARD_THERAPEUTIC_IMPLICATIONS_FOR_DRUG_SENSITIVITY",
        "STANDARD_THERAPEUTIC_IMPLICATIONS_FOR_DRUG_RESISTANCE",
        "INVESTIGATIONAL_THERAPEUTIC_IMPLICATIONS_DRUG_SENSITIVITY",
        "INVESTIGATIONAL_THERAPEUTIC_IMPLICATIONS_DRUG_RESISTANCE",
        "DIAGNOSTIC_IMPLICATION",
        "PROGNOSTIC_IMPLICATION",
        "GENE_SUMMARY",
        "MUTATION_SUMMARY",
        "TUMOR_TYPE_SUMMARY",
        "DIAGNOSTIC_SUMMARY",
        "PROGNOSTIC_SUMMARY",
        "ONCOGENIC",
        "MUTATION_EFFECT",
    }
)


@dataclass(frozen=True, slots=True)
class Ask:
    """One OncoKB query: what the annotator is asked, and what the answer's ``query`` echoes."""

    query: AnnotationQuery
    id: str | None
    tumor_type: str | None
    types: frozenset[str]  # OncoKB evidence types asked; empty: all
    hugo: str | None = None
    entrez: int | None = None
    alteration: str | None = None
    consequence: str | None = None
    start: int | None = None
    end: int | None = None
    hgvs: str | None = None
    sv_type: str | None = None
    note: str = ""  # why the query can't be answered, said instead of the annotator's problems


def evidence_types(value: list[str] | str | None) -> frozenset[str]:
    """OncoKB's evidence types asked (a list, or comma-separated); unknown names are ignored, none: all."""
    names = value if isinstance(value, list) else (value or "").split(",")
    return frozenset(n.strip().upper() for n in names) & _KNOWN_TYPES


def _text(value: object) -> str:
    text = "" if value is None else str(value).strip()
    return text if len(text) <= _MAX_TEXT else ""


def _int(value: object) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _text(value)
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _genome(value: str | None) -> str:
    text = _text(value)
    return {"GRCH37": "GRCh37", "GRCH38": "GRCh38"}.get(text.upper(), text) if text else "GRCh37"


def _gene(gene: GeneIn | None) -> str:
    """The gene as the annotator reads it: the symbol, else the Entrez id."""
    if gene is None:
        return ""
    entrez = _int(gene.entrezGeneId)
    return _text(gene.hugoSymbol) or ("" if entrez is None else str(entrez))


Item = ProteinChangeIn | GenomicChangeIn | HgvsgIn | CopyNumberIn | StructuralVariantIn


def _query(
    item: Item, *, gene: str = "", alteration: str = "", consequence: str = "", genomic: str = ""
) -> AnnotationQuery:
    return AnnotationQuery(
        id="" if item.id is None else str(item.id),
        gene=gene,
        alteration=alteration,
        tumor=_text(item.tumorType),
        consequence=consequence,
        reference_genome=_genome(item.referenceGenome),
        genomic=genomic,
    )


def _id(item: Item) -> str | None:
    return None if item.id is None else str(item.id)


def protein_ask(item: ProteinChangeIn) -> Ask:
    gene = item.gene or GeneIn()
    query = _query(item, gene=_gene(gene), alteration=_text(item.alteration), consequence=_text(item.consequence))
    return Ask(
        query,
        _id(item),
        item.tumorType,
        evidence_types(item.evidenceTypes),
        hugo=gene.hugoSymbol,
        entrez=_int(gene.entrezGeneId),
        alteration=item.alteration,
        consequence=item.consequence,
        start=_int(item.proteinStart),
        end=_int(item.proteinEnd),
    )


def genomic_ask(item: GenomicChangeIn | HgvsgIn) -> Ask:
    hgvsg = item.hgvsg if isinstance(item, HgvsgIn) else None
    text = _text(hgvsg if isinstance(item, HgvsgIn) else item.genomicLocation)
    note = "" if text else "No genomic change was given."
    return Ask(
        _query(item, genomic=text), _id(item), item.tumorType, evidence_types(item.evidenceTypes), hgvs=hgvsg, note=note
    )


def copy_number_ask(item: CopyNumberIn) -> Ask:
    gene = item.gene or GeneIn()
    kind = _text(item.copyNameAlterationType).upper()
    known = kind in _COPY_NUMBER
    note = "" if known else f"copyNameAlterationType is AMPLIFICATION, DELETION, GAIN or LOSS, not {kind!r}."
    return Ask(
        _query(item, gene=_gene(gene), alteration=kind if known else ""),
        _id(item),
        item.tumorType,
        evidence_types(item.evidenceTypes),
        hugo=gene.hugoSymbol,
        entrez=_int(gene.entrezGeneId),
        alteration=kind.capitalize() if known else item.copyNameAlterationType,
        note=note,
    )


def structural_ask(item: StructuralVariantIn, annotator: Annotator) -> Ask:
    """Two different genes are the fusion ``A-B``; one gene of a fusion is any fusion of it. genekb curates no
    other structural variants (an intragenic deletion), so those answer with the gene alone."""
    sides = []
    for gene in (item.geneA, item.geneB):
        text = _gene(gene)
        sides.append((annotator.gene(text)[0] or text) if text.isdigit() else text)
    a, b = sides
    kind = _text(item.structuralVariantType).upper()
    flag = item.functionalFusion
    functional = flag if isinstance(flag, bool) else _text(flag).lower() in ("true", "1", "yes")
    note = ""
    if a and b and a.upper() != b.upper():
        alteration, echo = f"{a}-{b}", f"{a}-{b} Fusion"
    elif (a or b) and not (a and b) and (kind == "FUSION" or functional):
        alteration, echo = "Fusion", "Fusion"
    else:
        alteration, echo = "", None
        note = "genekb answers structural variants only as fusions of two genes."
    return Ask(
        _query(item, gene=a or b, alteration=alteration),
        _id(item),
        item.tumorType,
        evidence_types(item.evidenceTypes),
        hugo=a or b or None,
        alteration=echo,
        sv_type=kind or None,
        note=note,
    )
