"""``kb annotate``: annotate a MAF, CNA or fusion file, in-process or through a server's /v1/annotate."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.annotate_batches import MAX_BATCH, Annotate, InProcess, OverHttp, annotate_all, distinct
from cli.annotate_files import build_job, header_doc, read_clinical, read_table, summarise, write_job
from cli.common import DataOpt, StoreOpt, build_settings, err, friendly
from kb.errors import ConfigError, DataError, KBError

if TYPE_CHECKING:
    from kb.services import Services

__all__ = ["annotate"]


class Kind(StrEnum):
    auto = "auto"
    maf = "maf"
    cna = "cna"
    fusion = "fusion"


@friendly
def annotate(
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help="Tab-separated MAF, CNA (matrix or individual) or fusion file.")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the annotated table here (default: standard output).")
    ] = None,
    kind: Annotated[Kind, typer.Option(help="What FILE is; auto tells it by its columns.")] = Kind.auto,
    clinical: Annotated[
        Path | None, typer.Option(help="Clinical file: SAMPLE_ID and ONCOTREE_CODE columns, a tumor per sample.")
    ] = None,
    tumor: Annotated[
        str, typer.Option(help="OncoTree code for rows whose sample has none in --clinical or an ONCOTREE_CODE column.")
    ] = "",
    reference_genome: Annotated[
        str, typer.Option("--reference-genome", help="GRCh37 or GRCh38, for MAF rows without NCBI_Build.")
    ] = "GRCh37",
    url: Annotated[
        str | None, typer.Option(help="Annotate through this server's /v1/annotate (http://host:port) with --key.")
    ] = None,
    key: Annotated[
        str | None, typer.Option(envvar="KB_ANNOTATE_KEY", help="Partner key gk_... for --url (or KB_ANNOTATE_KEY).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=MAX_BATCH, help="Variants per request.")] = MAX_BATCH,
    max_retries: Annotated[int, typer.Option(min=0, max=50, help="Retries of a request (429, 5xx, no answer).")] = 5,
    max_wait: Annotated[float, typer.Option(min=1, help="Longest Retry-After wait to accept, seconds.")] = 300.0,
    doc: Annotated[
        bool, typer.Option("--header-doc/--no-header-doc", help="Write # lines saying what each added column holds.")
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")] = True,
    store: StoreOpt = None,
    data: DataOpt = None,
) -> None:
    """Annotate a MAF, CNA or fusion file with levels, treatments and tests, row by row.

    Every row comes back in its order with columns added: GENE_IN_GENEKB, VARIANT_IN_GENEKB,
    HIGHEST_LEVEL (and _SENSITIVE_, _RESISTANCE_, _DX_, _PX_), LEVEL_1 ... LEVEL_R2 (treatments),
    TX_CITATIONS, GENEKB_LEVELS, TESTS (product suggestions, not evidence), ANNOTATION_PROBLEMS;
    the output's # lines describe each. A CNA matrix (Hugo_Symbol, then -2..2 per sample) comes out
    in the individual format, one row per Deletion (-2) or Amplification (2). The levels are genekb's,
    written in OncoKB's vocabulary. Tumor of a row: --clinical, else its ONCOTREE_CODE, else --tumor.

    By default the configured store is opened in this process (no embedding model). With --url and
    --key the distinct variants go to the server's /v1/annotate in batches of up to 1,000, each item
    costing one request of the key's rate limit; 429s are waited out. A summary goes to stderr.

      kb annotate tumors.maf --clinical clinical.txt -o tumors.genekb.maf

      kb annotate cna.txt --tumor LUAD --url http://127.0.0.1:8000 --key gk_... -o cna.genekb.txt
    """
    if key and not url:
        raise ConfigError("--key is for --url: without --url the store is opened in this process")
    if url and not key:
        raise ConfigError("--url needs a partner key: --key gk_... or KB_ANNOTATE_KEY (anonymous callers can't batch)")
    table = read_table(path)
    tumors = read_clinical(clinical) if clinical else {}
    job = build_job(table, kind.value, tumors, tumor.strip(), reference_genome)
    items, index = distinct(job.queries)
    err.print(f"[dim]{path.name}: {len(job.rows):,} rows read as {job.kind}, {len(items):,} distinct queries[/]")
    run: Annotate
    if url:
        assert key is not None
        client = OverHttp(url, key, max_retries=max_retries, max_wait=max_wait,
                          on_wait=lambda s, why: err.print(f"[yellow]{why}: waiting {s:.0f} s[/]"))  # fmt: skip
        run, where, close = client, url, client.close
    else:
        services = _services(store, data)
        run, where, close = InProcess(services), f"the store {services.settings.store}", services.close
    try:
        with Progress(TextColumn("annotate"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                      disable=not progress, transient=True) as bar:  # fmt: skip
            task = bar.add_task("annotate", total=len(items))
            version, found = annotate_all(
                items, run, batch_size=batch_size, advance=lambda n: bar.advance(task, n)
            ) if items else ("", [])  # fmt: skip
    finally:
        close()
    answers = [found[i] if i is not None else None for i in index]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = header_doc(path.name, job.kind, version or "n/a", where, stamp) if doc else []
    if output is None:
        write_job(sys.stdout, job, answers, lines)
    else:
        _write(output, lambda handle: write_job(handle, job, answers, lines))
    for line in summarise(job, answers, len(items)).lines():
        err.print(f"annotate: {line}")


def _services(store: str | None, data: Path | None) -> Services:
    from kb.services import build_services  # the store and vocabularies load only for this command

    services = build_services(build_settings(store, data), embed=False)
    if not services.store.stats()["evidence"]:
        services.close()
        raise KBError(f"the store at {services.settings.store} holds no evidence; run 'kb ingest all' first")
    return services


def _write(output: Path, fill: Callable[[TextIO], None]) -> None:
    """Write through a temporary file beside ``output``, so a failure never leaves half a table."""
    partial = output.with_name(f".{output.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            fill(handle)
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DataError(f"{output}: {exc.strerror}") from None
