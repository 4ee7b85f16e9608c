"""The editorial workflow: submissions, review, published entries and the audit log.

Writes that change a submission need ``If-Match: "<version>"`` (its ETag): a stale one is
412, a missing one 428. Nothing is published until a second person accepts it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Response, status

from api.deps import MAX_ROW_ID, EditorialDep, Offset, PrincipalDep, RowId, ServicesDep
from api.editorial_schemas import (
    AuditOut,
    CommentIn,
    CommentOut,
    DiffOut,
    EntryOut,
    ReviewIn,
    SubmissionIn,
    SubmissionOut,
    SubmissionUpdate,
)
from api.errors import ErrorResponse
from kb.editorial import FieldDiff, etag
from kb.editorial.history import summary_line, user_names
from kb.editorial.versions import PUBLISH
from kb.editorial.views import CommentView, SubmissionView
from kb.errors import NotFoundError

router = APIRouter(prefix="/v1", tags=["editorial"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 412, 422, 428, 429)
}
IfMatch = Annotated[str | None, Header(description='The submission\'s ETag, e.g. "3"')]
STATES = ("draft", "submitted", "accepted", "rejected")


def _out(
    sub: SubmissionView,
    diff: list[FieldDiff] | None = None,
    comments: list[CommentView] | None = None,
    live: tuple[bool, str] | None = None,
    names: dict[int, str] | None = None,
    summary: str = "",
) -> SubmissionOut:
    names = names or {}
    return SubmissionOut(
        live=live[0] if live is not None else None,
        live_at=live[1] if live is not None else "",
        id=sub.id,
        kind=sub.kind,
        key=sub.key,
        state=sub.state,
        version=sub.version,
        base_version=sub.base_version,
        author_id=sub.author_id,
        reviewer_id=sub.reviewer_id,
        author=names.get(sub.author_id, ""),
        reviewer=names.get(sub.reviewer_id, "") if sub.reviewer_id is not None else "",
        summary=summary,
        reason=sub.reason,
        review_comment=sub.review_comment,
        data=sub.data,
        diff=[DiffOut(field=d.field, before=d.before, after=d.after) for d in diff or []],
        comments=[
            CommentOut(
                id=c.id,
                author_id=c.author_id,
                author=names.get(c.author_id, ""),
                text=c.text,
                flag=c.flag,
                created_at=c.created_at,
            )
            for c in comments or []
        ],
        created_at=sub.created_at,
        updated_at=sub.updated_at,
    )


@router.post("/submissions", response_model=SubmissionOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def create(body: SubmissionIn, editorial: EditorialDep, principal: PrincipalDep, response: Response) -> SubmissionOut:
    """Propose a new or changed entry (curator, editor, admin); it starts as a draft."""
    sub = editorial.editorial.create(principal, body.kind, body.key, body.data, body.reason)
    response.headers["ETag"] = etag(sub.version)
    return _out(sub)


@router.get("/submissions", response_model=list[SubmissionOut], responses=_ERRORS)
def queue(
    editorial: EditorialDep,
    services: ServicesDep,
    principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern="^(draft|submitted|accepted|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[SubmissionOut]:
    """The review queue (``state=submitted``) and every other state (curator, editor, admin)."""
    principal.require_role("curator", "editor", "admin")
    subs = editorial.editorial.queue(state, limit=limit, offset=offset)
    names = user_names(editorial.editorial, [i for s in subs for i in (s.author_id, s.reviewer_id)])
    return [_out(s, names=names, summary=summary_line(s.kind, s.data, services.vocab)) for s in subs]


def _full(editorial: EditorialDep, services: ServicesDep, submission_id: int, response: Response) -> SubmissionOut:
    """One submission with its diff, its comments, whether it is live, and the people's names."""
    sub, diff, comments = editorial.editorial.get(submission_id)
    response.headers["ETag"] = etag(sub.version)
    names = user_names(editorial.editorial, [sub.author_id, sub.reviewer_id, *(c.author_id for c in comments)])
    summary = summary_line(sub.kind, sub.data, services.vocab)
    return _out(sub, diff, comments, editorial.editorial.live(submission_id), names, summary)


