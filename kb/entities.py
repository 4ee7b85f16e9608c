"""Entity lookups behind the entity pages and endpoints; unknown ids raise NotFoundError."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from kb.domain import Article, Biomarker, Drug, Evidence, Gene, TestItem, TumorType
from kb.errors import NotFoundError
from kb.ranking import LEVEL_WEIGHT
from kb.store.base import ArticleFilter, Backend, EvidenceFilter
from kb.vocab import Vocabularies

__all__ = ["LITERATURE_WINDOW", "Entities", "EntityEvidence", "Paged"]

T = TypeVar("T")

# An entity's literature is counted and paged over at most this many tagged articles (newest first).
LITERATURE_WINDOW = 1000


@dataclass(frozen=True, slots=True)
class EntityEvidence:
    count: int
    top: list[Evidence]


@dataclass(frozen=True, slots=True)
class Paged(Generic[T]):
    """One page of a longer list: ``total`` counts the whole list (``capped``: at least that many)."""

    total: int
    items: list[T]
    capped: bool = False


def _best_first(items: list[Evidence], limit: int) -> EntityEvidence:
    items.sort(key=lambda e: (-LEVEL_WEIGHT.get(e.level.value, 0), -(e.rating or 0), e.id))
    return EntityEvidence(len(items), items[:limit])


class Entities:
    """Genes, tumor types, drugs, biomarkers, articles, evidence and tests by id."""

    def __init__(
        self,
        store: Backend,
        vocab: Vocabularies,
        drug_targets: dict[str, tuple[str, ...]],
        biomarker_evidence: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.store = store
        self.vocab = vocab
        self.drug_targets = drug_targets
        self.biomarker_evidence = dict(biomarker_evidence or {})  # biomarker id -> evidence ids (the query index's)

    def gene(self, name: str, *, limit: int = 10) -> tuple[Gene, EntityEvidence]:
        gene = self._gene(name)
        items = self.store.evidence_matching(genes=[gene.symbol], tumors=[], drugs=[], filters=EvidenceFilter())
        return gene, _best_first(items, limit)

    def gene_evidence(self, name: str, *, page: int, size: int) -> tuple[Gene, Paged[Evidence]]:
        """One page of all of a gene's evidence, best first (level, then rating, then id)."""
        gene = self._gene(name)
        items = self.store.evidence_matching(genes=[gene.symbol], tumors=[], drugs=[], filters=EvidenceFilter())
        ranked = _best_first(items, len(items)).top
        start = (page - 1) * size
        return gene, Paged(len(ranked), ranked[start : start + size])

    def gene_articles(self, name: str, *, page: int, size: int) -> tuple[Gene, Paged[Article]]:
        """One page of the articles tagged with a gene, newest first in the store, over
        :data:`LITERATURE_WINDOW` articles at most."""
        gene = self._gene(name)
        tagged = list(
            self.store.articles_with_concepts([f"gene:{gene.symbol}"], limit=LITERATURE_WINDOW, filters=ArticleFilter())
        )
        start = (page - 1) * size
        wanted = tagged[start : start + size]
        found = self.store.get_articles(wanted)
        articles = [found[pmid] for pmid in wanted if pmid in found]
        return gene, Paged(len(tagged), articles, capped=len(tagged) >= LITERATURE_WINDOW)

    def _gene(self, name: str) -> Gene:
        match = self.vocab.genes.lookup(name)
        if match is None or match.symbol is None:
            details = {"candidates": list(match.candidates)} if match else {}
            raise NotFoundError(f"no gene is named {name!r}", details=details)
        return self.vocab.genes.genes[match.symbol]

    def tumor(self, code: str, *, limit: int = 10) -> tuple[TumorType, EntityEvidence]:
        node = self.vocab.tumors.by_code(code)
        if node is None:
            found = self.vocab.tumors.lookup(code)
            node = self.vocab.tumors.nodes[found[0]] if len(found) == 1 else None
        if node is None:
            raise NotFoundError(f"no OncoTree tumor type is coded or named {code!r}")
        codes = [node.code, *self.vocab.tumors.descendants(node.code)]
        items = self.store.evidence_matching(genes=[], tumors=codes, drugs=[], filters=EvidenceFilter())
        return node, _best_first(items, limit)

    def drug(self, name: str, *, limit: int = 10) -> tuple[Drug, tuple[str, ...], EntityEvidence]:
        found = self.vocab.drugs.lookup(name)
        if len(found) != 1:
            raise NotFoundError(f"no drug is named {name!r}", details={"candidates": list(found)} if found else {})
        drug = self.vocab.drugs.drugs[found[0]]
        members = drug.members or (drug.inn,)
        items = self.store.evidence_matching(genes=[], tumors=[], drugs=list(members), filters=EvidenceFilter())
        targets = tuple(dict.fromkeys(g for m in members for g in self.drug_targets.get(m, ())))
        return drug, targets, _best_first(items, limit)

    def biomarker(self, name: str, *, limit: int = 10) -> tuple[Biomarker, list[TestItem], EntityEvidence]:
        """A biomarker by id or an unambiguous name (MSI, 微卫星高度不稳定), the published tests that report it
        and its evidence (the items about it and those filed under an alteration that reports it)."""
        found = self.vocab.biomarkers.lookup(name)
        if len(found) != 1:
            details = {"candidates": list(found)} if found else {}
            raise NotFoundError(f"no biomarker is named {name!r}", details=details)
        biomarker = self.vocab.biomarkers.biomarkers[found[0]]
        tests = [t for t in self.tests() if biomarker.id in t.biomarkers]
        items = list(self.store.get_evidence_many(self.biomarker_evidence.get(biomarker.id, ())).values())
        return biomarker, tests, _best_first(items, limit)

    def article(self, pmid: str) -> Article:
        article = self.store.get_articles([pmid]).get(pmid)
        if article is None:
            raise NotFoundError(f"no article with PMID {pmid!r}")
        return article

    def evidence(self, evidence_id: str) -> Evidence:
        found = self.store.get_evidence(evidence_id) or self.store.get_evidence(f"civic:{evidence_id}")
        if found is None:
            raise NotFoundError(f"no evidence item {evidence_id!r}")
        return found

    def tests(self, *, include_drafts: bool = False) -> list[TestItem]:
        return [t for t in self.store.iter_tests() if t.published or include_drafts]

    def test(self, test_id: str) -> TestItem:
        for item in self.tests():
            if item.id.upper() == test_id.upper():
                return item
        raise NotFoundError(f"no published test item {test_id!r}")
