"""Gene vocabulary: HGNC symbols, previous symbols, aliases and Chinese names.

An alias naming several genes stays ambiguous, with its candidates; it is never
silently resolved. A current approved symbol always resolves to its own gene.
A small authored table (``gene_overrides.tsv``) records the oncology reading of
aliases that HGNC leaves ambiguous (PD-1 means PDCD1 to an oncologist); it is
data, not code, and an override is reported as an ``alias`` match.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from kb.domain import Gene
from kb.text import name_key, split_list

__all__ = ["GeneMatch", "GeneNameKind", "GeneVocabulary", "load_gene_overrides", "load_gene_zh"]


class GeneNameKind(StrEnum):
    SYMBOL = "symbol"
    CHINESE = "chinese"
    PREVIOUS = "previous"
    ALIAS = "alias"


_RANK = {GeneNameKind.SYMBOL: 0, GeneNameKind.CHINESE: 1, GeneNameKind.PREVIOUS: 2, GeneNameKind.ALIAS: 3}


@dataclass(frozen=True, slots=True)
class GeneMatch:
    """How a name resolves: one gene, or several candidates when ambiguous."""

    name: str
    candidates: tuple[str, ...]
    kind: GeneNameKind

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    @property
    def symbol(self) -> str | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


@dataclass
class GeneVocabulary:
    """All genes, with a name index keyed by :func:`kb.text.name_key`."""

    genes: dict[str, Gene] = field(default_factory=dict)
    _symbols: dict[str, str] = field(default_factory=dict)
    _names: dict[str, dict[str, GeneNameKind]] = field(default_factory=dict)
    _overrides: dict[str, str] = field(default_factory=dict)
    _entrez: dict[str, str] = field(default_factory=dict)  # NCBI Gene id -> symbol

    @classmethod
    def build(cls, genes: Iterable[Gene], *, overrides: dict[str, str] | None = None) -> GeneVocabulary:
        vocab = cls()
        for gene in genes:
            vocab.genes[gene.symbol] = gene
            vocab._symbols[name_key(gene.symbol)] = gene.symbol
            if gene.ncbi_gene_id:
                vocab._entrez[gene.ncbi_gene_id] = gene.symbol
            vocab._add(gene.symbol, gene.symbol, GeneNameKind.SYMBOL)
            for name in (gene.name_zh, *gene.synonyms_zh):
                vocab._add(name, gene.symbol, GeneNameKind.CHINESE)
            for name in gene.previous_symbols:
                vocab._add(name, gene.symbol, GeneNameKind.PREVIOUS)
            for name in gene.aliases:
                vocab._add(name, gene.symbol, GeneNameKind.ALIAS)
        for alias, symbol in (overrides or {}).items():
            if symbol in vocab.genes:
                vocab._overrides[name_key(alias)] = symbol
        return vocab

    def with_gene(self, gene: Gene) -> GeneVocabulary:
        """A copy with ``gene`` added or put in place of the record of its symbol (an accepted edit); this
        vocabulary is left as it is, so readers of it never see a half-made change. Overrides stay."""
        old = self.genes.get(gene.symbol)
        out = GeneVocabulary(
            dict(self.genes), dict(self._symbols), dict(self._names), self._overrides, dict(self._entrez)
        )
        if old is not None:
            for name in (old.symbol, old.name_zh, *old.synonyms_zh, *old.previous_symbols, *old.aliases):
                slot = out._names.get(key := name_key(name))
                if slot is not None and gene.symbol in slot:
                    kept = {s: k for s, k in slot.items() if s != gene.symbol}
                    if kept:
                        out._names[key] = kept
                    else:
                        del out._names[key]
        out.genes[gene.symbol] = gene
        out._symbols[name_key(gene.symbol)] = gene.symbol
        if gene.ncbi_gene_id:
            out._entrez[gene.ncbi_gene_id] = gene.symbol
        names = [
            (gene.symbol, GeneNameKind.SYMBOL),
            *((n, GeneNameKind.CHINESE) for n in (gene.name_zh, *gene.synonyms_zh)),
        ]
        names += [
            *((n, GeneNameKind.PREVIOUS) for n in gene.previous_symbols),
            *((n, GeneNameKind.ALIAS) for n in gene.aliases),
        ]
        for name, kind in names:
            if key := name_key(name):
                out._names[key] = dict(out._names.get(key, {}))  # a copy: the slot may be shared with this vocabulary
                out._add(name, gene.symbol, kind)
        return out

    def holders(self, key: str) -> tuple[str, ...]:
        """The symbols with a name of matching key ``key`` (any kind of name)."""
        return tuple(self._names.get(key, ()))

    def _add(self, name: str, symbol: str, kind: GeneNameKind) -> None:
        key = name_key(name)
        if not key:
            return
        slot = self._names.setdefault(key, {})
        old = slot.get(symbol)
        if old is None or _RANK[kind] < _RANK[old]:
            slot[symbol] = kind

    def lookup(self, name: str) -> GeneMatch | None:
        """Resolve a name. Approved symbols win, then overrides, then all candidates."""
        key = name_key(name)
        if not key:
            return None
        symbol = self._symbols.get(key)
        if symbol is not None:
            return GeneMatch(name, (symbol,), GeneNameKind.SYMBOL)
        override = self._overrides.get(key)
        if override is not None:
            return GeneMatch(name, (override,), GeneNameKind.ALIAS)
        slot = self._names.get(key)
        if not slot:
            return None
        if any(kind is GeneNameKind.CHINESE for kind in slot.values()):
            slot = {s: k for s, k in slot.items() if k is GeneNameKind.CHINESE}
        best = min(slot.values(), key=_RANK.__getitem__)
        return GeneMatch(name, tuple(sorted(slot)), best)

    def by_entrez(self, gene_id: str) -> str | None:
        """The symbol of an NCBI (Entrez) Gene id, leading zeros ignored."""
        return self._entrez.get(gene_id.strip().lstrip("0") or "0")

    def names(self) -> Iterator[str]:
        """Every known name key (for building taggers); resolve each with :meth:`lookup`."""
        yield from self._names
        yield from self._overrides

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.genes

    def __len__(self) -> int:
        return len(self.genes)


def load_gene_zh(path: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Authored Chinese gene names: ``symbol -> (name_zh, synonyms_zh)``."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            row["symbol"].strip(): (row["name_zh"].strip(), split_list(row.get("synonyms_zh") or ""))
            for row in csv.DictReader(fh, delimiter="\t")
            if row.get("symbol")
        }


def load_gene_overrides(path: Path) -> dict[str, str]:
    """Authored oncology readings of HGNC-ambiguous aliases: ``alias -> symbol``."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            row["alias"].strip(): row["symbol"].strip()
            for row in csv.DictReader(fh, delimiter="\t")
            if row.get("alias") and row.get("symbol")
        }
