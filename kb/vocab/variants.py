"""Variant vocabulary: parse source wording into a normalised :class:`Alteration`.

``parse_alteration("EGFR", "EXON 19 DELETION")`` gives ``EGFR:EXON19DEL``;
``parse_alteration("ABL1", "BCR-ABL T315I")`` gives ``ABL1:T315I`` with partner
BCR; ``parse_alteration("ALK", "EML4-ALK")`` gives the fusion ``ALK:EML4-ALK``.
The words are data, each table read by one loader here:

* ``variant_terms.tsv``: Chinese and English event words of queries and abstracts
  (突变, 融合, exon 19 deletion, 阳性), :func:`load_variant_terms`;
* ``inflections.tsv``: their English inflections (mutated, fusions), :func:`inflections`;
* ``exon_events.tsv``: what happened to an exon (deletion, 缺失, skipping), :func:`exon_events`;
* ``alteration_words.tsv``: the event words of source wording (AMPLIFICATION,
  Loss-of-function), in the order :func:`parse_alteration` tries them, :func:`alteration_words`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from kb.domain import Alteration, AlterationKind
from kb.vocab.tables import authored, read_table, word_alternation

__all__ = [
    "AMINO_ACIDS",
    "AMINO_ACID_LETTERS",
    "PROTEIN_CHANGE",
    "AlterationWord",
    "ExonEvent",
    "ExonEvents",
    "VariantTerm",
    "alteration_components",
    "alteration_words",
    "exon_events",
    "fusion_pair",
    "inflections",
    "load_variant_terms",
    "normalise_protein_change",
    "parse_alteration",
]

#: The three-letter codes of the 20 standard amino acids and their one-letter codes (IUPAC), for the
#: protein-change patterns here, in :mod:`kb.query.scan` and in :mod:`kb.tagging`.
AMINO_ACIDS = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G",
    "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
    "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V",
}  # fmt: skip
AMINO_ACID_LETTERS = "ACDEFGHIKLMNPQRSTVWY"
_AA3 = {code.upper(): letter for code, letter in AMINO_ACIDS.items()} | {"TER": "*", "SEC": "U"}
_AA1 = AMINO_ACID_LETTERS

#: A one-letter protein change: V600E, T790M, G12C, R882, E746_A750del, A763_A764insFQEA, Q61*, S65fs
PROTEIN_CHANGE = re.compile(
    rf"(?<![A-Za-z0-9])(?:p\.)?([{_AA1}])(\d{{1,4}})"
    rf"(?:_([{_AA1}])(\d{{1,4}}))?"
    rf"((?:[{_AA1}*]|X|fs\*?\d*|del[{_AA1}]*|ins[{_AA1}]+|delins[{_AA1}]+|dup)?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_PROTEIN3 = re.compile(r"(?:p\.)?([A-Z][a-z]{2})(\d{1,4})([A-Z][a-z]{2}|\*|fs|del)", re.ASCII)
_FUSION_PAIR = re.compile(r"^([A-Z0-9]{2,15})[-:/]{1,2}([A-Z0-9]{2,15})$")


def normalise_protein_change(text: str) -> str | None:
    """``p.Thr790Met`` / ``t790m`` / ``T790M`` -> ``T790M``; ``None`` if not a protein change."""
    text = text.strip()
    m3 = _PROTEIN3.fullmatch(text)
    if m3 and m3.group(1).upper() in _AA3:
        tail = m3.group(3)
        alt = _AA3.get(tail.upper(), tail.upper() if tail in ("fs", "del") else tail)
        return f"{_AA3[m3.group(1).upper()]}{m3.group(2)}{alt}".upper()
    m = PROTEIN_CHANGE.fullmatch(text)
    if m is None:
        return None
    return m.group(0).upper().removeprefix("P.")


def parse_alteration(gene: str, text: str) -> Alteration:
    """Normalise a source's variant wording for ``gene`` (never fails: unknown -> OTHER)."""
    label = " ".join(text.split())
    core = re.sub(r"\s*\((?:c|g|p)\.[^)]*\)", "", label).strip()  # drop "(c.224_226delTCT)"
    partner = ""
    head, _, rest = core.partition(" ")
    pair = _FUSION_PAIR.match(head.upper())
    side = _fusion_side(gene.upper(), pair.group(1), pair.group(2)) if pair else None
    if pair and side is not None:
        partner = pair.group(2) if side == 1 else pair.group(1)
        if not rest:
            return Alteration(gene, AlterationKind.FUSION, head.upper(), partner=partner, label=label)
        core = rest
    exon = _exon_wording().search(core)
    if exon:
        number = int(exon.group(1))
        event = exon_events().event(exon.group(2) or "", "MUT")
        return Alteration(gene, AlterationKind.EXON, f"EXON{number}{event}", partner=partner, exon=number, label=label)
    parts = [normalise_protein_change(part) for part in core.split("/")]
    protein = "/".join(p for p in parts if p) if all(parts) else None
    if protein:
        return Alteration(gene, AlterationKind.PROTEIN_CHANGE, protein, partner=partner, label=label)
    for word in alteration_words():
        if word.pattern.search(core):
            name = word.name
            if word.kind is AlterationKind.MUTATION and core.casefold() not in _words_of(word.name):
                name = _slug(core)  # TRUNCATING MUTATION, KINASE DOMAIN MUTATION: the wording says more
            return Alteration(gene, word.kind, name, partner=partner, label=label)
    return Alteration(gene, AlterationKind.OTHER, _slug(core) or "OTHER", partner=partner, label=label)


