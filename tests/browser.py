"""Browser fixtures: Debian's Chromium through Playwright, and pages that must load cleanly.

``chromium`` is one headless browser per session (``KB_TEST_CHROMIUM``, default
``/usr/bin/chromium``; ``make browser`` installs it). Without it the tests fail with that hint,
they are never skipped, and Playwright never downloads a browser of its own.

``browser_page`` and the ``new_page`` factory give pages in fresh contexts (zh-CN; 1280x900
unless asked otherwise) that record what must not happen: an uncaught exception, a console
error, or a request that leaves the machine (it is aborted). When the test ends the contexts
are closed and the test fails if anything was recorded. A test that provokes a problem on
purpose asserts on :attr:`BrowserPage.problems` and clears it.

``tests/conftest.py`` registers these fixtures for every test module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Route

from cli.bench.browser import CHROMIUM, chromium_executable, open_chromium
from kb.errors import ConfigError

__all__ = ["BrowserPage", "browser_page", "chromium", "new_page", "report_problems"]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


@dataclass
class BrowserPage:
    """A page in its own browser context, and what went wrong on it so far."""

    page: Page
    context: BrowserContext
    problems: list[str] = field(default_factory=list)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


def report_problems(pages: list[BrowserPage]) -> None:
    """Fail the test when any page recorded a problem, listing them all."""
    problems = [problem for page in pages for problem in page.problems]
    if problems:
        pytest.fail("the browser recorded problems:\n" + "\n".join(f"  {p}" for p in problems), pytrace=False)


def _watch(browser: Browser, *, width: int, height: int, locale: str) -> BrowserPage:
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    problems: list[str] = []

    def guard(route: Route) -> None:
        request = route.request
        if is_local(request.url):
            route.continue_()
        else:
            problems.append(f"outside request (aborted): {request.method} {request.url}")
            route.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url")
            problems.append(f"console error: {message.text}" + (f" ({where})" if where else ""))

    def page_error(error: Error) -> None:
        problems.append(f"page error: {error.name}: {error.message}")

    def watch_page(page: Page) -> None:  # every page of the context, popups included
        page.on("console", console)
        page.on("pageerror", page_error)

    context.route("**/*", guard)
    context.on("page", watch_page)
    return BrowserPage(context.new_page(), context, problems)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Debian Chromium for the session."""
    wanted = Path(os.environ.get("KB_TEST_CHROMIUM", CHROMIUM))
    try:
        path = chromium_executable(wanted)
    except ConfigError as exc:
        missing = f"{exc.message} or set KB_TEST_CHROMIUM"
    else:
        missing = ""
    if missing:
        pytest.fail(missing, pytrace=False)
    with open_chromium(path) as browser:
        yield browser


@pytest.fixture()
def new_page(chromium: Browser) -> Iterator[Callable[..., BrowserPage]]:
    """Makes pages in fresh contexts (a phone viewport, a second user); all are checked at the end."""
    opened: list[BrowserPage] = []

    def make(*, width: int = 1280, height: int = 900, locale: str = "zh-CN") -> BrowserPage:
        page = _watch(chromium, width=width, height=height, locale=locale)
        opened.append(page)
        return page

    yield make
    for page in opened:
        page.context.close()
    report_problems(opened)


@pytest.fixture()
def browser_page(new_page: Callable[..., BrowserPage]) -> BrowserPage:
    """A zh-CN page, 1280x900, that fails the test on a page error, console error or outside request."""
    return new_page()
