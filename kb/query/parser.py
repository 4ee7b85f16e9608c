"""``parse_query``: a doctor's free text (Chinese, English or both) to typed concepts.

The stages, each a function over typed values:

1. :func:`kb.query.scan.normalise` the text (full-width to half-width,
   Traditional to Simplified) and find every dictionary and pattern hit;
   :func:`_select` keeps the longest non-overlapping ones, then fuzzy,
   run-together, pinyin and homophone hits (:mod:`kb.query.lenient`) fill
   uncovered words and stop words the remaining gaps; each mention's ``match``
   says how it was read (:meth:`kb.query.scan.QueryText.read_as`);
2. :func:`_choose` gives each hit one reading, in context (``BRCA`` after
   乳腺癌 is the genes, alone the tumor code); tumor names and gene pairs are
   scanned inside for the genes they name (``HER2阳性乳腺癌``);
3. :mod:`kb.query.assemble` settles ambiguous genes by context, attaches events
   and variants to genes, and adds the genes that variants and drugs imply.

The rules are documented, with examples, in ``docs/query.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kb.query.assemble import Mention, assemble
from kb.query.concepts import ParsedQuery
from kb.query.forms import Reading, ReadingType
from kb.query.index import QueryIndex
from kb.query.lenient import glued_into_name, homophone_hits, pinyin_hits, split_hits
from kb.query.scan import Hit, QueryText, dictionary_hits, fuzzy_hits, normalise, pattern_hits
from kb.query.values import biomarker_hits

__all__ = ["MAX_QUERY_CHARS", "parse_query"]

#: Longer input is read up to this many characters (a query, not a document).
MAX_QUERY_CHARS = 1000

_ORDER = {
    ReadingType.FUSION: 0,
    ReadingType.TUMOR: 1,
    ReadingType.DRUG: 2,
    ReadingType.GENE: 3,
    ReadingType.EVENT: 4,
    ReadingType.POLARITY: 5,
    ReadingType.DRUG_CLASS: 6,
    ReadingType.INTENT: 7,
    ReadingType.STOP: 8,
    ReadingType.BIOMARKER: 9,
}
_DRUGS = (ReadingType.DRUG_CLASS, ReadingType.DRUG)
_MOLECULAR = (ReadingType.GENE, ReadingType.EVENT, ReadingType.POLARITY, ReadingType.FUSION, ReadingType.BIOMARKER)


def parse_query(text: str, index: QueryIndex) -> ParsedQuery:
    """Read ``text`` into concepts; never raises on odd input (empty, markup, emoji, long CJK)."""
    query = normalise(text[:MAX_QUERY_CHARS])
    if not query.key:
        return ParsedQuery(text, (), ())
    dictionary = dictionary_hits(query, index)
    found = dictionary + [h for h in pattern_hits(query) if not glued_into_name(query, h, dictionary)]
    found += biomarker_hits(query, index.vocab, found)  # TPS≥50%, PD-L1高表达, HER2 1+
    concept_hits = [h for h in (_without_stops(h) for h in found) if h is not None]
    top = _select(concept_hits)
    covered = _coverage(len(query.key), top)
    for second_reading in (fuzzy_hits, split_hits, pinyin_hits):
        top = sorted(top + second_reading(query, index, covered), key=lambda h: h.start)
        covered = _coverage(len(query.key), top)
    top = sorted(top + homophone_hits(query, index, covered, dictionary), key=lambda h: h.start)
    covered = _coverage(len(query.key), top)
    stops = _select([h for h in found if h.readings[0].type is ReadingType.STOP and not any(covered[h.start : h.end])])
    intents = [h for h in top if all(r.type is ReadingType.INTENT for r in h.readings)]
    filler = _coverage(len(query.key), stops + intents)  # EGFR 耐药 突变: an intent word keeps the event by its gene
    mentions = [_read_as(query, m) for m in _mentions(query, index, top, filler)]
    covered = _coverage(len(query.key), [*top, *stops])
    parsed = assemble(query, index, mentions, filler, covered)
    return replace(parsed, text=text) if parsed.text != text else parsed


def _read_as(query: QueryText, mention: Mention) -> Mention:
    """The mention with ``match`` saying how its text was normalised (``split``, ``traditional``,
    ``fullwidth``); an ambiguous reading stays ambiguous and fuzzy, pinyin and homophone say more."""
    how = query.read_as(mention.start, mention.end)
    if not how or mention.reading.match in ("ambiguous", "fuzzy", "pinyin", "homophone"):
        return mention
    return replace(mention, reading=replace(mention.reading, match=how))


def _without_stops(hit: Hit) -> Hit | None:
    readings = tuple(r for r in hit.readings if r.type is not ReadingType.STOP)
    return Hit(hit.start, hit.end, readings) if readings else None


def _select(hits: list[Hit]) -> list[Hit]:
    """Longest first; on equal spans the dictionary (earlier) beats the patterns; no overlaps."""
    ranked = sorted(enumerate(hits), key=lambda ih: (-ih[1].length, ih[1].start, ih[0]))
    kept: list[Hit] = []
    for _, hit in ranked:
        if not any(hit.overlaps(k) for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _coverage(size: int, hits: list[Hit]) -> list[bool]:
    covered = [False] * (size + 1)
    for hit in hits:
        for p in range(hit.start, hit.end):
            covered[p] = True
    return covered


@dataclass(frozen=True, slots=True)
class _Context:
    """What the rest of the query says, for choosing between readings of one hit."""

    tumors: frozenset[int]  # starts of hits that can only be tumors
    targets: frozenset[str]  # target genes of the drugs named
    events: frozenset[int]  # starts of event / polarity / variant hits


def _context(index: QueryIndex, top: list[Hit]) -> _Context:
    tumors: set[int] = set()
    targets: set[str] = set()
    events: set[int] = set()
    for hit in top:
        types = {r.type for r in hit.readings}
        if ReadingType.TUMOR in types and ReadingType.GENE not in types:
            tumors.add(hit.start)
        for reading in hit.readings:
            if reading.type is ReadingType.DRUG:
                for inn in reading.ids:
                    targets.update(index.targets(inn))
            elif reading.type is ReadingType.DRUG_CLASS:
                for ident in reading.ids:
                    targets.update(index.class_genes(ident))
        if types & {ReadingType.EVENT, ReadingType.POLARITY, ReadingType.FUSION}:
            events.add(hit.start)
    return _Context(frozenset(tumors), frozenset(targets), frozenset(events))


def _adjacent(filler: list[bool], end: int, start: int) -> bool:
    return end <= start and all(filler[end:start])


def _choose(hit: Hit, following: Hit | None, ctx: _Context, filler: list[bool]) -> Reading:
    """One reading per hit; the clash between a gene and a tumor reading is settled by context."""
    by_type: dict[ReadingType, Reading] = {}
    for reading in sorted(hit.readings, key=lambda r: _ORDER[r.type]):
        by_type.setdefault(reading.type, reading)
    gene = by_type.get(ReadingType.GENE)
    symbol = gene is not None and gene.approved
    for kind in (ReadingType.FUSION, ReadingType.BIOMARKER, ReadingType.EVENT, ReadingType.POLARITY, *_DRUGS):
        if kind in by_type and (kind in (ReadingType.FUSION, ReadingType.BIOMARKER) or not symbol):
            return by_type[kind]
    tumor = by_type.get(ReadingType.TUMOR)
    if gene is None or tumor is None:
        return gene or tumor or hit.readings[0]
    event_follows = (
        following is not None and following.start in ctx.events and _adjacent(filler, hit.end, following.start)
    )
    if (
        (gene.approved and gene.oncology)
        or any(start != hit.start for start in ctx.tumors)
        or event_follows
        or any(c in ctx.targets for c in gene.ids)
    ):
        return gene
    return tumor


def _mentions(query: QueryText, index: QueryIndex, top: list[Hit], filler: list[bool]) -> list[Mention]:
    ctx = _context(index, top)
    out: list[Mention] = []
    for i, hit in enumerate(top):
        following = top[i + 1] if i + 1 < len(top) else None
        reading = _choose(hit, following, ctx, filler)
        out.append(Mention(hit.start, hit.end, reading, query.surface(hit.start, hit.end)))
        if reading.type in (ReadingType.TUMOR, ReadingType.FUSION):
            out.extend(_inside(query, index, hit, reading))
    return sorted(out, key=lambda m: (m.start, -m.end))


def _inside(query: QueryText, index: QueryIndex, outer: Hit, reading: Reading) -> list[Mention]:
    """Genes, events and 阳性 inside a tumor name (HER2阳性乳腺癌) or a gene pair (EML4-ALK)."""
    found = dictionary_hits(query, index, outer.start, outer.end) + [
        h for h in pattern_hits(query) if outer.start <= h.start and h.end <= outer.end
    ]
    found += [h for h in biomarker_hits(query, index.vocab, found) if outer.start <= h.start and h.end <= outer.end]
    inner = []
    for hit in found:
        if (hit.start, hit.end) == (outer.start, outer.end):
            continue
        readings = tuple(r for r in hit.readings if r.type in _MOLECULAR and r.type is not ReadingType.FUSION)
        if readings:
            inner.append(Hit(hit.start, hit.end, readings))
    mentions = []
    for hit in _select(inner):
        by_type = {r.type: r for r in reversed(hit.readings)}
        chosen = (
            by_type.get(ReadingType.BIOMARKER)
            or by_type.get(ReadingType.EVENT)
            or by_type.get(ReadingType.POLARITY)
            or hit.readings[0]
        )
        mentions.append(Mention(hit.start, hit.end, chosen, query.surface(hit.start, hit.end), inner=True))
    if reading.type is ReadingType.FUSION:  # the pair's genes settle any ambiguity: BCR-ABL names ABL1
        genes = {reading.ids[0], reading.partner}
        mentions = [m.settled(genes) for m in mentions]
    return mentions