def fusion_pair(text: str) -> tuple[str, ...]:
    """The two genes of a pair written ``EML4-ALK``, ``EML4::ALK`` or ``EML4/ALK``, or ``()``."""
    pair = _FUSION_PAIR.match(text.upper())
    return (pair.group(1), pair.group(2)) if pair and pair.group(1) != pair.group(2) else ()


@lru_cache(maxsize=1 << 16)  # ranking asks for each evidence item's components on every query
def alteration_components(alteration: Alteration) -> frozenset[str]:
    """The events named in an alteration's wording: ``EML4-ALK C1156Y-L1198F`` gives
    ``{EML4-ALK, C1156Y, L1198F}``; a simple one gives its own name."""
    found = {alteration.name}
    text = re.sub(r"\s*\((?:c|g|p)\.[^)]*\)", "", alteration.label or "")
    for m in PROTEIN_CHANGE.finditer(text):
        if len(m.group(2)) >= 2:
            found.add(m.group(0).upper().removeprefix("P."))
    for m in _exon_wording().finditer(text):
        found.add(f"EXON{int(m.group(1))}{exon_events().event(m.group(2) or '', 'MUT')}")
    for token in re.split(r"[\s;,]+", text.upper()):
        pair = _FUSION_PAIR.match(token)
        if pair and _fusion_side(alteration.gene.upper(), pair.group(1), pair.group(2)) is not None:
            found.add(token)
    return frozenset(found)


def _fusion_side(gene: str, left: str, right: str) -> int | None:
    """1 or 2 when ``gene`` is that side of a ``LEFT-RIGHT`` pair (BCR-ABL names ABL1)."""
    if left == right:
        return None
    for side, name in ((2, right), (1, left)):
        if gene == name or (len(name) >= 3 and gene.startswith(name) and gene[len(name) :].isdigit()):
            return side
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9*/+\-.>_]+", "_", text.upper()).strip("_")


@dataclass(frozen=True, slots=True)
class VariantTerm:
    """An event word in Chinese or English, e.g. 融合 -> FUSION."""

    term: str
    lang: str
    kind: AlterationKind
    name: str  # normalised alteration name it stands for ("" when it only qualifies, like 阳性)
    exon: int | None = None
    polarity: Literal["positive", "negative", ""] = ""  # 阳性 / positive / +, 阴性 / negative


