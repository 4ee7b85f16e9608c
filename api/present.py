"""Formatting: typed ``kb`` results into the public schemas (the *format* stage)."""

from __future__ import annotations

from api.schemas import (
    ArticleOut,
    AssertionOut,
    BadgeOut,
    CitationOut,
    ConceptNameOut,
    ConceptOut,
    DrugRef,
    EvidenceOut,
    HighlightOut,
    HighlightsOut,
    PageOut,
    QueryOut,
    SearchOut,
    SuggestionOut,
    SummaryOut,
    TestOut,
    TumorRef,
)
from kb.domain import Assertion, Citation, Evidence, TestItem
from kb.highlight import Highlight, Highlighted, Highlighter
from kb.recommend import Recommendation
from kb.regulatory import Badge, Guidance
from kb.search import SearchResult
from kb.suggest import Suggestion
from kb.summaries import Statement
from kb.vocab import Vocabularies
from kb.vocab.tumors import TumorVocabulary

__all__ = [
    "assertion_out",
    "badge_out",
    "concept_names",
    "evidence_out",
    "highlights_out",
    "search_out",
    "suggestion_out",
    "test_out",
    "tumor_ref",
]


def tumor_ref(code: str | None, tumors: TumorVocabulary) -> TumorRef | None:
    if not code:
        return None
    node = tumors.nodes.get(code)
    return TumorRef(code=code, name=node.name if node else code, name_zh=node.name_zh if node else "")


def concept_names(concepts: tuple[str, ...] | list[str], vocab: Vocabularies) -> list[ConceptNameOut]:
    """English and Chinese names of the tumor, drug and biomarker concepts among ``concepts`` (``type:id``);
    genes and variants are shown by their ids, in both languages."""
    out: list[ConceptNameOut] = []
    for concept in concepts:
        kind, _, key = concept.partition(":")
        record = (
            vocab.tumors.nodes.get(key)
            if kind == "tumor"
            else vocab.drugs.drugs.get(key)
            if kind == "drug"
            else vocab.biomarkers.biomarkers.get(key)
            if kind == "biomarker"
            else None
        )
        if record is not None:
            out.append(ConceptNameOut(concept=concept, name=record.name or key, name_zh=record.name_zh))
    return out


def _drug_ref(inn: str, vocab: Vocabularies) -> DrugRef:
    drug = vocab.drugs.drugs.get(inn)
    return DrugRef(inn=inn, name=drug.name if drug else inn, name_zh=drug.name_zh if drug else "")


def evidence_out(item: Evidence, vocab: Vocabularies) -> EvidenceOut:
    tumors = vocab.tumors
    return EvidenceOut(
        id=item.id,
        gene=item.gene,
        variant=item.alteration.label or item.alteration.name,
        variant_id=item.alteration.id,
        tumor=tumor_ref(item.tumor_code, tumors),
        disease=item.disease,
        drugs=list(item.drugs),
        drug_refs=[_drug_ref(d, vocab) for d in item.drugs],
        evidence_type=item.evidence_type.value,
        direction=item.direction.value,
        significance=item.significance,
        level=item.level.value,
        rating=item.rating,
        citations=[_citation(c) for c in item.citations],
        statement=item.statement,
        statement_zh=item.statement_zh,
        source=item.source,
        biomarkers=list(item.biomarkers),
        last_review=item.last_review,
    )


def summary_out(st: Statement, vocab: Vocabularies, guidance: Guidance | None = None) -> SummaryOut:
    return SummaryOut(
        id=st.key,
        gene=st.gene,
        variant=st.alteration.label or st.alteration.name,
        variant_id=st.alteration.id,
        biomarkers=list(st.biomarkers),
        tumor=tumor_ref(st.tumor_code, vocab.tumors),
        disease=st.disease,
        tumor_relation=st.relation.value,
        drugs=list(st.drugs),
        drug_refs=[_drug_ref(d, vocab) for d in st.drugs],
        drug_interaction=st.drug_interaction,
        evidence_type=st.evidence_type.value,
        significance=st.significance,
        direction=st.direction,
        agree=st.agree,
        best_level=st.best_level.value,
        count=len(st.items),
        pmids=list(st.pmids),
        last_review=st.last_review,
        assertions=[assertion_out(a) for a in st.assertions],
        badges=[badge_out(b) for b in _badges(st, guidance)],
        evidence=[evidence_out(e, vocab) for e in st.items],
    )


def _badges(st: Statement, guidance: Guidance | None) -> list[Badge]:
    if guidance is None:
        return []
    # a biomarker row's alteration id is the biomarker's (TMB-H), as a recommendation names it
    return guidance.badges(st.drugs, st.tumor_code, evidence=[e.id for e in st.items], alteration=st.alteration.id)


