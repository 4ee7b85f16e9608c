"""Generic loading: batched, idempotent upserts with checkpoints, rejects and progress.

Every ingest job is ``parse(stream) -> records`` fed to :func:`load`. The loader
writes records in batches (one transaction each), writes :class:`Rejected` items
to ``<work_dir>/rejects/<job>.jsonl``, and after each batch stores a checkpoint
(the input's identity and how many items it has consumed) so a killed run
resumes where it stopped, without duplicates or gaps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ingest.records import DeletedCitation, Rejected
from kb.store.base import Backend, UpsertResult

__all__ = ["JobReport", "RejectLog", "load"]

T = TypeVar("T")


class RejectLog:
    """JSON-lines file of rejected items for one job run (created on the first reject)."""

    def __init__(self, path: Path, *, append: bool = False) -> None:
        self.path = path
        self.count = 0
        if path.exists() and not append:
            path.unlink()

    def write(self, item: Rejected) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"source": item.source, "key": item.key, "reason": item.reason}, ensure_ascii=False))
            fh.write("\n")
        self.count += 1


@dataclass
class JobReport:
    """What one job did; :meth:`summary` is the line printed at its end."""

    job: str
    result: UpsertResult = field(default_factory=UpsertResult)
    seen: int = 0
    resumed_from: int = 0
    deleted: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.result.inserted + self.result.updated + self.result.unchanged

    def summary(self) -> str:
        r = self.result
        line = (
            f"{self.job}: {self.stored:,} records ({r.inserted:,} new, {r.updated:,} updated, "
            f"{r.unchanged:,} unchanged)"
        )
        if self.deleted:
            line += f", {self.deleted:,} deleted"
        if self.resumed_from:
            line += f", resumed after {self.resumed_from:,}"
        line += f", {self.rejected:,} rejected"
        if self.rejected and self.rejects_path is not None:
            line += f" (see {self.rejects_path})"
        line += f" in {self.seconds:.1f}s"
        return line


class _Progress:
    """A rich progress bar when enabled, nothing otherwise."""

    def __init__(self, job: str, enabled: bool, total: int | None, console: Console | None) -> None:
        self._bar: Progress | None = None
        if enabled:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[rate]}"),
                console=console or Console(stderr=True),
                transient=False,
            )
            self._task = self._bar.add_task(job, total=total, rate="")
        self._start = time.perf_counter()

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def advance(self, n: int) -> None:
        if self._bar is not None:
            rate = self._bar.tasks[0].completed / max(time.perf_counter() - self._start, 1e-9)
            self._bar.update(self._task, advance=n, rate=f"{rate:,.0f}/s")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


@dataclass
class _Checkpoint:
    identity: str
    position: int
    done: bool

    @classmethod
    def read(cls, raw: str | None) -> _Checkpoint | None:
        if not raw:
            return None
        data = json.loads(raw)
        return cls(str(data["identity"]), int(data["position"]), bool(data["done"]))

    def dump(self) -> str:
        return json.dumps({"identity": self.identity, "position": self.position, "done": self.done})


class _Batch(Generic[T]):
    def __init__(self, write: Callable[[Sequence[T]], UpsertResult]) -> None:
        self.items: list[T] = []
        self.write = write

    def flush(self) -> UpsertResult:
        if not self.items:
            return UpsertResult()
        result = self.write(self.items)
        self.items = []
        return result


def load(
    records: Iterable[T | Rejected | DeletedCitation],
    *,
    job: str,
    store: Backend,
    write: Callable[[Sequence[T]], UpsertResult],
    work_dir: Path,
    identity: str | None = None,
    batch_size: int = 500,
    progress: bool = True,
    total: int | None = None,
    console: Console | None = None,
) -> JobReport:
    """Feed ``records`` to ``write`` in batches and return the job's report.

    ``identity`` names the input (e.g. path, size and mtime). When given, the
    loader resumes a previous unfinished run of the same input by skipping the
    items it already committed, and records progress after every batch.
    """
    report = JobReport(job)
    key = f"load:{job}"
    previous = _Checkpoint.read(store.get_checkpoint(key)) if identity else None
    skip = previous.position if previous and previous.identity == identity and not previous.done else 0
    report.resumed_from = skip
    rejects = RejectLog(work_dir / "rejects" / f"{job}.jsonl", append=skip > 0)
    report.rejects_path = rejects.path
    started = time.perf_counter()
    batch: _Batch[T] = _Batch(write)
    position = 0

    def commit(upto: int) -> None:
        report.result = report.result + batch.flush()
        if identity:
            store.set_checkpoint(key, _Checkpoint(identity, upto, False).dump())

    with _Progress(job, progress, total, console) as bar:
        for item in records:
            position += 1
            if position <= skip:
                continue
            report.seen += 1
            if isinstance(item, Rejected):
                rejects.write(item)
            elif isinstance(item, DeletedCitation):
                commit(position - 1)  # order matters: earlier versions first, then the deletion
                unknown = store.delete_articles([item.pmid])
                if unknown:
                    rejects.write(Rejected(job, item.pmid, "DeleteCitation for a PMID that is not in the store"))
                else:
                    report.deleted += 1
                commit(position)
            else:
                batch.items.append(item)
                if len(batch.items) >= batch_size:
                    commit(position)
            bar.advance(1)
        commit(position)
    if identity:
        store.set_checkpoint(key, _Checkpoint(identity, position, True).dump())
    report.rejected = rejects.count
    report.seconds = time.perf_counter() - started
    return report
