"""Schemas of the readable review: an entry's history (``GET /v1/entries/{kind}/{key}/history``) and the kinds'
field schema for the typed forms (``GET /v1/entries/{kind}/schema``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.editorial_schemas import DiffOut

__all__ = ["EntryVersionOut", "FormFieldOut", "FormSchemaOut", "HistoryOut"]


class EntryVersionOut(BaseModel):
    version: int = Field(description="0: the ingested record; then one per accepted submission")
    at: datetime | None = Field(default=None, description="when it was published (none for version 0)")
    author: str = Field(default="", description="who wrote the submission (user name)")
    reviewer: str = Field(default="", description="who accepted it (user name)")
    reason: str = Field(default="", description="the author's reason")
    review_comment: str = Field(default="", description="the reviewer's comment")
    submission_id: int | None = Field(default=None, description="the accepted submission")
    audit_id: int | None = Field(default=None, description="its entry.publish row of the audit log")
    diff: list[DiffOut] = Field(default_factory=list, description="field by field against the version before")
    data: dict[str, Any] | None = Field(default=None, description="the record at this version")


class HistoryOut(BaseModel):
    kind: str
    key: str
    summary: str = Field(description="the entry in one Chinese line")
    audit_target: str = Field(description="the audit log's target of its publish rows: /v1/audit?target=…")
    versions: list[EntryVersionOut] = Field(description="oldest first")


class FormFieldOut(BaseModel):
    name: str = Field(description="the record's field (English); the pages label it in Chinese")
    type: str = Field(description="text | longtext | int | float | bool | date | enum | list | record | records")
    nullable: bool = Field(default=False, description="may be null (empty)")
    choices: list[str] = Field(default_factory=list, description="an enum, or a list of enum items: the values")
    picker: str = Field(default="", description="tumor | drug | gene | biomarker | pmid: what fills it, with checks")
    item: str = Field(default="", description="a list: text or enum items")
    fields: list[FormFieldOut] = Field(default_factory=list, description="a record or records: their fields")


class FormSchemaOut(BaseModel):
    kind: str
    key_field: str = Field(description="the field that holds the entry's key")
    fields: list[FormFieldOut] = Field(description="in the record's order")