def badge_out(b: Badge) -> BadgeOut:
    return BadgeOut(
        kind=b.kind,
        label_zh=b.label_zh,
        label_en=b.label_en,
        detail=b.detail,
        sources=list(b.sources),
        records=list(b.records),
    )


def assertion_out(a: Assertion) -> AssertionOut:
    return AssertionOut(
        id=a.id,
        amp_category=a.amp_category,
        nccn_guideline=a.nccn_guideline,
        nccn_version=a.nccn_version,
        regulatory_approval=a.regulatory_approval,
        fda_companion_test=a.fda_companion_test,
    )


def _citation(c: Citation) -> CitationOut:
    """A PubMed citation by its PMID; one with no PMID (a regulatory label) with its text."""
    return CitationOut(pmid=c.pmid or c.source_id, source=c.source, text=None if c.pmid else c.text or None)


def test_out(item: TestItem, rec: Recommendation | None = None) -> TestOut:
    return TestOut(
        id=item.id,
        name=item.name,
        name_zh=item.name_zh,
        genes=list(item.genes),
        matched_genes=list(rec.matched_genes) if rec else [],
        tumors=list(item.indications),
        reason=rec.reason if rec else item.description,
        reason_zh=rec.reason_zh if rec else item.description_zh,
        sponsored=True,
        biomarkers=list(item.biomarkers),
        matched_biomarkers=list(rec.matched_biomarkers) if rec else [],
        matched_tumors=list(rec.matched_tumors) if rec else [],
        method=item.method,
        turnaround_days=item.turnaround_days,
        sample_types=list(item.sample_types),
        samples=list(item.samples),
        paired=item.paired,
        reports=list(item.reports),
        gene_reports={
            g: list(item.reports_for(g)) for g in dict.fromkeys(r.partition(":")[0] for r in item.gene_reports)
        },
        coverage=item.coverage,
        hotspots=list(item.hotspots),
        full_genes=list(item.full_genes),
        pan_cancer=item.pan_cancer,
        source=item.source,
    )


def _spans(spans: tuple[Highlight, ...]) -> list[HighlightOut]:
    return [HighlightOut(start=h.start, end=h.end, concept=h.concept, focus=h.focus) for h in spans]


def highlights_out(h: Highlighted) -> HighlightsOut:
    return HighlightsOut(
        title=_spans(h.title),
        text=h.text,
        text_spans=_spans(h.text_spans),
        clipped_start=h.clipped_start,
        clipped_end=h.clipped_end,
    )


def suggestion_out(s: Suggestion) -> SuggestionOut:
    return SuggestionOut(type=s.type, id=s.id, label=s.label, label_zh=s.label_zh, matched=s.matched)


def search_out(
    result: SearchResult,
    vocab: Vocabularies,
    highlighter: Highlighter | None = None,
    guidance: Guidance | None = None,
) -> SearchOut:
    """The public shape of ``result``; with a ``highlighter`` articles carry concept highlights, with ``guidance``
    its therapy rows carry their badges."""
    focus = {f"{c.type}:{c.id}" for c in result.query.concepts if c.match != "ambiguous"}
    focus |= {f"{c.type}:{cand}" for c in result.query.concepts for cand in c.candidates}
    return SearchOut(
        data_version=result.data_version,
        query=QueryOut(
            text=result.query.text,
            concepts=[ConceptOut.model_validate(c.to_dict()) for c in result.query.concepts],
            unresolved=list(result.query.unresolved),
            intents=list(result.query.intents),
        ),
        summaries=[summary_out(st, vocab, guidance) for st in result.summaries],
        evidence=[evidence_out(e, vocab) for e in result.evidence],
        articles=[
            ArticleOut(
                pmid=h.article.pmid,
                title=h.article.title,
                journal=h.article.journal,
                year=h.article.year or (h.article.pub_date.year if h.article.pub_date else None),
                score=h.score,
                concepts=list(h.concepts),
                concept_names=concept_names(h.concepts, vocab),
                highlights=highlights_out(highlighter.article(h.article.title, h.article.abstract, focus))
                if highlighter
                else None,
            )
            for h in result.articles
        ],
        tests=[test_out(r.item, r) for r in result.tests],
        page=PageOut(
            page=result.page,
            size=result.size,
            total_articles=result.total_articles,
            total_evidence=result.total_evidence,
            total_summaries=result.total_summaries,
        ),
        understood=result.understood,
        did_you_mean=[suggestion_out(s) for s in result.did_you_mean],
    )
