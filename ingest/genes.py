"""Gene sources: the shared HGNC-backed alias table, or HGNC's complete set.

``parse_genes`` reads either layout (chosen by the header) and yields one
:class:`~kb.domain.Gene` per approved symbol. Rows stream in; genes are
grouped by symbol, so memory is bounded by the number of genes, not rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import replace
from typing import TextIO

from ingest.records import Rejected
from kb.domain import Gene
from kb.errors import SchemaError

__all__ = ["parse_genes", "with_chinese_names"]

_ALIAS_LAYOUT = {"primary_symbol", "symbol_or_alias", "hgnc_id"}
_HGNC_LAYOUT = {"hgnc_id", "symbol", "alias_symbol", "prev_symbol"}


def parse_genes(stream: TextIO) -> Iterator[Gene | Rejected]:
    reader = csv.DictReader(stream, delimiter="\t")
    header = set(reader.fieldnames or ())
    if header >= _ALIAS_LAYOUT:
        yield from _alias_layout(reader)
    elif header >= _HGNC_LAYOUT:
        yield from _hgnc_layout(reader)
    else:
        raise SchemaError(
            "gene table has neither the alias layout (primary_symbol, symbol_or_alias, hgnc_id) "
            "nor HGNC's complete-set layout (hgnc_id, symbol, alias_symbol, prev_symbol)",
            details={"columns": sorted(header)},
        )


def _alias_layout(reader: csv.DictReader[str]) -> Iterator[Gene | Rejected]:
    genes: dict[str, dict[str, object]] = {}
    for row in reader:
        symbol = (row.get("primary_symbol") or "").strip()
        name = (row.get("symbol_or_alias") or "").strip()
        if not symbol or not name:
            yield Rejected("genes", f"line {reader.line_num}", "missing primary_symbol or symbol_or_alias")
            continue
        entry = genes.setdefault(
            symbol,
            {
                "hgnc_id": row.get("hgnc_id") or "",
                "ncbi": row.get("ncbi_gene_id") or "",
                "ensembl": row.get("ensembl_gene_id") or "",
                "prev": set(),
                "alias": set(),
            },
        )
        how = row.get("captured_as") or ""
        if name == symbol or "Primary Gene Symbol" in how:
            continue
        bucket = "prev" if "Previous Symbol" in how else "alias"
        entry[bucket].add(name)  # type: ignore[attr-defined]
    for symbol, entry in genes.items():
        yield Gene(
            symbol=symbol,
            hgnc_id=str(entry["hgnc_id"]),
            ncbi_gene_id=str(entry["ncbi"]),
            ensembl_gene_id=str(entry["ensembl"]),
            previous_symbols=tuple(sorted(entry["prev"])),  # type: ignore[call-overload]
            aliases=tuple(sorted(entry["alias"])),  # type: ignore[call-overload]
        )


def _hgnc_layout(reader: csv.DictReader[str]) -> Iterator[Gene | Rejected]:
    for row in reader:
        symbol = (row.get("symbol") or "").strip()
        if not symbol or not row.get("hgnc_id"):
            yield Rejected("genes", f"line {reader.line_num}", "missing symbol or hgnc_id")
            continue
        if (row.get("status") or "Approved") != "Approved":
            continue
        yield Gene(
            symbol=symbol,
            hgnc_id=row["hgnc_id"],
            name=row.get("name") or "",
            ncbi_gene_id=row.get("entrez_id") or "",
            ensembl_gene_id=row.get("ensembl_gene_id") or "",
            previous_symbols=_pipe(row.get("prev_symbol")),
            aliases=_pipe(row.get("alias_symbol")),
        )


def _pipe(value: str | None) -> tuple[str, ...]:
    return tuple(sorted({v.strip() for v in (value or "").strip('"').split("|") if v.strip()}))


def with_chinese_names(gene: Gene, zh: dict[str, tuple[str, tuple[str, ...]]]) -> Gene:
    """Attach the authored Chinese name and synonyms of ``gene``, if any."""
    if gene.symbol not in zh:
        return gene
    name_zh, synonyms_zh = zh[gene.symbol]
    return replace(gene, name_zh=name_zh, synonyms_zh=synonyms_zh)
