"""Docs are checked: every setting and command is documented; README and CI agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from kb.cli import app
from kb.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def _commands(group: Any, prefix: str = "kb") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.update(_commands(command, f"{prefix} {name}"))
        else:
            found[f"{prefix} {name}"] = command
    return found


def test_every_setting_is_documented() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [f"KB_{name.upper()}" for name in Settings.model_fields if f"`KB_{name.upper()}`" not in text]
    assert missing == []


def test_every_cli_command_is_documented_with_its_summary() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = _commands(typer.main.get_command(app))
    assert len(commands) >= 6
    for name, command in commands.items():
        assert f"`{name}" in text, f"{name} is not in docs/cli.md"
        summary = (command.help or "").strip().splitlines()[0]
        assert summary in text, f"the summary of {name} in docs/cli.md is stale: {summary!r}"


def test_ci_runs_the_test_command_that_the_readme_gives() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    gate = re.search(r"^(make \w+)\s+# ruff, mypy --strict and pytest", readme, re.M)
    assert gate is not None
    assert re.search(rf"^{gate.group(1)}$", ci, re.M)
