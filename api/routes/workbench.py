"""The editors' workbench: ``GET /v1/entries`` (find an entry by a word) and ``POST /v1/submissions/bulk`` (a
curator's TSV of Chinese names and synonyms, one submission per entry)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from api.deps import EditorialDep, PrincipalDep, ServicesDep
from api.errors import ErrorResponse
from api.workbench_schemas import BulkIn, BulkOut, BulkRejectOut, BulkSubmittedOut, EntryHitOut, EntryHitsOut
from kb.editorial.bulk import bulk_names
from kb.editorial.entry_search import EntrySearch
from kb.editorial.workflow import WRITERS

router = APIRouter(prefix="/v1", tags=["editorial"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorResponse} for code in (400, 401, 403, 413, 422)}


@router.post("/submissions/bulk", response_model=BulkOut, responses=_ERRORS)
def bulk(body: BulkIn, editorial: EditorialDep, principal: PrincipalDep) -> BulkOut:
    """Names and synonyms for many genes, tumors, drugs or biomarkers (curator, editor, admin): each entry becomes
    one submitted change for review, validated row by row; the rows that fail are listed with their line."""
    result = bulk_names(editorial.editorial, principal, body.tsv, reason=body.reason)
    return BulkOut(
        submitted=[
            BulkSubmittedOut(lines=list(lines), kind=s.kind, key=s.key, submission_id=s.id, version=s.version)
            for lines, s in result.submitted
        ],
        rejected=[
            BulkRejectOut(line=r.line, kind=r.kind, key=r.key, field=r.field, reason=r.reason) for r in result.rejected
        ],
        unchanged=[line for line, _, _ in result.unchanged],
    )


Kind = Literal["gene", "tumor", "drug", "biomarker", "evidence", "test", "regulatory", "guideline", "reading_list"]


@router.get("/entries", response_model=EntryHitsOut, responses=_ERRORS)
def entries(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="words of a key, name, synonym or statement")],
    kind: Annotated[Kind | None, Query(description="only entries of this kind")] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> EntryHitsOut:
    """Find curated entries by a word of their key, names, synonyms (Chinese included) or statement (curator,
    editor, admin), best first: the key itself, a name itself, a prefix, a word inside a name, a word of the text."""
    principal.require_role(*WRITERS)
    search = getattr(request.app.state, "entry_search", None)
    if search is None:
        search = request.app.state.entry_search = EntrySearch()
    hits, total = search.search(services.store, services.vocab, q, kind=kind, page=page, size=size)
    items = [
        EntryHitOut(kind=h.kind, key=h.key, label=h.label, label_zh=h.label_zh, matched=h.matched,
                    edit="/editor/edit?" + urlencode({"kind": h.kind, "key": h.key}))
        for h in hits
    ]  # fmt: skip
    return EntryHitsOut(items=items, total=total, page=page, size=size)
