"""Public response schemas of ``/v1`` (partner apps depend on these names)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from api.reading_schemas import ReadingListRef

__all__ = [
    "ArticleDetail",
    "ArticleOut",
    "AssertionOut",
    "BadgeOut",
    "BiomarkerOut",
    "CitationOut",
    "ConceptNameOut",
    "ConceptOut",
    "CutoffOut",
    "DrugOut",
    "DrugRef",
    "EvidenceOut",
    "GeneArticleOut",
    "GeneArticlesOut",
    "GeneEvidenceOut",
    "GeneOut",
    "HighlightOut",
    "HighlightsOut",
    "PageOut",
    "QueryOut",
    "SearchOut",
    "SuggestOut",
    "SuggestionOut",
    "SummaryOut",
    "TestOut",
    "TestsOut",
    "TumorOut",
    "TumorRef",
]


class ConceptOut(BaseModel):
    type: str = Field(description="gene | variant | tumor | drug | drug_class | biomarker")
    id: str = Field(
        description="HGNC symbol, GENE:ALTERATION, OncoTree code, lowercase INN, drug class id or biomarker id"
    )
    label: str
    label_zh: str
    matched: str = Field(description="the query text it came from")
    match: str = Field(
        description="how it was read: exact | alias | fuzzy | ambiguous, or how the text was normalised first: "
        "fullwidth (full-width letters/digits) | traditional (Traditional characters) | split (a run-together "
        "word read as two terms) | pinyin (Latin letters spelling a Chinese name) | homophone (a same-sounding "
        "wrong character); see docs/query.md"
    )
    candidates: list[str] | None = Field(default=None, description="the candidate ids of an ambiguous concept")
    implied: bool | None = Field(default=None, description="brought in by another concept")
    implied_by: str | None = None
    value: str | None = Field(
        default=None,
        description="biomarker: the value written with it, e.g. TPS>=50%, CPS>=10, TMB 12 mut/Mb, high, negative, "
        "IHC 2+/ISH- (see docs/query.md, Biomarkers)",
    )


class QueryOut(BaseModel):
    text: str
    concepts: list[ConceptOut]
    unresolved: list[str]
    intents: list[str] = Field(
        description="what the query asks, in order: resistance | sensitivity | prognosis | diagnosis | germline"
    )


class TumorRef(BaseModel):
    code: str
    name: str
    name_zh: str


class DrugRef(BaseModel):
    inn: str
    name: str
    name_zh: str


class HighlightOut(BaseModel):
    start: int = Field(description="character offset into the text it belongs to")
    end: int
    concept: str = Field(description="type:id, e.g. gene:EGFR")
    focus: bool = Field(description="the query asked for this concept")


class HighlightsOut(BaseModel):
    title: list[HighlightOut] = Field(description="spans of the title")
    text: str = Field(description="a snippet of the abstract (search) or the whole abstract (article)")
    text_spans: list[HighlightOut] = Field(description="spans of text")
    clipped_start: bool
    clipped_end: bool


class CitationOut(BaseModel):
    pmid: str
    source: str = "PubMed"
    text: str | None = Field(default=None, description="a source with no PMID: the regulatory label it cites")


class EvidenceOut(BaseModel):
    id: str
    gene: str
    variant: str
    variant_id: str
    tumor: TumorRef | None
    disease: str
    drugs: list[str]
    drug_refs: list[DrugRef] = Field(default_factory=list, description="the drugs with their names")
    evidence_type: str
    direction: str
    significance: str
    level: str
    rating: int | None
    citations: list[CitationOut]
    statement: str
    statement_zh: str = Field(default="", description="an editor's Chinese version of the statement; empty: none")
    source: str
    biomarkers: list[str] = Field(default_factory=list, description="ids of the biomarkers the item is about")
    last_review: date | None = Field(default=None, description="when the source last reviewed the item")


class BadgeOut(BaseModel):
    """A badge of a therapy row: regulatory status or a guideline's recommendation, with its sources."""

    kind: str = Field(description="nmpa | nrdl | fda | listing (NHC 2024) | csco | nccn")
    label_zh: str = Field(description="国内已获批, 医保, FDA已获批, NHC 2024收录, CSCO I级推荐（1A类）, NCCN 1类")
    label_en: str
    detail: str = Field(description="per drug: the indication and date, the list's year and restriction, or guideline")
    sources: list[str] = Field(description="approval numbers, labels, the list's entry or the guideline's section")
    records: list[str] = Field(description="the curated records behind it, as kind:id (regulatory:…, guideline:…)")


