"""The readable review: an entry's history (``GET /v1/entries/{kind}/{key}/history``) and the kinds' field schema
the typed forms are built from (``GET /v1/entries/{kind}/schema``). Registered before :mod:`api.routes.editorial`,
whose ``/entries/{kind}/{key}`` would otherwise read ``schema`` as a key."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import EditorialDep, PrincipalDep, ServicesDep
from api.editorial_schemas import DiffOut
from api.errors import ErrorResponse
from api.review_schemas import EntryVersionOut, FormFieldOut, FormSchemaOut, HistoryOut
from kb.editorial.forms import FormField, form_schema
from kb.editorial.history import entry_history, summary_line
from kb.editorial.workflow import WRITERS

router = APIRouter(prefix="/v1", tags=["editorial"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorResponse} for code in (401, 403, 404)}


def _form_field(f: FormField) -> FormFieldOut:
    return FormFieldOut(name=f.name, type=f.type, nullable=f.nullable, choices=list(f.choices), picker=f.picker,
                        item=f.item, fields=[_form_field(sub) for sub in f.fields])  # fmt: skip


@router.get("/entries/{kind}/schema", response_model=FormSchemaOut, responses=_ERRORS)
def schema(kind: str, principal: PrincipalDep) -> FormSchemaOut:
    """The fields of a curated kind, for the editor's typed forms (curator, editor, admin): each field's type,
    whether it may be empty, its choices and the picker that fills it; nested records with their own fields."""
    principal.require_role(*WRITERS)
    key_field, fields = form_schema(kind)
    return FormSchemaOut(kind=kind, key_field=key_field, fields=[_form_field(f) for f in fields])


@router.get("/entries/{kind}/{key}/history", response_model=HistoryOut, responses=_ERRORS)
def history(kind: str, key: str, editorial: EditorialDep, services: ServicesDep, principal: PrincipalDep) -> HistoryOut:
    """Every published version of an entry, oldest first (curator, editor, admin): version 0 is the ingested
    record, then each accepted submission with its author, reviewer, time, reason, review comment, submission and
    audit row, and its field diff against the version before."""
    principal.require_role(*WRITERS)
    versions = entry_history(editorial.editorial, kind, key)
    latest = next((v.data for v in reversed(versions) if v.data is not None), None) or {}
    return HistoryOut(
        kind=kind,
        key=key,
        summary=summary_line(kind, latest, services.vocab),
        audit_target=f"{kind}:{key}",
        versions=[
            EntryVersionOut(
                version=v.version,
                at=v.at,
                author=v.author,
                reviewer=v.reviewer,
                reason=v.reason,
                review_comment=v.review_comment,
                submission_id=v.submission_id,
                audit_id=v.audit_id,
                diff=[DiffOut(field=d.field, before=d.before, after=d.after) for d in v.diff],
                data=v.data,
            )
            for v in versions
        ],
    )
