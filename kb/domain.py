"""Domain model of genekb: plain typed records, free of any storage concern."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

__all__ = [
    "Alteration",
    "AlterationKind",
    "Article",
    "ArticleStatus",
    "Assertion",
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
class Assertion:
    """A source's assertion over several evidence items (a CIViC assertion): the guideline and regulatory
    facts it records for the clinical statement they make together."""

    id: str  # "civic:AID7"
    alteration: Alteration | None = None  # the alteration it is about (its items may be filed under a broader one)
    amp_category: str = ""  # AMP/ASCO/CAP tier: "Tier I - Level A"
    nccn_guideline: str = ""  # "Non-Small Cell Lung Cancer", with its version below
    nccn_version: str = ""
    regulatory_approval: bool | None = None  # an FDA approval for the statement (None: not stated)
    fda_companion_test: bool | None = None  # an FDA-approved companion test exists


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
    statement_zh: str = ""  # an editor's Chinese version of the statement, shown before it when present
    variant_origin: str = ""
    status: EvidenceStatus = EvidenceStatus.ACCEPTED
    last_review: date | None = None
    biomarkers: tuple[str, ...] = ()  # ids of the biomarkers the item is about (MSI-H, TMB-H); see Biomarker
    assertions: tuple[Assertion, ...] = ()  # the source's assertions that cite this item


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
    entrez_date: date | None = None  # PubMed's entry date (History/PubMedPubDate[@PubStatus="entrez"])
    revised_date: date | None = None  # MedlineCitation/DateRevised: NLM last revised the citation
    # when this library first held the PMID (UTC): set by the store on the first write, kept by every later one
    first_ingested: datetime | None = None

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}".strip()


@dataclass(frozen=True, slots=True)
class TestItem:
    """A catalogue test and what it can report, as structured data (docs/search.md, "Test recommendations:
    what fits"). The capability fields are optional for an editor's draft; every catalogue item states them.
    An unknown report type, coverage, sample or pan-cancer scope, or capability fields that do not hold
    together (snv_indel with no coverage, a hotspot of another gene, no source ...), raise ``ValueError``:
    ingestion rejects such an item, the editorial workflow such a change."""

    #: alteration types a test reports (``expression`` covers IHC)
    REPORTS: ClassVar[tuple[str, ...]] = (
        "snv_indel", "cnv", "fusion", "expression", "msi", "tmb", "hrd", "methylation",
    )  # fmt: skip
    COVERAGES: ClassVar[tuple[str, ...]] = ("full", "hotspot")  # all coding exons of the genes, or the hotspots only
    SAMPLES: ClassVar[tuple[str, ...]] = ("tissue", "cytology", "plasma", "blood", "bone_marrow", "saliva")
    SCOPES: ClassVar[tuple[str, ...]] = ("solid", "heme", "any")  # pan-cancer: solid tumours, haematological, any

    id: str
    name: str
    name_zh: str
    genes: tuple[str, ...]
    alteration_kinds: tuple[AlterationKind, ...]
    indications: tuple[str, ...]  # OncoTree codes
    sample_types: tuple[str, ...]  # as the product sheet words them
    method: str
    turnaround_days: int  # working days
    published: bool = True
    description: str = ""
    description_zh: str = ""
    biomarkers: tuple[str, ...] = field(default=())  # ids of the biomarkers it reports: MSI-H, MSS, TMB-H, PD-L1
    reports: tuple[str, ...] = ()  # of REPORTS; empty: not stated (matched by gene or biomarker only)
    gene_reports: tuple[str, ...] = ()  # "GENE:type": the only types reported for that gene (EGFR:cnv)
    coverage: str = ""  # of COVERAGES, for snv_indel; "" when the test reports no sequence variants
    hotspots: tuple[str, ...] = ()  # alteration ids of a hotspot test (EGFR:T790M, KRAS:G12, KIT:EXON11MUT)
    full_genes: tuple[str, ...] = ()  # genes of a hotspot test whose coding exons are all covered
    samples: tuple[str, ...] = ()  # of SAMPLES
    paired: bool = False  # tumour-normal paired: the blood sample is the normal, not an alternative
    pan_cancer: str = ""  # of SCOPES: fits any tumour of that scope beside its indications
    source: str = ""  # where the capability is stated

    def __post_init__(self) -> None:
        checks = (
            ("report type", (*self.reports, *(g.partition(":")[2] for g in self.gene_reports)), self.REPORTS),
            ("sample", self.samples, self.SAMPLES),
            ("coverage", (self.coverage,) if self.coverage else (), self.COVERAGES),
            ("pan-cancer scope", (self.pan_cancer,) if self.pan_cancer else (), self.SCOPES),
        )
        for what, values, allowed in checks:
            wrong = [v for v in values if v not in allowed]
            if wrong:
                raise ValueError(f"unknown {what} {', '.join(map(repr, wrong))}; choose from {', '.join(allowed)}")
        problem = self._inconsistency()
        if problem:
            raise ValueError(problem)

    def _inconsistency(self) -> str:
        """What does not hold together in the capability fields ("" when they do)."""
        stated = self.reports or self.gene_reports or self.coverage or self.hotspots or self.samples or self.pan_cancer
        sequenced = any("snv_indel" in self.reports_for(g) for g in self.genes)
        foreign = [e for e in (*self.gene_reports, *self.hotspots) if e.partition(":")[0] not in self.genes]
        own_types = {g.partition(":")[2] for g in self.gene_reports}
        problems = {
            "the capability fields need a source (where they are stated)": stated and not self.source,
            f"{', '.join(foreign)}: not of the item's genes": foreign,
            "gene_reports name types the item does not report": not own_types <= set(self.reports),
            "an item that reports snv_indel needs coverage (full or hotspot)": sequenced and not self.coverage,
            "coverage is stated but the item reports no snv_indel": self.coverage and not sequenced,
            "a hotspot item needs its hotspots": self.coverage == "hotspot" and not self.hotspots,
            "full_genes are genes of a hotspot item": self.full_genes
            and (self.coverage != "hotspot" or not set(self.full_genes) <= set(self.genes)),
        }
        return next((text for text, wrong in problems.items() if wrong), "")

    def reports_for(self, gene: str) -> tuple[str, ...]:
        """The types the test reports for one of its genes (its ``gene_reports``, else ``reports``)."""
        own = tuple(g.partition(":")[2] for g in self.gene_reports if g.partition(":")[0] == gene)
        return own or self.reports
