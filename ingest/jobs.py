"""The ingest jobs behind ``kb ingest <source>``: each one streams a source through
its parser into :func:`ingest.loader.load`."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from rich.console import Console

from ingest.biomarkers import ingest_biomarkers
from ingest.catalogue import parse_catalogue
from ingest.civic import DiseaseMap, assertions_beside, parse_civic
from ingest.curated import Curated, Finished, finish, load_curated, overlay
from ingest.genes import parse_genes, with_chinese_names
from ingest.loader import JobReport, load
from ingest.oncotree import parse_oncotree
from ingest.oncotree import with_chinese_names as tumor_with_chinese_names
from ingest.pubmed import parse_pubmed
from ingest.records import DeletedCitation, Rejected
from ingest.regulatory import ingest_regulatory
from ingest.sources import open_source, open_text
from ingest.vocabularies import SourcePaths, read_drugs
from kb.analysis import evidence_text
from kb.domain import Article, Evidence, Gene, TumorType
from kb.embedding import Embedder, embed_with_cache
from kb.errors import DataError, ParseError
from kb.kinds import KINDS
from kb.settings import Settings
from kb.store.base import Backend, UpsertResult
from kb.vocab import authored, vocabularies_from_store
from kb.vocab.genes import load_gene_zh
from kb.vocab.tumors import load_tumor_zh

if TYPE_CHECKING:
    from kb.tagging import ConceptTagger

__all__ = ["SOURCES", "ArticleWriter", "IngestContext", "SourceJob", "ingest_all", "run_source"]


@dataclass
class IngestContext:
    """What every job needs: settings, the store, and how to report."""

    settings: Settings
    store: Backend
    console: Console = field(default_factory=lambda: Console(stderr=True))
    progress: bool = True
    embed: bool = True
    _tagger: ConceptTagger | None = None
    _embedder: Embedder | None = None
    _curated: Curated | None = None

    @property
    def work_dir(self) -> Path:
        return self.settings.work_dir

    def tagger(self) -> ConceptTagger:
        """The concept tagger, built once from the vocabularies in the store."""
        if self._tagger is None:
            from kb.tagging import build_tagger

            self._tagger = build_tagger(vocabularies_from_store(self.store))
        return self._tagger

    def load(self, records: Iterable[Any], *, job: str, write: Callable[[Sequence[Any]], UpsertResult],
             **options: Any) -> JobReport:  # fmt: skip
        """:func:`ingest.loader.load` into this store, with this context's work folder, progress and console."""
        options.setdefault("progress", self.progress)
        options.setdefault("console", self.console)
        return load(records, job=job, store=self.store, write=write, work_dir=self.work_dir, **options)

    def curated(self) -> Curated:
        """The editorial database's published entries, read once (they win over the sources)."""
        if self._curated is None:
            self._curated = load_curated(self.settings, self.store)
        return self._curated

    def writer(self, kind: str) -> Callable[[Sequence[Any]], UpsertResult]:
        """The store's writer of ``kind`` (see :mod:`kb.kinds`), with curated entries in place of the source's."""
        spec = KINDS[kind]
        return lambda records: spec.write(self.store, overlay(self.curated(), kind, records))

    def finish(self, source: str, before: str) -> Finished:
        """After the jobs: curated entries applied again, a moved data version announced to partners."""
        done = finish(self.settings, self.store, source, before)
        self._curated = None
        self.console.print(done.summary())
        return done

    def embedder(self) -> Embedder | None:
        if not self.embed:
            return None
        if self._embedder is None:
            self._embedder = Embedder.from_settings(self.settings)
        return self._embedder


