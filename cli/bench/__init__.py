"""Benchmarks behind ``kb bench``; each prints a table beside a baseline from the same run."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["record_section"]


def record_section(doc: Path, name: str, command: str, table: str) -> None:
    """Write ``table`` under ``command`` into the ``<!-- bench:name -->`` block of ``doc``."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    block = f"<!-- bench:{name} -->\nCommand: `{command}` (run {stamp})\n\n{table}\n<!-- /bench:{name} -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else f"{text.rstrip()}\n\n{block}\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
