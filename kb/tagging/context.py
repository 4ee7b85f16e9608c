"""The tagger's reading in context: which dictionary hits stay, and the gene pairs that are fusions.

Rules 6-9 of the gene precision rules (1-5 are in :mod:`kb.tagging.terms`):

6. A form naming several genes is tagged only when exactly one candidate is named
   unambiguously elsewhere in the same text; otherwise it is skipped, never guessed.
7. Upper-case words are not names in a sentence written in capitals.
8. An abbreviation the text defines as something else, "disease control rate (DCR)",
   is not a gene anywhere in that text (Schwartz-Hearst long forms; a long form with a
   ``gene_cue`` word of ``context_words.tsv``, a digit or a Greek letter keeps it).
   Tumor abbreviations get the same test with the ``tumor_cue`` words.
9. Context: an alias followed by "cells" is a cell line (PC9), a name that goes on with
   a number is another name (CCK-8, DLD-1), ``-AS1`` is a transcript suffix.

An abbreviation defined after a drug or tumor name, "tyrosine kinase inhibitors (TKIs)",
is tagged as that concept throughout the text. Two genes joined by a hyphen are a fusion
unless a ``not_fusion`` word follows ("HGF-MET signaling") or they are part of a chain.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import cache
from itertools import pairwise
from typing import NamedTuple

from kb.domain import Alteration
from kb.tagging.terms import Label
from kb.vocab.tables import word_alternation
from kb.vocab.variants import parse_alteration
from kb.vocab.words import context_words

__all__ = [
    "CELL_LINE",
    "Hit",
    "defined_abbreviations",
    "fusions",
    "misread",
    "nearest_gene",
    "resolve_genes",
    "select",
    "sentence_starts",
    "unshouted",
]

CELL_LINE = re.compile(r"[\s-]*cell(?:s|\s+lines?)?\b", re.I)
_NUMBERED = re.compile(r"-\d+(?!p)")  # CCK-8, DLD-1: the name goes on, and is not the gene's
_TRANSCRIPT = re.compile(r"AS\d*|DT|IT\d*|OT\d*")  # HGNC suffixes of antisense and divergent transcripts
_FUSION_NOUN = re.compile(r"[\s-]+(?:fusion|rearrangement|translocation)s?(?:\s+genes?)?\b", re.I)
_DEFINITION = re.compile(r"\s*\(\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*\)")
_FUSION_JOIN = {"-", "–", "::"}
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z0-9(\[])|\n")
_CAPS_WORD = re.compile(r"[A-Za-z]{2,}")


class Hit(NamedTuple):
    """A span of the text and what it names (``alteration`` for a variant)."""

    start: int
    end: int
    label: Label
    targets: tuple[str, ...]
    alteration: Alteration | None = None
    curated: bool = False


@cache
def _cues() -> dict[Label, re.Pattern[str]]:
    """Rule 8: what makes a long form a gene name (a digit, a Greek letter or a ``gene_cue`` word) or a
    tumor name (a ``tumor_cue`` word)."""
    words = context_words()
    return {
        Label.GENE: re.compile(rf"\d|[α-ω]|{word_alternation(words.gene_cue, plural=True)}", re.I),
        Label.TUMOR: re.compile(word_alternation(words.tumor_cue, plural=True), re.I),
    }


@cache
def _not_fusion() -> re.Pattern[str]:
    """A ``not_fusion`` word right after a gene pair: "RAS-RAF pathway", "HGF-MET signaling"."""
    return re.compile(rf"\s*(?:-\s*)?(?:{word_alternation(context_words().not_fusion, plural=True)})", re.I)


def sentence_starts(text: str) -> list[int]:
    """Where the sentences of ``text`` start (0 first)."""
    return [0, *(m.end() for m in _SENTENCE_END.finditer(text))]


def select(hits: Iterable[Hit]) -> list[Hit]:
    """Longest match wins; a gene may sit inside a longer drug or tumor name."""
    order = {Label.TUMOR: 0, Label.DRUG: 1, Label.GENE: 2, Label.VARIANT: 3}
    kept: list[Hit] = []
    for hit in sorted(set(hits), key=lambda h: (h.start - h.end, order[h.label], h.start)):
        clash = [k for k in kept if hit.start < k.end and k.start < hit.end]
        if all(hit.label is Label.GENE and k.label is not Label.GENE for k in clash):
            kept.append(hit)
    return kept


def defined_abbreviations(text: str, hits: list[Hit]) -> list[Hit]:
    """An abbreviation defined after a drug or tumor name, "tyrosine kinase inhibitors (TKIs)",
    names that concept wherever it appears in the text, and overrides gene aliases spelled alike."""
    defined: dict[str, Hit] = {}
    for hit in hits:
        m = _DEFINITION.match(text, hit.end) if hit.label in (Label.DRUG, Label.TUMOR) else None
        if m and sum(c.isupper() for c in m[1]) >= 2 and _long_form(text[hit.start : hit.end], m[1]):
            short = m[1].removesuffix("s")
            defined.setdefault(short, hit)
            defined.setdefault(f"{short}s", hit)
    if not defined:
        return hits
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, sorted(defined, key=len, reverse=True)))})(?!\w)")
    found = [defined[m.group()]._replace(start=m.start(), end=m.end()) for m in pattern.finditer(text)]
    kept = [h for h in hits if h.label is not Label.GENE or not any(_overlap(h, f) for f in found)]
    return kept + [f for f in found if not any(_overlap(h, f) for h in kept)]


def misread(text: str, hits: list[Hit]) -> list[Hit]:
    """Rule 8: a gene or tumor abbreviation that the text defines as something else, "disease
    control rate (DCR)", "reactive oxygen species (ROS)", is not that concept anywhere in the text."""
    misread: set[tuple[Label, str]] = set()
    for hit in hits:
        cue = _cues().get(hit.label)
        if hit.curated or cue is None or text[hit.start - 1 : hit.start] != "(":
            continue
        short = text[hit.start : hit.end]
        if not text.startswith(")", hit.end):
            continue
        long_form = _long_form(text[max(0, hit.start - 150) : hit.start - 1], short)
        if long_form and " " in long_form.strip() and not cue.search(long_form):
            misread.add((hit.label, short))
    return [h for h in hits if (h.label, text[h.start : h.end]) not in misread] if misread else hits


