"""users record who created them; existing user names take their normalised spelling

Revision ID: 0005
Revises: 0004

``users.created_by`` is the admin who made an account (empty for accounts made before, or by the
CLI): an account may not accept the work of the admin who created it. User names are now kept
NFKC-normalised, case-folded and stripped, and logins look them up so; an existing name moves to
that spelling unless another account already holds it (then it keeps its old one).
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _normalised(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()).strip()


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":  # ADD COLUMN keeps the table (a batch copy would drop a referenced one)
        op.execute("ALTER TABLE users ADD COLUMN created_by INTEGER REFERENCES users (id)")
    else:
        op.add_column("users", sa.Column("created_by", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_users_created_by", "users", "users", ["created_by"], ["id"])
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("username", sa.String()))
    rows = bind.execute(sa.select(users.c.id, users.c.username)).all()
    taken = {name for _, name in rows}
    for user_id, name in rows:
        spelling = _normalised(name)
        if spelling and spelling != name and spelling not in taken:
            bind.execute(users.update().where(users.c.id == user_id).values(username=spelling))
            taken.add(spelling)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN created_by")
    else:
        op.drop_constraint("fk_users_created_by", "users", type_="foreignkey")
        op.drop_column("users", "created_by")
