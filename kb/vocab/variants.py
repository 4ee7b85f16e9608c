"""Variant vocabulary: parse source wording into a normalised :class:`Alteration`.

``parse_alteration("EGFR", "EXON 19 DELETION")`` gives ``EGFR:EXON19DEL``;
``parse_alteration("ABL1", "BCR-ABL T315I")`` gives ``ABL1:T315I`` with partner
BCR; ``parse_alteration("ALK", "EML4-ALK")`` gives the fusion ``ALK:EML4-ALK``.
Chinese and English event words (突变, 融合, 扩增, exon 19 deletion ...) live in
``data/variant_terms.tsv`` and are read by :func:`load_variant_terms`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from kb.domain import Alteration, AlterationKind

__all__ = [
    "PROTEIN_CHANGE",
    "VariantTerm",
    "alteration_components",
    "load_variant_terms",
    "normalise_protein_change",
    "parse_alteration",
]

_AA3 = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E", "GLY": "G",
    "HIS": "H", "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F", "PRO": "P", "SER": "S",
    "THR": "T", "TRP": "W", "TYR": "Y", "VAL": "V", "TER": "*", "SEC": "U",
}  # fmt: skip
_AA1 = "ACDEFGHIKLMNPQRSTVWY"

#: A one-letter protein change: V600E, T790M, G12C, R882, E746_A750del, A763_A764insFQEA, Q61*, S65fs
PROTEIN_CHANGE = re.compile(
    rf"(?<![A-Za-z0-9])(?:p\.)?([{_AA1}])(\d{{1,4}})"
    rf"(?:_([{_AA1}])(\d{{1,4}}))?"
    rf"((?:[{_AA1}*]|X|fs\*?\d*|del[{_AA1}]*|ins[{_AA1}]+|delins[{_AA1}]+|dup)?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_PROTEIN3 = re.compile(r"(?:p\.)?([A-Z][a-z]{2})(\d{1,4})([A-Z][a-z]{2}|\*|fs|del)", re.ASCII)
_EXON = re.compile(
    r"\b(?:exon|ex)\s*(\d{1,2})\s*(deletion|del|insertion|ins|skipping|skip|mutation|mut|duplication|dup)?",
    re.IGNORECASE,
)
_FUSION_PAIR = re.compile(r"^([A-Z0-9]{2,15})[-:/]{1,2}([A-Z0-9]{2,15})$")
_EXON_EVENT = {
    "deletion": "DEL", "del": "DEL", "insertion": "INS", "ins": "INS", "skipping": "SKIP", "skip": "SKIP",
    "mutation": "MUT", "mut": "MUT", "duplication": "DUP", "dup": "DUP",
}  # fmt: skip
_WORDS: list[tuple[re.Pattern[str], AlterationKind, str]] = [
    (re.compile(r"\bwild[\s-]?type\b|\bwt\b", re.I), AlterationKind.WILD_TYPE, "WILDTYPE"),
    (re.compile(r"\bfusions?\b|\brearrange", re.I), AlterationKind.FUSION, "FUSION"),
    (re.compile(r"\bamplifi|\bcopy number gain\b", re.I), AlterationKind.AMPLIFICATION, "AMPLIFICATION"),
    (re.compile(r"\bover-?expression\b", re.I), AlterationKind.EXPRESSION, "OVEREXPRESSION"),
    (re.compile(r"\bunder-?expression\b", re.I), AlterationKind.EXPRESSION, "UNDEREXPRESSION"),
    (re.compile(r"\bexpression\b", re.I), AlterationKind.EXPRESSION, "EXPRESSION"),
    (re.compile(r"\bitd\b|internal tandem dup", re.I), AlterationKind.ITD, "ITD"),
    (re.compile(r"\bloss[\s-]of[\s-]function\b", re.I), AlterationKind.LOSS, "LOSS-OF-FUNCTION"),
    (re.compile(r"\bloss\b|\bdeletion\b|\bcopy number loss\b", re.I), AlterationKind.LOSS, "LOSS"),
    (re.compile(r"\bmutations?\b|\bmutant\b", re.I), AlterationKind.MUTATION, "MUTATION"),
]


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
    exon = _EXON.search(core)
    if exon:
        number = int(exon.group(1))
        event = _EXON_EVENT.get((exon.group(2) or "mutation").lower(), "MUT")
        return Alteration(gene, AlterationKind.EXON, f"EXON{number}{event}", partner=partner, exon=number, label=label)
    parts = [normalise_protein_change(part) for part in core.split("/")]
    protein = "/".join(p for p in parts if p) if all(parts) else None
    if protein:
        return Alteration(gene, AlterationKind.PROTEIN_CHANGE, protein, partner=partner, label=label)
    for pattern, kind, name in _WORDS:
        if pattern.search(core):
            if kind is AlterationKind.MUTATION and core.upper() not in ("MUTATION", "MUTATIONS", "MUTANT"):
                name = _slug(core)
            return Alteration(gene, kind, name, partner=partner, label=label)
    return Alteration(gene, AlterationKind.OTHER, _slug(core) or "OTHER", partner=partner, label=label)


def alteration_components(alteration: Alteration) -> frozenset[str]:
    """The events named in an alteration's wording: ``EML4-ALK C1156Y-L1198F`` gives
    ``{EML4-ALK, C1156Y, L1198F}``; a simple one gives its own name."""
    found = {alteration.name}
    text = re.sub(r"\s*\((?:c|g|p)\.[^)]*\)", "", alteration.label or "")
    for m in PROTEIN_CHANGE.finditer(text):
        if len(m.group(2)) >= 2:
            found.add(m.group(0).upper().removeprefix("P."))
    for m in _EXON.finditer(text):
        found.add(f"EXON{int(m.group(1))}{_EXON_EVENT.get((m.group(2) or 'mutation').lower(), 'MUT')}")
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


def load_variant_terms(path: Path) -> list[VariantTerm]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            VariantTerm(
                term=row["term"],
                lang=row["lang"],
                kind=AlterationKind(row["kind"]),
                name=row["name"],
                exon=int(row["exon"]) if row.get("exon") else None,
            )
            for row in csv.DictReader(fh, delimiter="\t")
            if row.get("term")
        ]
