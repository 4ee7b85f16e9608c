"""The web pages: one HTML shell for every page path; the pages themselves run in the browser.

The shell already holds the header and the search box, so the first paint is useful before any
script runs; ``/static`` serves the scripts and styles from the package (no CDN). Pages get a strict
Content-Security-Policy: scripts, styles and requests only from this origin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["PAGE_PATHS", "install_pages"]

WEB = Path(__file__).resolve().parent.parent / "web"
PAGE_PATHS = (
    "/",
    "/search",
    "/gene/{key}",
    "/tumor/{key}",
    "/drug/{key}",
    "/biomarker/{key}",
    "/article/{key}",
    "/feed",
    "/reading",
    "/reading/{key}",
    "/login",
    "/editor",
    "/editor/review/{key}",
    "/editor/edit",
    "/editor/gaps",
    "/editor/bulk",
    "/editor/history",
)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


def install_pages(app: FastAPI) -> None:
    """Serve the shell on every page path and the assets under ``/static``."""
    shell = (WEB / "index.html").read_text(encoding="utf-8")
    router = APIRouter(include_in_schema=False)

    async def page() -> HTMLResponse:
        return HTMLResponse(shell, headers=SECURITY_HEADERS)

    for path in PAGE_PATHS:
        router.add_api_route(path, page, methods=["GET"], response_class=HTMLResponse)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
