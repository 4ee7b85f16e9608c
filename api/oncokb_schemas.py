"""OncoKB's request and answer shapes, for the OncoKB-compatible API under ``/oncokb/api/v1`` (api/routes/oncokb.py).

The field names are OncoKB's own (camelCase, ``copyNameAlterationType`` included), so that OncoKB's clients
read genekb's answers unchanged. Requests are lenient as OncoKB's are: unknown fields are ignored, every
field may be missing, numbers may come as strings; an item that can't be answered comes back with
``geneExist``/``variantExist`` false, never as an error. Fields genekb can't fill truthfully carry safe
defaults, each said in its description; genekb's own additions are the fields named ``genekb…``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ArticleAbstractOut",
    "CancerGeneOut",
    "CitationsOut",
    "CopyNumberIn",
    "DrugOut",
    "GeneIn",
    "GenomicChangeIn",
    "HgvsgIn",
    "ImplicationOut",
    "IndicatorQueryResp",
    "InfoOut",
    "LevelInfoOut",
    "MainTypeOut",
    "MutationEffectOut",
    "ProteinChangeIn",
    "QueryOut",
    "StructuralVariantIn",
    "TreatmentOut",
    "TumorTypeOut",
    "VersionOut",
]

Loose = str | int | float | None  # OncoKB's clients send ids and positions as numbers or as strings (from TSV files)
EvidenceTypes = list[str] | str | None


# -- requests ----------------------------------------------------------------------------------------------------
class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")  # unknown fields are ignored, as OncoKB does


class GeneIn(_In):
    hugoSymbol: str | None = None
    entrezGeneId: Loose = None


class _Item(_In):
    id: Loose = Field(default=None, description="your id of the query, echoed in query.id")
    tumorType: str | None = Field(default=None, description="OncoTree code, or an English or Chinese tumor name")
    referenceGenome: str | None = Field(default=None, description="GRCh37 (default) or GRCh38")
    evidenceTypes: EvidenceTypes = Field(default=None, description="OncoKB evidence types to answer; none: all")


class ProteinChangeIn(_Item):
    gene: GeneIn | None = None
    alteration: str | None = Field(default=None, description="V600E, p.Thr790Met, Exon 19 deletion, EML4-ALK ...")
    consequence: str | None = Field(default=None, description="echoed; not used to match")
    proteinStart: Loose = None
    proteinEnd: Loose = None


class GenomicChangeIn(_Item):
    genomicLocation: str | None = Field(default=None, description="chromosome,start,end,ref,alt on GRCh37")


class HgvsgIn(_Item):
    hgvsg: str | None = Field(default=None, description="7:g.140453136A>T")


class CopyNumberIn(_Item):
    gene: GeneIn | None = None
    copyNameAlterationType: str | None = Field(default=None, description="AMPLIFICATION, DELETION, GAIN or LOSS")


class StructuralVariantIn(_Item):
    geneA: GeneIn | None = None
    geneB: GeneIn | None = None
    structuralVariantType: str | None = Field(default=None, description="FUSION, DELETION, TRANSLOCATION, ...")
    functionalFusion: bool | str | None = None


# -- answers -----------------------------------------------------------------------------------------------------
class ArticleAbstractOut(BaseModel):
    abstract: str = Field(description="a cited source without a PMID (a conference abstract, a drug label)")
    link: str = Field(description="always empty: genekb keeps no links for these sources")


class CitationsOut(BaseModel):
    pmids: list[str]
    abstracts: list[ArticleAbstractOut]


class MutationEffectOut(BaseModel):
    knownEffect: str = Field(description='always "Unknown": genekb has no curation of mutation effects')
    description: str
    citations: CitationsOut


class MainTypeOut(BaseModel):
    id: int | None = Field(description="always null: OncoKB's own database id, which genekb has not")
    name: str
    tumorForm: str


class TumorTypeOut(BaseModel):
    id: int = Field(description="always 0: OncoKB's own database id, which genekb has not")
    code: str = Field(description="the OncoTree code; empty when the evidence names a disease OncoTree lacks")
    name: str
    mainType: MainTypeOut
    tissue: str | None
    children: dict[str, Any] = Field(description="always empty")
    parent: str | None
    level: int = Field(description="the OncoTree level; 0 when unknown")
    tumorForm: str = Field(description="LIQUID for OncoTree's Lymphoid and Myeloid tissues, SOLID otherwise")


class DrugOut(BaseModel):
    drugName: str
    ncitCode: str = Field(description="always empty: genekb keeps no NCIt codes for drugs")
    synonyms: list[str]


class TreatmentOut(BaseModel):
    alterations: list[str]
    approvedIndications: list[str] = Field(description="always empty: genekb keeps no indication texts")
    description: str
    drugs: list[DrugOut] = Field(description="the drugs given together; one treatment per drug for substitutes")
    fdaLevel: str = Field(description='always "NO": genekb makes no FDA-level claims')
    level: str = Field(description="genekb's level in OncoKB's vocabulary (docs/annotate.md, the level crosswalk)")
    levelAssociatedCancerType: TumorTypeOut
    levelExcludedCancerTypes: list[TumorTypeOut] = Field(description="always empty")
    pmids: list[str]
    abstracts: list[ArticleAbstractOut]
    genekbLevel: str = Field(description="genekb's own level (A-E) the OncoKB-style level maps from")


class ImplicationOut(BaseModel):
    levelOfEvidence: str
    alterations: list[str]
    tumorType: TumorTypeOut
    pmids: list[str]
    abstracts: list[ArticleAbstractOut]
    description: str
    genekbLevel: str = Field(description="genekb's own level (A-E) the OncoKB-style level maps from")


class QueryOut(BaseModel):
    id: str | None
    referenceGenome: str
    hugoSymbol: str | None = Field(description="the HGNC symbol genekb read the gene as, or the gene as sent")
    entrezGeneId: int | None
    alteration: str | None = Field(description="as sent; for a genomic change, the curated variant it maps to")
    alterationType: str | None = Field(description="always null")
    svType: str | None
    tumorType: str | None
    consequence: str | None = Field(description="as sent; genekb does not compute consequences")
    proteinStart: int | None
    proteinEnd: int | None
    hgvs: str | None


class IndicatorQueryResp(BaseModel):
    """OncoKB's IndicatorQueryResp, filled from genekb's curated evidence (genekb levels written in OncoKB's
    vocabulary, not OncoKB's curation)."""

    query: QueryOut
    geneExist: bool
    variantExist: bool = Field(description="some curated evidence is about this variant")
    alleleExist: bool = Field(description="the same as variantExist")
    oncogenic: str = Field(description='always "Unknown": genekb has no oncogenicity curation')
    mutationEffect: MutationEffectOut
    highestSensitiveLevel: str | None
    highestResistanceLevel: str | None
    highestDiagnosticImplicationLevel: str | None
    highestPrognosticImplicationLevel: str | None
    highestFdaLevel: str | None = Field(description="always null: genekb makes no FDA-level claims")
    otherSignificantSensitiveLevels: list[str] = Field(description="always empty")
    otherSignificantResistanceLevels: list[str] = Field(description="always empty")
    hotspot: bool = Field(description="always false: genekb keeps no hotspot data")
    geneSummary: str
    variantSummary: str
    tumorTypeSummary: str
    diagnosticSummary: str
    prognosticSummary: str
    treatments: list[TreatmentOut] = Field(description="therapy statements with a level: the asked tumor first")
    diagnosticImplications: list[ImplicationOut]
    prognosticImplications: list[ImplicationOut]
    dataVersion: str
    lastUpdate: str = Field(description="MM/DD/YYYY: the newest review date of genekb's curated evidence")
    vus: bool = Field(description="always false: genekb does not curate variants of unknown significance")


class VersionOut(BaseModel):
    version: str
    date: str


class LevelInfoOut(BaseModel):
    levelOfEvidence: str
    description: str = Field(description="what genekb evidence maps to this level")


class InfoOut(BaseModel):
    dataVersion: VersionOut = Field(description="genekb's data version and the newest review date (MM/DD/YYYY)")
    apiVersion: VersionOut
    appVersion: VersionOut
    levels: list[LevelInfoOut] = Field(description="the OncoKB levels genekb answers with, and what maps to each")
    ncitVersion: str = Field(description="always empty: genekb uses no NCIt release")
    oncoTreeVersion: str = Field(description="the OncoTree release in KB_DATA_DIR/oncotree (oncotree_YYYY_MM_DD)")
    publicInstance: bool = Field(description="always false: this is not OncoKB's public instance")


class CancerGeneOut(BaseModel):
    """A gene genekb has curated evidence for. OncoKB's gene-list memberships genekb does not know are false."""

    hugoSymbol: str
    entrezGeneId: int
    oncokbAnnotated: bool = Field(description="always true: genekb has curated evidence for the gene")
    occurrenceCount: int = Field(description="always 1: the one gene list genekb knows is its own")
    geneAliases: list[str] = Field(description="HGNC aliases and previous symbols")
    grch37Isoform: str | None = Field(description="always null")
    grch37RefSeq: str | None = Field(description="always null")
    grch38Isoform: str | None = Field(description="always null")
    grch38RefSeq: str | None = Field(description="always null")
    oncogene: bool = Field(description="always false: genekb does not curate gene roles")
    tsg: bool = Field(description="always false: genekb does not curate gene roles")
    mSKImpact: bool = Field(description="always false: not known to genekb")
    mSKHeme: bool = Field(description="always false: not known to genekb")
    foundation: bool = Field(description="always false: not known to genekb")
    foundationHeme: bool = Field(description="always false: not known to genekb")
    vogelstein: bool = Field(description="always false: not known to genekb")
    sangerCGC: bool = Field(description="always false: not known to genekb")
    genekbEvidenceCount: int = Field(description="genekb's curated evidence items about the gene")
