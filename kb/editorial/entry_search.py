"""Entry search for editors (``GET /v1/entries``): find a curated entry by a word of its key, names, synonyms
(Chinese included) or statement, without knowing its key (docs/editorial.md, "Finding an entry").

The running services' records are read once per data version (the vocabularies for genes, tumors, drugs and
biomarkers; the store for evidence, tests and the China layer's kinds) into one list of entries with their
searchable text. A query's words must all occur, case-, width- and traditional/simplified-insensitive. Hits rank
by how the query matched: the key itself, a name or synonym itself, a prefix of one, a word inside one, then a
word of the statement.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from kb.chinese import to_simplified
from kb.codec import to_dict
from kb.editorial.changes_text import evidence_line
from kb.guidance import GuidelineRecommendation, ReadingList, Regulatory
from kb.kinds import CURATED
from kb.store.base import Backend
from kb.vocab import Vocabularies

__all__ = ["EntryHit", "EntrySearch"]

#: how a hit matched, best first
_KEY, _NAME, _PREFIX, _INSIDE, _TEXT = range(5)


@dataclass(frozen=True, slots=True)
class EntryHit:
    kind: str
    key: str
    label: str  # the entry's name in English (or its key)
    label_zh: str  # its Chinese name or one-line summary ("" when none)
    matched: str  # the name, synonym or text the query matched
    rank: int


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str
    key: str
    label: str
    label_zh: str
    names: tuple[str, ...]  # key, names and synonyms, normalised
    shown: tuple[str, ...]  # the same, as written
    text: str  # statement, notes: normalised


def _norm(text: str) -> str:
    """Full-width to half-width, traditional to simplified, case folded (as the query parser reads a query)."""
    return to_simplified(unicodedata.normalize("NFKC", text)).casefold().strip()


def _entry(kind: str, key: str, label: str, label_zh: str, names: list[str], text: str = "") -> _Entry:
    shown = tuple(dict.fromkeys(n for n in (key, label, label_zh, *names) if n))
    return _Entry(kind, key, label or key, label_zh, tuple(_norm(n) for n in shown), shown, _norm(text))


def _entries(store: Backend, vocab: Vocabularies) -> Iterator[_Entry]:
    for g in vocab.genes.genes.values():
        yield _entry("gene", g.symbol, g.name, g.name_zh, [*g.aliases, *g.previous_symbols, *g.synonyms_zh])
    for t in vocab.tumors.nodes.values():
        yield _entry("tumor", t.code, t.name, t.name_zh, [*t.synonyms, *t.synonyms_zh])
    for d in vocab.drugs.drugs.values():
        yield _entry("drug", d.inn, d.name, d.name_zh, [*d.synonyms, *d.synonyms_zh, *d.brands, *d.brands_zh])
    for b in vocab.biomarkers.biomarkers.values():
        yield _entry("biomarker", b.id, b.name, b.name_zh, [*b.synonyms, *b.synonyms_zh])
    for e in store.iter_evidence():
        line = evidence_line(to_dict(e), vocab)
        names = [e.alteration.id, e.alteration.label, e.source_id, *e.drugs, *e.biomarkers]
        yield _entry("evidence", e.id, line.en, line.zh, names, f"{e.statement}\n{e.statement_zh}\n{e.disease}")
    for test in store.iter_tests():
        yield _entry("test", test.id, test.name, test.name_zh, [*test.genes], test.description_zh)
    for r in store.iter_records("regulatory", Regulatory):
        yield _entry("regulatory", r.id, r.drug, r.indication_zh, [r.drug, *r.tumor_codes, *r.listings], r.note)
    for rec in store.iter_records("guidelines", GuidelineRecommendation):
        label = f"{rec.body} {rec.guideline} {rec.version}"
        yield _entry("guideline", rec.id, label, rec.text_zh, [rec.alteration, rec.drug, *rec.evidence], rec.source)
    for rl in store.iter_records("reading_lists", ReadingList):
        yield _entry("reading_list", rl.id, rl.title_en, rl.title_zh, [rl.topic_key, *rl.topics], rl.note)


def _rank(entry: _Entry, words: list[str], whole: str) -> tuple[int, str] | None:
    """How well ``entry`` matches: its best tier and the name or text matched; None when a word is missing."""
    best: tuple[int, str] | None = None
    for name, shown in zip(entry.names, entry.shown, strict=True):
        if name == whole:
            tier: int | None = _KEY if shown == entry.key else _NAME
        else:
            tier = _PREFIX if name.startswith(whole) else _INSIDE if whole in name else None
        if tier is not None and (best is None or tier < best[0]):
            best = (tier, shown)
    if best is not None:
        return best
    haystack = "\n".join((*entry.names, entry.text))
    if all(w in haystack for w in words):
        return _TEXT, next((s for n, s in zip(entry.names, entry.shown, strict=True) if words[0] in n), "")
    return None


class EntrySearch:
    """The searchable entries of the running services, rebuilt when the data version or vocabularies change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: tuple[str, int, list[_Entry]] | None = None

    def _all(self, store: Backend, vocab: Vocabularies) -> list[_Entry]:
        version = store.data_version()
        with self._lock:
            if self._built is None or self._built[:2] != (version, id(vocab)):
                self._built = (version, id(vocab), list(_entries(store, vocab)))
            return self._built[2]

    def search(
        self, store: Backend, vocab: Vocabularies, q: str, *, kind: str | None = None, page: int = 1, size: int = 20
    ) -> tuple[list[EntryHit], int]:
        """One page of the entries matching every word of ``q`` (of ``kind`` only, when given), best first, and
        how many match in all."""
        whole = _norm(q)
        words = whole.split()
        if not words:
            return [], 0
        hits: list[EntryHit] = []
        order = {name: i for i, name in enumerate(CURATED)}
        for entry in self._all(store, vocab):
            if kind is not None and entry.kind != kind:
                continue
            found = _rank(entry, words, whole)
            if found is not None:
                hits.append(EntryHit(entry.kind, entry.key, entry.label, entry.label_zh, found[1], found[0]))
        hits.sort(key=lambda h: (h.rank, order.get(h.kind, 99), len(h.key), h.key))
        start = (page - 1) * size
        return hits[start : start + size], len(hits)
