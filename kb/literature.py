"""Literature on all the concepts: what a query asks of an article's concept tags.

Each concept written in the query becomes one :class:`ConceptSlot` (:func:`concept_slots`); an article
fills a slot with the tags that *carry* the concept, or only touches it with tags that *hint* at it:

* a gene: ``gene:BRAF``; a gene written with a variant of it (``BRAF V600E``) makes no slot of its own, as
  the variant implies its gene;
* a variant: its own tag (``variant:BRAF:V600E``), or the tagger's gene-less form of the same event
  (``variant:V600E``, 0.9); the gene alone only hints at it (0.5): the article may be about another variant;
* a tumor: its OncoTree family, with the query's weights (1 for the code named, 0.9 for a descendant,
  0.6 for an ancestor);
* a drug: its tag; a drug class: a tag of any of its drugs; a biomarker: a tag of an alteration that
  reports it (``variant:CD274:EXPRESSION`` for PD-L1), its genes only hint at it (0.5, as a variant's gene);
  the genes a drug or a class implies (their targets) hint more weakly (0.25);
* an ambiguous concept: any of its candidates carries it.

Concepts an article can't carry as a tag (TMB-H, an ambiguous tumor) make no slot. :func:`slot_match`
tells how many slots an article carries and its credit over all of them; :func:`kb.ranking.article_scores`
ranks by the first, then by text and the second, strictly when :func:`concepts_are_the_question`. The
weights are the ones evidence ranking gives the same relations (``docs/search.md``): a variant's gene 0.5,
a tumor's family 0.9 and 0.6. :func:`tagged_articles` reads the candidates from the store by tag, and
:func:`organ_words` keeps a tumor's label in the text query from pulling other organs' articles.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.domain import AlterationKind
from kb.vocab.variants import parse_alteration

if TYPE_CHECKING:
    from kb.query import Concept, ParsedQuery
    from kb.ranking import ConceptTargets
    from kb.store.base import Backend
    from kb.vocab import Vocabularies
    from kb.vocab.tumors import TumorVocabulary

__all__ = [
    "GENELESS_VARIANT",
    "RELATED_GENE",
    "VARIANT_GENE",
    "ConceptSlot",
    "concept_sets",
    "concept_slots",
    "concepts_are_the_question",
    "organ_words",
    "slot_ids",
    "slot_match",
    "tagged_articles",
]

#: A variant tagged without a gene in reach (``variant:V600E``) for the query's ``BRAF:V600E``.
GENELESS_VARIANT = 0.9
#: The gene of a queried variant, alteration kind or biomarker state, alone (as evidence ranking: 0.5).
VARIANT_GENE = 0.5
#: A gene the query implies through a drug's (or a drug class's) targets, alone: weaker than a variant's gene.
RELATED_GENE = 0.25


@dataclass(frozen=True, slots=True)
class ConceptSlot:
    """One concept of the query, as article tags can carry it (``carriers``) or hint at it (``hints``)."""

    concept: str  # the query concept's key: variant:BRAF:V600E, tumor:COADREAD (an ambiguous one's written form)
    carriers: Mapping[str, float]  # article concept id -> how closely it is the concept (1: the concept itself)
    hints: Mapping[str, float] = field(default_factory=dict)  # ids that only point towards it, each below 1

    def credit(self, tags: Collection[str]) -> tuple[bool, float]:
        """Whether these tags carry the concept, and the best weight among them (0: neither carried nor hinted)."""
        carriers, hints = self.carriers, self.hints  # an article has a few tags, a tumor family dozens of codes
        carried = max((carriers.get(t, 0.0) for t in tags), default=0.0)
        hinted = max((hints.get(t, 0.0) for t in tags), default=0.0)
        return carried > 0, max(carried, hinted)

    @property
    def ids(self) -> set[str]:
        return set(self.carriers) | set(self.hints)


def slot_match(tags: Collection[str], slots: Sequence[ConceptSlot]) -> tuple[int, float]:
    """How many slots these tags carry, and their mean credit over all slots (0 with no slot)."""
    if not slots or not tags:
        return 0, 0.0
    credits = [slot.credit(tags) for slot in slots]
    return sum(carried for carried, _ in credits), sum(w for _, w in credits) / len(slots)


def concept_slots(parsed: ParsedQuery, q: ConceptTargets, vocab: Vocabularies) -> tuple[ConceptSlot, ...]:
    """One slot per written concept that an article tag can carry or hint at, in reading order.

    Implied concepts join the slot of the concept that implies them: a drug class's drugs carry it, the
    genes a drug or class implies hint at it. Tumor family weights are the query's (``q.tumor_family``).
    """
    implied: dict[str, list[Concept]] = {}
    for c in parsed.concepts:
        if c.implied:
            implied.setdefault(c.implied_by, []).append(c)
    # a variant implies its gene: "BRAF V600E" asks one thing, so a gene written with a variant of it is no slot
    variant_genes = {v.partition(":")[0] for c in parsed.concepts if c.type == "variant" for v in _ids(c)}
    slots: list[ConceptSlot] = []
    for c in parsed.concepts:
        if c.implied:
            continue
        carriers: dict[str, float] = {}
        hints: dict[str, float] = {}
        if c.type == "gene":
            carriers.update({f"gene:{gene}": 1.0 for gene in _ids(c) if gene not in variant_genes})
        elif c.type == "variant":
            for ident in _ids(c):
                gene, _, name = ident.partition(":")
                if not name:
                    continue
                carriers[f"variant:{ident}"] = 1.0
                if parse_alteration(gene, name).kind is AlterationKind.PROTEIN_CHANGE:  # tagged gene-less too
                    carriers.setdefault(f"variant:{name}", GENELESS_VARIANT)
                hints[f"gene:{gene}"] = VARIANT_GENE
        elif c.type == "tumor" and c.match != "ambiguous":  # as the evidence targets: an ambiguous tumor is no slot
            for code in _ids(c):
                family = [code, *vocab.tumors.ancestors(code), *vocab.tumors.descendants(code)]
                carriers.update({f"tumor:{t}": q.tumor_family.get(t, 0.0) for t in family if q.tumor_family.get(t)})
                carriers[f"tumor:{code}"] = 1.0
        elif c.type == "drug":
            carriers.update({f"drug:{d}": 1.0 for d in _ids(c)})
        elif c.type == "biomarker":
            for ident in _ids(c):
                marker = vocab.biomarkers.biomarkers.get(ident)
                if marker is not None:
                    carriers.update({f"variant:{a}": 1.0 for a in marker.alterations})
                    hints.update({f"gene:{g}": VARIANT_GENE for g in marker.genes})
        for other in implied.get(c.key, ()):
            if other.type == "drug":
                carriers[other.key] = 1.0
            elif other.type == "gene":
                hints[other.key] = max(hints.get(other.key, 0.0), RELATED_GENE)
        hints = {i: w for i, w in hints.items() if i not in carriers}
        if carriers or hints:
            slots.append(ConceptSlot(c.key, carriers, hints))
    return tuple(slots)


def _ids(c: Concept) -> tuple[str, ...]:
    return c.candidates if c.match == "ambiguous" and c.candidates else (c.id,)


_LATIN = re.compile(r"[A-Za-z]{2}")


def concepts_are_the_question(parsed: ParsedQuery) -> bool:
    """Whether the concepts account for every query word the English literature could match: no word with
    Latin letters is left unresolved. Chinese words left over (治疗) and bare numbers match no English text, so
    only the concepts answer; an English word left over (``fractures``, ``diet``) is part of the question that
    only the text can answer, as in NFCorpus's nutrition questions."""
    return not any(_LATIN.search(word) for word in parsed.unresolved)


