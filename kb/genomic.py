"""Genomic changes mapped to curated variants, by CIViC's GRCh37 coordinates (docs/annotate.md).

CIViC's variant summaries (``*VariantSummaries.tsv`` beside its evidence in the data folder) give, for many
variants, the GRCh37 chromosome, start, stop, reference and variant bases. A genomic change written the
way OncoKB's clients write it (``7,140453136,140453136,A,T``; ``-`` for no bases) or as HGVSg
(``7:g.140453136A>T``, ``7:g.55242465_55242479del``) maps to a variant only when all five agree. No
other liftover or normalisation is attempted: an unmapped change answers ``variantExist: false``, never
an error, and its problem says why.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["GenomicIndex", "GenomicVariant", "load_genomic_index", "parse_change"]

Change = tuple[str, int, int, str, str]  # chromosome, start, end, reference bases, variant bases
_HGVSG = re.compile(
    r"(?:chr)?([0-9]{1,2}|X|Y|MT?):g\.([0-9]+)(?:_([0-9]+))?"
    r"(?:([ACGTN]+)>([ACGTN]+)|del([ACGTN]*)ins([ACGTN]+)|del([ACGTN]*)|ins([ACGTN]+)|dup([ACGTN]*))",
    re.IGNORECASE,
)
_CHROMOSOME = re.compile(r"(?:chr)?([0-9]{1,2}|X|Y|MT?)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GenomicVariant:
    gene: str
    variant: str  # CIViC's name: V600E, EML4-ALK C1156Y
    civic_id: str
    change: Change


def _bases(text: str) -> str:
    text = text.strip().upper()
    return "" if text in ("-", ".", "NA") else text


def parse_change(text: str) -> Change | None:
    """``7,140453136,140453136,A,T`` or ``7:g.140453136A>T`` as a change, or ``None`` when it can't be read."""
    text = text.strip()
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 5:
        chrom = _CHROMOSOME.fullmatch(parts[0])
        if not (chrom and parts[1].isdigit() and parts[2].isdigit()):
            return None
        ref, alt = _bases(parts[3]), _bases(parts[4])
        if not re.fullmatch(r"[ACGTN]*", ref + alt) or not (ref or alt):
            return None
        return (chrom.group(1).upper(), int(parts[1]), int(parts[2]), ref, alt)
    m = _HGVSG.fullmatch(text)
    if m is None:
        return None
    start = int(m.group(2))
    end = int(m.group(3) or start)
    if m.group(4):  # substitution
        return (m.group(1).upper(), start, end, m.group(4).upper(), m.group(5).upper())
    if m.group(7):  # delins
        return (m.group(1).upper(), start, end, (m.group(6) or "").upper(), m.group(7).upper())
    if m.group(8) is not None and m.group(9) is None and m.group(10) is None and "del" in text.lower():
        return (m.group(1).upper(), start, end, (m.group(8) or "").upper(), "")
    if m.group(9):
        return (m.group(1).upper(), start, end, "", m.group(9).upper())
    return None


class GenomicIndex:
    """Curated variants by their GRCh37 change; empty when no variant summaries are at hand."""

    def __init__(self, variants: tuple[GenomicVariant, ...] = ()) -> None:
        self.variants = variants
        self._by_change = {v.change: v for v in variants}
        self._by_site: dict[tuple[str, int, int], list[GenomicVariant]] = {}
        for v in variants:
            self._by_site.setdefault(v.change[:3], []).append(v)

    def lookup(self, text: str, reference_genome: str = "GRCh37") -> GenomicVariant | tuple[str, str]:
        """The curated variant at this change, or why there is none: (reason, message)."""
        change = parse_change(text)
        if change is None:
            message = f"{text!r} is not a genomic change (chromosome,start,end,ref,alt or HGVSg)"
            return ("unreadable_genomic_change", message)
        if reference_genome.upper() != "GRCH37":
            return ("unknown_genomic_change", "curated coordinates are known on GRCh37 only")
        found = self._by_change.get(change) or _sole_bases(self._by_site.get(change[:3], []), change)
        return found or ("unknown_genomic_change", "no curated variant at this change")

    def __len__(self) -> int:
        return len(self.variants)


def _sole_bases(candidates: list[GenomicVariant], change: Change) -> GenomicVariant | None:
    """A curated deletion recorded without its bases matches a deletion of the same span."""
    same = [v for v in candidates if not v.change[4] and not change[4] and not v.change[3]]
    return same[0] if len(same) == 1 else None


@cache
def load_genomic_index(civic_dir: Path) -> GenomicIndex:
    """The variants of the newest ``*VariantSummaries.tsv`` in ``civic_dir`` with GRCh37 bases."""
    files = sorted(civic_dir.glob("*VariantSummaries.tsv")) if civic_dir.is_dir() else []
    if not files:
        return GenomicIndex()
    found: list[GenomicVariant] = []
    with files[-1].open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            ref, alt = _bases(row.get("reference_bases") or ""), _bases(row.get("variant_bases") or "")
            chrom, start, stop = row.get("chromosome") or "", row.get("start") or "", row.get("stop") or ""
            if row.get("reference_build") != "GRCh37" or not (ref or alt) or not (start.isdigit() and stop.isdigit()):
                continue
            change = (chrom.upper(), int(start), int(stop), ref, alt)
            found.append(
                GenomicVariant(row.get("gene") or "", row.get("variant") or "", row.get("variant_id") or "", change)
            )
    return GenomicIndex(tuple(found))
