"""The browser fixtures on static pages of our own: text renders, and problems are recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.browser import BrowserPage, is_local, report_problems

PAGES = {
    "hello.html": "<p id=hello>你好, genekb</p>",
    "noisy.html": "<p>noisy</p><script>console.error('boom'); setTimeout(() => { throw new Error('kaboom') })</script>",
    "outside.html": "<p>outside</p><img id=logo src='http://example.com/x.png'>",
}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[str]:
    """A stdlib HTTP server on 127.0.0.1 serving ``PAGES`` from a temporary folder."""
    for name, body in PAGES.items():
        (tmp_path / name).write_text(f"<!doctype html><meta charset=utf-8><title>{name}</title>{body}", "utf-8")
    with ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path))) as server:
        thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join(10)


def test_a_page_renders_its_chinese_text_in_a_zh_cn_browser(browser_page: BrowserPage, site: str) -> None:
    page = browser_page.page
    page.goto(f"{site}/hello.html")
    assert page.locator("#hello").inner_text() == "你好, genekb"
    assert page.evaluate("navigator.language") == "zh-CN"
    assert page.evaluate("[innerWidth, innerHeight]") == [1280, 900]
    assert browser_page.problems == []


def test_a_console_error_and_an_uncaught_exception_are_recorded_and_fail_the_check(
    browser_page: BrowserPage, site: str
) -> None:
    page = browser_page.page
    with page.expect_event("pageerror"), page.expect_console_message(lambda m: m.type == "error"):
        page.goto(f"{site}/noisy.html")
    assert any(p.startswith("console error: boom") for p in browser_page.problems), browser_page.problems
    assert "page error: Error: kaboom" in browser_page.problems
    with pytest.raises(pytest.fail.Exception, match="boom"):
        report_problems([browser_page])
    browser_page.problems.clear()


def test_a_request_that_leaves_the_machine_is_aborted_and_recorded(browser_page: BrowserPage, site: str) -> None:
    page = browser_page.page
    with page.expect_console_message(lambda m: "ERR_BLOCKED_BY_CLIENT" in m.text):
        page.goto(f"{site}/outside.html")
    assert page.evaluate("document.getElementById('logo').naturalWidth") == 0
    assert "outside request (aborted): GET http://example.com/x.png" in browser_page.problems
    browser_page.problems.clear()


def test_extra_pages_get_their_own_viewport_locale_and_cookies(
    new_page: Callable[..., BrowserPage], browser_page: BrowserPage, site: str
) -> None:
    phone = new_page(width=375, height=812, locale="en-US")
    for opened in (browser_page, phone):
        opened.page.goto(f"{site}/hello.html")
    browser_page.page.evaluate("document.cookie = 'user=first'")
    assert phone.page.evaluate("[innerWidth, innerHeight, navigator.language]") == [375, 812, "en-US"]
    assert phone.page.evaluate("document.cookie") == ""


def test_only_loopback_and_inline_urls_count_as_local() -> None:
    assert is_local("http://127.0.0.1:8000/static/app.js")
    assert is_local("http://localhost/x")
    assert is_local("http://[::1]:8000/")
    assert is_local("data:image/png;base64,AAAA")
    assert not is_local("https://cdn.jsdelivr.net/npm/x.js")
    assert not is_local("http://127.0.0.1.example.com/")
