"""Publishing accepted entries to the search store, after their database commit.

The database is the source of truth. Accepting commits the entry, its change, its audit rows
and its webhook deliveries in one transaction; the change's ``data_version`` stays empty
("pending") until the entry is applied to the store. :meth:`Publisher.apply_pending` applies
pending changes in order, idempotently (re-applying an unchanged record changes nothing in
the store, not even its data version), and is retried by the background loop when the store
fails. The change feed and webhook deliveries stop at the first pending change, so partners
never hear of a change the store does not show yet and never skip one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update

from kb.codec import from_dict
from kb.editorial.audit import now, record_audit
from kb.editorial.db import Database
from kb.editorial.db.models import Change, Entry
from kb.editorial.validate import check_text
from kb.editorial.views import ChangeView
from kb.editorial.webhooks import append_change
from kb.errors import InvalidRecord
from kb.kinds import KINDS, Refresh, refresh_for
from kb.store import Backend

__all__ = ["PENDING", "Publisher"]

log = logging.getLogger("kb.editorial.publish")

#: The data version of a committed change that is not in the store yet.
PENDING = ""


class Publisher:
    def __init__(
        self,
        db: Database,
        store: Backend,
        on_published: Callable[[Refresh], None],
        on_applied: Callable[[str, Any], bool] = lambda kind, record: False,
    ) -> None:
        self.db = db
        self.store = store
        self.on_published = on_published
        # one record just written, before its change is stamped: whether the services made it live themselves
        # (a vocabulary record, patched in place); the kinds it did not take are refreshed by ``on_published``
        self.on_applied = on_applied
        self._lock = threading.Lock()  # one applier per process; the conditional update guards across processes
        # the changes this process has made live (or were there when its services were built from the store): the
        # others, published by another server process (KB_WORKERS > 1), are taken in by :meth:`follow`
        self._seen = self._newest_change()
        self._mine: set[int] = set()

    def apply(self, kind: str, data: dict[str, Any]) -> Any | None:
        """Write one entry's record to the store (a no-op when the store already holds it); the record written.

        A record that is no longer valid (a row accepted before today's checks) never reaches
        the store: it is logged and skipped (``None``), and the store keeps its last good version.
        """
        spec = KINDS[kind]
        try:
            check_text(data, "data")
            record = from_dict(spec.type, data)
        except (InvalidRecord, TypeError, ValueError) as exc:
            log.error("not publishing a %s record: it is invalid (%s)", kind, exc)
            return None
        spec.write(self.store, [record])
        return record

    def apply_pending(self) -> int:
        """Apply committed changes the store does not show yet, oldest first; returns how many.

        A store failure stops at that change (raised as the store's error); the rest stay
        pending, in order, for the next call.
        """
        with self._lock:
            with self.db.session() as s:
                pending = [
                    (c.id, c.kind, c.key)
                    for c in s.scalars(select(Change).where(Change.data_version == PENDING).order_by(Change.id))
                ]
            applied: set[str] = set()
            try:
                for change_id, kind, key in pending:
                    with self.db.session() as s:
                        entry = s.scalar(select(Entry).where(Entry.kind == kind, Entry.key == key))
                        data = dict(entry.data) if entry is not None else None
                    record = self.apply(kind, data) if data is not None else None
                    live = record is not None and self._applied(kind, record)
                    with self.db.session() as s:
                        s.execute(
                            update(Change)
                            .where(Change.id == change_id, Change.data_version == PENDING)
                            .values(data_version=self.store.data_version())
                        )
                    self._mine.add(change_id)
                    if not live:
                        applied.add(kind)
            finally:
                if applied:
                    self.on_published(refresh_for(applied))
        return len(pending)

    def _applied(self, kind: str, record: Any) -> bool:
        try:
            return self.on_applied(kind, record)
        except Exception:  # the full refresh after the loop makes it live instead
            log.exception("making a published %s record live in place failed; refreshing in full", kind)
            return False

    def try_apply_pending(self) -> bool:
        """:meth:`apply_pending`, then :meth:`follow`, logging a failure instead of raising; whether all were
        applied (the background loop calls it every round)."""
        try:
            self.apply_pending()
        except Exception:  # the change stays pending and the background loop retries it
            log.exception("publishing to the search store failed; will retry")
            return False
        try:
            self.follow()
        except Exception:  # the next round asks again from the same change
            log.exception("taking in the changes of the other server processes failed; will retry")
        return True

    def _newest_change(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.max(Change.id))) or 0)

    def follow(self) -> int:
        """Make live in this process the entries another server process published (``KB_WORKERS`` > 1 share one
        store and one editorial database, each with its own services): the store holds them already, so only the
        services are brought up to date, as :meth:`apply_pending` does for its own. Stops at the first pending
        change; an ingest's data-version change is not followed (a restart or the next accept picks it up).
        Returns how many changes it took in."""
        with self._lock:
            with self.db.session() as s:
                rows = [
                    (c.id, c.kind, c.key, c.data_version)
                    for c in s.scalars(select(Change).where(Change.id > self._seen).order_by(Change.id))
                ]
            kinds: set[str] = set()
            taken = 0
            for change_id, kind, key, version in rows:
                if version == PENDING:
                    break
                self._seen = change_id
                if change_id in self._mine:
                    self._mine.discard(change_id)
                    continue
                spec = KINDS.get(kind)
                if spec is None or not spec.curated:
                    continue
                taken += 1
                record = None
                if spec.refresh is Refresh.VOCABULARY:  # a name: patched in place, as its own process did
                    with self.db.session() as s:
                        entry = s.scalar(select(Entry).where(Entry.kind == kind, Entry.key == key))
                        record = _decoded(kind, dict(entry.data)) if entry is not None else None
                if record is None or not self._applied(kind, record):
                    kinds.add(kind)
            if kinds:
                self.on_published(refresh_for(kinds))
        return taken

    def republish(self) -> int:
        """Apply every published entry again (after an ingest or into a fresh store); returns how many.

        Unchanged records are left as they are, so a republish that finds nothing new moves
        nothing, not even the data version.
        """
        with self.db.session() as s:
            entries = [(e.kind, dict(e.data)) for e in s.scalars(select(Entry).order_by(Entry.id))]
        for kind, data in entries:
            self.apply(kind, data)
        if entries:
            self.on_published(refresh_for({kind for kind, _ in entries}))
        return len(entries)

    def curated(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every published entry's record: kind -> key -> data (ingestion lets these win)."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        with self.db.session() as s:
            for entry in s.scalars(select(Entry).order_by(Entry.id)):
                out.setdefault(entry.kind, {})[entry.key] = dict(entry.data)
        return out

    def announce_data_version(self, source: str) -> ChangeView:
        """Put a ``data_version`` change in the feed (an ingest moved the store's data version)."""
        counts = self.store.stats()
        with self.db.session() as s:
            change = Change(
                at=now(), kind="store", key="data_version", action="data_version", entry_version=0,
                data_version=self.store.data_version(), data={"source": source, "counts": counts},
            )  # fmt: skip
            append_change(s, change)
            record_audit(s, "ingest", "store.data_version", "store", after={"data_version": change.data_version,
                         "source": source})  # fmt: skip
            return ChangeView.of(change)

    def changes(self, since: int, limit: int) -> list[ChangeView]:
        """Changes after the cursor ``since``, in order, up to (not including) the first pending one."""
        with self.db.session() as s:
            rows = list(s.scalars(select(Change).where(Change.id > since).order_by(Change.id).limit(limit)))
            out = []
            for row in rows:
                if row.data_version == PENDING:
                    break
                out.append(ChangeView.of(row))
        return out


def _decoded(kind: str, data: dict[str, Any]) -> Any | None:
    """The record of a published entry (None when it no longer decodes: the full refresh takes it instead)."""
    try:
        return from_dict(KINDS[kind].type, data)
    except (TypeError, ValueError):
        return None
