"""Public response schemas of ``/v1`` (partner apps depend on these names)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = [
    "ArticleDetail",
    "ArticleOut",
    "CitationOut",
    "ConceptOut",
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
    type: str = Field(description="gene | variant | tumor | drug")
    id: str = Field(description="HGNC symbol, GENE:ALTERATION, OncoTree code or lowercase INN")
    label: str
    label_zh: str
    matched: str = Field(description="the query text it came from")
    match: str = Field(description="exact | alias | fuzzy | ambiguous")
    candidates: list[str] | None = Field(default=None, description="the candidate ids of an ambiguous concept")
    implied: bool | None = Field(default=None, description="brought in by another concept")
    implied_by: str | None = None


class QueryOut(BaseModel):
    text: str
    concepts: list[ConceptOut]
    unresolved: list[str]


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
