"""``kb bench ui``: how soon the web UI shows its content in headless Chromium.

The real app is served over HTTP from this process and each page is loaded ``runs`` times in
Debian's Chromium (:mod:`cli.bench.browser`), every load in a fresh browser context, so nothing
is cached in the browser; one untimed load per page first warms the server. Per page, from the
browser's own performance timeline:

* ``first-contentful-paint`` (the paint entry);
* ``domContentLoadedEventEnd`` (the navigation entry);
* the ``genekb:content`` mark, which the UI sets when a route's main content (search results,
  an entity page, an article) is in the DOM. A mark that does not appear within the timeout is
  reported as missing, never as a number.

The baseline is a static page of a few bytes served by the same server (a middleware in front
of the app answers its path), which sets the same mark in an inline script.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cli.bench.http import serve_in_thread
from cli.bench.metrics import percentile
from kb.errors import DataError
from kb.store import Backend

if TYPE_CHECKING:  # Playwright is a dev dependency, imported when a browser is opened
    from playwright.sync_api import Browser, Page

__all__ = [
    "BASELINE_PATH",
    "CONTENT_MARK",
    "SESSION_KEY",
    "PageTimings",
    "UIPage",
    "UIReport",
    "app_pages",
    "format_table",
    "run_ui_bench",
]

CONTENT_MARK = "genekb:content"
SESSION_KEY = "genekb.session"  # where api/web/static/api.js keeps the signed-in session
BUDGET_MS = 1000.0
VIEWPORT = {"width": 1280, "height": 900}
LOCALE = "zh-CN"
SEARCH_QUERY = "EGFR T790M 奥希替尼"
BASELINE_PATH = "/_bench/baseline"
BASELINE_HTML = f"<!doctype html><title>x</title><p>baseline</p><script>performance.mark('{CONTENT_MARK}')</script>"

# Each returns {"ms": startTime} once the entry exists, null before: wait_for_function waits for a truthy value.
_MARK_JS = (
    f"() => {{ const e = performance.getEntriesByName('{CONTENT_MARK}', 'mark')[0];"
    " return e ? {ms: e.startTime} : null; }"
)
_FCP_JS = (
    "() => { const e = performance.getEntriesByName('first-contentful-paint', 'paint')[0];"
    " return e ? {ms: e.startTime} : null; }"
)
_DCL_JS = (
    "() => { const e = performance.getEntriesByType('navigation')[0];"
    " return e && e.domContentLoadedEventEnd > 0 ? {ms: e.domContentLoadedEventEnd} : null; }"
)


@dataclass(frozen=True, slots=True)
class UIPage:
    name: str
    path: str  # as shown in the table; quoted for the request
    session: str = ""  # a signed-in session (JSON, as api.js keeps it) put in localStorage first; "" signed out


@dataclass
class PageTimings:
    """What ``runs`` cold loads of one page measured; a list holds one value per load that had it."""

    page: UIPage
    runs: int = 0
    statuses: list[int] = field(default_factory=list)
    fcp_ms: list[float] = field(default_factory=list)
    dcl_ms: list[float] = field(default_factory=list)
    content_ms: list[float] = field(default_factory=list)
    page_errors: int = 0

    @property
    def missing_marks(self) -> int:
        return self.runs - len(self.content_ms)


@dataclass
class UIReport:
    browser: str
    runs: int
    timeout_s: float
    baseline: PageTimings
    pages: list[PageTimings]


def app_pages(store: Backend) -> list[UIPage]:
    """The pages measured: home, a mixed Chinese-English search, a gene and the store's first article."""
    first = next(iter(store.iter_articles()), None)
    if first is None:
        raise DataError("the store holds no article; run 'kb ingest all' first")
    return [
        UIPage("home", "/"),
        UIPage("search", f"/search?q={SEARCH_QUERY}"),
        UIPage("gene", "/gene/EGFR"),
        UIPage("article", f"/article/{first.pmid}"),
    ]


