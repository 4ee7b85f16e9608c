"""``POST /v1/annotate``: batch variant annotation for partner apps (docs/annotate.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.annotate_schemas import (
    AnnotateIn,
    AnnotateItemIn,
    AnnotateOut,
    AnnotationOut,
    GeneRef,
    LevelOut,
    PartnerSummaryOut,
    PartnerTestOut,
    ProblemOut,
    VariantOut,
)
from api.deps import PrincipalDep, ServicesDep, charge_items
from api.errors import ErrorResponse
from api.present import assertion_out, tumor_ref
from kb.annotate import Annotation, AnnotationQuery, Scored
from kb.crosswalk import MappedLevel
from kb.vocab import Vocabularies

__all__ = ["annotation_out", "router", "to_query"]

router = APIRouter(prefix="/v1", tags=["annotate"])
_ERRORS: dict[int | str, dict[str, object]] = {  # 400: a body that is not JSON; 413: over KB_MAX_BODY_BYTES
    code: {"model": ErrorResponse} for code in (400, 401, 413, 422, 429, 503)
}
_FIELDS = {"genomic": "genomicChange", "reference_genome": "referenceGenome"}  # kb's names -> the request's


@router.post("/annotate", response_model=AnnotateOut, responses=_ERRORS)
def annotate(body: AnnotateIn, request: Request, services: ServicesDep, principal: PrincipalDep) -> Response:
    """Annotate 1 to 1,000 variants with a partner key: each costs one request of the key's rate limit.
    An item that can't be answered comes back with its ``problems``; it never fails the batch."""
    charge_items(request, principal, len(body.items))
    version = services.store.data_version()
    annotations = services.annotator().annotate([to_query(item) for item in body.items])
    out = [annotation_out(a, services.vocab, version) for a in annotations]
    answer = AnnotateOut(
        data_version=version, count=len(out), with_problems=sum(1 for a in out if a.problems), annotations=out
    )
    # built from the typed models already: sent as is, without FastAPI validating a thousand answers again
    return Response(content=answer.model_dump_json(), media_type="application/json")


def to_query(item: AnnotateItemIn) -> AnnotationQuery:
    return AnnotationQuery(
        id=item.id,
        gene=str(item.gene),
        alteration=item.alteration,
        tumor=item.tumor,
        consequence=item.consequence,
        reference_genome=item.referenceGenome,
        genomic=item.genomicChange,
    )


def _level(mapped: MappedLevel | None) -> LevelOut | None:
    return LevelOut(oncokb=mapped.code, genekb=mapped.level.value) if mapped else None


def _summary(scored: Scored, vocab: Vocabularies) -> PartnerSummaryOut:
    st = scored.statement
    return PartnerSummaryOut(
        id=st.key,
        gene=st.gene,
        variant=st.alteration.label or st.alteration.name,
        variant_id=st.alteration.id,
        biomarkers=list(st.biomarkers),
        tumor=tumor_ref(st.tumor_code, vocab.tumors),
        disease=st.disease,
        tumor_relation=st.relation.value,
        drugs=list(st.drugs),
        drug_interaction=st.drug_interaction,
        evidence_type=st.evidence_type.value,
        significance=st.significance,
        direction=st.direction,
        level=st.best_level.value,
        oncokb_level=scored.mapped.code if scored.mapped else None,
        count=len(st.items),
        pmids=list(st.pmids),
        evidence_ids=[e.id for e in st.items],
        last_review=st.last_review,
        assertions=[assertion_out(a) for a in st.assertions],
    )


def annotation_out(a: Annotation, vocab: Vocabularies, data_version: str) -> AnnotationOut:
    q = a.query
    gene = vocab.genes.genes.get(a.gene) if a.gene else None
    return AnnotationOut(
        id=q.id,
        query=AnnotateItemIn(
            id=q.id,
            gene=q.gene,
            alteration=q.alteration,
            tumor=q.tumor,
            consequence=q.consequence,
            referenceGenome=q.reference_genome,
            genomicChange=q.genomic,
        ),
        gene=GeneRef(symbol=gene.symbol, entrez_id=gene.ncbi_gene_id, name=gene.name) if gene else None,
        variant=VariantOut(
            id=a.variant.id,
            gene=a.variant.gene,
            name=a.variant.name,
            kind=a.variant.kind.value,
            partner=a.variant.partner,
        )
        if a.variant
        else None,
        biomarker=a.biomarker,
        tumor=tumor_ref(a.tumor, vocab.tumors),
        geneExist=a.gene_exist,
        variantExist=a.variant_exist,
        highest_sensitive_level=_level(a.highest("sensitive")),
        highest_resistance_level=_level(a.highest("resistance")),
        highest_diagnostic_level=_level(a.highest("diagnostic")),
        highest_prognostic_level=_level(a.highest("prognostic")),
        summaries=[_summary(s, vocab) for s in a.statements],
        tests=[
            PartnerTestOut(
                id=r.item.id,
                name=r.item.name,
                name_zh=r.item.name_zh,
                reason=r.reason,
                reason_zh=r.reason_zh,
                matched_genes=list(r.matched_genes),
                matched_biomarkers=list(r.matched_biomarkers),
                matched_tumors=list(r.matched_tumors),
                method=r.item.method,
                turnaround_days=r.item.turnaround_days,
                samples=list(r.item.samples),
            )
            for r in a.tests
        ],
        problems=[
            ProblemOut(field=_FIELDS.get(p.field, p.field), reason=p.reason, message=p.message) for p in a.problems
        ],
        data_version=data_version,
    )
