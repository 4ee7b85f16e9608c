"""``kb bench annotate``: 1,000-variant batches through ``POST /v1/annotate``, beside one ``/v1/search``.

The batch is built from the store, deterministically, as a sequencing file looks: curated variants of the
evidence in their tumors (some written as three-letter HGVSp), variants of the same genes that no evidence is
about (most of a real MAF), GRCh37 genomic changes of CIViC's variant summaries, and a few rows with problems
(an unknown gene, an unknown tumor). Each run posts the whole batch; the same number of single ``/v1/search``
requests in the same run are the baseline, and ``Annotator.annotate`` in this process (a fresh annotator per
run, as the server makes per request) shows the cost of HTTP and JSON.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import httpx

from cli.bench.metrics import percentile
from kb.annotate import AnnotationQuery
from kb.services import Services

__all__ = ["AnnotateRun", "format_annotate", "realistic_batch", "run_annotate_bench"]

_THREE = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly",
          "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser",
          "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val"}  # fmt: skip
_SEARCHES = ("EGFR L858R", "BRAF V600E melanoma", "KRAS G12C 肺癌", "ERBB2 amplification breast", "ALK fusion")
SHARES = {"curated": 0.6, "uncurated": 0.25, "genomic": 0.1, "problem": 0.05}  # of a batch


@dataclass
class AnnotateRun:
    name: str
    items: int  # per call
    latencies: list[float] = field(default_factory=list)  # seconds per call
    errors: int = 0
    with_problems: int = 0  # items answered with problems (last call)


def realistic_batch(services: Services, size: int = 1000, seed: int = 7) -> tuple[list[dict[str, str]], dict[str, int]]:
    """``size`` items of /v1/annotate in the :data:`SHARES` of each sort, and how many of each."""
    rng = random.Random(seed)
    evidence = [e for e in services.store.iter_evidence() if e.gene and e.alteration.kind.value != "other"]
    curated = sorted({(e.gene, e.alteration.label or e.alteration.name, e.tumor_code or "") for e in evidence})
    genes = sorted({g for g, _, _ in curated})
    tumors = sorted({t for _, _, t in curated if t})
    genomic = list(services.annotator().genomic.variants)
    counts = {kind: int(size * share) for kind, share in SHARES.items()}
    counts["curated"] += size - sum(counts.values())
    items: list[dict[str, str]] = []
    for gene, alteration, tumor in rng.sample(curated, min(counts["curated"], len(curated))):
        items.append({"gene": gene, "alteration": _three_letter(alteration, rng), "tumor": tumor})
    for _ in range(counts["uncurated"]):
        ref, alt = rng.sample(sorted(_THREE), 2)
        items.append({"gene": rng.choice(genes), "alteration": f"p.{ref}{rng.randint(2, 1200)}{alt}",
                      "tumor": rng.choice(tumors), "consequence": "missense_variant"})  # fmt: skip
    for variant in rng.sample(genomic, min(counts["genomic"], len(genomic))):
        chrom, start, end, ref, alt = variant.change
        items.append({"genomicChange": f"{chrom},{start},{end},{ref or '-'},{alt or '-'}", "tumor": rng.choice(tumors)})
    for i in range(size - len(items)):
        gene, alteration, _ = rng.choice(curated)
        bad = {"gene": f"NOTAGENE{i}"} if i % 2 else {"gene": gene, "tumor": f"XQ{i}"}
        items.append({"alteration": alteration, "tumor": rng.choice(tumors), **bad})
    rng.shuffle(items)
    return [{"id": str(i), **item} for i, item in enumerate(items)], counts


def _three_letter(alteration: str, rng: random.Random) -> str:
    """Every third simple protein change as three-letter HGVSp (p.Leu858Arg), as MAFs write HGVSp."""
    simple = len(alteration) >= 3 and alteration[1:-1].isdigit()
    if simple and alteration[0] in _THREE and alteration[-1] in _THREE and rng.random() < 1 / 3:
        return f"p.{_THREE[alteration[0]]}{alteration[1:-1]}{_THREE[alteration[-1]]}"
    return alteration


def run_annotate_bench(
    services: Services,
    base_url: str,
    key: str,
    items: list[dict[str, str]],
    *,
    runs: int = 20,
    progress: Callable[[str], None] | None = None,
) -> list[AnnotateRun]:
    """``runs`` single searches (baseline), ``runs`` batches over HTTP and ``runs`` in process, each warmed once."""
    search = AnnotateRun("`GET /v1/search`, one query (baseline)", 1)
    batch = AnnotateRun(f"`POST /v1/annotate`, {len(items):,} items", len(items))
    local = AnnotateRun(f"`Annotator.annotate` in process, {len(items):,} items", len(items))
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=120.0, headers=headers) as client:
        client.get("/v1/search", params={"q": _SEARCHES[0]})  # untimed: warm the server up
        client.post("/v1/annotate", json={"items": items})
        for i in range(runs):
            params: dict[str, str | int] = {"q": _SEARCHES[i % len(_SEARCHES)], "size": 10}
            _timed(search, partial(client.get, "/v1/search", params=params))
            answer = _timed(batch, partial(client.post, "/v1/annotate", json={"items": items}))
            if answer is not None:
                batch.with_problems = int(answer.json()["with_problems"])
            if progress:
                progress(f"run {i + 1}/{runs}: batch {batch.latencies[-1] * 1000 if batch.latencies else 0:.0f} ms")
    queries = [_query(item) for item in items]
    services.annotator().annotate(queries)  # untimed
    for _ in range(runs):
        start = time.perf_counter()
        found = services.annotator().annotate(queries)
        local.latencies.append(time.perf_counter() - start)
        local.with_problems = sum(1 for a in found if a.problems)
    return [search, batch, local]


def _timed(run: AnnotateRun, call: Callable[[], httpx.Response]) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        answer = call()
    except httpx.HTTPError:
        run.errors += 1
        return None
    took = time.perf_counter() - start
    if answer.status_code != 200:
        run.errors += 1
        return None
    run.latencies.append(took)
    return answer


def _query(item: dict[str, str]) -> AnnotationQuery:
    return AnnotationQuery(id=item["id"], gene=item.get("gene", ""), alteration=item.get("alteration", ""),
                           tumor=item.get("tumor", ""), consequence=item.get("consequence", ""),
                           genomic=item.get("genomicChange", ""))  # fmt: skip


def format_annotate(runs: list[AnnotateRun], counts: dict[str, int], *, goal_seconds: float = 2.0) -> str:
    size = runs[1].items
    mix = ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
    base = percentile([x * 1000 for x in runs[0].latencies], 50) or 1.0
    lines = [
        f"{size:,}-item batches ({mix}; {runs[1].with_problems} answered with problems), {len(runs[1].latencies)} "
        "timed runs each after one untimed, over HTTP on 127.0.0.1; one `/v1/search` in the same run is the baseline.",
        "",
        "| call | calls | errors | p50 (ms) | p95 (ms) | per item p50 (ms) | p50 vs one search |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        ms = [x * 1000 for x in run.latencies]
        p50, p95 = (percentile(ms, 50), percentile(ms, 95)) if ms else (0.0, 0.0)
        lines.append(f"| {run.name} | {len(ms)} | {run.errors} | {p50:.1f} | {p95:.1f} | {p50 / run.items:.2f} | "
                     f"{p50 / base:.1f}x |")  # fmt: skip
    p95 = percentile([x * 1000 for x in runs[1].latencies], 95) / 1000 if runs[1].latencies else float("inf")
    verdict = "met" if p95 < goal_seconds else "not met"
    lines += ["", f"Goal: {size:,} items in under {goal_seconds:g} s over HTTP (p95): {verdict} ({p95:.2f} s)."]
    return "\n".join(lines)
