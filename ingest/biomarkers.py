"""The authored biomarker tables: ``biomarkers.tsv`` (the biomarkers, their names, definitions and
cut-offs) and ``biomarker_evidence.tsv`` (cited biomarker–drug–tumor facts that CIViC lacks).

Both parsers are pure generators. The evidence items are ``Evidence`` records of source
``genekb`` (``genekb:BM1`` ...) with no gene: the biomarkers they are about are in
``Evidence.biomarkers``, and their alteration is the biomarker itself (``TMB-H``). The job
writes them through the curated path, so an editor's published version replaces the table's.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ingest.loader import JobReport
from ingest.records import Rejected
from kb.domain import (
    Alteration,
    AlterationKind,
    Biomarker,
    Citation,
    Cutoff,
    Evidence,
    EvidenceDirection,
    EvidenceLevel,
    EvidenceType,
)
from kb.text import split_list
from kb.vocab import vocabularies_from_store

if TYPE_CHECKING:  # a type only: ingest.jobs registers this job
    from ingest.jobs import IngestContext

__all__ = ["EVIDENCE_TABLE", "ingest_biomarkers", "parse_biomarker_evidence", "parse_biomarkers", "parse_cutoff"]

#: the evidence table, read from the folder of the biomarker table
EVIDENCE_TABLE = "biomarker_evidence.tsv"

_CUTOFF = re.compile(r"(defines|reports)\s+([A-Za-z][\w-]*)\s*(>=|>|<=|<)\s*(\d+(?:\.\d+)?)\s*(%|[A-Za-z/]+)?\s*$")
_PMID = re.compile(r"\d{1,9}")
_VALUES = frozenset({"high", "low", "positive", "negative"})


def parse_cutoff(text: str) -> Cutoff:
    """``defines TMB>=10 mut/Mb`` or ``reports TPS>=50%`` as a :class:`~kb.domain.Cutoff`."""
    m = _CUTOFF.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"cut-off {text!r} is not 'defines|reports SCORE OP NUMBER [UNIT]'")
    return Cutoff(m[2], m[3], float(m[4]), m[5] or "", defining=m[1] == "defines")


def _rows(stream: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    """The table's rows with their line numbers; ``#`` comment lines before the header are skipped."""
    lines = [line for line in stream]
    body = [(n, line) for n, line in enumerate(lines, start=1) if not line.startswith("#")]
    reader = csv.DictReader((line for _, line in body), delimiter="\t")
    for (n, _), row in zip(body[1:], reader, strict=False):
        yield n, {key: (value or "").strip() for key, value in row.items() if key is not None}


def parse_biomarkers(stream: TextIO, *, genes: Callable[[str], bool] | None = None) -> Iterator[Biomarker | Rejected]:
    """``biomarkers.tsv`` rows as records; ``genes`` (when given) says whether a symbol is an HGNC symbol."""
    for n, row in _rows(stream):
        key = row.get("id") or f"line {n}"
        try:
            if not row.get("id") or not row.get("name"):
                raise ValueError("id and name are required")
            related = split_list(row.get("genes", ""))
            unknown = [g for g in related if genes is not None and not genes(g)]
            if unknown:
                raise ValueError(f"gene(s) {', '.join(unknown)} are not HGNC symbols")
            values = split_list(row.get("values", ""))
            if not set(values) <= _VALUES:
                raise ValueError(f"values must be among {', '.join(sorted(_VALUES))}")
            yield Biomarker(
                id=row["id"],
                name=row["name"],
                name_zh=row.get("name_zh", ""),
                group=row.get("group", ""),
                synonyms=split_list(row.get("synonyms", "")),
                synonyms_zh=split_list(row.get("synonyms_zh", "")),
                definition=row.get("definition", ""),
                definition_zh=row.get("definition_zh", ""),
                genes=related,
                alterations=split_list(row.get("alterations", "")),
                cutoffs=tuple(parse_cutoff(c) for c in split_list(row.get("cutoffs", ""), ";")),
                values=values,
                ihc=split_list(row.get("ihc", "")),
                source=row.get("source", ""),
            )
        except ValueError as exc:
            yield Rejected("biomarkers", key, str(exc))


