"""The editorial workflow: submissions to curated entries (evidence, test items, genes,
tumors, drugs with their Chinese names and synonyms), reviewed by a second person.

draft → submitted → accepted | rejected. Every submission carries a version (its ETag);
a write with an older ``If-Match`` is refused (412). Accepting publishes: the entry's new
version, its change in the partner feed, its webhook deliveries and its audit entries are
committed in one transaction; then the entry is applied to the search store
(:mod:`kb.editorial.publish`), which is retried until it succeeds. Every write leaves one
audit entry. The kinds and what they refresh come from :mod:`kb.kinds`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.codec import to_dict
from kb.editorial.accounts import Principal
from kb.editorial.audit import now, record_audit
from kb.editorial.db import Database
from kb.editorial.db.models import AuditEntry, Change, Comment, Entry, Submission, User
from kb.editorial.publish import PENDING, Publisher
from kb.editorial.validate import check_text, validate_record
from kb.editorial.versions import version_data
from kb.editorial.views import AuditView, ChangeView, CommentView, SubmissionView
from kb.editorial.webhooks import append_change
from kb.errors import (
    ConflictError,
    DataError,
    KBError,
    NotFoundError,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
)
from kb.kinds import CURATED, Kind, Refresh
from kb.store import Backend
from kb.vocab import Vocabularies

__all__ = ["Editorial", "FieldDiff", "etag"]

WRITERS = ("curator", "editor", "admin")
REVIEWERS = ("editor", "admin")


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    before: Any
    after: Any


def etag(version: int) -> str:
    return f'"{version}"'


def _creators(s: Session, user_id: int) -> set[int]:
    """Who created the account, who created that one, and so on up the chain (admin → admin → editor)."""
    found: set[int] = set()
    current: int | None = s.scalar(select(User.created_by).where(User.id == user_id))
    while current is not None and current not in found:
        found.add(current)
        current = s.scalar(select(User.created_by).where(User.id == current))
    return found


def _check_etag(if_match: str | None, version: int) -> None:
    if if_match is None:
        raise PreconditionRequired("send If-Match with the submission's ETag")
    if if_match.strip() not in (etag(version), str(version), f"W/{etag(version)}"):
        raise PreconditionFailed(
            "the submission changed since you read it", details={"etag": etag(version), "if_match": if_match}
        )


def _curated(kind: str) -> Kind[Any]:
    found = CURATED.get(kind)
    if found is None:
        raise DataError(f"unknown kind {kind!r}; choose from {', '.join(CURATED)}", details={"kinds": list(CURATED)})
    return found


class Editorial:
    """The workflow over the editorial database. An entry the database has no version of yet (a
    record that came from ingestion) is read as the running services see it (``vocab``)."""

    def __init__(
        self,
        db: Database,
        store: Backend,
        vocab: Callable[[], Vocabularies],
        *,
        on_published: Callable[[Refresh], None] = lambda _: None,
        on_applied: Callable[[str, Any], bool] = lambda kind, record: False,
        max_data_bytes: int = 65536,
    ) -> None:
        self.db = db
        self.store = store
        self._vocab = vocab
        self.max_data_bytes = max_data_bytes
        self.publisher = Publisher(db, store, on_published, on_applied)

    # -- reads ----------------------------------------------------------------------------------
    def entry(self, kind: str, key: str) -> tuple[dict[str, Any] | None, int]:
        """The published record and its version (0 when the database has none yet)."""
        with self.db.session() as s:
            return self._entry(s, kind, key)

    def _entry(self, s: Session, kind: str, key: str) -> tuple[dict[str, Any] | None, int]:
        spec = CURATED.get(kind)
        if spec is None:
            raise NotFoundError(f"unknown kind {kind!r}", details={"kinds": list(CURATED)})
        row = s.scalar(select(Entry).where(Entry.kind == kind, Entry.key == key))
        if row is not None:
            return dict(row.data), row.version
        found = spec.find(self.store, self._vocab(), key)
        return (to_dict(found) if found is not None else None), 0

    def get(self, submission_id: int) -> tuple[SubmissionView, list[FieldDiff], list[CommentView]]:
        with self.db.session() as s:
            sub = self._load(s, submission_id)
            if sub.state in ("accepted", "rejected"):  # what it changed: against the version it was written on
                before = version_data(
                    s, sub.kind, sub.key, sub.base_version, lambda: self._entry(s, sub.kind, sub.key)[0]
                )
            else:
                before, _ = self._entry(s, sub.kind, sub.key)
            comments = s.scalars(select(Comment).where(Comment.submission_id == sub.id).order_by(Comment.id))
            return SubmissionView.of(sub), diff(before, sub.data), [CommentView.of(c) for c in comments]

    def queue(self, state: str | None = None, *, limit: int = 50, offset: int = 0) -> list[SubmissionView]:
        with self.db.session() as s:
            query = select(Submission).order_by(Submission.id)
            if state:
                query = query.where(Submission.state == state)
            return [SubmissionView.of(sub) for sub in s.scalars(query.limit(limit).offset(offset))]

    def changes(self, since: int, limit: int) -> list[ChangeView]:
        """The partner feed: published changes after the cursor ``since`` (see :mod:`kb.editorial.publish`)."""
        return self.publisher.changes(since, limit)

    def audit(self, *, target: str | None = None, after: int = 0, limit: int = 100) -> list[AuditView]:
        """The audit log, oldest first, optionally for one target."""
        with self.db.session() as s:
            query = select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(limit)
            if target:
                query = query.where(AuditEntry.target == target)
            return [AuditView.of(r) for r in s.scalars(query)]

    def _load(self, s: Session, submission_id: int) -> Submission:
        sub = s.get(Submission, submission_id)
        if sub is None:
            raise NotFoundError(f"no submission {submission_id}")
        return sub

    # -- writes ---------------------------------------------------------------------------------
    def _validate(self, kind: str, key: str, data: dict[str, Any], reason: str = "") -> dict[str, Any]:
        """The proposed record, strictly valid (:mod:`kb.editorial.validate`), or ``InvalidRecord`` (422)."""
        check_text({"key": key, "reason": reason}, "submission")
        return validate_record(_curated(kind), key, data, self._vocab(), max_bytes=self.max_data_bytes)

    def validate(self, kind: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` as a valid record of ``kind`` keyed ``key``, or ``InvalidRecord``: what ``create`` would store."""
        return self._validate(kind, key, data)

    def create(self, actor: Principal, kind: str, key: str, data: dict[str, Any], reason: str) -> SubmissionView:
        author = actor.require_role(*WRITERS)
        record = self._validate(kind, key, data, reason)
        with self.db.session() as s:
            _, base = self._entry(s, kind, key)
            sub = Submission(
                kind=kind,
                key=key,
                data=record,
                base_version=base,
                state="draft",
                version=1,
                reason=reason,
                author_id=author,
                created_at=now(),
                updated_at=now(),
            )
            s.add(sub)
            s.flush()
            record_audit(s, actor.actor, "submission.create", f"submission:{sub.id}", after=_view(sub), reason=reason)
        return SubmissionView.of(sub)

    def update(
        self, actor: Principal, submission_id: int, data: dict[str, Any], reason: str, if_match: str | None
    ) -> SubmissionView:
        author = actor.require_role(*WRITERS)
        with self.db.session() as s:
            sub = self._load(s, submission_id)
            if sub.author_id != author:
                raise PermissionDenied("only the author edits a submission; comment on it instead")
            _check_etag(if_match, sub.version)
            if sub.state not in ("draft", "submitted"):
                raise ConflictError(f"the submission is {sub.state}; it can no longer change")
            before = _view(sub)
            _claim(s, sub, ("draft", "submitted"), lost=PreconditionFailed)
            sub.data = self._validate(sub.kind, sub.key, data, reason)
            sub.reason = reason or sub.reason
            record_audit(s, actor.actor, "submission.update", f"submission:{sub.id}", before=before, after=_view(sub),
                         reason=reason)  # fmt: skip
        return SubmissionView.of(sub)

    def submit(self, actor: Principal, submission_id: int, if_match: str | None) -> SubmissionView:
        author = actor.require_role(*WRITERS)
        return self._transition(actor, submission_id, if_match, "draft", "submitted", author_only=author)

    def reject(self, actor: Principal, submission_id: int, if_match: str | None, comment: str) -> SubmissionView:
        reviewer = actor.require_role(*REVIEWERS)
        return self._transition(actor, submission_id, if_match, "submitted", "rejected", reviewer=reviewer,
                                comment=comment)  # fmt: skip

    def _transition(
        self,
        actor: Principal,
        submission_id: int,
        if_match: str | None,
        source: str,
        target: str,
        *,
        author_only: int | None = None,
        reviewer: int | None = None,
        comment: str = "",
    ) -> SubmissionView:
        check_text(comment, "comment")
        with self.db.session() as s:
            sub = self._load(s, submission_id)
            if author_only is not None and sub.author_id != author_only:
                raise PermissionDenied("only the author submits their draft")
            if reviewer is not None and sub.author_id == reviewer:
                raise PermissionDenied("a second person reviews a submission, not its author")
            if sub.state != source:  # before the ETag: a request that lost a race is told why (409)
                raise ConflictError(f"the submission is {sub.state}, not {source}")
            _check_etag(if_match, sub.version)
            before = _view(sub)
            review: dict[str, Any] = {} if reviewer is None else {"reviewer_id": reviewer, "review_comment": comment}
            _claim(s, sub, (source,), state=target, **review)
            record_audit(s, actor.actor, f"submission.{target}", f"submission:{sub.id}", before=before,
                         after=_view(sub), reason=comment)  # fmt: skip
        return SubmissionView.of(sub)

    def accept(self, actor: Principal, submission_id: int, if_match: str | None, comment: str = "") -> ChangeView:
        """Accept and publish: the entry, its change, audit and webhook rows commit together; then the
        entry is applied to the search store (retried in the background if the store fails)."""
        reviewer = actor.require_role(*REVIEWERS)
        check_text(comment, "comment")
        with self.db.session() as s:
            sub = self._load(s, submission_id)
            if sub.author_id == reviewer:
                raise PermissionDenied("a second person accepts a submission, not its author")
            if sub.author_id in _creators(s, reviewer):
                raise PermissionDenied("an account created by the author does not accept the author's submission")
            if sub.state != "submitted":  # before the ETag: a request that lost a race is told why (409)
                raise ConflictError(f"the submission is {sub.state}; only a submitted one can be accepted")
            _check_etag(if_match, sub.version)
            self._validate(sub.kind, sub.key, sub.data)  # again: it may predate today's rules
            before = _view(sub)
            _claim(s, sub, ("submitted",), state="accepted", reviewer_id=reviewer, review_comment=comment)
            before_entry, version = self._entry(s, sub.kind, sub.key)  # read under the claim's lock
            entry_version = _publish_entry(s, sub, version, reviewer)
            change = append_change(
                s,
                Change(at=now(), kind=sub.kind, key=sub.key, action="published", entry_version=entry_version,
                       data_version=PENDING, data=sub.data),
            )  # fmt: skip
            record_audit(s, actor.actor, "submission.accepted", f"submission:{sub.id}", before=before,
                         after=_view(sub), reason=comment)  # fmt: skip
            record_audit(s, actor.actor, "entry.publish", f"{sub.kind}:{sub.key}", before=before_entry,
                         after=sub.data, reason=sub.reason)  # fmt: skip
            change_id = change.id
        self.publisher.try_apply_pending()
        with self.db.session() as s:
            applied = s.get(Change, change_id)
            if applied is None:
                raise NotFoundError(f"no change {change_id}")
            return ChangeView.of(applied)

    def live(self, submission_id: int) -> tuple[bool, str] | None:
        """An accepted submission: whether its change is in the store and the running services, and the store's
        data version then (``""`` while pending); ``None`` when it is not accepted."""
        with self.db.session() as s:
            sub = self._load(s, submission_id)
            if sub.state != "accepted":
                return None
            version = s.scalar(
                select(Change.data_version)
                .where(Change.kind == sub.kind, Change.key == sub.key, Change.entry_version == sub.base_version + 1)
                .order_by(Change.id.desc())
                .limit(1)
            )
        return (False, "") if version is None or version == PENDING else (True, version)

    def apply_pending(self) -> int:
        """Apply accepted entries the search store does not show yet (see :mod:`kb.editorial.publish`)."""
        return self.publisher.apply_pending()

    def republish(self) -> int:
        """Write every published entry to the store again; unchanged records change nothing."""
        return self.publisher.republish()

    def announce_data_version(self, source: str) -> ChangeView:
        """Put a ``data_version`` change in the feed (an ingest moved the store's data version)."""
        return self.publisher.announce_data_version(source)

    def comment(self, actor: Principal, submission_id: int, text: str, *, flag: bool = False) -> CommentView:
        author = actor.require_role(*WRITERS)
        if not text.strip():
            raise DataError("a comment needs text")
        check_text(text, "text")
        with self.db.session() as s:
            sub = self._load(s, submission_id)
            note = Comment(submission_id=sub.id, author_id=author, text=text, flag=flag, created_at=now())
            s.add(note)
            s.flush()
            record_audit(s, actor.actor, "submission.flag" if flag else "submission.comment",
                         f"submission:{sub.id}", after={"comment": note.id, "text": text, "flag": flag})  # fmt: skip
        return CommentView.of(note)


