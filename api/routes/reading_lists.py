"""Reading lists: the editors' collections of key papers and evidence per topic, for doctors to read and follow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ServicesDep
from api.errors import ErrorResponse
from api.reading_schemas import ReadingListOut, ReadingListsOut, reading_list_out, reading_ref
from kb.reading import ReadingLists

router = APIRouter(prefix="/v1", tags=["reading lists"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorResponse} for code in (400, 404, 422)}
Topic = Annotated[
    str | None,
    Query(min_length=3, max_length=300, description="kind:key of a gene, tumor, drug or biomarker (gene:EGFR)."),
]
PageNo = Annotated[int, Query(ge=1, le=1000, description="Page number, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=100, description="Lists per page.")]


@router.get("/reading-lists", response_model=ReadingListsOut, responses=_ERRORS)
def reading_lists(services: ServicesDep, topic: Topic = None, page: PageNo = 1, size: PageSize = 20) -> ReadingListsOut:
    """The reading lists of a topic (its own topic or one of its further topics), or every list, by id."""
    found = ReadingLists(services.store, services.vocab).page(topic, page=page, size=size)
    return ReadingListsOut(
        topic=topic, page=page, size=size, total=found.total, items=[reading_ref(rl) for rl in found.items]
    )


@router.get("/reading-lists/{list_id}", response_model=ReadingListOut, responses=_ERRORS)
def reading_list(services: ServicesDep, list_id: Annotated[str, Path(min_length=1, max_length=200)]) -> ReadingListOut:
    """One reading list with its items in order: articles with their title when the library holds them, evidence
    items in one line."""
    return reading_list_out(ReadingLists(services.store, services.vocab).resolve(list_id))
