"""Servers of a benchmark in processes of their own: ``kb serve`` of this checkout, or of another commit
(a git worktree run with the same environment), so that the load generator and the server don't share an
interpreter, and today's code path can be measured beside an earlier one in the same run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli.bench.process import free_port, stop, wait_ready
from kb.errors import ConfigError
from kb.settings import Settings

__all__ = ["REPO", "bench_env", "serve_process", "worktree"]

REPO = Path(__file__).resolve().parents[2]


def bench_env(settings: Settings, tmp: Path, *, workers: int) -> dict[str, str]:
    """The environment of a benchmark server: the store, model and data of ``settings``, a scratch editorial
    database and work dir, no background embedding, and rate limits lifted (a benchmark, not a test)."""
    env = {
        "KB_STORE": settings.store,
        "KB_ES_INDEX_PREFIX": settings.es_index_prefix,
        "KB_DATA_DIR": str(settings.data_dir),
        "KB_MODEL_DIR": str(settings.model_dir),
        "KB_EMBED_MODEL": settings.embed_model,
        "KB_EMBED_BACKEND": settings.embed_backend,
        "KB_DB_URL": f"sqlite:///{tmp}/editorial.sqlite3",
        "KB_WORK_DIR": str(tmp),
        "KB_EMBED_IN_BACKGROUND": "false",
        "KB_WORKERS": str(workers),
        "HF_HUB_OFFLINE": "1",
    }
    for name in type(settings).model_fields:
        if name.endswith("rate_limit"):
            env[f"KB_{name.upper()}"] = "0" if name.startswith("anon") else "100000"
    return env


@contextmanager
def serve_process(
    env: dict[str, str], *, cwd: Path = REPO, embed: bool = True, timeout: float = 600.0
) -> Iterator[str]:
    """``kb serve`` of the checkout at ``cwd`` on a free local port; yields its base URL once ``/v1/ready``
    answers, and stops it on exit (the log is kept beside the scratch database)."""
    port = free_port()
    cmd = [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log_path = Path(env["KB_WORK_DIR"]) / f"serve-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*cmd, *([] if embed else ["--no-embed"])],
            cwd=cwd,
            env={**os.environ, **env, "PYTHONPATH": str(cwd)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, proc, timeout=timeout, log=log_path)
            yield base
        finally:
            stop(proc)


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """A detached git worktree of ``ref`` of this repository, removed on exit."""
    with tempfile.TemporaryDirectory(prefix="kb-bench-ref-") as tmp:
        path = Path(tmp) / "tree"
        done = subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), ref],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ConfigError(f"cannot check out {ref!r} beside this one: {done.stderr.strip()[-300:]}")
        try:
            yield path
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], capture_output=True, check=False
            )
