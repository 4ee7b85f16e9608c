"""``/v1/search`` and ``/v1/suggest``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import EditorialDep, PrincipalDep, ServicesDep
from api.errors import ErrorResponse
from api.present import search_out, suggestion_out
from api.schemas import SearchOut, SuggestOut
from kb.domain import EvidenceLevel, EvidenceType
from kb.search import MAX_QUERY_LENGTH, SearchFilters

router = APIRouter(prefix="/v1", tags=["search"])
_ERRORS: dict[int | str, dict[str, object]] = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


@router.get("/search", response_model=SearchOut, responses=_ERRORS)
def search(
    services: ServicesDep,
    editorial: EditorialDep,
    principal: PrincipalDep,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description="Keywords in Chinese, English or both.",
            examples=["EGFR T790M 奥希替尼", "HER2 乳腺癌"],
        ),
    ],
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
    evidence_type: Annotated[list[EvidenceType] | None, Query(description="Evidence types to keep.")] = None,
    level: Annotated[list[EvidenceLevel] | None, Query(description="Evidence levels to keep (A to E).")] = None,
    tumor: Annotated[str | None, Query(max_length=40, description="OncoTree code (descendants included)")] = None,
    year_from: Annotated[int | None, Query(ge=1800, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=1800, le=2100)] = None,
    highlight: Annotated[bool, Query(description="Give each article a snippet with concept highlights.")] = False,
    approved_in_china: Annotated[
        bool, Query(description="Only therapies with an NMPA approval for the row's tumour (只看国内已获批).")
    ] = False,
) -> Response:
    """Concepts, curated evidence, literature and the company's tests for one query."""
    # the answer is a SearchOut built and checked here: written as JSON at once, FastAPI does not validate it a
    # second time (2-3 ms of a search, and a hop to its thread pool)
    filters = SearchFilters(
        evidence_types=tuple(t.value for t in evidence_type or ()),
        levels=tuple(lv.value for lv in level or ()),
        tumor=tumor,
        year_from=year_from,
        year_to=year_to,
        approved_in_china=approved_in_china,
    )
    result = services.search.search(q, page=page, size=size, filters=filters)
    editorial.follows.log_search(principal, result.query, result.total_evidence + result.total_articles)
    out = search_out(result, services.vocab, services.highlighter if highlight else None, services.search.guidance)
    return Response(out.model_dump_json(by_alias=True), media_type="application/json")


@router.get("/suggest", response_model=SuggestOut, responses=_ERRORS)
def suggest(
    services: ServicesDep,
    q: Annotated[str, Query(max_length=100, description="A prefix, Chinese or English.", examples=["EGF", "奥希"])],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SuggestOut:
    """Autocomplete genes, tumors, drugs and biomarkers in Chinese and English."""
    found = services.suggester.suggest(q, limit=limit)
    return SuggestOut(query=q, suggestions=[suggestion_out(s) for s in found])
