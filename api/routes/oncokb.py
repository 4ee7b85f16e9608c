"""The OncoKB-compatible API: OncoKB's clients pointed at ``http://host:port/oncokb`` work unchanged.

OncoKB's annotation endpoints (``annotate/mutations/byProteinChange``, ``byGenomicChange``, ``byHGVSg``,
``annotate/copyNumberAlterations``, ``annotate/structuralVariants``, each as a GET with query parameters and
as a POST of a JSON array), ``info`` and ``utils/cancerGeneList``, answered from genekb's batch annotator
(:mod:`kb.annotate`) in OncoKB's shapes (:mod:`api.oncokb_schemas`). Levels are genekb's levels written in
OncoKB's vocabulary by :mod:`kb.crosswalk` (never OncoKB's curation), each treatment and implication
carrying genekb's own level beside it (``genekbLevel``). genekb has no oncogenicity, mutation-effect,
hotspot or FDA-level curation: those fields say "Unknown", false or null, never a guess; tests (product
suggestions) are never part of these answers.

The annotation endpoints need a partner key (``Authorization: Bearer gk_...``); a POST costs one request of
the key's rate limit per item. ``info`` and ``utils/cancerGeneList`` are open, as OncoKB's are (OncoKB's
annotator reads ``info`` without its key).
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request

from api.deps import PrincipalDep, ServicesDep, charge_items
from api.errors import ErrorResponse
from api.oncokb_answer import Facts, answer, data_facts
from api.oncokb_queries import Ask, copy_number_ask, genomic_ask, protein_ask, structural_ask
from api.oncokb_schemas import (
    CancerGeneOut,
    CopyNumberIn,
    GeneIn,
    GenomicChangeIn,
    HgvsgIn,
    IndicatorQueryResp,
    InfoOut,
    LevelInfoOut,
    ProteinChangeIn,
    StructuralVariantIn,
    VersionOut,
)
from kb.annotate import MAX_BATCH, Annotator
from kb.editorial.accounts import Principal
from kb.errors import AuthError
from kb.services import Services

__all__ = ["router"]

router = APIRouter(prefix="/oncokb/api/v1", tags=["oncokb"])
_ERRORS: dict[int | str, dict[str, object]] = {  # 400: a body that is not JSON; 413: over KB_MAX_BODY_BYTES
    code: {"model": ErrorResponse} for code in (400, 401, 413, 422, 429, 503)
}
_LEVELS = (  # what genekb evidence maps to each OncoKB level (kb/crosswalk.py, docs/annotate.md)
    ("LEVEL_1", "genekb level A sensitivity in the asked tumor or its OncoTree family, with a CIViC assertion "
     "stating an FDA approval"),
    ("LEVEL_2", "genekb level A sensitivity in the asked tumor or its OncoTree family"),
    ("LEVEL_3A", "genekb level B sensitivity in the asked tumor or its OncoTree family"),
    ("LEVEL_3B", "genekb level A or B sensitivity in another tumor type"),
    ("LEVEL_4", "genekb level C or D sensitivity"),
    ("LEVEL_R1", "genekb level A resistance in the asked tumor or its OncoTree family"),
    ("LEVEL_R2", "genekb level B or C resistance in the asked tumor or its family, level A or B resistance in "
     "another tumor type, or reduced sensitivity"),
    ("LEVEL_Dx2", "genekb level A diagnostic evidence in the asked tumor or its OncoTree family"),
    ("LEVEL_Dx3", "genekb level B or C diagnostic evidence in the asked tumor or its OncoTree family"),
    ("LEVEL_Px2", "genekb level A prognostic evidence in the asked tumor or its OncoTree family"),
    ("LEVEL_Px3", "genekb level B or C prognostic evidence in the asked tumor or its OncoTree family"),
)  # fmt: skip


def _partner(principal: PrincipalDep) -> Principal:
    """A partner key (or a signed-in user), checked before the body is read: an anonymous caller gets 401 whatever
    it sends."""
    if principal.kind == "anonymous":
        raise AuthError("the OncoKB-compatible API needs a partner key: send Authorization: Bearer <key>")
    return principal


PartnerDep = Annotated[Principal, Depends(_partner)]
Text = Annotated[str | None, Query()]
EvidenceType = Annotated[str | None, Query(description="OncoKB evidence types, comma-separated; none: all")]


def _batch(kind: type) -> object:
    return Body(min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} {kind.__name__} queries")


# -- answering ---------------------------------------------------------------------------------------------------
def _answer_all(
    request: Request, services: Services, annotator: Annotator, asks: list[Ask]
) -> list[IndicatorQueryResp]:
    facts = data_facts(request, services)
    annotations = annotator.annotate([a.query for a in asks])
    return [answer(ask, a, annotator, services.vocab, facts) for ask, a in zip(asks, annotations, strict=True)]


def _post(
    request: Request, services: Services, principal: Principal, asks: list[Ask], annotator: Annotator
) -> list[IndicatorQueryResp]:
    charge_items(request, principal, len(asks))
    return _answer_all(request, services, annotator, asks)


@router.get("/annotate/mutations/byProteinChange", response_model=IndicatorQueryResp, responses=_ERRORS)
def by_protein_change(
    request: Request,
    services: ServicesDep,
    _: PartnerDep,
    hugoSymbol: Text = None,
    entrezGeneId: Text = None,
    alteration: Text = None,
    referenceGenome: Text = None,
    consequence: Text = None,
    proteinStart: Text = None,
    proteinEnd: Text = None,
    tumorType: Text = None,
    evidenceType: EvidenceType = None,
) -> IndicatorQueryResp:
    """Annotate a mutation by its protein change (V600E, p.Thr790Met, Exon 19 deletion)."""
    item = ProteinChangeIn(
        gene=GeneIn(hugoSymbol=hugoSymbol, entrezGeneId=entrezGeneId),
        alteration=alteration,
        consequence=consequence,
        proteinStart=proteinStart,
        proteinEnd=proteinEnd,
        tumorType=tumorType,
        referenceGenome=referenceGenome,
        evidenceTypes=evidenceType,
    )
    return _answer_all(request, services, services.annotator(), [protein_ask(item)])[0]


@router.post("/annotate/mutations/byProteinChange", response_model=list[IndicatorQueryResp], responses=_ERRORS)
def by_protein_changes(
    request: Request,
    services: ServicesDep,
    principal: PartnerDep,
    body: Annotated[list[ProteinChangeIn], _batch(ProteinChangeIn)],
) -> list[IndicatorQueryResp]:
    """Annotate 1 to 1,000 mutations by protein change, in the order sent."""
    return _post(request, services, principal, [protein_ask(i) for i in body], services.annotator())


@router.get("/annotate/mutations/byGenomicChange", response_model=IndicatorQueryResp, responses=_ERRORS)
def by_genomic_change(
    request: Request,
    services: ServicesDep,
    _: PartnerDep,
    genomicLocation: Text = None,
    referenceGenome: Text = None,
    tumorType: Text = None,
    evidenceType: EvidenceType = None,
) -> IndicatorQueryResp:
    """Annotate a GRCh37 genomic change (``7,140453136,140453136,A,T``) by the curated variant it maps to; an
    unmapped change answers ``variantExist: false``."""
    item = GenomicChangeIn(
        genomicLocation=genomicLocation,
        referenceGenome=referenceGenome,
        tumorType=tumorType,
        evidenceTypes=evidenceType,
    )
    return _answer_all(request, services, services.annotator(), [genomic_ask(item)])[0]


@router.post("/annotate/mutations/byGenomicChange", response_model=list[IndicatorQueryResp], responses=_ERRORS)
def by_genomic_changes(
    request: Request,
    services: ServicesDep,
    principal: PartnerDep,
    body: Annotated[list[GenomicChangeIn], _batch(GenomicChangeIn)],
) -> list[IndicatorQueryResp]:
    """Annotate 1 to 1,000 genomic changes, in the order sent."""
    return _post(request, services, principal, [genomic_ask(i) for i in body], services.annotator())


@router.get("/annotate/mutations/byHGVSg", response_model=IndicatorQueryResp, responses=_ERRORS)
def by_hgvsg(
    request: Request,
    services: ServicesDep,
    _: PartnerDep,
    hgvsg: Text = None,
    referenceGenome: Text = None,
    tumorType: Text = None,
    evidenceType: EvidenceType = None,
) -> IndicatorQueryResp:
    """Annotate a GRCh37 HGVSg change (``7:g.140453136A>T``)."""
    item = HgvsgIn(hgvsg=hgvsg, referenceGenome=referenceGenome, tumorType=tumorType, evidenceTypes=evidenceType)
    return _answer_all(request, services, services.annotator(), [genomic_ask(item)])[0]


@router.post("/annotate/mutations/byHGVSg", response_model=list[IndicatorQueryResp], responses=_ERRORS)
def by_hgvsgs(
    request: Request,
    services: ServicesDep,
    principal: PartnerDep,
    body: Annotated[list[HgvsgIn], _batch(HgvsgIn)],
) -> list[IndicatorQueryResp]:
    """Annotate 1 to 1,000 HGVSg changes, in the order sent."""
    return _post(request, services, principal, [genomic_ask(i) for i in body], services.annotator())


@router.get("/annotate/copyNumberAlterations", response_model=IndicatorQueryResp, responses=_ERRORS)
def copy_number_alteration(
    request: Request,
    services: ServicesDep,
    _: PartnerDep,
    hugoSymbol: Text = None,
    entrezGeneId: Text = None,
    copyNameAlterationType: Text = None,
    referenceGenome: Text = None,
    tumorType: Text = None,
    evidenceType: EvidenceType = None,
) -> IndicatorQueryResp:
    """Annotate a copy-number alteration: AMPLIFICATION or GAIN, DELETION or LOSS (OncoKB's spelling of the
    parameter, ``copyNameAlterationType``)."""
    item = CopyNumberIn(
        gene=GeneIn(hugoSymbol=hugoSymbol, entrezGeneId=entrezGeneId),
        copyNameAlterationType=copyNameAlterationType,
        referenceGenome=referenceGenome,
        tumorType=tumorType,
        evidenceTypes=evidenceType,
    )
    return _answer_all(request, services, services.annotator(), [copy_number_ask(item)])[0]


@router.post("/annotate/copyNumberAlterations", response_model=list[IndicatorQueryResp], responses=_ERRORS)
def copy_number_alterations(
    request: Request,
    services: ServicesDep,
    principal: PartnerDep,
    body: Annotated[list[CopyNumberIn], _batch(CopyNumberIn)],
) -> list[IndicatorQueryResp]:
    """Annotate 1 to 1,000 copy-number alterations, in the order sent."""
    return _post(request, services, principal, [copy_number_ask(i) for i in body], services.annotator())


@router.get("/annotate/structuralVariants", response_model=IndicatorQueryResp, responses=_ERRORS)
def structural_variant(
    request: Request,
    services: ServicesDep,
    _: PartnerDep,
    hugoSymbolA: Text = None,
    entrezGeneIdA: Text = None,
    hugoSymbolB: Text = None,
    entrezGeneIdB: Text = None,
    structuralVariantType: Text = None,
    isFunctionalFusion: Text = None,
    referenceGenome: Text = None,
    tumorType: Text = None,
    evidenceType: EvidenceType = None,
) -> IndicatorQueryResp:
    """Annotate a structural variant: two genes are the fusion ``A-B``."""
    item = StructuralVariantIn(
        geneA=GeneIn(hugoSymbol=hugoSymbolA, entrezGeneId=entrezGeneIdA),
        geneB=GeneIn(hugoSymbol=hugoSymbolB, entrezGeneId=entrezGeneIdB),
        structuralVariantType=structuralVariantType,
        functionalFusion=isFunctionalFusion,
        referenceGenome=referenceGenome,
        tumorType=tumorType,
        evidenceTypes=evidenceType,
    )
    annotator = services.annotator()
    return _answer_all(request, services, annotator, [structural_ask(item, annotator)])[0]


@router.post("/annotate/structuralVariants", response_model=list[IndicatorQueryResp], responses=_ERRORS)
def structural_variants(
    request: Request,
    services: ServicesDep,
    principal: PartnerDep,
    body: Annotated[list[StructuralVariantIn], _batch(StructuralVariantIn)],
) -> list[IndicatorQueryResp]:
    """Annotate 1 to 1,000 structural variants, in the order sent."""
    annotator = services.annotator()
    return _post(request, services, principal, [structural_ask(i, annotator) for i in body], annotator)


# -- about the data ----------------------------------------------------------------------------------------------
@router.get("/info", response_model=InfoOut)
def info(request: Request, services: ServicesDep) -> InfoOut:
    """genekb's data version and the OncoKB levels it answers with (open, as OncoKB's is)."""
    facts: Facts = data_facts(request, services)
    trees = sorted((services.settings.data_dir / "oncotree").glob("oncotree_*.json"), reverse=True)
    try:
        app_version = metadata.version("genekb")
    except metadata.PackageNotFoundError:
        app_version = request.app.version
    return InfoOut(
        dataVersion=VersionOut(version=facts.version, date=facts.date),
        apiVersion=VersionOut(version="v1", date=""),
        appVersion=VersionOut(version=app_version, date=""),
        levels=[LevelInfoOut(levelOfEvidence=code, description=text) for code, text in _LEVELS],
        ncitVersion="",
        oncoTreeVersion=trees[0].stem if trees else "",
        publicInstance=False,
    )


@router.get("/utils/cancerGeneList", response_model=list[CancerGeneOut])
def cancer_gene_list(request: Request, services: ServicesDep) -> list[CancerGeneOut]:
    """The genes genekb has curated evidence for (with an Entrez id), by symbol; open, as OncoKB's is."""
    facts = data_facts(request, services)
    genes = services.vocab.genes.genes
    out: list[CancerGeneOut] = []
    for symbol, count in sorted(facts.genes.items()):
        gene = genes.get(symbol)
        if gene is None or not re.fullmatch(r"[0-9]{1,12}", gene.ncbi_gene_id):
            continue
        out.append(
            CancerGeneOut(
                hugoSymbol=symbol,
                entrezGeneId=int(gene.ncbi_gene_id),
                oncokbAnnotated=True,
                occurrenceCount=1,
                geneAliases=list(dict.fromkeys((*gene.aliases, *gene.previous_symbols))),
                grch37Isoform=None,
                grch37RefSeq=None,
                grch38Isoform=None,
                grch38RefSeq=None,
                oncogene=False,
                tsg=False,
                mSKImpact=False,
                mSKHeme=False,
                foundation=False,
                foundationHeme=False,
                vogelstein=False,
                sangerCGC=False,
                genekbEvidenceCount=count,
            )
        )
    return out
