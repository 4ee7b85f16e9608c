"""``kb``: the one command-line entry point of genekb.

Every subcommand builds the settings (``KB_*`` environment variables, overridden
by options) and translates :class:`kb.errors.KBError` into a one-line message
and exit status 2 (:mod:`cli.common`). The commands live in ``cli/*_commands.py``;
this module puts them together, in the order ``kb --help`` lists them.
"""

from __future__ import annotations

import logging
import os

import typer

from cli import (
    accept_commands,
    admin_commands,
    annotate_commands,
    bench_commands,
    digest_commands,
    ingest_commands,
    scale_commands,
    store_commands,
)
from cli.bench.start import bench_start

__all__ = ["app", "main"]

app = typer.Typer(
    name="kb",
    help="genekb: gene-drug knowledge base for oncologists. Ingest sources, inspect the store, run benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest_commands.ingest)
app.command("update")(ingest_commands.update)
app.command("stats")(store_commands.stats)
app.command("reindex")(store_commands.reindex)
app.command("db-upgrade")(admin_commands.db_upgrade)
app.command("embed")(ingest_commands.embed)
app.command("download")(ingest_commands.download)
app.command("serve")(store_commands.serve)
app.command("search")(store_commands.search)
app.command("annotate")(annotate_commands.annotate)
app.command("digest")(digest_commands.digest)

bench_app = typer.Typer(help="Benchmarks that print a table beside a baseline from the same run.", no_args_is_help=True)
bench_app.command("search")(bench_commands.bench_search)
bench_app.command("ingest")(bench_commands.bench_ingest)
bench_app.command("ner")(bench_commands.bench_ner)
bench_app.command("beir")(bench_commands.bench_beir)
bench_app.command("ui")(bench_commands.bench_ui)
bench_app.command("load")(bench_commands.bench_load)
bench_app.command("annotate")(bench_commands.bench_annotate)
bench_app.command("encoder")(bench_commands.bench_encoder)
bench_app.command("ann")(bench_commands.bench_ann)
bench_app.command("start")(bench_start)
bench_app.command("scale")(scale_commands.bench_scale)
bench_app.command("accept")(accept_commands.bench_accept)
app.add_typer(bench_app, name="bench")

users_app = typer.Typer(help="Accounts of the editorial database.", no_args_is_help=True)
users_app.command("create")(admin_commands.users_create)
app.add_typer(users_app, name="users")


def main() -> None:
    """Entry point of the ``kb`` console script."""
    os.umask(0o077)  # the editorial database (password hashes), secret.key, logs and reports: owner only
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
