"""An entry's history and the people behind the review queue.

:func:`entry_history` lists every published version of an entry, oldest first: version 0 (the ingested record),
then one version per accepted submission, with who wrote it, who accepted it, when, why, the submission and
audit row it came from, and its field diff against the version before. :func:`user_names` gives the editors'
pages names instead of account ids; :func:`summary_line` one Chinese line per entry for the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kb.editorial.audit import aware
from kb.editorial.changes_text import evidence_line
from kb.editorial.db.models import Submission, User
from kb.editorial.versions import publish_rows
from kb.editorial.workflow import Editorial, FieldDiff, diff
from kb.errors import NotFoundError
from kb.vocab import Vocabularies

__all__ = ["EntryVersion", "entry_history", "summary_line", "user_names"]

#: The fields that name an entry in Chinese, then in English, by preference.
_NAMES = ("name_zh", "title_zh", "indication_zh", "text_zh", "name", "title_en", "drug", "symbol", "inn", "id")


@dataclass(frozen=True, slots=True)
class EntryVersion:
    """One published version; version 0 has no submission, people or time (it came from ingestion)."""

    version: int
    at: datetime | None
    author: str
    reviewer: str
    reason: str
    review_comment: str
    submission_id: int | None
    audit_id: int | None
    data: dict[str, Any] | None
    diff: tuple[FieldDiff, ...]


def user_names(editorial: Editorial, ids: Iterable[int | None]) -> dict[int, str]:
    """The user names of these accounts (unknown ids are left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    with editorial.db.session() as s:
        return {u.id: u.username for u in s.scalars(select(User).where(User.id.in_(wanted)))}


def entry_history(editorial: Editorial, kind: str, key: str) -> list[EntryVersion]:
    """Every published version of ``kind:key``, oldest first; :class:`NotFoundError` when there is no such entry."""
    current, _ = editorial.entry(kind, key)
    with editorial.db.session() as s:
        rows = publish_rows(s, kind, key)
        accepted = s.scalars(
            select(Submission).where(Submission.kind == kind, Submission.key == key, Submission.state == "accepted")
        )
        by_version = {sub.base_version + 1: sub for sub in accepted}
        ids = {i for sub in by_version.values() for i in (sub.author_id, sub.reviewer_id) if i is not None}
        names = {u.id: u.username for u in s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
        first = (dict(rows[0].before) if rows[0].before is not None else None) if rows else current
        if first is None and not rows:
            raise NotFoundError(f"no {kind} {key!r}")
        versions = [EntryVersion(0, None, "", "", "", "", None, None, first, ())]
        previous = first
        for number, row in enumerate(rows, start=1):
            sub = by_version.get(number)
            data = dict(row.after) if row.after is not None else {}
            versions.append(
                EntryVersion(
                    version=number,
                    at=aware(row.at),
                    author=names.get(sub.author_id, "") if sub else "",
                    reviewer=names.get(sub.reviewer_id, "") if sub and sub.reviewer_id is not None else row.actor,
                    reason=row.reason,
                    review_comment=sub.review_comment if sub else "",
                    submission_id=sub.id if sub else None,
                    audit_id=row.id,
                    data=data,
                    diff=tuple(diff(previous, data)),
                )
            )
            previous = data
    return versions


def summary_line(kind: str, data: Mapping[str, Any], vocab: Vocabularies) -> str:
    """An entry in one Chinese line: evidence in words ("EGFR T790M 对奥希替尼敏感（非小细胞肺癌，B级）"), any other
    kind by its Chinese name or title, else its English name or key."""
    if kind == "evidence":
        return evidence_line(data, vocab).zh
    for name in _NAMES:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
