"""The layering the architecture page draws (docs/architecture.md), checked on the code itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "ingest", "api", "cli")
MAX_LINES = 420  # "under about 400 lines" (../shared/STYLE.md)


def imported(path: Path) -> set[str]:
    """Top-level package names a module imports, wherever the import statement sits."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(("package", "above"), [("kb", {"api", "ingest", "cli"}), ("ingest", {"api", "cli"}),
                                                ("api", {"ingest", "cli"})])  # fmt: skip
def test_a_package_never_imports_the_layers_above_it(package: str, above: set[str]) -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(imported(p) & above) for p in modules(package)}
    assert {p: names for p, names in offenders.items() if names} == {}


def test_modules_stay_under_about_400_lines() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for pkg in PACKAGES
             for p in modules(pkg) if "migrations" not in p.parts}  # fmt: skip
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}
