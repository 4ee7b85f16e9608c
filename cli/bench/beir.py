"""``kb bench beir``: any BEIR-format dataset, end to end, through the real ingestion path.

A BEIR dataset is a folder with ``corpus.jsonl[.gz]`` (``_id``, ``title``, ``text``),
``queries.jsonl[.gz]`` (``_id``, ``text``) and ``qrels/<split>.tsv`` (``query-id``,
``corpus-id``, ``score``, with a header line).

The corpus is indexed into a fresh store (a temporary one unless a path is given)
the way ``kb ingest pubmed`` indexes citations: vocabularies (genes, OncoTree,
drugs) from the data folder for the concept tagger, then :class:`ingest.jobs.ArticleWriter`
through :func:`ingest.loader.load` (tagging, FTS5), then the embedding stage of ``kb ingest``
(:func:`cli.ingest_commands.embed_stage`, with its progress bar). Store rows need numeric
PMIDs, so document ``i`` of the corpus (in file order) is stored as PMID ``i`` (1-based)
and mapped back to its BEIR id for scoring.

Rankers, all over the same store in one run:

* ``bm25``: plain BM25 over the analyzed title and abstract (the baseline);
* ``dense``: kNN over the article embeddings only;
* ``full``: the product's article ranking, :meth:`kb.search.SearchService.rank_articles`
  (query understanding, BM25 + kNN fusion, concept boosts).
"""

from __future__ import annotations

import csv
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from cli.bench.metrics import mean, ndcg_at, recall_at
from cli.ingest_commands import embed_stage
from ingest.jobs import ArticleWriter, IngestContext, run_source
from ingest.loader import load
from ingest.sources import open_text
from kb.analysis import analyze
from kb.domain import Article
from kb.embedding import Embedder
from kb.errors import DataError
from kb.search import MAX_QUERY_LENGTH, targets
from kb.settings import Settings
from kb.store.base import ArticleFilter
from kb.store.sqlite import SQLiteStore

__all__ = [
    "BeirDataset",
    "BeirDoc",
    "BeirReport",
    "RankerRow",
    "format_table",
    "load_beir",
    "read_qrels",
    "run_beir_bench",
    "to_articles",
]

#: Vocabulary sources the concept tagger needs (CIViC evidence is not needed).
VOCAB_SOURCES = ("genes", "oncotree", "drugs")
DEPTH = 100  # ranked documents kept per query (R@100 needs 100)
_OWNER = "bench:beir:dataset"  # checkpoint naming the dataset a kept store was built for


@dataclass(frozen=True, slots=True)
class BeirDoc:
    id: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class BeirDataset:
    """One split of a BEIR dataset: the whole corpus, the judged queries and their qrels."""

    name: str
    split: str
    corpus: list[BeirDoc]
    queries: dict[str, str]  # only the queries that have judgements in this split
    qrels: dict[str, dict[str, int]]