def _claim(s: Session, sub: Submission, states: tuple[str, ...], *, lost: type[KBError] = ConflictError,
           **values: Any) -> None:  # fmt: skip
    """Move ``sub`` on with one conditional UPDATE: only from ``states`` and only at the version read,
    so of parallel writes exactly one matches and the others get ``lost`` (their transaction rolls
    back). PostgreSQL re-checks the predicate once the winner's row lock is released; on SQLite this
    UPDATE is the transaction's first write and takes the database's write lock until it ends."""
    claimed: CursorResult[Any] = s.execute(  # type: ignore[assignment]
        update(Submission)
        .where(Submission.id == sub.id, Submission.version == sub.version, Submission.state.in_(states))
        .values(version=sub.version + 1, updated_at=now(), **values)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise lost("the submission changed while this request ran; read it again", details={"id": sub.id})
    s.refresh(sub)


def _publish_entry(s: Session, sub: Submission, version: int, reviewer: int) -> int:
    """The entry's next version (returned), written only over the version the submission was based on: a second
    submission against the same version matches nothing (or meets the first one's new row) and is 409."""
    stale = ConflictError(
        "the entry was published again since this submission was written; update it first",
        details={"base_version": sub.base_version, "entry_version": version},
    )
    if version != sub.base_version:
        raise stale
    if version == 0:
        s.add(Entry(kind=sub.kind, key=sub.key, data=sub.data, version=1, updated_at=now(), updated_by=reviewer))
        try:
            s.flush()
        except IntegrityError as exc:  # PostgreSQL: a parallel accept inserted it first; all rolls back
            raise ConflictError(str(stale), details={"base_version": 0, "entry_version": 1}) from exc
        return 1
    written: CursorResult[Any] = s.execute(  # type: ignore[assignment]
        update(Entry)
        .where(Entry.kind == sub.kind, Entry.key == sub.key, Entry.version == version)
        .values(data=sub.data, version=version + 1, updated_at=now(), updated_by=reviewer)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:
        raise ConflictError(str(stale), details={"base_version": sub.base_version, "entry_version": version + 1})
    return version + 1


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldDiff]:
    """Field-by-field changes from the published record to the proposed one."""
    old = before or {}
    return [FieldDiff(f, old.get(f), after.get(f)) for f in sorted(set(old) | set(after)) if old.get(f) != after.get(f)]


def _view(sub: Submission) -> dict[str, Any]:
    return {"id": sub.id, "kind": sub.kind, "key": sub.key, "state": sub.state, "version": sub.version,
            "data": sub.data}  # fmt: skip
