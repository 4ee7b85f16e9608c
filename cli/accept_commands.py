"""``kb bench accept``: the time of a vocabulary accept (:mod:`cli.bench.accept`), kept apart from
:mod:`cli.bench_commands` so that each module stays small. The benchmark is imported when the command runs."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.bench import record_section
from cli.bench_commands import RecordOpt
from cli.common import StoreOpt, build_settings, err, friendly

__all__ = ["bench_accept"]


@friendly
def bench_accept(
    runs: Annotated[int, typer.Option(min=1, max=50, help="Accepts timed per mode.")] = 5,
    record: RecordOpt = None,
    store: StoreOpt = None,
) -> None:
    """Seconds to accept a drug's new Chinese synonym, patched in place, beside the full rebuild it replaced.

    On a copy of the SQLite store and a temporary editorial database, accepts --runs new synonyms of osimertinib
    with the services' full rebuild inside the accept (the baseline: the code before the in-place patch), then
    --runs with the patch and the rebuild in the background; prints the accept's median and worst time, whether
    the next query understood the synonym and when the full rebuild was done.
    """
    from cli.bench.accept import accept_bench

    table = accept_bench(build_settings(store), runs, lambda message: err.print(f"[dim]{message}[/]"))
    print(table)
    if record:
        record_section(record, "accept", f"kb bench accept --runs {runs}", table)
