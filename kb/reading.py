"""Reading lists for doctors: the editors' lists of a topic, and one list resolved for display.

A list (:class:`kb.guidance.ReadingList`, kind ``reading_list``) names its items by PMID or evidence id. Resolved,
an article item carries the article when the library holds its PMID (else it is marked not held, PMID only), and
an evidence item carries the evidence and its line in words ("EGFR T790M 对奥希替尼敏感（非小细胞肺癌，B级）", as
:func:`kb.editorial.changes_text.evidence_line` words it), or is marked missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from kb.codec import to_dict
from kb.domain import Article, Evidence
from kb.editorial.changes_text import Sentence, evidence_line
from kb.entities import Paged
from kb.errors import DataError, NotFoundError
from kb.guidance import ReadingItem, ReadingList
from kb.guidance_checks import topic_problem
from kb.kinds import KINDS
from kb.store.base import Backend
from kb.vocab import Vocabularies

__all__ = ["ReadingLists", "ResolvedItem", "ResolvedList", "list_topics"]

_KIND = KINDS["reading_list"]


@dataclass(frozen=True, slots=True)
class ResolvedItem:
    """One entry of a list, with what the library holds of it: ``held`` is False for a PMID the library lacks or an
    evidence id it does not know."""

    item: ReadingItem
    held: bool
    article: Article | None = None
    evidence: Evidence | None = None
    summary: Sentence | None = None  # an evidence item in words


@dataclass(frozen=True, slots=True)
class ResolvedList:
    reading_list: ReadingList
    items: tuple[ResolvedItem, ...]


def list_topics(rl: ReadingList) -> tuple[str, ...]:
    """The topics a list is shown on: its own (``gene:EGFR``), then its further ``topics``."""
    return tuple(dict.fromkeys((f"{rl.topic_kind}:{rl.topic_key}", *rl.topics)))


class ReadingLists:
    """The published reading lists of a store (a few hundred at most: read whole, as the kind is kept)."""

    def __init__(self, store: Backend, vocab: Vocabularies) -> None:
        self.store = store
        self.vocab = vocab

    def all(self) -> list[ReadingList]:
        """Every list, by id."""
        return list(self.store.iter_records(_KIND.plural, ReadingList))

    def of_topic(self, topic: str) -> list[ReadingList]:
        """The lists shown on ``topic`` (``gene:EGFR``: a list's own topic or one of its ``topics``), by id; a topic
        that is not a known gene, tumor, drug or biomarker is a :class:`DataError`."""
        problem = topic_problem(topic, self.vocab)
        if problem:
            raise DataError(f"topic {topic!r}: {problem}", details={"field": "topic"})
        return [rl for rl in self.all() if topic in list_topics(rl)]

    def page(self, topic: str | None, *, page: int, size: int) -> Paged[ReadingList]:
        """One page of the lists of ``topic`` (of all lists without one)."""
        found = self.of_topic(topic) if topic else self.all()
        start = (page - 1) * size
        return Paged(len(found), found[start : start + size])

    def get(self, list_id: str) -> ReadingList:
        found = _KIND.find(self.store, self.vocab, list_id)
        if found is None:
            raise NotFoundError(f"no reading list {list_id!r}")
        return cast(ReadingList, found)  # the kind's finder reads ReadingList records

    def resolve(self, list_id: str) -> ResolvedList:
        """The list with each item's article or evidence, in the list's order."""
        rl = self.get(list_id)
        articles = self.store.get_articles([i.pmid for i in rl.items if i.pmid])
        out = []
        for item in rl.items:
            if item.pmid:
                art = articles.get(item.pmid)
                out.append(ResolvedItem(item, art is not None, article=art))
                continue
            ev = self.store.get_evidence(item.evidence)
            line = evidence_line(to_dict(ev), self.vocab) if ev is not None else None
            out.append(ResolvedItem(item, ev is not None, evidence=ev, summary=line))
        return ResolvedList(rl, tuple(out))
