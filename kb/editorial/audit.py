"""The append-only audit log: every write of the editorial API leaves one entry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from kb.editorial.db.models import AuditEntry
from kb.editorial.validate import check_text

__all__ = ["aware", "now", "record_audit"]


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def record_audit(
    session: Session,
    actor: str,
    action: str,
    target: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Add one entry in the caller's transaction (so the write and its entry commit together); a reason with a
    control character or a lone surrogate is refused (:class:`InvalidRecord`), and the write with it."""
    check_text(reason, "comment")
    session.add(
        AuditEntry(at=now(), actor=actor, action=action, target=target, before=before, after=after, reason=reason)
    )
