"""the search log keeps resolved concept ids and unresolved words instead of the query text

Revision ID: 0003
Revises: 0002

The raw query texts kept until now are deleted with their rows: they cannot be read into concepts here
(that needs the vocabularies), and free text may hold what a doctor should not have left in a log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM search_log")
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concepts", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("unresolved", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.drop_column("query")


def downgrade() -> None:
    op.execute("DELETE FROM search_log")
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("query", sa.String(length=500), nullable=False, server_default=""))
        batch_op.drop_column("unresolved")
        batch_op.drop_column("concepts")
