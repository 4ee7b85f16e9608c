"""Docs are checked: every setting and command is documented; README and CI agree."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import typer.main

from cli.main import app
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
    """The quick start is two commands, and CI runs the second one and nothing else."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = re.search(r"^## Quick start\n+```sh\n(.*?)^```", readme, re.M | re.S)
    assert quick_start is not None
    commands = [line.split("#")[0].strip() for line in quick_start.group(1).splitlines()]
    assert commands == ["make run", "make test"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    steps = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert [step for step in steps if not step.startswith(("set ", "cd ", "export "))] == ["make test"]


def test_make_test_sets_up_everything_and_runs_the_whole_gate() -> None:
    """`make test` needs no earlier step: venv, lint, types, browser, then pytest with the servers."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    rule = re.search(r"^test:(.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert rule is not None
    assert rule.group(1).split() == ["install", "lint", "types", "browser"]
    assert rule.group(2).split() == ["scripts/test.sh", "$(ARGS)"]
    assert re.search(r"^check: test$", makefile, re.M)
    assert os.access(REPO / "scripts" / "test.sh", os.X_OK)