def _long_form(before: str, short: str) -> str | None:
    """The words before an abbreviation that spell it (Schwartz & Hearst, PSB 2003)."""
    words = before.split()[-min(len(short) + 5, 2 * len(short)) :]
    candidate = " ".join(words)
    lowered, letters = candidate.casefold(), [c for c in short.casefold() if c.isalnum()]
    i = len(lowered) - 1
    for n, char in enumerate(reversed(letters)):
        first = n == len(letters) - 1
        while i >= 0 and (lowered[i] != char or (first and i > 0 and lowered[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
    return candidate[lowered.rfind(" ", 0, i + 1) + 1 :]


def _overlap(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def unshouted(hits: list[Hit], text: str, sentences: list[int]) -> list[Hit]:
    """Rule 7: upper-case words are not names in a sentence written in capitals."""
    shouted: dict[int, bool] = {}
    kept = []
    for hit in hits:
        surface = text[hit.start : hit.end]
        if surface.isalpha() and surface.isupper():
            i = bisect_right(sentences, hit.start) - 1
            if i not in shouted:
                sentence = text[sentences[i] : sentences[i + 1] if i + 1 < len(sentences) else len(text)]
                words = _CAPS_WORD.findall(sentence)
                shouted[i] = len(words) >= 4 and sum(w.isupper() for w in words) >= 0.6 * len(words)
            if shouted[i]:
                continue
        kept.append(hit)
    return kept


def resolve_genes(hits: list[Hit], text: str) -> list[Hit]:
    """Rule 6: a form naming several genes is kept when exactly one of them is named unambiguously
    in the same text. Also drops aliases naming cell lines (PC9 cells), the start of a longer
    numbered name (CCK-8, DLD-1) and transcript suffixes (ST8SIA6-AS1 is no AS1 gene)."""
    hits = [
        h
        for h in hits
        if (text[h.start : h.end] in h.targets or not CELL_LINE.match(text, h.end))
        and not _NUMBERED.match(text, h.end)
        and not (text[h.start - 1 : h.start] == "-" and _TRANSCRIPT.fullmatch(text, h.start, h.end))
    ]
    known = {h.targets[0] for h in hits if len(h.targets) == 1}
    out = []
    for hit in hits:
        if len(hit.targets) > 1:
            named = [t for t in hit.targets if t in known]
            if len(named) != 1:
                continue
            hit = hit._replace(targets=(named[0],))
        out.append(hit)
    return out


def fusions(text: str, genes: list[Hit]) -> list[Hit]:
    """``EML4-ALK``, ``BCR::ABL1``: two different genes joined by a hyphen, named by the 3' gene."""
    ordered = sorted(genes)
    out = []
    for i, (left, right) in enumerate(pairwise(ordered)):
        if text[left.end : right.start] not in _FUSION_JOIN or left.targets == right.targets:
            continue
        chained = (i > 0 and text[ordered[i - 1].end : left.start] in _FUSION_JOIN) or (
            i + 2 < len(ordered) and text[right.end : ordered[i + 2].start] in _FUSION_JOIN
        )
        if chained or _not_fusion().match(text, right.end):
            continue  # RAS-RAF-MEK, HGF-MET signaling: pathways, not fusions
        five, three = left.targets[0], right.targets[0]
        noun = _FUSION_NOUN.match(text, right.end)
        end = noun.end() if noun else right.end
        out.append(Hit(left.start, end, Label.VARIANT, (), parse_alteration(three, f"{five}-{three}")))
    return out


def nearest_gene(genes: list[Hit], start: int, end: int, sentences: list[int]) -> str:
    """The closest gene in the same sentence, preferring one before the variant."""
    i = bisect_right(sentences, start) - 1
    low, high = sentences[i], sentences[i + 1] if i + 1 < len(sentences) else 1 << 62
    before = [g for g in genes if low <= g.start and g.end <= start]
    after = [g for g in genes if end <= g.start < high]
    if before:
        return max(before, key=lambda g: g.end).targets[0]
    return min(after, key=lambda g: g.start).targets[0] if after else ""
