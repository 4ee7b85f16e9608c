"""Doctors' follows and "new for you" feed; the editors' content-gap report (aggregates only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import EditorialDep, PrincipalDep, ServicesDep
from api.editorial_schemas import FeedItemOut, FeedOut, FollowIn, FollowOut, GapsOut
from api.errors import ErrorResponse
from kb.editorial.changes_text import describe_item
from kb.editorial.views import FollowView

router = APIRouter(prefix="/v1", tags=["doctors"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 422)
}


def _follow_out(row: FollowView) -> FollowOut:
    return FollowOut(kind=row.kind, key=row.key, since=row.created_at)


@router.post("/follows", response_model=FollowOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def follow(body: FollowIn, services: ServicesDep, editorial: EditorialDep, principal: PrincipalDep) -> FollowOut:
    """Follow a gene (symbol), tumor (OncoTree code) or drug (INN)."""
    return _follow_out(editorial.follows.follow(principal, body.kind, body.key, exists=services.exists))


@router.get("/follows", response_model=list[FollowOut], responses=_ERRORS)
def following(editorial: EditorialDep, principal: PrincipalDep) -> list[FollowOut]:
    """The topics you follow, oldest first."""
    return [_follow_out(f) for f in editorial.follows.following(principal)]


@router.delete("/follows/{kind}/{key}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
def unfollow(kind: str, key: str, editorial: EditorialDep, principal: PrincipalDep) -> None:
    """Stop following a topic."""
    editorial.follows.unfollow(principal, kind, key)


@router.get("/feed", response_model=FeedOut, responses=_ERRORS)
def feed(
    services: ServicesDep,
    editorial: EditorialDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> FeedOut:
    """New for you: evidence accepted since you followed a topic, and the newest articles tagged with it."""
    follows = editorial.follows.following(principal)
    last = editorial.feeds.last_visit(principal)
    items = []
    for item in editorial.follows.feed(principal, services.search.backend, limit=limit):
        text = describe_item(item, services.vocab)
        if item.article is not None:
            a = item.article
            items.append(
                FeedItemOut(type="article", topic=item.topic, pmid=a.pmid, title=a.title, year=a.year,
                            first_ingested=a.first_ingested, text_zh=text.zh, text_en=text.en,
                            new=_after(a.first_ingested, last))
            )  # fmt: skip
        elif item.change is not None:
            key = item.change.key
            items.append(
                FeedItemOut(type=item.type, topic=item.topic, evidence_id=key if item.type == "evidence" else None,
                            reading_list_id=key if item.type == "reading_list" else None,
                            published_at=item.change.at, text_zh=text.zh, text_en=text.en,
                            new=_after(item.change.at, last))
            )  # fmt: skip
    return FeedOut(follows=[_follow_out(f) for f in follows], items=items, last_visit=last,
                   new=sum(i.new for i in items))  # fmt: skip


@router.post("/feed/seen", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
def feed_seen(editorial: EditorialDep, principal: PrincipalDep) -> None:
    """Mark "new for you" as read now: the next GET /v1/feed calls only what came after new."""
    editorial.feeds.mark_seen(principal)


def _after(at: datetime | None, last: datetime | None) -> bool:
    """Whether an item of time ``at`` is new to a reader who last read the feed at ``last``."""
    if last is None:
        return True
    if at is None:
        return False
    return (at if at.tzinfo else at.replace(tzinfo=UTC)) > last


@router.get("/reports/content-gaps", response_model=GapsOut, responses=_ERRORS)
def content_gaps(
    editorial: EditorialDep,
    principal: PrincipalDep,
    top: Annotated[int, Query(ge=1, le=200)] = 20,
) -> GapsOut:
    """Zero-result queries, unresolved words and the most searched concepts, over everyone (editor, admin), each
    searched by at least KB_GAP_MIN_DOCTORS doctors: no per-doctor data."""
    report = editorial.follows.content_gaps(principal, top=top)
    return GapsOut(
        zero_result_queries=report.zero_result_queries,
        unresolved_terms=report.unresolved_terms,
        top_terms=report.top_terms,
        min_doctors=report.min_doctors,
    )