class AssertionOut(BaseModel):
    id: str = Field(description="the source's assertion id, e.g. civic:AID7")
    amp_category: str = Field(description="AMP/ASCO/CAP tier and level, e.g. Tier I - Level A; empty: not stated")
    nccn_guideline: str = Field(description="the NCCN guideline it cites, with nccn_version; empty: none")
    nccn_version: str
    regulatory_approval: bool | None = Field(description="true: an FDA approval is recorded; null: not stated")
    fda_companion_test: bool | None = Field(description="true: an FDA companion test is recorded; null: not stated")


class SummaryOut(BaseModel):
    """One clinical statement: gene · variant (or biomarker) × tumor × drugs × significance."""

    id: str = Field(description="stable key of the statement")
    gene: str
    variant: str
    variant_id: str
    biomarkers: list[str]
    tumor: TumorRef | None
    disease: str
    tumor_relation: str = Field(description="to the query's tumor: exact | family | other | any (none asked)")
    drugs: list[str]
    drug_refs: list[DrugRef]
    drug_interaction: str
    evidence_type: str
    significance: str
    direction: str = Field(description="supports | does_not_support | mixed (its items disagree) | na")
    agree: bool = Field(description="all of its items point the same way")
    best_level: str = Field(description="the best level among the items that support it (A-E)")
    count: int = Field(description="how many evidence items make the statement")
    pmids: list[str]
    last_review: date | None = Field(description="the newest review date of its items")
    assertions: list[AssertionOut] = Field(description="the source's assertions that cite its items")
    badges: list[BadgeOut] = Field(
        default_factory=list, description="regulatory status and guideline recommendations (docs/regulatory.md)"
    )
    evidence: list[EvidenceOut] = Field(description="its items, in ranked order")


class ArticleOut(BaseModel):
    pmid: str
    title: str
    journal: str
    year: int | None
    score: float
    concepts: list[str]
    highlights: HighlightsOut | None = Field(default=None, description="with highlight=true")
    concept_names: list[ConceptNameOut] = Field(
        default_factory=list, description="names of its tumor, drug and biomarker concepts"
    )


class TestOut(BaseModel):
    id: str
    name: str
    name_zh: str
    genes: list[str]
    matched_genes: list[str]
    tumors: list[str]
    reason: str
    reason_zh: str
    sponsored: bool = True
    biomarkers: list[str] = Field(default_factory=list, description="ids of the biomarkers the test reports")
    matched_biomarkers: list[str] = Field(default_factory=list, description="those the query names")
    matched_tumors: list[str] = Field(default_factory=list, description="its indications that fit the query's tumor")
    method: str = ""
    turnaround_days: int | None = Field(default=None, description="working days")
    sample_types: list[str] = Field(default_factory=list, description="as the product sheet words them")
    samples: list[str] = Field(default_factory=list, description="tissue, cytology, plasma, blood, bone_marrow, saliva")
    paired: bool = Field(default=False, description="tumour-normal paired: the blood sample is the normal")
    reports: list[str] = Field(
        default_factory=list,
        description="alteration types it reports: snv_indel, cnv, fusion, expression, msi, tmb, hrd, methylation",
    )
    gene_reports: dict[str, list[str]] = Field(default_factory=dict, description="the only types reported for a gene")
    coverage: str = Field(default="", description="full (all coding exons) or hotspot (only the hotspots)")
    hotspots: list[str] = Field(default_factory=list, description="alteration ids a hotspot test detects")
    full_genes: list[str] = Field(default_factory=list, description="genes of a hotspot test covered in full")
    pan_cancer: str = Field(default="", description="solid, heme or any: fits every tumour of that scope")
    source: str = Field(default="", description="where the capability is stated")


class PageOut(BaseModel):
    page: int
    size: int
    total_articles: int
    total_evidence: int
    total_summaries: int = Field(default=0, description="clinical statements over all the evidence")


class SearchOut(BaseModel):
    data_version: str
    query: QueryOut
    summaries: list[SummaryOut] = Field(
        default_factory=list, description="this page of the evidence rolled up into clinical statements, best first"
    )
    evidence: list[EvidenceOut]
    articles: list[ArticleOut]
    tests: list[TestOut] = Field(description="company test items: product suggestions, not evidence")
    page: PageOut
    understood: bool = Field(
        default=True,
        description="false: no concept resolved and the words match the library weakly, so evidence, articles "
        "and tests are empty (docs/search.md, When nothing is understood)",
    )
    did_you_mean: list[SuggestionOut] = Field(
        default_factory=list, description="when not understood: concepts the words may have meant, best first"
    )