def _identity(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{int(stat.st_mtime)}"


def _only(kind: type, records: Iterable[object]) -> Iterator[object]:
    """Pass records of ``kind`` and the Rejected ones, nothing else."""
    for record in records:
        if isinstance(record, (kind, Rejected)):
            yield record


# -- vocabularies -----------------------------------------------------------------------------------
def ingest_genes(ctx: IngestContext, path: Path) -> JobReport:
    zh = load_gene_zh(authored("genes_zh.tsv"))
    with open_text(path) as fh:
        records = (with_chinese_names(r, zh) if isinstance(r, Gene) else r for r in parse_genes(fh))
        return ctx.load(
            records,
            job="genes",
            write=ctx.writer("gene"),
            identity=_identity(path),
            batch_size=2000,
        )


def ingest_oncotree(ctx: IngestContext, path: Path) -> JobReport:
    table = load_tumor_zh(authored("tumors_zh.tsv"))
    with open_source(path) as fh:
        nodes = [r for r in parse_oncotree(fh)]
    codes = {n.code for n in nodes if isinstance(n, TumorType)}
    unknown = [
        Rejected("oncotree", code, "tumors_zh.tsv names a code that OncoTree lacks")
        for code in table
        if code not in codes
    ]
    records = [tumor_with_chinese_names(n, table) if isinstance(n, TumorType) else n for n in nodes]
    return ctx.load(
        [*records, *unknown],
        job="oncotree",
        write=ctx.writer("tumor"),
    )


def ingest_drugs(ctx: IngestContext, paths: SourcePaths) -> JobReport:
    return ctx.load(
        read_drugs(paths),
        job="drugs",
        write=ctx.writer("drug"),
    )


# -- curated evidence and the catalogue -------------------------------------------------------------
def ingest_civic(ctx: IngestContext, path: Path) -> JobReport:
    diseases = DiseaseMap.load(authored("civic_disease_oncotree.tsv"))
    assertions = assertions_beside(path)
    unmapped: Counter[tuple[str, str]] = Counter()
    vocab = vocabularies_from_store(ctx.store)
    genes = vocab.genes

    def drug(inn: str) -> str:
        found = vocab.drugs.lookup(inn)
        return found[0] if len(found) == 1 else inn

    def checked(records: Iterable[Evidence | Rejected]) -> Iterator[Evidence | Rejected]:
        for item in records:
            if isinstance(item, Evidence):
                item = replace(item, drugs=tuple(dict.fromkeys(drug(d) for d in item.drugs)),
                               assertions=assertions.get(item.id, ()))  # fmt: skip
                if item.tumor_code is None:
                    unmapped[(item.doid, item.disease)] += 1
                if item.gene not in genes and len(genes):
                    match = genes.lookup(item.gene)
                    if match is None or match.symbol is None:
                        yield Rejected("civic", item.id, f"gene {item.gene!r} is not an HGNC symbol")
                        continue
                    item = replace(item, gene=match.symbol, alteration=replace(item.alteration, gene=match.symbol))
            yield item

    with open_text(path) as fh:
        report = ctx.load(
            checked(parse_civic(fh, diseases)),
            job="civic",
            write=ctx.writer("evidence"),
            identity=_identity(path),
        )
    out = ctx.work_dir / "reports" / "civic-unmapped-diseases.tsv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["doid", "disease", "evidence_items"])
        writer.writerows([doid, name, n] for (doid, name), n in unmapped.most_common())
    if unmapped:
        report.notes.append(f"{len(unmapped)} CIViC diseases have no OncoTree code (see {out})")
    embedded = embed_evidence(ctx)
    if embedded:
        report.notes.append(f"{embedded:,} evidence statements embedded (others came from the cache)")
    return report


def embed_evidence(ctx: IngestContext, batch: int = 256) -> int:
    """Embed evidence statements that have no vector yet (for dense retrieval over evidence)."""
    embedder = ctx.embedder()
    if embedder is None:
        return 0
    done = 0
    while items := ctx.store.evidence_missing_embeddings(embedder.model_name, batch):
        _, fresh = embed_with_cache(ctx.store, embedder, [evidence_text(e) for e in items])
        done += fresh
        if not fresh:
            break
    return done


def ingest_catalogue(ctx: IngestContext, path: Path) -> JobReport:
    vocab, data_dir = vocabularies_from_store(ctx.store), ctx.settings.data_dir
    codes, genes = {t.code for t in ctx.store.iter_tumors()}, vocab.genes if len(vocab.genes) else None
    with path.open(encoding="utf-8") as fh:
        records = list(
            parse_catalogue(fh, data_dir=data_dir, tumor_codes=codes, genes=genes, biomarkers=vocab.biomarkers)
        )
    return ctx.load(
        records,
        job="catalogue",
        write=ctx.writer("test"),
    )


# -- literature -------------------------------------------------------------------------------------
class ArticleWriter:
    """Tag, embed and store a batch of articles (embeddings first, so a kill never loses them)."""

    def __init__(self, store: Backend, tagger: ConceptTagger | None, embedder: Embedder | None) -> None:
        self.store = store
        self.tagger = tagger
        self.embedder = embedder
        self.embedded = 0

    def __call__(self, batch: Sequence[Article]) -> UpsertResult:
        texts = [a.text for a in batch]
        if self.tagger is not None:
            batch = [
                replace(a, concepts=tuple(sorted({m.concept_id for m in mentions})))
                for a, mentions in zip(batch, self.tagger.tag_many(texts), strict=True)
            ]
        if self.embedder is not None:
            _, fresh = embed_with_cache(self.store, self.embedder, texts)
            self.embedded += fresh
        return self.store.upsert_articles(batch)


def pubmed_files(path: Path) -> list[Path]:
    """The XML files of a folder (``*.xml``, ``*.xml.gz``), or the single file given."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.name.endswith((".xml", ".xml.gz")))
    return [path]


def ingest_pubmed_files(ctx: IngestContext, paths: Sequence[Path], *, tag: bool = True) -> list[JobReport]:
    writer = ArticleWriter(ctx.store, ctx.tagger() if tag else None, ctx.embedder())
    reports = []
    for path in paths:
        try:
            with open_source(path) as fh:
                records = parse_pubmed(fh, source_name=path.name)
                report = ctx.load(
                    records,
                    job=f"pubmed:{path.name}",
                    write=writer,
                    identity=_identity(path),
                    batch_size=256,
                )
        except ParseError as exc:
            report = ctx.load(
                [Rejected("pubmed", path.name, exc.message)],
                job=f"pubmed:{path.name}",
                write=writer,
                progress=False,
            )
        if writer.embedder is not None:
            report.notes.append(f"{writer.embedded:,} embeddings computed (others came from the cache)")
            writer.embedded = 0
        reports.append(report)
    return reports


def ingest_pubmed_live(
    ctx: IngestContext, term: str, *, since: date | None, until: date | None = None, tag: bool = True,
    finish: bool = True,
) -> JobReport:  # fmt: skip
    """esearch + efetch through E-utilities; resumes from the last committed batch; then (``finish``) the
    curated-entries step."""
    from ingest.entrez import EntrezClient

    before = ctx.store.data_version()
    client = EntrezClient(ctx.settings)
    until = until or date.today()  # a fixed window, so a resumed run sees the same result list
    writer = ArticleWriter(ctx.store, ctx.tagger() if tag else None, ctx.embedder())
    key = f"entrez:{term}:{since}:{until}"
    start = int(ctx.store.get_checkpoint(key) or 0)

    def records() -> Iterator[Article | DeletedCitation | Rejected]:
        pending_start = start
        for next_start, record in client.iter_articles(term, since=since, until=until, start=start):
            if next_start != pending_start:
                ctx.store.set_checkpoint(key, str(pending_start))
                pending_start = next_start
            yield record

    report = ctx.load(
        records(),
        job="pubmed:entrez",
        write=writer,
        batch_size=ctx.settings.ncbi_batch_size,
    )
    ctx.store.set_checkpoint(key, None)
    if finish:
        ctx.finish("pubmed", before)
    return report


# -- the registry -----------------------------------------------------------------------------------
Job = Callable[[IngestContext, Path], list[JobReport]]


@dataclass(frozen=True)
class SourceJob:
    """One source of ``kb ingest``: the job that loads it and the file (or folder) it reads by default."""

    run: Job
    locate: Callable[[SourcePaths], Path | None]
    """The default input under the data folder; ``--path`` replaces it."""
    what: str
    """What that input is, for the error when it is missing: "no {what} file found under {data_dir}"."""
    required: bool = True
    """False when the job copes with a missing input itself (the drug tables, the packaged catalogue)."""


def _one(job: Callable[[IngestContext, Path], JobReport]) -> Job:
    return lambda ctx, path: [job(ctx, path)]


def _drugs(ctx: IngestContext, data_dir: Path) -> list[JobReport]:
    return [ingest_drugs(ctx, SourcePaths(data_dir))]


def _pubmed(ctx: IngestContext, path: Path) -> list[JobReport]:
    return ingest_pubmed_files(ctx, pubmed_files(path))


SOURCES: Mapping[str, SourceJob] = MappingProxyType(
    {  # in dependency order: vocabularies, biomarkers and their facts, evidence, catalogue, literature
        "genes": SourceJob(_one(ingest_genes), lambda paths: paths.genes, "gene"),
        "oncotree": SourceJob(_one(ingest_oncotree), lambda paths: paths.oncotree, "OncoTree JSON"),
        "drugs": SourceJob(_drugs, lambda paths: paths.data_dir, "drug tables", required=False),
        "biomarkers": SourceJob(
            partial(ingest_biomarkers, embed=embed_evidence), lambda _: authored("biomarkers.tsv"), "biomarker", False
        ),
        "civic": SourceJob(_one(ingest_civic), lambda paths: paths.civic_evidence, "CIViC evidence"),
        "regulatory": SourceJob(ingest_regulatory, lambda paths: paths.drugs_zh, "NHC 2024 drug table", False),
        "catalogue": SourceJob(
            _one(ingest_catalogue), lambda paths: authored("test_catalogue.yaml"), "test catalogue", required=False
        ),
        "pubmed": SourceJob(_pubmed, lambda paths: paths.pubmed_dir, "PubMed XML"),
    }
)
"""Every ingest source by name, in the order ``ingest_all`` runs them."""


def run_source(ctx: IngestContext, source: str, data_dir: Path, path: Path | None = None) -> list[JobReport]:
    """Run one named source job with its default file under ``data_dir`` (or ``path``), then the
    curated-entries step (:mod:`ingest.curated`)."""
    before = ctx.store.data_version()
    reports = _run(ctx, source, data_dir, path)
    ctx.finish(source, before)
    return reports


def _run(ctx: IngestContext, source: str, data_dir: Path, path: Path | None = None) -> list[JobReport]:
    job = SOURCES.get(source)
    if job is None:
        raise DataError(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
    target = path or job.locate(SourcePaths(data_dir))
    if target is None or (job.required and not target.exists()):
        raise DataError(f"no {job.what} file found under {data_dir}", details={"data_dir": str(data_dir)})
    return job.run(ctx, target)


def ingest_all(ctx: IngestContext, data_dir: Path) -> list[JobReport]:
    """Every source in dependency order: vocabularies, evidence, catalogue, literature; then the
    curated-entries step once."""
    before = ctx.store.data_version()
    reports: list[JobReport] = []
    for source in SOURCES:
        reports.extend(_run(ctx, source, data_dir))
    ctx.finish("all", before)
    return reports