@router.get("/submissions/{submission_id}", response_model=SubmissionOut, responses=_ERRORS)
def get(
    submission_id: RowId, editorial: EditorialDep, services: ServicesDep, principal: PrincipalDep, response: Response
) -> SubmissionOut:
    """One submission with its field-by-field diff against the entry it was written on (the published one while
    open; the version it changed once accepted or rejected), its comments, and the people's names."""
    principal.require_role("curator", "editor", "admin")
    return _full(editorial, services, submission_id, response)


@router.patch("/submissions/{submission_id}", response_model=SubmissionOut, responses=_ERRORS)
def update(
    submission_id: RowId,
    body: SubmissionUpdate,
    editorial: EditorialDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> SubmissionOut:
    """Change the proposed record (its author, while draft or submitted)."""
    sub = editorial.editorial.update(principal, submission_id, body.data, body.reason, if_match)
    response.headers["ETag"] = etag(sub.version)
    return _out(sub)


@router.post("/submissions/{submission_id}/submit", response_model=SubmissionOut, responses=_ERRORS)
def submit(
    submission_id: RowId, editorial: EditorialDep, principal: PrincipalDep, response: Response, if_match: IfMatch = None
) -> SubmissionOut:
    """Send a draft for review (its author)."""
    sub = editorial.editorial.submit(principal, submission_id, if_match)
    response.headers["ETag"] = etag(sub.version)
    return _out(sub)


@router.post("/submissions/{submission_id}/accept", response_model=SubmissionOut, responses=_ERRORS)
def accept(
    submission_id: RowId,
    body: ReviewIn,
    editorial: EditorialDep,
    services: ServicesDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> SubmissionOut:
    """Accept and publish (an editor or admin other than the author): searchable at once."""
    editorial.editorial.accept(principal, submission_id, if_match, body.comment)
    return _full(editorial, services, submission_id, response)


@router.post("/submissions/{submission_id}/reject", response_model=SubmissionOut, responses=_ERRORS)
def reject(
    submission_id: RowId,
    body: ReviewIn,
    editorial: EditorialDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> SubmissionOut:
    """Reject with a comment (an editor or admin other than the author)."""
    sub = editorial.editorial.reject(principal, submission_id, if_match, body.comment)
    response.headers["ETag"] = etag(sub.version)
    return _out(sub)


@router.post(
    "/submissions/{submission_id}/comments",
    response_model=CommentOut,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def comment(submission_id: RowId, body: CommentIn, editorial: EditorialDep, principal: PrincipalDep) -> CommentOut:
    """Comment on (or flag) a submission (curator, editor, admin)."""
    note = editorial.editorial.comment(principal, submission_id, body.text, flag=body.flag)
    return CommentOut(
        id=note.id,
        author_id=note.author_id,
        author=principal.actor,
        text=note.text,
        flag=note.flag,
        created_at=note.created_at,
    )


@router.get("/entries/{kind}/{key}", response_model=EntryOut, responses=_ERRORS)
def entry(kind: str, key: str, editorial: EditorialDep, principal: PrincipalDep, response: Response) -> EntryOut:
    """The published record an edit starts from, with its version (curator, editor, admin)."""
    principal.require_role("curator", "editor", "admin")
    data, version = editorial.editorial.entry(kind, key)
    if data is None:
        raise NotFoundError(f"no {kind} {key!r}")
    response.headers["ETag"] = etag(version)
    return EntryOut(kind=kind, key=key, version=version, data=data)


@router.get("/audit", response_model=list[AuditOut], responses=_ERRORS)
def audit(
    editorial: EditorialDep,
    principal: PrincipalDep,
    target: Annotated[str | None, Query(max_length=240)] = None,
    after: Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Entries with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    """The append-only audit log, oldest first (editor, admin)."""
    principal.require_role("editor", "admin")
    return [
        AuditOut(
            id=r.id,
            at=r.at,
            actor=r.actor,
            action=r.action,
            target=r.target,
            before=r.before,
            after=r.after,
            reason=r.reason,
            history=_history_href(r.target) if r.action == PUBLISH else None,
        )
        for r in editorial.editorial.audit(target=target, after=after, limit=limit)
    ]


def _history_href(target: str) -> str:
    kind, _, key = target.partition(":")
    return f"/v1/entries/{kind}/{quote(key, safe='')}/history"