def parse_biomarker_evidence(
    stream: TextIO,
    *,
    biomarkers: Mapping[str, Biomarker],
    tumor_codes: Iterable[str] = (),
    drug: Callable[[str], str | None] = lambda name: name.casefold(),
) -> Iterator[Evidence | Rejected]:
    """``biomarker_evidence.tsv`` rows as ``genekb:<id>`` evidence items.

    Every biomarker must be known, the tumor code an OncoTree code (when ``tumor_codes`` is given),
    every drug a drug of the vocabulary (``drug`` gives its INN, or None), and each row needs a PMID
    or a label source.
    """
    codes = set(tumor_codes)
    for n, row in _rows(stream):
        key = f"genekb:{row['id']}" if row.get("id") else f"line {n}"
        try:
            yield _evidence(row, biomarkers, codes, drug)
        except (ValueError, KeyError) as exc:
            yield Rejected("biomarker_evidence", key, str(exc).strip("'\""))


def _evidence(
    row: dict[str, str], biomarkers: Mapping[str, Biomarker], codes: set[str], drug: Callable[[str], str | None]
) -> Evidence:
    if not row.get("id"):
        raise ValueError("id is required")
    ids = split_list(row.get("biomarkers", ""))
    unknown = [b for b in ids if b not in biomarkers]
    if not ids or unknown:
        raise ValueError(f"unknown biomarker(s): {', '.join(unknown) or '(none given)'}")
    tumor = row.get("tumor") or None
    if tumor is not None and codes and tumor not in codes:
        raise ValueError(f"tumor {tumor!r} is not an OncoTree code")
    inns = []
    for name in split_list(row.get("drugs", "")):
        inn = drug(name)
        if inn is None:
            raise ValueError(f"drug {name!r} is not in the drug vocabulary")
        inns.append(inn)
    pmids = split_list(row.get("pmids", ""))
    if any(_PMID.fullmatch(p) is None for p in pmids):
        raise ValueError(f"PMIDs must be numbers: {row['pmids']}")
    citations = [Citation(pmid=p, source="PubMed", source_id=p) for p in pmids]
    if row.get("label"):  # "FDA Keytruda (pembrolizumab) label: approval ...": the part before ':' names it
        citations.append(Citation(source="label", source_id=row["label"].partition(":")[0].strip(), text=row["label"]))
    if not citations:
        raise ValueError("a fact needs a PMID or a label source")
    named = [biomarkers[b] for b in ids]
    alteration = Alteration(
        gene="",
        kind=AlterationKind.OTHER,
        name=ids[0],
        label=" / ".join(ids),
        label_zh=" / ".join(b.name_zh or b.id for b in named),
    )
    return Evidence(
        id=f"genekb:{row['id']}",
        source="genekb",
        source_id=row["id"],
        gene="",
        alteration=alteration,
        evidence_type=EvidenceType(row["evidence_type"]),
        direction=EvidenceDirection(row["direction"]),
        significance=row["significance"],
        level=EvidenceLevel(row["level"]),
        rating=None,
        tumor_code=tumor,
        disease=row.get("disease", ""),
        drugs=tuple(inns),
        drug_interaction=row.get("interaction", ""),
        citations=tuple(citations),
        statement=row.get("statement", ""),
        biomarkers=ids,
    )


def ingest_biomarkers(ctx: IngestContext, path: Path, *, embed: Callable[[IngestContext], int]) -> list[JobReport]:
    """The biomarkers of ``path`` (``biomarkers.tsv``), then the facts of ``biomarker_evidence.tsv`` beside it;
    ``embed`` embeds the evidence statements that have no vector yet."""
    vocab = vocabularies_from_store(ctx.store)
    known = (lambda symbol: symbol in vocab.genes) if len(vocab.genes) else None
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(parse_biomarkers(fh, genes=known))
    reports = [
        ctx.load(
            records,
            job="biomarkers",
            write=ctx.writer("biomarker"),
        )
    ]
    table = path.with_name(EVIDENCE_TABLE)
    if not table.exists():
        return reports
    biomarkers = {b.id: b for b in ctx.store.iter_biomarkers()}  # as stored: an editor's version wins

    def drug(name: str) -> str | None:
        found = vocab.drugs.lookup(name)
        return found[0] if len(found) == 1 else (None if len(vocab.drugs) else name.casefold())

    with table.open(encoding="utf-8", newline="") as fh:
        items = list(parse_biomarker_evidence(fh, biomarkers=biomarkers, tumor_codes=vocab.tumors.nodes, drug=drug))
    report = ctx.load(
        items,
        job="biomarker_evidence",
        write=ctx.writer("evidence"),
    )
    embedded = embed(ctx)
    if embedded:
        report.notes.append(f"{embedded:,} evidence statements embedded (others came from the cache)")
    return [*reports, report]