def load_variant_terms(path: Path) -> list[VariantTerm]:
    """``variant_terms.tsv`` (or a table like it); an unknown kind or polarity raises ``ValueError``."""
    return [
        VariantTerm(
            term=row["term"],
            lang=row["lang"],
            kind=AlterationKind(row["kind"]),
            name=row["name"],
            exon=int(row["exon"]) if row.get("exon") else None,
            polarity=_polarity(row.get("polarity", "")),
        )
        for row in read_table(path)
        if row.get("term")
    ]


def _polarity(value: str) -> Literal["positive", "negative", ""]:
    if value == "positive":
        return "positive"
    if value == "negative":
        return "negative"
    if not value:
        return ""
    raise ValueError(f"variant_terms.tsv: polarity {value!r} is not positive, negative or empty")


@cache
def inflections() -> Mapping[str, tuple[str, ...]]:
    """``inflections.tsv``: an English term of ``variant_terms.tsv`` (case-folded) -> its other forms."""
    found: dict[str, list[str]] = {}
    for row in read_table(authored("inflections.tsv")):
        if row["term"] and row["form"]:
            found.setdefault(row["term"].casefold(), []).append(row["form"])
    return {term: tuple(forms) for term, forms in found.items()}


@dataclass(frozen=True, slots=True)
class ExonEvent:
    """A row of ``exon_events.tsv``: ``deletion`` (en) says ``DEL``; ``19del`` may be written (shorthand)."""

    word: str
    lang: str
    event: str
    shorthand: bool = False


@dataclass(frozen=True, slots=True)
class ExonEvents:
    """``exon_events.tsv``: the words that say what happened to an exon, in table order."""

    rows: tuple[ExonEvent, ...]

    def words(self, lang: str, *, shorthand: bool = False) -> tuple[str, ...]:
        """The words of a language, longest first (for regex alternations); only shorthands if asked."""
        found = [row.word for row in self.rows if row.lang == lang and (row.shorthand or not shorthand)]
        return tuple(sorted(found, key=len, reverse=True))

    def event(self, word: str, default: str = "") -> str:
        """The event a word says (``deletions`` -> ``DEL``, ``跳读`` -> ``SKIP``); ``default`` when none."""
        folded = word.casefold()
        return next((row.event for row in self.rows if row.word.casefold() == folded), default)

    def label(self, event: str, lang: str) -> str:
        """The first word of ``event`` in ``lang``: the one labels use (``deletion``, ``缺失``)."""
        return next((row.word for row in self.rows if row.event == event and row.lang == lang), "")


@cache
def exon_events() -> ExonEvents:
    """``exon_events.tsv``."""
    rows = read_table(authored("exon_events.tsv"))
    return ExonEvents(
        tuple(ExonEvent(r["word"], r["lang"], r["event"], r["shorthand"] == "yes") for r in rows if r["word"])
    )


@cache
def _exon_wording() -> re.Pattern[str]:
    """``exon 19 deletion``, ``EXON 14 SKIPPING MUTATION``, ``ex20ins`` in source wording (English)."""
    events = "|".join(map(re.escape, exon_events().words("en")))
    return re.compile(rf"\b(?:exon|ex)\s*(\d{{1,2}})\s*({events})?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AlterationWord:
    """A row of ``alteration_words.tsv``: a word of source wording and the alteration it gives."""

    word: str
    kind: AlterationKind
    name: str
    pattern: re.Pattern[str]


@cache
def alteration_words() -> tuple[AlterationWord, ...]:
    """``alteration_words.tsv`` in table order (the order :func:`parse_alteration` tries them)."""
    return tuple(
        AlterationWord(
            row["word"], AlterationKind(row["kind"]), row["name"], re.compile(word_alternation([row["word"]]), re.I)
        )
        for row in read_table(authored("alteration_words.tsv"))
        if row["word"]
    )


@cache
def _words_of(name: str) -> frozenset[str]:
    """The plain words (no ``*``) of ``alteration_words.tsv`` that give ``name``, case-folded."""
    return frozenset(w.word.casefold() for w in alteration_words() if w.name == name and "*" not in w.word)
