"""Atom feeds (RFC 4287): a doctor's secret "new for you" feed and the public topic feeds; the doctor's feed URL."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from api.atom import ATOM_MEDIA_TYPE, PAGE_OF, AtomFeed, atom_document
from api.deps import EditorialDep, PrincipalDep, ServicesDep
from api.editorial_schemas import FeedTokenOut
from api.errors import ErrorResponse
from kb.editorial.changes_text import describe_item
from kb.editorial.feeds import FeedTokenView
from kb.editorial.follows import FeedItem
from kb.errors import NotFoundError
from kb.services import Services

router = APIRouter(prefix="/v1", tags=["feeds"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 422)}
_ATOM: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}}, "description": "An Atom feed"},
    **_ERRORS,
}
Limit = Annotated[int, Query(ge=1, le=100, description="Entries in the feed.")]


def _token_out(request: Request, view: FeedTokenView) -> FeedTokenOut:
    url = str(request.url_for("doctor_feed", token=view.token)) if view.token else None
    return FeedTokenOut(url=url, token=view.token or None, created_at=view.created_at, feed_id=view.feed_id)


@router.post("/feeds/token", response_model=FeedTokenOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def rotate_feed_token(request: Request, editorial: EditorialDep, principal: PrincipalDep) -> FeedTokenOut:
    """Make your secret feed URL, or a new one in place of the old (which then answers 404). Shown once."""
    return _token_out(request, editorial.feeds.rotate_token(principal))


@router.get("/feeds/token", response_model=FeedTokenOut, responses=_ERRORS)
def feed_token(request: Request, editorial: EditorialDep, principal: PrincipalDep) -> FeedTokenOut:
    """Whether you have a feed URL and when it was made (the URL itself is not kept: rotate for a new one)."""
    return _token_out(request, editorial.feeds.token_of(principal))


@router.delete("/feeds/token", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
def revoke_feed_token(editorial: EditorialDep, principal: PrincipalDep) -> None:
    """Revoke your feed URL: it answers 404 from now on."""
    editorial.feeds.revoke_token(principal)


@router.get("/feeds/{token}.atom", name="doctor_feed", response_class=Response, responses=_ATOM)
def doctor_feed(
    request: Request,
    services: ServicesDep,
    editorial: EditorialDep,
    token: Annotated[str, Path(min_length=1, max_length=100)],
    limit: Limit = 50,
) -> Response:
    """A doctor's "new for you" as Atom, at the secret URL from POST /v1/feeds/token (no sign-in: the URL is the
    secret)."""
    view, items = editorial.feeds.feed_of_token(token, services.search.backend, limit=limit)
    feed = AtomFeed(
        id=f"urn:genekb:feed:{view.feed_id}",
        title="genekb 为你推荐 · New for you",
        self_url=str(request.url_for("doctor_feed", token=token)),
        page_url=f"{request.base_url}feed",
        base_url=str(request.base_url),
    )
    return _atom(services, feed, items, headers={"Cache-Control": "private, no-store"})


@router.get("/topics/{kind}/{key}/feed.atom", name="topic_feed", response_class=Response, responses=_ATOM)
def topic_feed(
    request: Request,
    services: ServicesDep,
    editorial: EditorialDep,
    kind: Annotated[str, Path(description="gene | tumor | drug | biomarker | reading_list")],
    key: Annotated[str, Path(min_length=1, max_length=200, description="symbol, OncoTree code, INN or id")],
    limit: Limit = 20,
) -> Response:
    """A public topic's newest accepted evidence and newest articles, as Atom. A gene, tumor, drug or biomarker named
    by an alias or another name (HER2, 泰瑞沙) redirects (308) to its canonical feed (ERBB2, osimertinib)."""
    canonical = _canonical(services, kind, key)
    if canonical != key:
        target = str(request.url_for("topic_feed", kind=kind, key=canonical))
        return RedirectResponse(target + (f"?{request.url.query}" if request.url.query else ""), status_code=308)
    items = editorial.feeds.topic_feed(kind, key, services.search.backend, exists=services.exists, limit=limit)
    feed = AtomFeed(
        id=f"urn:genekb:topic:{kind}:{key}",
        title=f"genekb {kind} {key}",
        self_url=str(request.url_for("topic_feed", kind=kind, key=key)),
        page_url=f"{request.base_url}{PAGE_OF.get(kind, kind)}/{quote(key, safe='')}",
        base_url=str(request.base_url),
    )
    return _atom(services, feed, items)


def _canonical(services: Services, kind: str, key: str) -> str:
    """The key of the record ``key`` names (an alias, a Chinese name, a brand), or ``key`` when none or several."""
    lookups = {
        "gene": lambda: services.entities.gene(key)[0].symbol,
        "tumor": lambda: services.entities.tumor(key)[0].code,
        "drug": lambda: services.entities.drug(key)[0].inn,
        "biomarker": lambda: services.entities.biomarker(key)[0].id,
    }
    if kind not in lookups or services.exists(kind, key):
        return key
    try:
        return lookups[kind]()
    except NotFoundError:
        return key


def _atom(services: Services, feed: AtomFeed, items: list[FeedItem], headers: dict[str, str] | None = None) -> Response:
    """The Atom document of ``items``, each with its sentence."""
    body = atom_document(feed, [(item, describe_item(item, services.vocab)) for item in items])
    return Response(body, media_type=ATOM_MEDIA_TYPE, headers=headers)
