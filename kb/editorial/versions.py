"""An entry's published versions, read back from the audit log.

Every accept writes one ``entry.publish`` audit row for ``<kind>:<key>`` with the record ``before`` and ``after``
(:meth:`kb.editorial.workflow.Editorial.accept`), in the accept's transaction, so the rows of one entry, oldest
first, are its versions: the first row's ``before`` is version 0 (the ingested record), row *n*'s ``after`` is
version *n*. An entry never published has only version 0, the record as the services read it today.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.editorial.db.models import AuditEntry

__all__ = ["PUBLISH", "publish_rows", "version_data"]

#: The audit action of an accept's write of the entry.
PUBLISH = "entry.publish"


def publish_rows(s: Session, kind: str, key: str) -> list[AuditEntry]:
    """The ``entry.publish`` rows of one entry, oldest first: row *n* (from 0) wrote version *n* + 1."""
    query = select(AuditEntry).where(AuditEntry.action == PUBLISH, AuditEntry.target == f"{kind}:{key}")
    return list(s.scalars(query.order_by(AuditEntry.id)))


def version_data(
    s: Session, kind: str, key: str, version: int, current: Callable[[], dict[str, Any] | None]
) -> dict[str, Any] | None:
    """The record of ``kind:key`` at ``version``: 0 is the ingested one (``current()`` when never published)."""
    rows = publish_rows(s, kind, key)
    if version == 0:
        return dict(rows[0].before) if rows and rows[0].before is not None else (None if rows else current())
    if version > len(rows):
        return current()
    after = rows[version - 1].after
    return dict(after) if after is not None else None
