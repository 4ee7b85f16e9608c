"""Domain model of genekb: plain typed records, free of any storage concern."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

__all__ = [
    "Alteration",
    "AlterationKind",
    "Article",
    "ArticleStatus",
    "Biomarker",
    "Citation",
    "Cutoff",
    "Drug",
    "Evidence",
    "EvidenceDirection",
    "EvidenceLevel",
    "EvidenceStatus",
    "EvidenceType",
    "Gene",
    "TestItem",
    "TumorType",
]


class AlterationKind(StrEnum):
    """What kind of molecular event an alteration is."""

    PROTEIN_CHANGE = "protein_change"  # T790M, V600E, G12C, R882 (codon), E746_A750del
    EXON = "exon"  # exon 19 deletion, exon 20 insertion, exon 14 skipping
    FUSION = "fusion"  # EML4-ALK, ALK fusion, rearrangement
    AMPLIFICATION = "amplification"
    EXPRESSION = "expression"  # expression, overexpression, underexpression
    LOSS = "loss"  # loss, deletion, loss-of-function
    ITD = "itd"  # internal tandem duplication
    MUTATION = "mutation"  # any / unspecified mutation
    WILD_TYPE = "wild_type"
    OTHER = "other"


class EvidenceType(StrEnum):
    PREDICTIVE = "predictive"
    PROGNOSTIC = "prognostic"
    DIAGNOSTIC = "diagnostic"
    PREDISPOSING = "predisposing"
    ONCOGENIC = "oncogenic"
    FUNCTIONAL = "functional"


class EvidenceDirection(StrEnum):
    SUPPORTS = "supports"
    DOES_NOT_SUPPORT = "does_not_support"
    NA = "na"


class EvidenceLevel(StrEnum):
    A = "A"  # validated
    B = "B"  # clinical
    C = "C"  # case study
    D = "D"  # preclinical
    E = "E"  # inferential


class EvidenceStatus(StrEnum):
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    REJECTED = "rejected"


class ArticleStatus(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Gene:
    symbol: str  # HGNC approved symbol
    hgnc_id: str
    name: str = ""
    name_zh: str = ""
    ncbi_gene_id: str = ""
    ensembl_gene_id: str = ""
    previous_symbols: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    synonyms_zh: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Alteration:
    """A gene plus one molecular event, with a stable id such as ``EGFR:T790M``."""

    gene: str
    kind: AlterationKind
    name: str  # normalised event: T790M, EXON19DEL, FUSION, AMPLIFICATION ...
    partner: str = ""  # fusion partner gene (EML4 in EML4-ALK)
    exon: int | None = None
    label: str = ""  # the source's own wording, e.g. "EXON 19 DELETION"
    label_zh: str = ""

    @property
    def id(self) -> str:
        """``GENE:NAME``; an event with no gene (a biomarker such as ``TMB-H``) is its name alone."""
        return f"{self.gene}:{self.name}" if self.gene else self.name


@dataclass(frozen=True, slots=True)
class TumorType:
    code: str  # OncoTree code
    name: str
    name_zh: str = ""
    parent: str | None = None
    main_type: str = ""
    tissue: str = ""
    level: int = 0
    synonyms: tuple[str, ...] = ()  # English synonyms and abbreviations
    synonyms_zh: tuple[str, ...] = ()
    umls: tuple[str, ...] = ()
    nci: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Drug:
    inn: str  # lowercase INN, the stable id
    name: str = ""  # display name in English
    name_zh: str = ""
    synonyms: tuple[str, ...] = ()
    synonyms_zh: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    brands_zh: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # INNs of a combination's members; empty for a single agent
    targets: tuple[str, ...] = ()  # gene symbols


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A cut-off of a biomarker's score: ``TMB >= 10 mut/Mb``, ``TPS >= 50 %``.

    A *defining* cut-off says which values are the biomarker (TMB 12 is TMB-H, TMB 6 is not);
    a reporting one is a cut-off in clinical use (PD-L1 TPS 1 % and 50 %): any value of that
    score names the biomarker, and the value is kept beside it.
    """

    score: str  # TPS, CPS, TMB, GIS
    op: str  # >=, >, <=, <
    value: float
    unit: str = ""  # %, mut/Mb
    defining: bool = False

    def holds(self, low: float, high: float, closed: tuple[bool, bool] = (True, True)) -> bool:
        """Whether every value in the interval from ``low`` to ``high`` meets the cut-off."""
        if self.op in (">=", ">"):
            return low > self.value or (low == self.value and (self.op == ">=" or not closed[0]))
        return high < self.value or (high == self.value and (self.op == "<=" or not closed[1]))

    def __str__(self) -> str:
        number = f"{self.value:g}"
        return f"{self.score}{self.op}{number}{'' if self.unit in ('', '%') else ' '}{self.unit}"


