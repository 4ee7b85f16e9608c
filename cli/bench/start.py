"""``kb bench start``: how soon ``make run``'s steps answer a search, from a fresh start.

On a fresh work folder (a fresh SQLite store and editorial database, no exported encoder) it runs what
``make run`` runs after ``make install``, each step a subprocess as a user runs it: ``kb ingest all --if-empty
--no-embed``, then ``kb serve``; and it times, from the start of the first step, when ``/v1/ready`` answers
``ok`` and when ``GET /v1/search`` first answers 200. With ``embed_timeout`` it also waits (bounded) for the
server's background embedder to report ``done``. The baseline is ``kb ingest all --no-embed`` alone, on another
fresh folder, in the same run (after the measured steps, so it never gains from a colder disk cache).

Local only: the server listens on 127.0.0.1 on a free port and is stopped at the end; its output and the
ingest's go to ``<folder>/*.log``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from cli.bench import record_section
from cli.bench.process import free_port, poll_until, stop
from cli.common import DataOpt, build_settings, err, friendly
from kb.errors import DataError, SourceUnavailable

__all__ = ["GOAL_SECONDS", "StartReport", "bench_start", "format_table", "run_start_bench"]

GOAL_SECONDS = 180.0  # the issue: answers searches within 3 minutes of `make run`
QUERY = "EGFR T790M 奥希替尼"
KB = [sys.executable, "-m", "cli.main"]


@dataclass
class StartReport:
    ingest_seconds: float  # make run's ingest step
    ready_seconds: float  # from the start until /v1/ready answers ok
    first_answer_seconds: float  # from the start until /v1/search answers 200
    baseline_seconds: float  # `kb ingest all --no-embed` alone
    counts: dict[str, int] = field(default_factory=dict)  # /v1/ready's counts at the first answer
    embeddings_at_first_answer: dict[str, Any] = field(default_factory=dict)
    embedded_seconds: float | None = None  # from the start until the background embedder was done
    embeddings_at_end: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _env(folder: Path, data_dir: Path, port: int) -> dict[str, str]:
    """The user's environment on a fresh folder: its own store, editorial database, secret and encoder export."""
    env = {k: v for k, v in os.environ.items() if k not in ("KB_MODEL_DIR", "KB_SECRET_KEY")}
    return env | {
        "KB_WORK_DIR": str(folder),
        "KB_STORE": f"sqlite:///{folder / 'kb.sqlite3'}",
        "KB_DB_URL": f"sqlite:///{folder / 'editorial.sqlite3'}",
        "KB_DATA_DIR": str(data_dir),
        "KB_HOST": "127.0.0.1",
        "KB_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }


def _fresh(folder: Path) -> Path:
    if folder.exists() and any(folder.iterdir()):
        raise DataError(f"{folder} is not empty; the bench needs a fresh folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _ingest(args: list[str], env: dict[str, str], log: Path, timeout: float) -> float:
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        try:
            done = subprocess.run(
                [*KB, "ingest", "all", *args, "--no-progress"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SourceUnavailable(f"kb ingest all did not finish within {timeout:.0f}s (see {log})") from exc
    if done.returncode != 0:
        raise DataError(f"kb ingest all failed with status {done.returncode} (see {log})")
    return time.perf_counter() - started


def run_start_bench(
    data_dir: Path,
    *,
    work_dir: Path | None = None,
    timeout: float = 900.0,
    embed_timeout: float = 0.0,
    say: Callable[[str], None] = lambda _: None,
) -> StartReport:
    """Time ``make run``'s steps on a fresh folder, then the baseline; ``say`` hears each step."""
    root = Path(tempfile.mkdtemp(prefix="kb-start-")) if work_dir is None else work_dir
    try:
        return _measure(data_dir, root, timeout, embed_timeout, say)
    finally:
        if work_dir is None:
            shutil.rmtree(root, ignore_errors=True)


def _measure(
    data_dir: Path, root: Path, timeout: float, embed_timeout: float, say: Callable[[str], None]
) -> StartReport:
    run, base = _fresh(root / "make-run"), _fresh(root / "baseline")
    env = _env(run, data_dir, free_port())
    url = f"http://127.0.0.1:{env['KB_PORT']}"
    say(f"make run's steps in {run}: kb ingest all --if-empty --no-embed")
    started = time.monotonic()
    deadline = started + timeout
    ingest_seconds = _ingest(["--if-empty", "--no-embed"], env, run / "ingest.log", timeout)
    say(f"ingest done in {ingest_seconds:.1f}s; kb serve")
    log = run / "serve.log"
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen([*KB, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    moments: dict[str, float] = {}
    seen: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=url, timeout=60.0) as client:

            def answered() -> bool:
                try:
                    if "ready" not in moments:
                        ready = client.get("/v1/ready")
                        if ready.status_code == 200 and ready.json()["status"] == "ok":
                            moments["ready"] = time.monotonic() - started
                    if "ready" in moments and client.get("/v1/search", params={"q": QUERY}).status_code == 200:
                        moments["answer"] = time.monotonic() - started
                        seen.update(client.get("/v1/ready").json())
                        return True
                except httpx.TransportError:
                    pass  # not listening yet
                return False

            what = f"/v1/search did not answer within {timeout:.0f}s"
            poll_until(server, answered, deadline=deadline, what=what, log=log)
            say(f"first answer after {moments['answer']:.1f}s")
            report = StartReport(
                ingest_seconds=ingest_seconds,
                ready_seconds=moments["ready"],
                first_answer_seconds=moments["answer"],
                baseline_seconds=0.0,
                counts=dict(seen.get("counts", {})),
                embeddings_at_first_answer=dict(seen.get("embeddings", {})),
            )
            if embed_timeout > 0:
                say(f"waiting up to {embed_timeout:.0f}s for the background embedder")
                last: dict[str, Any] = {}

                def embedded() -> bool:
                    last.update(client.get("/v1/ready").json()["embeddings"])
                    return last.get("state") == "done"

                end = time.monotonic() + embed_timeout
                try:
                    what = "the embedder was not done"
                    poll_until(server, embedded, deadline=end, what=what, log=log, every=2.0)  # a light probe
                    report.embedded_seconds = time.monotonic() - started
                except SourceUnavailable:
                    say(f"the embedder was not done within {embed_timeout:.0f}s")
                report.embeddings_at_end = dict(last)
    finally:
        stop(server)
    say(f"baseline in {base}: kb ingest all --no-embed")
    report.baseline_seconds = _ingest(["--no-embed"], _env(base, data_dir, free_port()), base / "ingest.log", timeout)
    return report


def _progress(embeddings: dict[str, Any]) -> str:
    kinds = embeddings.get("kinds") or {}
    parts = [f"{kind} {k['embedded']:,}/{k['total']:,}" for kind, k in kinds.items()]
    return f"{embeddings.get('state', '?')}" + (f" ({', '.join(parts)})" if parts else "")


def format_table(report: StartReport) -> str:
    base = report.baseline_seconds or 1.0
    met = "met" if report.first_answer_seconds < GOAL_SECONDS else "**not met**"
    rows = [
        ("`kb ingest all --no-embed` alone (baseline)", report.baseline_seconds, ""),
        ("make run: `kb ingest all --if-empty --no-embed` done", report.ingest_seconds, ""),
        ("make run: `kb serve`, `/v1/ready` answers ok", report.ready_seconds, ""),
        (
            "make run: `kb serve`, first `/v1/search` answer (200)",
            report.first_answer_seconds,
            f"embedder {_progress(report.embeddings_at_first_answer)}",
        ),
    ]
    if report.embeddings_at_end:
        done = report.embedded_seconds
        name = "make run: the background embedder is done" if done is not None else "make run: embedder not done"
        rows.append((name, done if done is not None else 0.0, f"embedder {_progress(report.embeddings_at_end)}"))
    counts = report.counts
    lines = [
        f"Fresh work folder and SQLite store; {counts.get('evidence', 0):,} evidence items, "
        f"{counts.get('articles', 0):,} articles. Goal: first answer within {GOAL_SECONDS:.0f}s of the start: "
        f"{met} ({report.first_answer_seconds:.0f}s).",
        "",
        "| step (seconds from the start) | seconds | vs baseline | embeddings |",
        "|---|---:|---:|---|",
        *(f"| {name} | {s:.1f} | {s / base:.2f}x | {note} |" for name, s, note in rows),
    ]
    return "\n".join(lines)


@friendly
def bench_start(
    work_dir: Annotated[
        Path | None, typer.Option(help="An empty folder to run in and keep (default: a temporary one).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds allowed for the ingest and for the first answer.")] = 900.0,
    embed_timeout: Annotated[
        float, typer.Option(help="Also wait up to this many seconds for the background embedder (0: do not wait).")
    ] = 0.0,
    record: Annotated[
        Path | None, typer.Option("--record", help="Also write the table into this Markdown file (docs/benchmarks.md).")
    ] = None,
    data: DataOpt = None,
) -> None:
    """Seconds from a fresh start of make run's steps to the first /v1/search answer, beside kb ingest alone.

    On a fresh work folder and SQLite store: `kb ingest all --if-empty --no-embed`, then `kb serve` on
    127.0.0.1 (local only), until /v1/ready says ok and /v1/search answers 200; the baseline is
    `kb ingest all --no-embed` alone on another fresh folder. Goal: under 3 minutes.
    """
    settings = build_settings(data=data)
    report = run_start_bench(
        settings.data_dir.resolve(),
        work_dir=work_dir,
        timeout=timeout,
        embed_timeout=embed_timeout,
        say=lambda message: err.print(f"[dim]{message}[/]"),
    )
    table = format_table(report)
    print(table)
    if record:
        flags = f" --embed-timeout {embed_timeout:.0f}" if embed_timeout else ""
        record_section(record, "start", f"kb bench start{flags}", table)
