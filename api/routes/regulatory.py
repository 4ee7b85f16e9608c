"""``/v1/regulatory``: a drug's regulatory status per indication (NMPA, FDA, NRDL, guideline listings)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ServicesDep
from api.errors import ErrorResponse
from api.present import tumor_ref
from api.regulatory_schemas import ApprovalOut, RegulatoryOut, RegulatoryPageOut, ReimbursementOut
from api.schemas import TumorRef
from kb.errors import NotFoundError, QueryError
from kb.guidance import Approval, Regulatory
from kb.vocab import Vocabularies

router = APIRouter(prefix="/v1", tags=["regulatory"])
_ERRORS: dict[int | str, dict[str, object]] = {404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}


@router.get("/regulatory", response_model=RegulatoryPageOut, responses=_ERRORS)
def regulatory(
    services: ServicesDep,
    drug: Annotated[str | None, Query(max_length=200, description="INN, brand or Chinese name (泰瑞沙)")] = None,
    tumor: Annotated[str | None, Query(max_length=40, description="OncoTree code the indication covers")] = None,
    approved_in_china: Annotated[bool, Query(description="Only records with an NMPA approval.")] = False,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RegulatoryPageOut:
    """Regulatory records, by drug and tumour: NMPA and FDA approvals, the NRDL entry and guideline listings.
    An empty field is one no editor has entered with a source yet, not a "no"."""
    guidance = services.search.guidance
    records: list[Regulatory] = [r for rs in guidance.by_drug.values() for r in rs]
    if drug is not None:
        inn = _inn(drug, services.vocab)
        records = guidance.by_drug.get(inn, [])
    if tumor is not None:
        code = tumor.upper()
        if code not in services.vocab.tumors:
            raise QueryError(f"unknown OncoTree code {tumor!r}", details={"tumor": tumor})
        records = [r for r in records if guidance.covers(r, code)]
    if approved_in_china:
        records = [r for r in records if r.nmpa is not None]
    records = sorted(records, key=lambda r: (r.nmpa is None, r.drug, r.id))
    start = (page - 1) * size
    items = [regulatory_out(r, services.vocab) for r in records[start : start + size]]
    return RegulatoryPageOut(items=items, total=len(records), page=page, size=size)


def _inn(name: str, vocab: Vocabularies) -> str:
    if name.casefold() in vocab.drugs:
        return name.casefold()
    found = vocab.drugs.lookup(name)
    if len(found) != 1:
        raise NotFoundError(f"no drug {name!r}" if not found else f"{name!r} names several drugs: {', '.join(found)}")
    return found[0]


def regulatory_out(r: Regulatory, vocab: Vocabularies) -> RegulatoryOut:
    drug = vocab.drugs.drugs.get(r.drug)
    return RegulatoryOut(
        id=r.id,
        drug=r.drug,
        drug_zh=drug.name_zh if drug else "",
        indication_zh=r.indication_zh,
        tumors=[t for t in (tumor_ref(c, vocab.tumors) for c in r.tumor_codes) if isinstance(t, TumorRef)],
        pan_tumor=r.pan_tumor,
        nmpa=_approval(r.nmpa),
        fda=_approval(r.fda),
        nrdl=ReimbursementOut(
            listed=r.nrdl.listed, year=r.nrdl.year, source=r.nrdl.source, restriction_zh=r.nrdl.restriction_zh
        )
        if r.nrdl
        else None,
        listings=list(r.listings),
        source=r.source,
        note=r.note,
    )


def _approval(a: Approval | None) -> ApprovalOut | None:
    return ApprovalOut(source=a.source, approved_on=a.approved_on, indication=a.indication) if a else None