@dataclass(frozen=True, slots=True)
class Biomarker:
    """A clinical biomarker state that is not one gene's alteration: MSI-H, dMMR, TMB-H, HRD,
    PD-L1 expression, the HER2 IHC states. The stable id is the usual abbreviation."""

    id: str  # MSI-H, dMMR, TMB-H, PD-L1, HER2-low
    name: str  # English display name
    name_zh: str = ""
    group: str = ""  # what a test measures to report it: MSI, MMR, TMB, PD-L1, HER2 IHC, HRD
    synonyms: tuple[str, ...] = ()  # English names and abbreviations read in queries
    synonyms_zh: tuple[str, ...] = ()
    definition: str = ""  # how it is defined, thresholds stated
    definition_zh: str = ""
    genes: tuple[str, ...] = ()  # related genes (HGNC symbols): MLH1, MSH2, MSH6, PMS2 for MMR
    alterations: tuple[str, ...] = ()  # alteration ids whose evidence reports it (CD274:EXPRESSION for PD-L1)
    cutoffs: tuple[Cutoff, ...] = ()
    values: tuple[str, ...] = ()  # qualitative values a query may give it: high, low, positive, negative
    ihc: tuple[str, ...] = ()  # IHC results of its related gene that define it: 1+, 2+/ISH- (HER2-low)
    source: str = ""  # where the definition comes from


@dataclass(frozen=True, slots=True)
class Citation:
    pmid: str = ""
    source: str = "PubMed"  # PubMed | ASCO
    source_id: str = ""  # PMID or ASCO abstract id
    text: str = ""  # "Levine et al., 2005, Blood"


@dataclass(frozen=True, slots=True)
class Evidence:
    id: str  # "civic:EID1234"
    source: str  # CIViC
    source_id: str  # "1234"
    gene: str
    alteration: Alteration
    evidence_type: EvidenceType
    direction: EvidenceDirection
    significance: str  # sensitivity / resistance / poor_outcome ...
    level: EvidenceLevel
    rating: int | None
    tumor_code: str | None  # OncoTree code; None when the disease is unmapped
    disease: str  # source's disease name
    doid: str = ""
    drugs: tuple[str, ...] = ()  # INNs
    drug_interaction: str = ""  # combination / substitutes / sequential
    citations: tuple[Citation, ...] = ()
    statement: str = ""
    variant_origin: str = ""
    status: EvidenceStatus = EvidenceStatus.ACCEPTED
    last_review: date | None = None
    biomarkers: tuple[str, ...] = ()  # ids of the biomarkers the item is about (MSI-H, TMB-H); see Biomarker


@dataclass(frozen=True, slots=True)
class Article:
    pmid: str
    title: str
    abstract: str = ""
    journal: str = ""
    pub_date: date | None = None
    year: int | None = None
    mesh_terms: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    doi: str = ""
    version: int = 1
    status: ArticleStatus = ArticleStatus.ACTIVE
    concepts: tuple[str, ...] = ()  # "gene:EGFR", "variant:EGFR:T790M", "tumor:NSCLC", "drug:osimertinib"

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}".strip()


@dataclass(frozen=True, slots=True)
class TestItem:
    id: str
    name: str
    name_zh: str
    genes: tuple[str, ...]
    alteration_kinds: tuple[AlterationKind, ...]
    indications: tuple[str, ...]  # OncoTree codes
    sample_types: tuple[str, ...]
    method: str
    turnaround_days: int
    published: bool = True
    description: str = ""
    description_zh: str = ""
    biomarkers: tuple[str, ...] = field(default=())  # ids of the biomarkers it reports: MSI-H, MSS, TMB-H, PD-L1
