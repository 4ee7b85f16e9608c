"""The partner schemas of ``POST /v1/annotate`` (docs/annotate.md): variants in, annotations out."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas import AssertionOut, TumorRef
from kb.annotate import MAX_BATCH

__all__ = [
    "AnnotateIn",
    "AnnotateItemIn",
    "AnnotateOut",
    "AnnotationOut",
    "GeneRef",
    "LevelOut",
    "PartnerSummaryOut",
    "PartnerTestOut",
    "ProblemOut",
    "VariantOut",
]

Short = Annotated[str, StringConstraints(max_length=200)]


class AnnotateItemIn(BaseModel):
    """One variant. Give a gene and an alteration, or a genomic change, and a tumor."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: Short = Field(default="", description="your id of the item, echoed in the answer")
    gene: Short | int = Field(default="", description="HGNC symbol, previous symbol, alias or Entrez id")
    alteration: Short = Field(
        default="",
        description="protein change (T790M, p.Thr790Met), exon event (Exon 19 deletion), fusion (EML4-ALK, "
        "EML4::ALK), Amplification / Deletion, or a biomarker (MSI-H, TMB-H)",
    )
    tumor: Short = Field(default="", description="OncoTree code, or an English or Chinese tumor name")
    consequence: Short = Field(default="", description="e.g. missense_variant (echoed; not used to match)")
    referenceGenome: Short = Field(default="GRCh37", description="GRCh37 or GRCh38")
    genomicChange: Short = Field(
        default="", description="GRCh37 chromosome,start,end,ref,alt or HGVSg (7:g.140453136A>T), when no gene"
    )


class AnnotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[AnnotateItemIn] = Field(min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} variants")


class GeneRef(BaseModel):
    symbol: str
    entrez_id: str
    name: str


class VariantOut(BaseModel):
    id: str = Field(description="GENE:ALTERATION, e.g. EGFR:T790M, ALK:EML4-ALK, ERBB2:AMPLIFICATION")
    gene: str
    name: str = Field(description="the normalised alteration")
    kind: str = Field(description="protein_change | exon | fusion | amplification | expression | loss | itd | mutation")
    partner: str = Field(description="the other gene of a fusion")


class LevelOut(BaseModel):
    oncokb: str = Field(description="the level in OncoKB's vocabulary (LEVEL_1 ... LEVEL_R2, LEVEL_Dx*, LEVEL_Px*)")
    genekb: str = Field(description="genekb's own level (A-E) it maps from")


class ProblemOut(BaseModel):
    field: str = Field(description="gene | alteration | tumor | genomicChange | referenceGenome")
    reason: str = Field(
        description="missing_gene | unknown_gene | ambiguous_gene | missing_alteration | unreadable_alteration | "
        "unknown_tumor | unreadable_genomic_change | unknown_genomic_change | unknown_reference_genome"
    )
    message: str


class PartnerSummaryOut(BaseModel):
    """One clinical statement about the variant, compact: its evidence by id."""

    id: str
    gene: str
    variant: str
    variant_id: str
    biomarkers: list[str]
    tumor: TumorRef | None
    disease: str
    tumor_relation: str = Field(description="to the asked tumor: exact | family | other | any (none asked)")
    drugs: list[str]
    drug_interaction: str
    evidence_type: str
    significance: str
    direction: str
    level: str = Field(description="genekb's level: the best among the items that support it (A-E)")
    oncokb_level: str | None = Field(description="the same in OncoKB's vocabulary (docs/annotate.md); null: none")
    count: int
    pmids: list[str]
    evidence_ids: list[str]
    last_review: date | None
    assertions: list[AssertionOut]


class PartnerTestOut(BaseModel):
    """A company test that can detect the variant: a product suggestion, not evidence. The whole item is at
    ``GET /v1/tests/{id}``."""

    id: str
    name: str
    name_zh: str
    reason: str = Field(description="why it fits, in facts only")
    reason_zh: str
    sponsored: bool = Field(default=True, description="always true: the company's own product")
    matched_genes: list[str]
    matched_biomarkers: list[str]
    matched_tumors: list[str] = Field(description="its indications that fit the asked tumor")
    method: str
    turnaround_days: int | None = Field(description="working days")
    samples: list[str] = Field(description="tissue, cytology, plasma, blood, bone_marrow, saliva")


class AnnotationOut(BaseModel):
    id: str
    query: AnnotateItemIn
    gene: GeneRef | None
    variant: VariantOut | None
    biomarker: str | None = Field(description="the biomarker id the alteration names")
    tumor: TumorRef | None
    geneExist: bool = Field(description="genekb knows the gene")
    variantExist: bool = Field(description="curated evidence is about this variant")
    highest_sensitive_level: LevelOut | None
    highest_resistance_level: LevelOut | None
    highest_diagnostic_level: LevelOut | None
    highest_prognostic_level: LevelOut | None
    summaries: list[PartnerSummaryOut] = Field(description="therapy first, the asked tumor first, best level first")
    tests: list[PartnerTestOut] = Field(description="product suggestions that can detect the variant: not evidence")
    problems: list[ProblemOut] = Field(description="why (part of) the item could not be answered")
    data_version: str


class AnnotateOut(BaseModel):
    data_version: str
    count: int
    with_problems: int = Field(description="items that came back with problems")
    annotations: list[AnnotationOut] = Field(description="in the order of the items sent")
