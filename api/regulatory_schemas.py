"""Response schemas of the China layer: badges on therapy rows and the regulatory records (docs/regulatory.md)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas import TumorRef

__all__ = ["ApprovalOut", "RegulatoryOut", "RegulatoryPageOut", "ReimbursementOut"]


class ApprovalOut(BaseModel):
    source: str = Field(description="the approval number, label or announcement")
    approved_on: date | None = Field(description="the approval date; null: not entered")
    indication: str = Field(description="as the regulator words it")


class ReimbursementOut(BaseModel):
    listed: bool
    year: int = Field(description="the NRDL edition")
    source: str
    restriction_zh: str = Field(description="医保支付限制; empty: none stated")


class RegulatoryOut(BaseModel):
    """The regulatory status of one drug for one indication."""

    id: str
    drug: str
    drug_zh: str = Field(description="the drug's Chinese name; empty: none known")
    indication_zh: str
    tumors: list[TumorRef] = Field(description="the OncoTree codes the indication covers (descendants included)")
    pan_tumor: str = Field(description="solid | heme | any: a tumour-agnostic indication; empty: none")
    nmpa: ApprovalOut | None = Field(description="the NMPA approval; null: none recorded")
    fda: ApprovalOut | None = Field(description="the FDA approval; null: none recorded")
    nrdl: ReimbursementOut | None = Field(description="the NRDL entry; null: none recorded")
    listings: list[str] = Field(description="guideline tables listing the drug for it: NHC 2024")
    source: str = Field(description="where the listing and the indication's codes come from")
    note: str


class RegulatoryPageOut(BaseModel):
    items: list[RegulatoryOut]
    total: int
    page: int
    size: int
