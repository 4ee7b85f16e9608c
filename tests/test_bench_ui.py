"""`kb bench ui`: the table's structure on real loads in Chromium (speed is measured by the bench, not here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Browser

from api.app import create_app
from cli.bench.http import serve_in_thread
from cli.bench.ui import (
    BASELINE_PATH,
    SESSION_KEY,
    PageTimings,
    UIPage,
    UIReport,
    app_pages,
    format_table,
    run_ui_bench,
)
from cli.bench.ui_editor import bench_database, editor_pages
from kb.editorial.db import Database
from kb.editorial.db.models import Submission
from kb.services import build_services
from kb.settings import Settings
from kb.store import Backend, SQLiteStore


def _positive(values: list[float]) -> bool:
    return len(values) == 1 and values[0] > 0


def test_the_baseline_page_is_served_beside_the_app_and_sets_the_content_mark(
    settings: Settings, store: SQLiteStore, chromium: Browser
) -> None:
    app = create_app(settings, services=build_services(settings, embed=False, store=store))
    report = run_ui_bench(app, [], chromium, runs=2)
    assert report.pages == [] and report.runs == 2
    baseline = report.baseline
    assert baseline.page.path == BASELINE_PATH and baseline.statuses == [200, 200]
    for values in (baseline.fcp_ms, baseline.dcl_ms, baseline.content_ms):
        assert len(values) == 2 and all(v > 0 for v in values)
    assert baseline.missing_marks == 0 and baseline.page_errors == 0


def test_every_app_page_is_loaded_and_shows_its_content_mark(
    full_store: Callable[[str], tuple[Settings, Backend]], chromium: Browser
) -> None:
    settings, store = full_store("sqlite")
    pages = app_pages(store)
    app = create_app(settings, services=build_services(settings, embed=False, store=store))
    report = run_ui_bench(app, pages, chromium, runs=1)
    assert [t.page.name for t in report.pages] == ["home", "search", "gene", "article"]
    assert report.pages[-1].page.path == f"/article/{next(iter(store.iter_articles())).pmid}"
    table = format_table(report)
    for timings in [report.baseline, *report.pages]:
        name = timings.page.name
        assert timings.runs == 1 and timings.statuses == [200], (name, timings.statuses)
        assert _positive(timings.fcp_ms) and _positive(timings.dcl_ms), name
        assert _positive(timings.content_ms), f"{name}: no 'genekb:content' mark"
        assert timings.page_errors == 0, name
        assert f"| {name} | `{timings.page.path}` | 200 |" in table


def test_a_missing_mark_is_reported_as_missing_not_as_a_number() -> None:
    seen = PageTimings(UIPage("gene", "/gene/EGFR"), runs=2, statuses=[200, 200], fcp_ms=[50.0, 70.0])
    seen.dcl_ms = [40.0, 60.0]
    seen.content_ms = [300.0]
    baseline = PageTimings(UIPage("static page (baseline)", BASELINE_PATH), runs=2, statuses=[200, 200])
    baseline.fcp_ms = baseline.dcl_ms = baseline.content_ms = [10.0, 12.0]
    table = format_table(UIReport("156.0", 2, 10.0, baseline, [seen]))
    assert "| gene | `/gene/EGFR` | 200 | 50 / 70 | 40 / 60 | 300 / 300 | no: mark missing in 1 of 2 | 0 |" in table
    assert f"| static page (baseline) | `{BASELINE_PATH}` | 200 | 10 / 12 | 10 / 12 | 10 / 12 | yes | 0 |" in table


def test_the_editor_pages_are_loaded_signed_in_as_an_editor_over_the_benchs_own_database(
    full_store: Callable[[str], tuple[Settings, Backend]], chromium: Browser, tmp_path: Path
) -> None:
    settings, store = full_store("sqlite")
    settings = bench_database(settings, tmp_path)
    services = build_services(settings, embed=False, store=store)
    pages = editor_pages(settings, services)
    assert [p.name for p in pages] == ["editor: queue", "editor: review", "editor: entry", "editor: history"]
    assert all(json.loads(p.session)["role"] == "editor" for p in pages)
    report = run_ui_bench(create_app(settings, services=services), pages, chromium, runs=1)
    for timings in report.pages:
        assert timings.statuses == [200] and _positive(timings.content_ms), timings.page.name
        assert timings.page_errors == 0, timings.page.name
    with serve_in_thread(create_app(settings, services=services)) as url:  # the session signs the page in
        context = chromium.new_context()
        context.add_init_script(script=f"localStorage.setItem('{SESSION_KEY}', {json.dumps(pages[0].session)});")
        page = context.new_page()
        page.goto(url + pages[0].path)
        page.wait_for_selector("table.queue tbody tr")
        assert "bench-curator" in page.inner_text("table.queue") and page.locator("main .error").count() == 0
        context.close()
    with Database(settings.db_url).session() as s:  # the bench's own database holds the edit, and nothing else did
        assert s.scalar(sa.select(sa.func.count()).select_from(Submission)) == 1