def _find(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        if (folder / name).exists():
            return folder / name
    raise DataError(f"{folder} has no {stem}.jsonl or {stem}.jsonl.gz (not a BEIR dataset?)")


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open_text(path, newline=None) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or "_id" not in row:
                raise DataError(f"{path}:{number}: a BEIR row is an object with an '_id'")
            yield row


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """``query-id -> {corpus-id: grade}`` from a BEIR qrels TSV (header line optional)."""
    qrels: dict[str, dict[str, int]] = {}
    with open_text(path) as fh:
        for number, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not row or (number == 1 and not row[-1].strip().lstrip("-").isdigit()):
                continue  # blank line or the header
            if len(row) < 3:
                raise DataError(f"{path}:{number}: expected query-id, corpus-id and score")
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    """Read a BEIR folder; plain and gzipped JSON lines both work."""
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder")
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.exists():
        found = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
        raise DataError(f"{folder} has no qrels/{split}.tsv (splits: {', '.join(found) or 'none'})")
    qrels = read_qrels(qrels_path)
    corpus = [
        BeirDoc(str(r["_id"]), str(r.get("title") or ""), str(r.get("text") or ""))
        for r in _jsonl(_find(folder, "corpus"))
    ]
    all_queries = {str(r["_id"]): str(r.get("text") or "") for r in _jsonl(_find(folder, "queries"))}
    queries = {qid: all_queries[qid] for qid in qrels if qid in all_queries}
    return BeirDataset(folder.name, split, corpus, queries, {q: qrels[q] for q in queries})


def to_articles(corpus: list[BeirDoc]) -> tuple[list[Article], dict[str, str]]:
    """Articles with synthetic PMIDs 1..N in corpus order, and the PMID -> BEIR id map."""
    articles = [Article(pmid=str(i), title=d.title, abstract=d.text) for i, d in enumerate(corpus, start=1)]
    return articles, {a.pmid: d.id for a, d in zip(articles, corpus, strict=True)}


@dataclass
class RankerRow:
    name: str
    queries: int
    ndcg10: float
    recall100: float
    index_docs_per_s: float
    query_ms: float


@dataclass
class BeirReport:
    dataset: str
    split: str
    docs: int
    queries: int
    index_seconds: float
    embed_seconds: float
    embedded: int  # computed in this run (the rest came from the store's cache)
    rows: list[RankerRow] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _TimedEmbedder(Embedder):
    """The ingestion embedder, also counting the seconds spent encoding."""

    seconds = 0.0

    def encode(self, texts: Any) -> Any:
        start = time.perf_counter()
        try:
            return super().encode(texts)
        finally:
            self.seconds += time.perf_counter() - start


def _index(ctx: IngestContext, dataset: BeirDataset, embedder: _TimedEmbedder | None) -> tuple[float, int]:
    """Vocabularies, then the corpus through ArticleWriter: (corpus indexing seconds, embeddings computed).

    A kept store holds one BEIR corpus and nothing else: synthetic PMIDs must never land in a real store.
    """
    owner = ctx.store.get_checkpoint(_OWNER)
    counts = ctx.store.stats()
    if (counts["articles"] or counts["evidence"]) and owner != dataset.name:
        raise DataError(
            f"{ctx.settings.store} already holds other data (owner: {owner or 'not a BEIR bench store'}); "
            "give --keep a file of its own"
        )
    ctx.store.set_checkpoint(_OWNER, dataset.name)
    if not any(True for _ in ctx.store.iter_genes()):
        for source in VOCAB_SOURCES:
            for report in run_source(ctx, source, ctx.settings.data_dir):
                ctx.console.print(report.summary())
    articles, _ = to_articles(dataset.corpus)
    writer = ArticleWriter(ctx.store, ctx.tagger(), None)  # the records first, then the embedding stage
    started = time.perf_counter()
    report = load(
        articles,
        job=f"beir:{dataset.name}",
        store=ctx.store,
        write=writer,
        work_dir=ctx.work_dir,
        batch_size=256,
        progress=ctx.progress,
        total=len(articles),
        console=ctx.console,
    )
    embedded = 0
    if embedder is not None:  # a bar per kind with its rate and ETA (a line every 15 s when not on a terminal)
        stage = embed_stage(ctx.settings, ctx.store, console=ctx.console, progress=ctx.progress, embedder=embedder)
        embedded = stage["articles"]
    seconds = time.perf_counter() - started
    ctx.console.print(f"{report.summary()}; {embedded:,} embeddings computed")
    return seconds, embedded


def _evaluate(
    name: str,
    rank: Callable[[str], list[str]],
    dataset: BeirDataset,
    to_beir: dict[str, str],
    docs_per_s: float,
) -> tuple[RankerRow, dict[str, list[str]]]:
    runs: dict[str, list[str]] = {}
    started = time.perf_counter()
    for qid, text in dataset.queries.items():
        runs[qid] = [to_beir[p] for p in rank(text)[:DEPTH] if p in to_beir]
    ms = (time.perf_counter() - started) * 1000 / max(len(dataset.queries), 1)
    ndcg = [ndcg_at(runs[q], dataset.qrels[q], 10) for q in runs]
    rec = [recall_at(runs[q], dataset.qrels[q], 100) for q in runs]
    return RankerRow(name, len(runs), mean(ndcg), mean(rec), docs_per_s, ms), runs


def run_beir_bench(
    settings: Settings,
    folder: Path,
    *,
    split: str = "test",
    store_path: Path | None = None,
    embed: bool = True,
    progress: bool = True,
    console: Console | None = None,
) -> BeirReport:
    """Index ``folder``'s corpus into a fresh store (kept at ``store_path`` if given) and rank its queries."""
    dataset = load_beir(folder, split)
    if not dataset.queries:
        raise DataError(f"{folder}: no query of qrels/{split}.tsv is in queries.jsonl")
    console = console or Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="kb-beir-") as tmp:
        path = store_path or Path(tmp) / "beir.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        work_dir = path.parent / f"{path.stem}-work"  # rejects and reports of the bench's own ingestion
        run_settings = settings.model_copy(update={"store": f"sqlite:///{path}", "work_dir": work_dir})
        store = SQLiteStore(path)
        try:
            embedder = _TimedEmbedder.from_settings(settings) if embed else None
            ctx = IngestContext(
                run_settings, store, console=console, progress=progress, embed=embed, _embedder=embedder
            )
            seconds, embedded = _index(ctx, dataset, embedder)
            report = BeirReport(
                dataset.name,
                split,
                len(dataset.corpus),
                len(dataset.queries),
                seconds,
                embedder.seconds if embedder else 0.0,
                embedded,
            )
            report.rows = _rank_all(run_settings, store, dataset, report, embed=embed)
        finally:
            store.close()
    return report


