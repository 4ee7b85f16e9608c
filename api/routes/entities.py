"""Entity and item endpoints: genes, tumors, drugs, biomarkers, articles, evidence, tests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ServicesDep
from api.errors import ErrorResponse
from api.present import concept_names, evidence_out, highlights_out, test_out, tumor_ref
from api.reading_schemas import ReadingListRef, reading_ref
from api.schemas import (
    ArticleDetail,
    BiomarkerOut,
    CutoffOut,
    DrugOut,
    EvidenceOut,
    GeneArticleOut,
    GeneArticlesOut,
    GeneEvidenceOut,
    GeneOut,
    TestOut,
    TestsOut,
    TumorOut,
    TumorRef,
)
from kb.reading import ReadingLists
from kb.services import Services

router = APIRouter(prefix="/v1", tags=["entities"])
_ERRORS: dict[int | str, dict[str, object]] = {404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
Ident = Annotated[str, Path(min_length=1, max_length=200)]
PageNo = Annotated[int, Query(ge=1, le=1000, description="Page number, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=100, description="Items per page.")]
Highlight = Annotated[bool, Query(description="Give each article a snippet with the gene's mentions marked.")]


def _lists(services: Services, topic: str) -> list[ReadingListRef]:
    """The reading lists shown on an entity's page."""
    return [reading_ref(rl) for rl in ReadingLists(services.store, services.vocab).of_topic(topic)]


@router.get("/genes/{symbol}", response_model=GeneOut, responses=_ERRORS)
def gene(services: ServicesDep, symbol: Ident) -> GeneOut:
    """A gene by HGNC symbol or an unambiguous alias (HER2 -> ERBB2), with its best evidence."""
    record, ev = services.entities.gene(symbol)
    return GeneOut(
        symbol=record.symbol,
        hgnc_id=record.hgnc_id,
        name=record.name,
        name_zh=record.name_zh,
        previous_symbols=list(record.previous_symbols),
        aliases=list(record.aliases),
        synonyms_zh=list(record.synonyms_zh),
        evidence_count=ev.count,
        top_evidence=[evidence_out(e, services.vocab) for e in ev.top],
        reading_lists=_lists(services, f"gene:{record.symbol}"),
    )


@router.get("/genes/{symbol}/evidence", response_model=GeneEvidenceOut, responses=_ERRORS)
def gene_evidence(services: ServicesDep, symbol: Ident, page: PageNo = 1, size: PageSize = 20) -> GeneEvidenceOut:
    """All of a gene's evidence, a page at a time, best first."""
    record, found = services.entities.gene_evidence(symbol, page=page, size=size)
    items = [evidence_out(e, services.vocab) for e in found.items]
    return GeneEvidenceOut(symbol=record.symbol, page=page, size=size, total=found.total, items=items)


@router.get("/genes/{symbol}/articles", response_model=GeneArticlesOut, responses=_ERRORS)
def gene_articles(
    services: ServicesDep, symbol: Ident, page: PageNo = 1, size: PageSize = 10, highlight: Highlight = False
) -> GeneArticlesOut:
    """The literature tagged with a gene, a page at a time, the most recently added first."""
    record, found = services.entities.gene_articles(symbol, page=page, size=size)
    focus = {f"gene:{record.symbol}"}
    items = [
        GeneArticleOut(
            pmid=art.pmid,
            title=art.title,
            journal=art.journal,
            year=art.year or (art.pub_date.year if art.pub_date else None),
            pub_date=art.pub_date.isoformat() if art.pub_date else None,
            entrez_date=art.entrez_date.isoformat() if art.entrez_date else None,
            concepts=list(art.concepts),
            concept_names=concept_names(art.concepts, services.vocab),
            highlights=highlights_out(services.highlighter.article(art.title, art.abstract, focus))
            if highlight
            else None,
        )
        for art in found.items
    ]
    return GeneArticlesOut(
        symbol=record.symbol, page=page, size=size, total=found.total, capped=found.capped, items=items
    )


@router.get("/tumors/{code}", response_model=TumorOut, responses=_ERRORS)
def tumor(services: ServicesDep, code: Ident) -> TumorOut:
    """An OncoTree tumor type by code (or an unambiguous name), with its place in the hierarchy."""
    node, ev = services.entities.tumor(code)
    tumors = services.vocab.tumors
    children = [tumor_ref(c, tumors) for c in sorted(tumors.children.get(node.code, []))]
    return TumorOut(
        code=node.code,
        name=node.name,
        name_zh=node.name_zh,
        main_type=node.main_type,
        tissue=node.tissue,
        parent=tumor_ref(node.parent, tumors) if node.parent and node.parent != "TISSUE" else None,
        children=[c for c in children if isinstance(c, TumorRef)],
        synonyms=list(node.synonyms),
        synonyms_zh=list(node.synonyms_zh),
        evidence_count=ev.count,
        reading_lists=_lists(services, f"tumor:{node.code}"),
    )


