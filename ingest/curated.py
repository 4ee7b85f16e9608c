"""Curated entries win over ingested records, and partners hear of a moved data version.

An ingest reads the editorial database's published entries once. While a job writes, a
record an editor has published is written in its curated version instead of the source's
(:func:`overlay`), so a rerun that brings nothing new changes nothing in the store, not
even its data version. When the jobs are done every entry is applied again (a fresh store
gets them all; an unchanged one is left alone), and if the data version moved, a
``data_version`` change goes into the partner feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kb.codec import from_dict
from kb.editorial.db import Database
from kb.editorial.publish import Publisher
from kb.editorial.views import ChangeView
from kb.kinds import KINDS
from kb.settings import Settings
from kb.store.base import Backend

__all__ = ["Curated", "Finished", "finish", "load_curated"]

#: kind -> key -> the published record's data
Curated = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Finished:
    """What the step after an ingest did."""

    reapplied: int  # curated entries applied again
    change: ChangeView | None  # the data_version change announced (None: the data version did not move)

    def summary(self) -> str:
        if self.change is None:
            return "the data version did not change; nothing announced"
        note = f"; {self.reapplied} curated entries re-applied" if self.reapplied else ""
        return f"data version {self.change.data_version} announced in the change feed{note}"


def _publisher(settings: Settings, store: Backend) -> tuple[Database, Publisher]:
    db = Database(settings.db_url)
    db.upgrade()
    return db, Publisher(db, store, lambda _: None)


def load_curated(settings: Settings, store: Backend) -> Curated:
    """Every published entry of the editorial database, by kind and key."""
    db, publisher = _publisher(settings, store)
    try:
        return publisher.curated()
    finally:
        db.close()


def overlay(curated: Curated, kind: str, records: Sequence[Any]) -> list[Any]:
    """``records`` of ``kind`` with each one an editor has published replaced by the curated version."""
    mine = curated.get(kind)
    if not mine:
        return list(records)
    spec = KINDS[kind]
    return [from_dict(spec.type, mine[spec.key(r)]) if spec.key(r) in mine else r for r in records]


def finish(settings: Settings, store: Backend, source: str, before: str) -> Finished:
    """Apply every curated entry again and announce the data version if the ingest moved it."""
    db, publisher = _publisher(settings, store)
    try:
        reapplied = publisher.republish()
        change = publisher.announce_data_version(source) if store.data_version() != before else None
    finally:
        db.close()
    return Finished(reapplied, change)
