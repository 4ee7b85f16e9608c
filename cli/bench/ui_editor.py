"""The editors' pages for ``kb bench ui``: the review queue, a review page, the entry editor with an evidence item
loaded and that entry's history, loaded signed in as an editor.

The bench's own editorial database (a SQLite file in a temporary directory, never the configured one) gets a
curator and an editor account and one submitted edit of the store's first evidence item with a statement, so the
queue has a row, the review page an inline diff, and the editor a whole typed form. Nothing is accepted: the
search store is not written. The editor's session goes into each browser context's localStorage under the key and
in the shape ``api/web/static/api.js`` keeps it (:data:`cli.bench.ui.SESSION_KEY`: the login answer plus the user
name).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import urlencode

from cli.bench.ui import UIPage
from kb.codec import to_dict
from kb.editorial.accounts import Accounts
from kb.editorial.db import Database
from kb.editorial.workflow import Editorial
from kb.errors import DataError
from kb.services import Services
from kb.settings import Settings

__all__ = ["bench_database", "editor_pages"]


def bench_database(settings: Settings, directory: Path) -> Settings:
    """``settings`` with the bench's own editorial database in ``directory`` (the configured one is not touched)."""
    return settings.model_copy(update={"db_url": f"sqlite:///{directory / 'bench-editorial.sqlite3'}"})


def editor_pages(settings: Settings, services: Services) -> list[UIPage]:
    """Accounts and a submitted edit in ``settings.db_url`` (the bench's own database), and the four pages."""
    evidence = next((e for e in services.store.iter_evidence() if e.statement), None)
    if evidence is None:
        raise DataError("the store holds no evidence with a statement; run 'kb ingest all' first")
    db = Database(settings.db_url)
    try:
        db.upgrade()
        accounts = Accounts(db, settings)
        password = secrets.token_urlsafe(16)
        for name, role in (("bench-curator", "curator"), ("bench-editor", "editor")):
            accounts.create_user(name, password, role, actor="kb bench ui")
        curator = accounts.from_token(accounts.login("bench-curator", password)[0])
        workflow = Editorial(db, services.store, lambda: services.vocab, max_data_bytes=settings.submission_max_bytes)
        record = to_dict(evidence)
        words = record["statement"].split()
        record["statement"] = " ".join([*words[: len(words) // 2], "(bench edit)", *words[len(words) // 2 :]])
        draft = workflow.create(curator, "evidence", evidence.id, record, "kb bench ui")
        sub = workflow.submit(curator, draft.id, f'"{draft.version}"')
        token, expires, end, role = accounts.login("bench-editor", password)
    finally:
        db.close()
    session = json.dumps(
        {"token": token, "token_type": "Bearer", "expires_at": expires.isoformat(), "role": role,
         "session_expires_at": end.isoformat(), "username": "bench-editor"}
    )  # fmt: skip
    entry = urlencode({"kind": "evidence", "key": evidence.id})
    return [
        UIPage("editor: queue", "/editor", session),
        UIPage("editor: review", f"/editor/review/{sub.id}", session),
        UIPage("editor: entry", f"/editor/edit?{entry}", session),
        UIPage("editor: history", f"/editor/history?{entry}", session),
    ]
