"""Debian's Chromium, driven by Playwright, for ``kb bench ui`` and the browser tests.

Playwright never downloads a browser here: it launches the system's ``/usr/bin/chromium``
(``make browser`` installs it with apt-get) through ``executable_path``, headless, with the
background services that would reach the network switched off.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import ConfigError

if TYPE_CHECKING:  # Playwright is a dev dependency, imported when a browser is opened
    from playwright.sync_api import Browser

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "chromium_executable", "open_chromium"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def chromium_executable(path: Path = CHROMIUM) -> Path:
    """``path`` if it is an executable file, else a :class:`ConfigError` that says how to install it."""
    found = shutil.which(str(path))
    if found is None:
        raise ConfigError(
            f"no Chromium at {path}: run `make browser` (installs Debian's chromium and fonts-noto-cjk)",
            details={"path": str(path)},
        )
    return Path(found)


@contextmanager
def open_chromium(executable: Path = CHROMIUM) -> Iterator[Browser]:
    """A headless Chromium (Playwright's sync API) running ``executable``; closed on exit."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        raise ConfigError("Playwright is not installed: pip install -e '.[dev]'") from exc
    path = chromium_executable(executable)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=path, headless=True, args=list(CHROMIUM_ARGS))
        except Error as exc:
            raise ConfigError(f"Chromium at {path} did not start: {exc.message}", details={"path": str(path)}) from exc
        try:
            yield browser
        finally:
            browser.close()
