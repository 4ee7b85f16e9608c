"""``kb users create`` and ``kb db-upgrade``: the editorial database."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import build_settings, err, friendly

__all__ = ["db_upgrade", "users_create"]

# kb.editorial (SQLAlchemy, Alembic, argon2) is imported by these commands only, to keep `kb` quick to start.


@friendly
def users_create(
    username: Annotated[str, typer.Option(prompt=True, help="The user name to sign in with (asked when not given).")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="KB_NEW_PASSWORD",
            help="At least 10 characters; asked for when not given (or set KB_NEW_PASSWORD).",
        ),
    ],
    role: Annotated[str, typer.Option(help="doctor, curator, editor or admin.")] = "doctor",
) -> None:
    """Create an account in the editorial database (the first admin bootstraps the rest)."""
    from kb.editorial.accounts import Accounts
    from kb.editorial.db import Database

    settings = build_settings()
    db = Database(settings.db_url)
    try:
        db.upgrade()
        user = Accounts(db, settings).create_user(username, password, role, actor="cli")
    finally:
        db.close()
    err.print(f"users: created {user.username} ({user.role})")


@friendly
def db_upgrade() -> None:
    """Migrate the editorial database (KB_DB_URL) to the latest schema (Alembic)."""
    from kb.editorial.db import Database

    settings = build_settings()
    db = Database(settings.db_url)
    try:
        db.upgrade()
    finally:
        db.close()
    err.print(f"db-upgrade: {settings.db_url.split('@')[-1]} is at the latest schema")
