"""What every ``kb`` command shares: the consoles, the error translation, the settings and the common options."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from kb.errors import KBError
from kb.settings import Settings, load_settings

__all__ = ["DataOpt", "StoreOpt", "build_settings", "err", "friendly", "out"]

P = ParamSpec("P")
R = TypeVar("R")

err = Console(stderr=True, soft_wrap=True)
out = Console()

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: KB_STORE).")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="Source data folder (default: KB_DATA_DIR).")]


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into a readable message and exit status 2 (never a traceback)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except KBError as exc:
            err.print(f"[bold red]error:[/] {exc.message}")
            raise typer.Exit(2) from exc
        except KeyboardInterrupt:
            err.print("[yellow]interrupted: committed batches are kept; rerun the same command to resume[/]")
            raise typer.Exit(130) from None

    return wrapper


def build_settings(store: str | None = None, data: Path | None = None) -> Settings:
    """The settings from ``KB_*`` variables, with the ``--store`` and ``--data`` options over them."""
    overrides: dict[str, object] = {}
    if store:
        overrides["store"] = store
    if data:
        overrides["data_dir"] = data
    return load_settings(**overrides)
