"""``kb bench accept``: how long accepting a vocabulary entry (a drug's new Chinese synonym) takes, now that the
services patch the record in place and rebuild in the background, beside the full rebuild inside the accept that
it replaced (the baseline, the same code with the in-place patch turned off), in one run.

Runs on a copy of the SQLite store (SQLite's backup API, safe while a server uses it) and a temporary editorial
database: nothing of the real ones changes.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kb.editorial import etag
from kb.editorial.accounts import Principal
from kb.entities import Entities
from kb.errors import KBError
from kb.query import build_query_index, parse_query
from kb.services import EditorialServices, Services, build_editorial, build_services
from kb.settings import Settings
from kb.suggest import Suggester
from kb.tagging import build_tagger
from kb.vocab import vocabularies_from_store

__all__ = ["accept_bench"]

DRUG = "osimertinib"
T = TypeVar("T")
SETTLE_TIMEOUT = 300.0  # seconds a background rebuild may take before the run gives up


def accept_bench(settings: Settings, runs: int, say: Callable[[str], None]) -> str:
    """The table: per mode, the accept's median and worst seconds, whether the next query understood the new
    synonym, and the seconds until the services were rebuilt in full."""
    if not settings.store.startswith("sqlite:"):
        raise KBError("kb bench accept runs on a copy of the SQLite store; set KB_STORE=sqlite:///…")
    with tempfile.TemporaryDirectory(prefix="kb-bench-accept-") as tmp:
        copy = Path(tmp) / "kb.sqlite3"
        with sqlite3.connect(settings.sqlite_path) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        settings = settings.model_copy(
            update={"store": f"sqlite:///{copy}", "db_url": f"sqlite:///{tmp}/editorial.sqlite3", "work_dir": Path(tmp)}
        )
        say("building the services on a copy of the store")
        services = build_services(settings, embed=False)
        steps = _steps(services)
        editorial = build_editorial(settings, services, deliver=False)
        try:
            author, reviewer = _accounts(editorial)
            patched = editorial.editorial.publisher.on_applied
            rows = []
            for label, on_applied in (
                ("baseline: full rebuild inside the accept", lambda kind, record: False),
                ("patched in place, full rebuild in the background", patched),
            ):
                editorial.editorial.publisher.on_applied = on_applied
                say(label)
                rows.append((label, *_runs(services, editorial, author, reviewer, runs)))
        finally:
            editorial.close()
            services.close()
    lines = [
        f"| mode ({runs} accepts of a drug synonym each) | accept median | accept max | understood by the next query "
        "| fully rebuilt after |",
        "|---|---:|---:|---|---:|",
    ]
    for label, median, worst, understood, settled in rows:
        lines.append(f"| {label} | {median:.2f} s | {worst:.2f} s | {understood}/{runs} | {settled:.1f} s |")
    lines += ["", "| what a full rebuild does, step by step (once, same run) | seconds |", "|---|---:|"]
    lines += [f"| {step} | {seconds:.2f} |" for step, seconds in steps]
    return "\n".join(lines)


def _steps(services: Services) -> list[tuple[str, float]]:
    """Each step of the services' full rebuild (``kb.services._built_from``), timed once."""
    out: list[tuple[str, float]] = []

    def timed(step: str, make: Callable[[], T]) -> T:
        start = time.perf_counter()
        made = make()
        out.append((step, time.perf_counter() - start))
        return made

    vocab = timed("vocabularies_from_store", lambda: vocabularies_from_store(services.store))
    evidence = timed("iter_evidence", lambda: list(services.store.iter_evidence()))
    index = timed("build_query_index", lambda: build_query_index(vocab, evidence))
    timed("Suggester", lambda: Suggester(vocab, prominent={f"gene:{e.gene}" for e in evidence if e.gene}))
    timed("Entities", lambda: Entities(services.store, vocab, dict(index.drug_targets), index.biomarker_evidence))
    timed("build_tagger (the highlighter's, lazy)", lambda: build_tagger(vocab))
    return out


def _accounts(editorial: EditorialServices) -> tuple[Principal, Principal]:
    password = uuid.uuid4().hex
    cur = editorial.accounts.create_user("bench-curator", password, "curator", actor="kb bench accept")
    ed = editorial.accounts.create_user("bench-editor", password, "editor", actor="kb bench accept")
    return (
        Principal("user", cur.id, "bench-curator", "curator", "bench-cur"),
        Principal("user", ed.id, "bench-editor", "editor", "bench-ed"),
    )


def _runs(
    services: Services, editorial: EditorialServices, author: Principal, reviewer: Principal, runs: int
) -> tuple[float, float, int, float]:
    times: list[float] = []
    settle: list[float] = []
    understood = 0
    for _ in range(runs):
        synonym = f"测试药名{uuid.uuid4().int % 10**6:06d}"
        data, _ = editorial.editorial.entry("drug", DRUG)
        if data is None:
            raise KBError(f"the store has no drug {DRUG!r}")
        proposed: dict[str, Any] = data | {"synonyms_zh": [*data["synonyms_zh"], synonym]}
        sub = editorial.editorial.create(author, "drug", DRUG, proposed, "kb bench accept")
        sub = editorial.editorial.submit(author, sub.id, etag(sub.version))
        start = time.perf_counter()
        editorial.editorial.accept(reviewer, sub.id, etag(sub.version))
        times.append(time.perf_counter() - start)
        concepts = parse_query(synonym, services.index).concepts
        understood += any(c.type == "drug" and c.id == DRUG for c in concepts)
        deadline = start + SETTLE_TIMEOUT
        while services.rebuilding and time.perf_counter() < deadline:
            time.sleep(0.05)
        settle.append(time.perf_counter() - start)
    return statistics.median(times), max(times), understood, statistics.median(settle)