def _rank_all(
    settings: Settings, store: SQLiteStore, dataset: BeirDataset, report: BeirReport, *, embed: bool
) -> list[RankerRow]:
    from kb.services import build_services

    services = build_services(settings, embed=embed, store=store)
    search = services.search
    _, to_beir = to_articles(dataset.corpus)
    no_filter = ArticleFilter()
    backend = search.backend
    n = max(report.docs, 1)
    text_rate = n / max(report.index_seconds - report.embed_seconds, 1e-9)
    full_rate = n / max(report.index_seconds, 1e-9)

    def bm25(text: str) -> list[str]:
        return [d for d, _ in backend.bm25_articles(analyze(text), limit=DEPTH, filters=no_filter)]

    def dense(text: str) -> list[str]:
        vector = search.vector(text)
        if vector is None or search.embedder is None:
            return []
        return [d for d, _ in backend.knn_articles(search.embedder.model_name, vector, limit=DEPTH, filters=no_filter)]

    def full(text: str) -> list[str]:
        parsed = search.parse(text[:MAX_QUERY_LENGTH])
        ranked = search.rank_articles(text, targets(parsed, services.index), parsed, [], no_filter, search.vector(text))
        return [pmid for pmid, _, _ in ranked]

    rows = [_evaluate("plain BM25 (baseline)", bm25, dataset, to_beir, text_rate)[0]]
    if embed:
        rows.append(_evaluate("dense kNN only", dense, dataset, to_beir, full_rate)[0])
    rows.append(_evaluate("full pipeline", full, dataset, to_beir, full_rate if embed else text_rate)[0])
    return rows


def format_table(report: BeirReport) -> str:
    base = report.rows[0].ndcg10 or 1.0
    lines = [
        f"BEIR `{report.dataset}`, split `{report.split}`: {report.docs:,} documents, {report.queries:,} queries; "
        f"indexed in {report.index_seconds:.0f}s ({report.embed_seconds:.0f}s of it embeddings).",
        "",
        "| ranker | nDCG@10 | R@100 | nDCG@10 vs BM25 | index docs/s | query ms |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {r.name} | {r.ndcg10:.4f} | {r.recall100:.4f} | {r.ndcg10 / base:.2f}x | "
            f"{r.index_docs_per_s:,.0f} | {r.query_ms:.1f} |"
            for r in report.rows
        ),
    ]
    return "\n".join(lines)
