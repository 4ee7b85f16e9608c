"""The company's test catalogue (authored YAML) into :class:`~kb.domain.TestItem` records.

A panel may list its genes, or name a real panel's gene list with ``genes_from``
(a path under the data dir) that is read at ingest time. Genes are checked
against the gene vocabulary (previous symbols are updated), indications against
OncoTree; an item with an unknown tumor code is rejected with the reason. The
biomarkers an item reports are biomarker ids (``MSI-H``, ``TMB-H``); a group or name such as
``MSI``, ``TMB`` or ``PD-L1 IHC`` (the catalogue's former values) is read as the ids it stands for.

What an item can report (``reports``, ``gene_reports``, ``coverage``, ``hotspots``, ``full_genes``,
``samples``, ``paired``, ``pan_cancer``, ``source``; see the catalogue's header and docs/search.md) is
checked here: an unknown report type, sample or scope, a hotspot that is not an alteration id of one of
the item's genes in the normalised form, a hotspot list without ``coverage: hotspot``, sequence variants
reported with no coverage, a reported biomarker whose type is not reported, or capabilities with no
``source`` reject the item with the reason. The former ``alterations`` field is derived from ``reports``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import yaml

from ingest.records import Rejected
from kb.domain import AlterationKind, TestItem
from kb.errors import ParseError, SchemaError
from kb.recommend import GROUP_REPORTS
from kb.vocab.biomarkers import BiomarkerVocabulary
from kb.vocab.genes import GeneVocabulary
from kb.vocab.variants import parse_alteration

__all__ = ["parse_catalogue", "read_gene_list"]

_REQUIRED = ("id", "name", "name_zh", "indications", "sample_types", "method", "turnaround_days")
#: the former alteration kinds an item's report types stand for
_KINDS_OF: dict[str, tuple[AlterationKind, ...]] = {
    "snv_indel": (AlterationKind.PROTEIN_CHANGE, AlterationKind.EXON, AlterationKind.MUTATION, AlterationKind.ITD),
    "cnv": (AlterationKind.AMPLIFICATION, AlterationKind.LOSS),
    "fusion": (AlterationKind.FUSION,),
    "expression": (AlterationKind.EXPRESSION,),
    "methylation": (AlterationKind.OTHER,),
}


def read_gene_list(path: Path) -> list[str]:
    """Symbols of a panel file: one per line (whitespace and ``#`` comments ignored)."""
    try:
        with path.open(encoding="utf-8") as fh:
            return [w for line in fh for w in line.split("#")[0].split()[:1]]
    except OSError as exc:
        raise ParseError(f"cannot read gene list {path}: {exc.strerror or exc}") from exc


def parse_catalogue(
    stream: TextIO,
    *,
    data_dir: Path,
    tumor_codes: set[str],
    genes: GeneVocabulary | None = None,
    biomarkers: BiomarkerVocabulary | None = None,
) -> Iterator[TestItem | Rejected]:
    try:
        doc = yaml.safe_load(stream)
    except yaml.YAMLError as exc:
        raise ParseError(f"test catalogue is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise SchemaError("test catalogue must be a mapping with an 'items' list")
    for n, raw in enumerate(doc["items"], start=1):
        key = str(raw.get("id") or f"item #{n}") if isinstance(raw, dict) else f"item #{n}"
        dropped: list[str] = []
        try:
            yield _item(raw, data_dir, tumor_codes, genes, dropped, biomarkers)
        except (ValueError, ParseError) as exc:
            yield Rejected("catalogue", key, str(exc))
            continue
        for symbol in dropped:
            yield Rejected("catalogue", f"{key}/{symbol}", "gene dropped from the item: not a current HGNC symbol")


def _item(
    raw: Any,
    data_dir: Path,
    tumor_codes: set[str],
    genes: GeneVocabulary | None,
    dropped: list[str],
    biomarkers: BiomarkerVocabulary | None = None,
) -> TestItem:
    if not isinstance(raw, dict):
        raise ValueError("an item must be a mapping")
    missing = [f for f in _REQUIRED if f not in raw]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    listed = _current_symbols(list(raw.get("genes") or []), genes, None)
    panel: list[str] = []
    if raw.get("genes_from"):
        panel = _current_symbols(read_gene_list(data_dir / str(raw["genes_from"])), genes, dropped)
    symbols = list(dict.fromkeys(listed + panel))
    unknown_codes = [c for c in raw["indications"] if str(c).upper() not in tumor_codes]
    if unknown_codes:
        raise ValueError(f"unknown tumor code(s) {', '.join(map(str, unknown_codes))} (not in OncoTree)")
    reports = tuple(str(r) for r in raw.get("reports") or ())
    try:
        kinds = tuple(AlterationKind(k) for k in raw.get("alterations") or ())
    except ValueError as exc:
        raise ValueError(f"unknown alteration kind: {exc}") from None
    kinds = kinds or tuple(dict.fromkeys(k for r in reports for k in _KINDS_OF.get(r, ())))
    if not symbols and not raw.get("biomarkers"):
        raise ValueError("an item needs genes, genes_from or biomarkers")
    item = TestItem(
        id=str(raw["id"]),
        name=str(raw["name"]),
        name_zh=str(raw["name_zh"]),
        genes=tuple(symbols),
        alteration_kinds=kinds,
        indications=tuple(str(c).upper() for c in raw["indications"]),
        sample_types=tuple(str(s) for s in raw["sample_types"]),
        method=str(raw["method"]),
        turnaround_days=int(raw["turnaround_days"]),
        published=bool(raw.get("published", True)),
        description=str(raw.get("description") or ""),
        description_zh=str(raw.get("description_zh") or ""),
        biomarkers=_biomarker_ids([str(b) for b in raw.get("biomarkers") or ()], biomarkers),
        reports=reports,
        gene_reports=_gene_reports(raw.get("gene_reports"), genes),
        coverage=str(raw.get("coverage") or ""),
        hotspots=tuple(str(h) for h in raw.get("hotspots") or ()),
        full_genes=tuple(_current_symbols(list(raw.get("full_genes") or []), genes, None)),
        samples=tuple(str(s) for s in raw.get("samples") or ()),
        paired=bool(raw.get("paired", False)),
        pan_cancer=str(raw.get("pan_cancer") or ""),
        source=" ".join(str(raw.get("source") or "").split()),
    )
    _check_capabilities(item, biomarkers)
    return item


def _gene_reports(value: Any, genes: GeneVocabulary | None) -> tuple[str, ...]:
    """``{GENE: [types]}`` as ``GENE:type`` strings (current symbols)."""
    if not value:
        return ()
    if not isinstance(value, dict):
        raise ValueError("gene_reports must map genes to report types")
    out: list[str] = []
    for gene, types in value.items():
        (symbol,) = _current_symbols([str(gene)], genes, None)
        out += [f"{symbol}:{t}" for t in (types if isinstance(types, list) else [types])]
    return tuple(out)


def _check_capabilities(item: TestItem, biomarkers: BiomarkerVocabulary | None) -> None:
    """What needs the vocabularies (TestItem checks the rest): hotspots in the normalised form, and the
    report type of each reported biomarker's group."""
    for hotspot in item.hotspots:
        gene, _, name = hotspot.partition(":")
        normal = parse_alteration(gene, name).name
        if not name or normal != name:
            raise ValueError(f"hotspot {hotspot} is not in the normalised form ({gene}:{normal})")
    if biomarkers is not None and item.reports:
        for b in item.biomarkers:
            group = biomarkers.biomarkers[b].group if b in biomarkers.biomarkers else ""
            if GROUP_REPORTS.get(group, "") not in ("", *item.reports):
                raise ValueError(f"biomarker {b} needs report type {GROUP_REPORTS[group]}")


def _biomarker_ids(values: list[str], vocab: BiomarkerVocabulary | None) -> tuple[str, ...]:
    """Biomarker ids of an item's values; an unknown value raises (kept as written with no vocabulary)."""
    if vocab is None or not len(vocab):
        return tuple(values)
    out: dict[str, None] = {}
    for value in values:
        found = vocab.resolve(value)
        if not found:
            raise ValueError(f"biomarker {value!r} is not a biomarker id, group or name")
        out.update(dict.fromkeys(found))
    return tuple(out)


def _current_symbols(symbols: list[str], genes: GeneVocabulary | None, dropped: list[str] | None) -> list[str]:
    """Current HGNC symbols; unknown ones raise, or go to ``dropped`` when it is given (panel files)."""
    out: dict[str, None] = {}
    for symbol in symbols:
        symbol = str(symbol).strip()
        if genes is None or symbol in genes:
            out[symbol] = None
            continue
        match = genes.lookup(symbol)
        if (match is None or match.symbol is None) and dropped is not None:
            dropped.append(symbol)
            continue
        if match is None or match.symbol is None:
            raise ValueError(f"gene {symbol!r} is not an HGNC symbol (or is ambiguous)")
        out[match.symbol] = None
    return list(out)
