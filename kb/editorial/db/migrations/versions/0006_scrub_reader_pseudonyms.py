"""old audit rows of follows and privacy choices lose the doctor's pseudonym

Revision ID: 0006
Revises: 0005

Before this revision a follow, an unfollow and an opt-out or opt-in were audited under the doctor's
stable pseudonym (``pseudonym:…``), which made the audit log a per-doctor interest profile. New rows
say ``reader``; this one-time scrub rewrites the actor of the old rows the same way. The audit log is
append-only, so the scrub lifts the guard for this one statement and puts it back (revision 0002's
triggers, re-created unchanged). Nothing else in the log changes.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MESSAGE = "the audit log is append-only"
READER = "reader"
SCRUB = (
    f"UPDATE audit_log SET actor = '{READER}' WHERE actor LIKE 'pseudonym:%' "
    "AND (action IN ('follow.add', 'follow.remove') OR action LIKE 'privacy.%')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        op.execute(SCRUB)
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        return
    op.execute("DROP TRIGGER audit_log_no_update")
    op.execute(SCRUB)
    op.execute(
        f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )


def downgrade() -> None:
    """A scrubbed pseudonym cannot come back: nothing to undo."""