class _BaselinePage:
    """ASGI middleware in front of the app: answers ``BASELINE_PATH`` with the static page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == BASELINE_PATH:
            await HTMLResponse(BASELINE_HTML)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def run_ui_bench(
    app: FastAPI,
    pages: Sequence[UIPage],
    browser: Browser,
    *,
    runs: int = 20,
    timeout: float = 10.0,
    progress: Callable[[str], None] | None = None,
) -> UIReport:
    """Serve ``app`` (plus the baseline page) and load the baseline and each page ``runs`` times.

    One untimed load of each page first warms the server (the embedding model loads lazily); every
    timed load still starts from a fresh browser context. ``app`` gets the baseline middleware.
    """
    app.add_middleware(_BaselinePage)
    baseline = PageTimings(UIPage("static page (baseline)", BASELINE_PATH))
    measured = [PageTimings(page) for page in pages]
    with serve_in_thread(app) as base_url:
        for timings in [baseline, *measured]:
            if progress is not None:
                progress(f"{timings.page.name}: {runs} loads of {timings.page.path}")
            url = base_url + quote(timings.page.path, safe="/?=&%")
            _load(browser, url, PageTimings(timings.page), timeout)  # warms the server (lazy model), not the browser
            for _ in range(runs):
                _load(browser, url, timings, timeout)
    return UIReport(browser.version, runs, timeout, baseline, measured)


def _load(browser: Browser, url: str, timings: PageTimings, timeout: float) -> None:
    """One cold load in a fresh context; appends what it measured to ``timings``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(locale=LOCALE, viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]})
    try:
        if timings.page.session:  # before the app's scripts run, as if signed in earlier
            context.add_init_script(
                script=f"localStorage.setItem('{SESSION_KEY}', {json.dumps(timings.page.session)});"
            )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(error.message))
        try:
            response = page.goto(url, wait_until="load", timeout=timeout * 1000)
        except PlaywrightTimeout:  # still loading: what did appear is measured below, the status is 0
            response = None
        timings.runs += 1
        timings.statuses.append(response.status if response is not None else 0)
        for values, script in ((timings.content_ms, _MARK_JS), (timings.fcp_ms, _FCP_JS), (timings.dcl_ms, _DCL_JS)):
            found = _wait_for_entry(page, script, timeout)
            if found is not None:
                values.append(found)
        timings.page_errors += len(errors)
    finally:
        context.close()


def _wait_for_entry(page: Page, script: str, timeout: float) -> float | None:
    """The ``ms`` of the entry ``script`` finds, waiting up to ``timeout`` s; None when it never appears."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        handle = page.wait_for_function(script, timeout=timeout * 1000)
    except PlaywrightTimeout:
        return None
    value = handle.json_value()
    return float(value["ms"])


def _cell(values: Sequence[float], p: float) -> str:
    return f"{percentile(values, p):,.0f}" if values else "—"


def _verdict(timings: PageTimings) -> str:
    if timings.missing_marks:
        return f"no: mark missing in {timings.missing_marks} of {timings.runs}"
    return "yes" if percentile(timings.content_ms, 95) <= BUDGET_MS else "no"


def format_table(report: UIReport) -> str:
    rows = [report.baseline, *report.pages]
    lines = [
        f"Headless Chromium {report.browser} (Debian), {report.runs} cold loads per page, each in a fresh browser "
        f"context (viewport {VIEWPORT['width']}×{VIEWPORT['height']}, locale {LOCALE}), from a server in the same "
        "process, after one untimed load per page that warms the server. Times in ms from navigation start, "
        f"median / p95. Content: the `{CONTENT_MARK}` mark the UI sets when the main content is in the DOM "
        f"(— when it did not appear within {report.timeout_s:g} s). The baseline is a static page of "
        f"{len(BASELINE_HTML)} bytes served by the same server, which sets the mark in an inline script.",
        "",
        "| page | path | HTTP | first contentful paint | DOMContentLoaded | content | "
        f"content p95 ≤ {BUDGET_MS:,.0f} ms | page errors |",
        "|---|---|---|---:|---:|---:|---|---:|",
    ]
    for t in rows:
        statuses = ", ".join(str(s) for s in sorted(set(t.statuses))) or "—"
        lines.append(
            f"| {t.page.name} | `{t.page.path}` | {statuses} | {_cell(t.fcp_ms, 50)} / {_cell(t.fcp_ms, 95)} | "
            f"{_cell(t.dcl_ms, 50)} / {_cell(t.dcl_ms, 95)} | {_cell(t.content_ms, 50)} / {_cell(t.content_ms, 95)} | "
            f"{_verdict(t)} | {t.page_errors} |"
        )
    return "\n".join(lines)
