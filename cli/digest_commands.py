"""``kb digest``: the weekly digest of accepted evidence and new articles per topic, as Markdown or HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.common import StoreOpt, build_settings, err, friendly
from kb.errors import DataError
from kb.store import open_store

__all__ = ["digest"]

_SPAN = re.compile(r"([0-9]{1,4})([dh])")


class Format(StrEnum):
    MD = "md"
    HTML = "html"


def since_of(text: str, until: datetime) -> datetime:
    """``7d``, ``36h`` before ``until``, or an ISO date (``2026-11-01``)."""
    if found := _SPAN.fullmatch(text.strip()):
        n, unit = int(found[1]), found[2]
        return until - (timedelta(days=n) if unit == "d" else timedelta(hours=n))
    try:
        day = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise DataError(f"--since takes 7d, 36h or a date such as 2026-11-01, not {text!r}") from exc
    return day if day.tzinfo else day.replace(tzinfo=UTC)


@friendly
def digest(
    since: Annotated[str, typer.Option(help="The window: 7d, 36h, or a date such as 2026-11-01.")] = "7d",
    fmt: Annotated[
        Format, typer.Option("--format", help="md (for editors to send) or html (for the web).")
    ] = Format.MD,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (default: print).")] = None,
    store: StoreOpt = None,
) -> None:
    """The week's accepted evidence and new articles per topic, in sentences (新增证据：… / 新文献：…)."""
    from kb.editorial.db import Database
    from kb.editorial.digest import digest_html, digest_markdown, weekly_digest
    from kb.editorial.follows import Follows
    from kb.vocab import vocabularies_from_store

    settings = build_settings(store)
    until = datetime.now(UTC)
    start = since_of(since, until)
    kb_store = open_store(settings)
    db = Database(settings.db_url)
    try:
        db.upgrade()
        made = weekly_digest(Follows(db, retention_days=settings.search_log_days), kb_store,
                             vocabularies_from_store(kb_store), since=start, until=until)  # fmt: skip
    finally:
        db.close()
        kb_store.close()
    text = digest_markdown(made) if fmt is Format.MD else digest_html(made)
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
    err.print(f"digest: {len(made.topics)} topics, {sum(len(t.evidence) for t in made.topics)} evidence items, "
              f"{sum(len(t.articles) for t in made.topics)} articles since {start.date().isoformat()}")  # fmt: skip