def slot_ids(slots: Sequence[ConceptSlot]) -> tuple[list[str], list[str]]:
    """The article concept ids of the slots, and those among them that carry a slot fully (weight 1)."""
    wanted = sorted({i for slot in slots for i in slot.ids})
    core = sorted({i for slot in slots for i, weight in slot.carriers.items() if weight >= 1.0})
    return wanted, core


def concept_sets(slots: Sequence[ConceptSlot]) -> tuple[tuple[str, ...], ...]:
    """The concept lookups of :func:`tagged_articles`: the slots' ids, and the ids that carry a slot fully
    when they differ (the store ranks by how many of the ids an article carries, so a second pass over the
    carriers keeps the articles with every concept in the pool when family codes and hints crowd the first)."""
    wanted, core = slot_ids(slots)
    return (tuple(wanted),) if core == wanted else (tuple(wanted), tuple(core))


def tagged_articles(
    store: Backend,
    sets: Sequence[Sequence[str]],
    found: Sequence[dict[str, tuple[str, ...]]],
    candidates: Sequence[str],
    *,
    limit: int,
) -> dict[str, tuple[str, ...]]:
    """The articles tagged with the ids of :func:`concept_sets`, each with the ids it carries (sorted), from
    the store's answers ``found`` to those lookups (:meth:`~kb.store.base.Backend.retrieve_articles`).

    When a lookup fills ``limit``, the ``candidates`` (text and cited hits) it left out have their tags read
    from their records, so that none of them is taken for concept-less because of the limit.
    """
    tagged = dict(found[0]) if found else {}
    full = len(tagged) >= limit
    for carrying in found[1:]:
        full = full or len(carrying) >= limit
        for pmid, tags in carrying.items():
            tagged[pmid] = tuple(sorted({*tagged.get(pmid, ()), *tags}))
    missing = [pmid for pmid in dict.fromkeys(candidates) if pmid not in tagged] if full else []
    if missing and sets:
        tagged.update(store.concepts_of(missing, sets[0]))
    return tagged


_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def organ_words(code: str, label: str, tumors: TumorVocabulary) -> str:
    """The words of a tumor's name that belong to its organ: those of which most OncoTree names holding them
    lie in its tissue (``colorectal``, not ``adenocarcinoma``, which names tumors of a dozen organs); the
    name whole when it has no such word (``Melanoma``: melanomas of skin, eye and mucosa)."""

    key = (id(tumors), len(tumors.nodes), code, label)
    if key not in _ORGAN_WORDS:
        _ORGAN_WORDS[key] = _organ_words(code, label, tumors)
    return _ORGAN_WORDS[key]


#: organ_words by vocabulary, code and label: the scan over OncoTree names runs once per tumor
_ORGAN_WORDS: dict[tuple[int, int, str, str], str] = {}


def _organ_words(code: str, label: str, tumors: TumorVocabulary) -> str:
    def tissue(node: str) -> str:
        return [node, *tumors.ancestors(node)][-1]

    own = tissue(code)
    words = _WORD.findall(label.casefold())
    holders: dict[str, list[str]] = {w: [] for w in words}
    for node, tumor in tumors.nodes.items():
        name = tumor.name.casefold()
        if any(w in name for w in holders):  # a cheap test first: few names hold any of the words
            for word in holders.keys() & set(_WORD.findall(name)):
                holders[word].append(tissue(node))
    kept = [w for w in words if 2 * sum(t == own for t in holders[w]) > len(holders[w])]
    return " ".join(kept) if kept else label
