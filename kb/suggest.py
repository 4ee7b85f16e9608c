"""Autocomplete over gene, tumor and drug names in Chinese and English."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from kb.text import fold
from kb.vocab import Vocabularies

__all__ = ["Suggester", "Suggestion"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    type: str  # gene | tumor | drug
    id: str
    label: str
    label_zh: str
    matched: str  # the name that matched the prefix


class Suggester:
    """Prefix index over folded names; entries known to the curated evidence rank first."""

    def __init__(self, vocab: Vocabularies, *, prominent: set[str] | frozenset[str] = frozenset()) -> None:
        entries: list[tuple[str, int, str, Suggestion]] = []

        def add(name: str, rank: int, suggestion: Suggestion) -> None:
            key = fold(name)
            if key:
                entries.append((key, rank, suggestion.id, suggestion))

        for gene in vocab.genes.genes.values():
            boost = 0 if f"gene:{gene.symbol}" in prominent or gene.name_zh else 2
            s = Suggestion("gene", gene.symbol, gene.symbol, gene.name_zh, gene.symbol)
            add(gene.symbol, boost, s)
            for name in (gene.name_zh, *gene.synonyms_zh):
                add(name, boost, Suggestion("gene", gene.symbol, gene.symbol, gene.name_zh, name))
        for tumor in vocab.tumors.nodes.values():
            boost = 0 if tumor.name_zh else 1
            for name in (tumor.code, tumor.name, tumor.name_zh, *tumor.synonyms, *tumor.synonyms_zh):
                add(name, boost, Suggestion("tumor", tumor.code, tumor.name, tumor.name_zh, name))
        for drug in vocab.drugs.drugs.values():
            if drug.members:
                continue
            boost = 0 if drug.name_zh else 1
            for name in (drug.name, drug.name_zh, *drug.synonyms_zh, *drug.brands, *drug.brands_zh):
                add(name, boost, Suggestion("drug", drug.inn, drug.name, drug.name_zh, name))
        entries.sort(key=lambda e: e[0])
        self._keys = [e[0] for e in entries]
        self._entries = entries

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        key = fold(prefix)
        if not key:
            return []
        start = bisect.bisect_left(self._keys, key)
        found: list[tuple[int, int, int, str, Suggestion]] = []
        for i in range(start, min(start + 2000, len(self._keys))):
            name, rank, ident, suggestion = self._entries[i]
            if not name.startswith(key):
                break
            found.append((0 if name == key else 1, rank, len(name), ident, suggestion))
        found.sort(key=lambda f: f[:4])
        out: list[Suggestion] = []
        seen: set[tuple[str, str]] = set()
        for *_, suggestion in found:
            if (suggestion.type, suggestion.id) not in seen:
                seen.add((suggestion.type, suggestion.id))
                out.append(suggestion)
            if len(out) == limit:
                break
        return out