@router.get("/drugs/{name}", response_model=DrugOut, responses=_ERRORS)
def drug(services: ServicesDep, name: Ident) -> DrugOut:
    """A drug by INN, brand or Chinese name (泰瑞沙 -> osimertinib), with its target genes."""
    record, targets, ev = services.entities.drug(name)
    return DrugOut(
        inn=record.inn,
        name=record.name,
        name_zh=record.name_zh,
        synonyms=list(record.synonyms),
        synonyms_zh=list(record.synonyms_zh),
        brands=list(record.brands),
        brands_zh=list(record.brands_zh),
        members=list(record.members),
        target_genes=list(targets),
        evidence_count=ev.count,
        reading_lists=_lists(services, f"drug:{record.inn}"),
    )


@router.get("/biomarkers/{biomarker_id}", response_model=BiomarkerOut, responses=_ERRORS)
def biomarker(services: ServicesDep, biomarker_id: Ident) -> BiomarkerOut:
    """A biomarker by id or an unambiguous name (MSI -> MSI-H, 错配修复缺陷 -> dMMR): its definition and
    cut-offs, the company tests that report it, and its evidence."""
    record, tests, ev = services.entities.biomarker(biomarker_id)
    return BiomarkerOut(
        id=record.id,
        name=record.name,
        name_zh=record.name_zh,
        group=record.group,
        synonyms=list(record.synonyms),
        synonyms_zh=list(record.synonyms_zh),
        definition=record.definition,
        definition_zh=record.definition_zh,
        cutoffs=[
            CutoffOut(score=c.score, op=c.op, value=c.value, unit=c.unit, defining=c.defining) for c in record.cutoffs
        ],
        genes=list(record.genes),
        alterations=list(record.alterations),
        source=record.source,
        tests=[test_out(t).model_copy(update={"matched_biomarkers": [record.id]}) for t in tests],
        evidence_count=ev.count,
        top_evidence=[evidence_out(e, services.vocab) for e in ev.top],
        reading_lists=_lists(services, f"biomarker:{record.id}"),
    )


@router.get("/articles/{pmid}", response_model=ArticleDetail, responses=_ERRORS)
def article(
    services: ServicesDep,
    pmid: Ident,
    highlight: Annotated[bool, Query(description="Also give the concept mentions of title and abstract.")] = False,
) -> ArticleDetail:
    """One PubMed article with its tagged concepts."""
    art = services.entities.article(pmid)
    marks = services.highlighter.article(art.title, art.abstract, set(art.concepts), whole=True) if highlight else None
    return ArticleDetail(
        pmid=art.pmid,
        title=art.title,
        abstract=art.abstract,
        journal=art.journal,
        year=art.year,
        pub_date=art.pub_date.isoformat() if art.pub_date else None,
        entrez_date=art.entrez_date.isoformat() if art.entrez_date else None,
        revised_date=art.revised_date.isoformat() if art.revised_date else None,
        first_ingested=art.first_ingested,
        doi=art.doi,
        mesh_terms=list(art.mesh_terms),
        publication_types=list(art.publication_types),
        concepts=list(art.concepts),
        status=art.status.value,
        highlights=highlights_out(marks) if marks else None,
        concept_names=concept_names(art.concepts, services.vocab),
    )


@router.get("/evidence/{evidence_id}", response_model=EvidenceOut, responses=_ERRORS)
def evidence(services: ServicesDep, evidence_id: Ident) -> EvidenceOut:
    """One curated evidence item (``civic:EID1234`` or ``EID1234``)."""
    return evidence_out(services.entities.evidence(evidence_id), services.vocab)


@router.get("/tests", response_model=TestsOut, tags=["tests"])
def tests(services: ServicesDep) -> TestsOut:
    """The published test catalogue (company products)."""
    items = [test_out(t) for t in services.entities.tests()]
    return TestsOut(items=items, total=len(items))


@router.get("/tests/{test_id}", response_model=TestOut, responses=_ERRORS, tags=["tests"])
def test_item(services: ServicesDep, test_id: Ident) -> TestOut:
    """One published test item."""
    return test_out(services.entities.test(test_id))
