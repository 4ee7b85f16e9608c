"""doctors' secret Atom feed tokens

Revision ID: 0007
Revises: 0006

One row per doctor who asked for a feed URL: the pseudonym (as follows carry it) and the SHA-256 of the
random token, never the token itself. Rotating replaces the row; revoking deletes it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pseudonym", sa.String(length=32), nullable=False, unique=True),
        sa.Column("digest", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_tokens")
