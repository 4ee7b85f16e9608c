"""Public schemas of the reading lists (``/v1/reading-lists``, and the ``reading_lists`` of the entity answers), and
the formatting of :mod:`kb.reading`'s values into them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from kb.guidance import ReadingList
from kb.reading import ResolvedItem, ResolvedList, list_topics

__all__ = ["ReadingItemOut", "ReadingListOut", "ReadingListRef", "ReadingListsOut", "reading_list_out", "reading_ref"]


class ReadingListRef(BaseModel):
    """A reading list as a listing or an entity page shows it."""

    id: str = Field(description="the list's slug: /v1/reading-lists/{id}")
    title_zh: str
    title_en: str = ""
    note: str = Field(default="", description="the editors' short introduction")
    topic: str = Field(description="the list's own topic, kind:key (gene:EGFR)")
    topics: list[str] = Field(description="every topic it is shown on: its own first, then the further ones")
    items: int = Field(description="how many articles and evidence items it holds")


class ReadingListsOut(BaseModel):
    topic: str | None = Field(description="the topic asked for; null: every list")
    page: int
    size: int
    total: int
    items: list[ReadingListRef]


class ReadingItemOut(BaseModel):
    """One entry, in reading order: an article (``pmid``) or an evidence item (``evidence_id``)."""

    position: int = Field(description="1, 2, ... in the list's order")
    type: Literal["article", "evidence"]
    note: str = Field(description="the editor's note, in Chinese")
    note_en: str = ""
    held: bool = Field(description="false: the library lacks the PMID, or knows no such evidence item")
    pmid: str | None = None
    title: str | None = Field(default=None, description="an article the library holds: its title")
    journal: str | None = None
    year: int | None = None
    evidence_id: str | None = None
    gene: str | None = Field(default=None, description="an evidence item's gene (its page shows the evidence)")
    biomarkers: list[str] = Field(default_factory=list, description="an evidence item's biomarkers")
    level: str | None = None
    summary_zh: str | None = Field(
        default=None, description="an evidence item in one line: EGFR T790M 对奥希替尼敏感（非小细胞肺癌，B级）"
    )
    summary_en: str | None = None


class ReadingListOut(BaseModel):
    id: str
    title_zh: str
    title_en: str
    note: str
    topic: str
    topics: list[str]
    items: list[ReadingItemOut]


def reading_ref(rl: ReadingList) -> ReadingListRef:
    topics = list(list_topics(rl))
    return ReadingListRef(
        id=rl.id, title_zh=rl.title_zh, title_en=rl.title_en, note=rl.note, topic=topics[0], topics=topics,
        items=len(rl.items),
    )  # fmt: skip


def _item_out(position: int, r: ResolvedItem) -> ReadingItemOut:
    item, art, ev = r.item, r.article, r.evidence
    out = ReadingItemOut(
        position=position, type="article" if item.pmid else "evidence", note=item.note, note_en=item.note_en,
        held=r.held, pmid=item.pmid or None, evidence_id=item.evidence or None,
    )  # fmt: skip
    if art is not None:
        year = art.year or (art.pub_date.year if art.pub_date else None)
        out = out.model_copy(update={"title": art.title, "journal": art.journal, "year": year})
    if ev is not None:
        extra = {"gene": ev.gene or None, "biomarkers": list(ev.biomarkers), "level": ev.level.value}
        out = out.model_copy(update=extra)
    if r.summary is not None:
        out = out.model_copy(update={"summary_zh": r.summary.zh, "summary_en": r.summary.en})
    return out


def reading_list_out(resolved: ResolvedList) -> ReadingListOut:
    rl = resolved.reading_list
    topics = list(list_topics(rl))
    return ReadingListOut(
        id=rl.id, title_zh=rl.title_zh, title_en=rl.title_en, note=rl.note, topic=topics[0], topics=topics,
        items=[_item_out(i, r) for i, r in enumerate(resolved.items, start=1)],
    )  # fmt: skip
