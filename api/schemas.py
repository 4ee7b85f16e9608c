"""Public response schemas of ``/v1`` (partner apps depend on these names)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = [
    "ArticleDetail",
    "ArticleOut",
    "BiomarkerOut",
    "CitationOut",
    "ConceptOut",
    "CutoffOut",
    "DrugOut",
    "DrugRef",
    "EvidenceOut",
    "GeneOut",
    "HealthOut",
    "HighlightOut",
    "HighlightsOut",
    "PageOut",
    "QueryOut",
    "ReadyOut",
    "SearchOut",
    "SuggestOut",
    "SuggestionOut",
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
    source: str
    biomarkers: list[str] = Field(default_factory=list, description="ids of the biomarkers the item is about")


class ArticleOut(BaseModel):
    pmid: str
    title: str
    journal: str
    year: int | None
    score: float
    concepts: list[str]
    highlights: HighlightsOut | None = Field(default=None, description="with highlight=true")


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


class PageOut(BaseModel):
    page: int
    size: int
    total_articles: int
    total_evidence: int


class SearchOut(BaseModel):
    data_version: str
    query: QueryOut
    evidence: list[EvidenceOut]
    articles: list[ArticleOut]
    tests: list[TestOut] = Field(description="company test items: product suggestions, not evidence")
    page: PageOut


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
    evidence_count: int
    top_evidence: list[EvidenceOut]


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


class DrugOut(BaseModel):
    inn: str
    name: str
    name_zh: str
    synonyms: list[str]
    brands: list[str]
    brands_zh: list[str]
    members: list[str]
    target_genes: list[str] = Field(description="genes of the drug's curated predictive evidence")
    evidence_count: int


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


class ArticleDetail(BaseModel):
    pmid: str
    title: str
    abstract: str
    journal: str
    year: int | None
    pub_date: str | None
    doi: str
    mesh_terms: list[str]
    publication_types: list[str]
    concepts: list[str]
    status: str
    highlights: HighlightsOut | None = Field(default=None, description="with highlight=true")


class TestsOut(BaseModel):
    items: list[TestOut]
    total: int


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str
    backend: str
    data_version: str | None
    counts: dict[str, int]
