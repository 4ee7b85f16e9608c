"""Schemas of the editors' workbench: bulk names and synonyms, and entry search."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["BulkIn", "BulkOut", "BulkRejectOut", "BulkSubmittedOut", "EntryHitOut", "EntryHitsOut"]


class BulkIn(BaseModel):
    tsv: str = Field(
        max_length=1_000_000,
        description="UTF-8 TSV with a header: kind, key and name_zh, synonyms_zh and/or synonyms ('|' between "
        "values); reason optional. At most 2,000 rows.",
    )
    reason: str = Field(default="", max_length=2000, description="why, for every submission without its own")


class BulkSubmittedOut(BaseModel):
    lines: list[int] = Field(description="the file's lines merged into this submission")
    kind: str
    key: str
    submission_id: int
    version: int = Field(description="its ETag")


class BulkRejectOut(BaseModel):
    line: int
    kind: str
    key: str
    field: str = Field(description="the offending field, e.g. data.synonyms_zh.2; empty: the row as a whole")
    reason: str


class BulkOut(BaseModel):
    submitted: list[BulkSubmittedOut] = Field(description="one submitted change per entry, in the review queue")
    rejected: list[BulkRejectOut] = Field(description="rows that failed, with their line and why")
    unchanged: list[int] = Field(description="lines that changed nothing (the entry already says it)")


class EntryHitOut(BaseModel):
    kind: str
    key: str
    label: str = Field(description="the entry's English name, or a one-line summary of evidence")
    label_zh: str = Field(description="its Chinese name or one-line summary; empty when none")
    matched: str = Field(description="the name, synonym or id the query matched; empty: a word of its text")
    edit: str = Field(description="the editor page that opens it for editing")


class EntryHitsOut(BaseModel):
    items: list[EntryHitOut]
    total: int
    page: int
    size: int
