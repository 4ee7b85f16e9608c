"""when each doctor last read "new for you"

Revision ID: 0009
Revises: 0008

One row per reader who has opened the feed page: the pseudonym (as follows carry it) and when the page last
marked the feed as read, so the next visit can say what is new since. Nothing else about the visit is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pseudonym", sa.String(length=32), nullable=False, unique=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_visits")
