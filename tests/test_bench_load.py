"""``kb bench load``: local targets only, bounded in count, and the table it prints, against a live server
(the ``live_api`` fixture of tests/api_server.py, both backends). Figures are measured by the command, never
asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.bench.load import ENDPOINTS, check_local, format_load, load_queries, run_load
from kb.errors import ConfigError
from tests.api_server import LiveServer


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "https://example.org", "http://169.254.169.254/"])
def test_a_load_test_never_targets_another_machine(url: str) -> None:
    with pytest.raises(ConfigError):
        check_local(url)
    with pytest.raises(ConfigError):
        run_load(url, ["EGFR"], ["eg"], concurrency=1, seconds=1, max_requests=1)


def test_the_load_run_is_bounded_and_reports_every_endpoint(live_api: LiveServer, data_dir: Path) -> None:
    queries, prefixes = load_queries(data_dir, limit=5)
    assert any(not q.isascii() for q in queries) and prefixes
    runs = run_load(live_api.url, queries, prefixes, concurrency=3, seconds=30, max_requests=12)
    assert [r.endpoint for r in runs] == list(ENDPOINTS)
    for run in runs:
        answered = len(run.latencies) + run.errors + run.throttled
        assert answered == 12, run  # the cap stops it long before the time is up
        assert run.errors == 0
    table = format_load(runs, concurrency=3, seconds=30)
    assert "`/v1/health` (baseline)" in table and "`/v1/search`" in table and "`/v1/suggest`" in table
