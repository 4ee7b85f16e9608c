"""The typed result of query understanding: :class:`Concept` s in a :class:`ParsedQuery`.

Ids are the stable ids of :mod:`kb.domain`: an HGNC symbol for a gene, the
:class:`~kb.domain.Alteration` id (``EGFR:T790M``, ``ALK:FUSION``,
``EGFR:EXON19DEL``) for a variant, an OncoTree code for a tumor type and the
lowercase INN for a drug; a drug class has its id in ``drug_classes.tsv``
(``egfr-tki``; ``egfr-tki-gen3`` for one generation); a biomarker has its id in ``biomarkers.tsv``
(``MSI-H``, ``PD-L1``) and the value written with it in ``value`` (``TPS>=50%``). An ``ambiguous``
concept carries the written form as its id (``BRCA``, ``TRK``; ``BRCA:MUTATION`` or ``G12D`` for a variant) and the
canonical ids it may mean in ``candidates``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["NORMALISED", "Concept", "ConceptType", "MatchKind", "ParsedQuery"]

ConceptType = Literal["gene", "variant", "tumor", "drug", "drug_class", "biomarker"]
MatchKind = Literal["exact", "alias", "fuzzy", "ambiguous", "fullwidth", "traditional", "split", "pinyin", "homophone"]
#: The match values that say how the written text was normalised, strongest first: a concept whose
#: words needed several takes the first (a homophone written in Traditional characters is ``homophone``).
NORMALISED: tuple[MatchKind, ...] = ("fuzzy", "homophone", "pinyin", "split", "traditional", "fullwidth")


@dataclass(frozen=True, slots=True)
class Concept:
    """One concept read from a query.

    ``match``: ``exact`` for the canonical id or name (HGNC symbol, OncoTree code
    or name, INN, official Chinese name, a variant as written); ``alias`` for a
    previous symbol, alias, synonym, brand or abbreviation, a gene settled by
    context, and a variant read from 阳性/positive; ``fuzzy`` for a term one edit
    away; ``ambiguous`` when several ``candidates`` remain. How the text was
    normalised before it matched (``docs/query.md``, "Normalisation"):
    ``fullwidth`` (full-width letters or digits), ``traditional`` (Traditional
    characters), ``split`` (a run-together word read as two terms), ``pinyin``
    (Latin letters spelling a Chinese name) and ``homophone`` (a Chinese word
    sounding like a name, a pinyin keyboard's wrong character).
    """

    type: ConceptType
    id: str
    label: str
    label_zh: str
    matched: str
    match: MatchKind
    candidates: tuple[str, ...] = ()
    implied: bool = False
    implied_by: str = ""
    value: str = ""  # biomarker: the value written with it (TPS>=50%, TMB 12 mut/Mb, high, IHC 2+/ISH-)

    @property
    def key(self) -> str:
        """``type:id``, the form used in ``implied_by`` and in article concepts (``drug:osimertinib``)."""
        return f"{self.type}:{self.id}"

    def to_dict(self) -> dict[str, object]:
        """The API shape: candidates only when ambiguous, ``implied`` only when true."""
        out: dict[str, object] = {
            "type": self.type,
            "id": self.id,
            "label": self.label,
            "label_zh": self.label_zh,
            "matched": self.matched,
            "match": self.match,
        }
        if self.match == "ambiguous":
            out["candidates"] = list(self.candidates)
        if self.implied:
            out["implied"] = True
            out["implied_by"] = self.implied_by
        if self.value:
            out["value"] = self.value
        return out


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query's concepts in reading order (implied concepts after the written ones), and its intents."""

    text: str
    concepts: tuple[Concept, ...]
    unresolved: tuple[str, ...]  # query words that matched nothing (stopwords excluded)
    intents: tuple[str, ...] = ()  # what the doctor asks, in order (kb.vocab.words.Intent: resistance, prognosis ...)

    def ids(self, type: ConceptType, *, candidates: bool = False, implied: bool = True) -> tuple[str, ...]:
        """Canonical ids of one type, in order and without repeats.

        Ambiguous concepts have no canonical id: they are left out, or, with
        ``candidates=True``, contribute their candidates.
        """
        out: dict[str, None] = {}
        for concept in self.concepts:
            if concept.type != type or (concept.implied and not implied):
                continue
            if concept.match == "ambiguous":
                if candidates:
                    out.update(dict.fromkeys(concept.candidates))
            else:
                out[concept.id] = None
        return tuple(out)

    @property
    def genes(self) -> tuple[str, ...]:
        """HGNC symbols, implied ones included."""
        return self.ids("gene")

    @property
    def variants(self) -> tuple[str, ...]:
        return self.ids("variant")

    @property
    def tumors(self) -> tuple[str, ...]:
        return self.ids("tumor")

    @property
    def drugs(self) -> tuple[str, ...]:
        return self.ids("drug")

    @property
    def biomarkers(self) -> tuple[str, ...]:
        """Biomarker ids (MSI-H, PD-L1); the values are on the concepts."""
        return self.ids("biomarker")

    def of_type(self, type: ConceptType) -> tuple[Concept, ...]:
        return tuple(c for c in self.concepts if c.type == type)

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "concepts": [concept.to_dict() for concept in self.concepts],
            "unresolved": list(self.unresolved),
            "intents": list(self.intents),
        }
