"""users carry a session epoch: signing out everywhere moves it on

Revision ID: 0008
Revises: 0007

Every login token carries its user's ``session_epoch`` (claim ``sv``); signing out everywhere (the
user, or an admin for any account) adds one, so each token minted before is refused. Existing
accounts start at 0.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # ADD COLUMN keeps the table (a batch copy would drop a referenced one)
        op.execute("ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0")
    else:
        op.add_column("users", sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN session_epoch")
    else:
        op.drop_column("users", "session_epoch")