class SuggestionOut(BaseModel):
    type: str
    id: str
    label: str
    label_zh: str
    matched: str


class SuggestOut(BaseModel):
    query: str
    suggestions: list[SuggestionOut]


class GeneOut(BaseModel):
    symbol: str
    hgnc_id: str
    name: str
    name_zh: str
    previous_symbols: list[str]
    aliases: list[str]
    synonyms_zh: list[str] = Field(default_factory=list, description="Chinese synonyms, accepted ones included")
    evidence_count: int
    top_evidence: list[EvidenceOut]
    reading_lists: list[ReadingListRef] = Field(default_factory=list, description="the reading lists of its topic")


class ConceptNameOut(BaseModel):
    concept: str = Field(description="type:id, as in concepts (tumor:NSCLC)")
    name: str
    name_zh: str = Field(description="empty when the vocabulary has no Chinese name")


class GeneEvidenceOut(BaseModel):
    symbol: str
    page: int
    size: int
    total: int = Field(description="all of the gene's evidence items")
    items: list[EvidenceOut] = Field(description="this page, best first: level A to E, then rating, then id")


class GeneArticleOut(BaseModel):
    pmid: str
    title: str
    journal: str
    year: int | None
    pub_date: str | None
    entrez_date: str | None = Field(default=None, description="PubMed's entry date")
    concepts: list[str]
    concept_names: list[ConceptNameOut] = Field(description="names of its tumor, drug and biomarker concepts")
    highlights: HighlightsOut | None = Field(default=None, description="with highlight=true")


class GeneArticlesOut(BaseModel):
    symbol: str
    page: int
    size: int
    total: int = Field(description="articles tagged with the gene (counted up to capped)")
    capped: bool = Field(description="true: there are at least total articles; pages end there")
    items: list[GeneArticleOut] = Field(description="this page, the most recently added first")


class TumorOut(BaseModel):
    code: str
    name: str
    name_zh: str
    main_type: str
    tissue: str
    parent: TumorRef | None
    children: list[TumorRef]
    synonyms: list[str]
    synonyms_zh: list[str]
    evidence_count: int
    reading_lists: list[ReadingListRef] = Field(default_factory=list, description="the reading lists of its topic")


class DrugOut(BaseModel):
    inn: str
    name: str
    name_zh: str
    synonyms: list[str]
    synonyms_zh: list[str] = Field(default_factory=list, description="Chinese synonyms, accepted ones included")
    brands: list[str]
    brands_zh: list[str]
    members: list[str]
    target_genes: list[str] = Field(description="genes of the drug's curated predictive evidence")
    evidence_count: int
    reading_lists: list[ReadingListRef] = Field(default_factory=list, description="the reading lists of its topic")


class CutoffOut(BaseModel):
    score: str = Field(description="TPS | CPS | TMB | GIS")
    op: str = Field(description=">= | > | <= | <")
    value: float
    unit: str
    defining: bool = Field(description="a value meeting it is the biomarker (else a cut-off in clinical use)")


class BiomarkerOut(BaseModel):
    id: str
    name: str
    name_zh: str
    group: str = Field(description="what a test measures to report it: MSI, MMR, TMB, PD-L1, HER2 IHC, HRD")
    synonyms: list[str]
    synonyms_zh: list[str]
    definition: str
    definition_zh: str
    cutoffs: list[CutoffOut]
    genes: list[str] = Field(description="related genes (HGNC symbols)")
    alterations: list[str] = Field(description="alteration ids whose evidence reports it")
    source: str = Field(description="where the definition comes from")
    tests: list[TestOut] = Field(description="published company tests that report it (product suggestions)")
    evidence_count: int
    top_evidence: list[EvidenceOut]
    reading_lists: list[ReadingListRef] = Field(default_factory=list, description="the reading lists of its topic")


class ArticleDetail(BaseModel):
    pmid: str
    title: str
    abstract: str
    journal: str
    year: int | None
    pub_date: str | None
    entrez_date: str | None = Field(default=None, description="PubMed's entry date: when PubMed listed it")
    revised_date: str | None = Field(default=None, description="when NLM last revised the citation")
    first_ingested: datetime | None = Field(default=None, description="when this library first held it (UTC)")
    doi: str
    mesh_terms: list[str]
    publication_types: list[str]
    concepts: list[str]
    status: str
    highlights: HighlightsOut | None = Field(default=None, description="with highlight=true")
    concept_names: list[ConceptNameOut] = Field(
        default_factory=list, description="names of its tumor, drug and biomarker concepts"
    )


class TestsOut(BaseModel):
    items: list[TestOut]
    total: int
