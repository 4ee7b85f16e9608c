"""Concept highlights for the literature list and the article view.

The concept tagger marks every gene, variant, tumor and drug mention of a title and
an abstract; :func:`snippet` picks the stretch of the abstract a reader should see
first (around the first mention of a concept the query asked for). Spans are character
offsets into the returned text, so a page inserts them as text and never as markup.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass

from kb.tagging import ConceptTagger, Mention

__all__ = ["Highlight", "Highlighted", "Highlighter", "snippet"]

SNIPPET_CHARS = 280
_SENTENCE_START = re.compile(r"(?<=[.!?;])\s+(?=\S)")


@dataclass(frozen=True, slots=True)
class Highlight:
    """``text[start:end]`` names ``concept`` (``gene:EGFR``); ``focus`` when the query asked for it."""

    start: int
    end: int
    concept: str
    focus: bool


@dataclass(frozen=True, slots=True)
class Highlighted:
    title: tuple[Highlight, ...]
    text: str  # the abstract, or a snippet of it
    text_spans: tuple[Highlight, ...]
    clipped_start: bool = False  # the snippet starts inside the abstract
    clipped_end: bool = False


def _spans(
    mentions: list[Mention], focus: Collection[str], lo: int = 0, hi: int | None = None
) -> tuple[Highlight, ...]:
    """Mentions inside ``[lo, hi)``, shifted to start at ``lo``; overlaps keep the earlier, longer one."""
    out: list[Highlight] = []
    last_end = -1
    for m in sorted(mentions, key=lambda m: (m.start_char, -m.end_char)):
        if m.start_char < lo or (hi is not None and m.end_char > hi) or m.start_char < last_end:
            continue
        out.append(Highlight(m.start_char - lo, m.end_char - lo, m.concept_id, m.concept_id in focus))
        last_end = m.end_char
    return tuple(out)


def snippet(text: str, mentions: list[Mention], focus: Collection[str], size: int = SNIPPET_CHARS) -> tuple[int, int]:
    """``(start, end)`` of about ``size`` characters of ``text``: from the sentence holding the first
    focused mention (else the first mention, else the start), cut at a word boundary."""
    if len(text) <= size:
        return 0, len(text)
    first = next((m for m in mentions if m.concept_id in focus), mentions[0] if mentions else None)
    anchor = first.start_char if first else 0
    starts = [0, *(m.end() for m in _SENTENCE_START.finditer(text, 0, anchor + 1))]
    start = max(s for s in starts if s <= anchor)
    if anchor - start > size // 2:  # a long sentence: start a little before the mention, at a word
        start = text.rfind(" ", 0, anchor - size // 4) + 1
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    return start, end


class Highlighter:
    """Tags on demand; the tagger is built on first use (a few seconds) and shared by threads."""

    def __init__(self, build: Callable[[], ConceptTagger]) -> None:
        self._build = build
        self._tagger: ConceptTagger | None = None
        self._lock = threading.Lock()

    @property
    def tagger(self) -> ConceptTagger:
        with self._lock:
            if self._tagger is None:
                self._tagger = self._build()
            return self._tagger

    def article(self, title: str, abstract: str, focus: Collection[str], *, whole: bool = False) -> Highlighted:
        """Highlights of ``title`` and of the abstract (whole, or a snippet when ``whole`` is false)."""
        tagger = self.tagger
        title_mentions, text_mentions = tagger.tag(title), tagger.tag(abstract)
        lo, hi = (0, len(abstract)) if whole else snippet(abstract, text_mentions, focus)
        return Highlighted(
            title=_spans(title_mentions, focus),
            text=abstract[lo:hi],
            text_spans=_spans(text_mentions, focus, lo, hi),
            clipped_start=lo > 0,
            clipped_end=hi < len(abstract),
        )
