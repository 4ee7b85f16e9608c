"""From chosen mentions to concepts: context, variants, implied genes, labels, leftovers.

* An ambiguous gene is settled by the genes the rest of the query names or
  implies (drug targets, the genes a variant is filed under): ``TRK 拉罗替尼``
  is NTRK1.
* An event (突变, fusion, 19号外显子缺失, T790M) belongs to the gene right before
  it, else right after it, else to the gene the evidence files it under; a
  generic event (突变) left alone belongs to the query's only gene, if any.
* 阳性 / positive after a gene reads as that gene's entry in
  ``positive_readings.tsv``; 阴性 / negative adds nothing.
* Two genes joined by ``-`` or ``::`` are a fusion named by the gene with more
  fusion evidence (KIF5B-RET -> RET:FUSION and RET:KIF5B-RET).
* A drug class implies its targets as genes and its members as drugs; intent
  words (耐药, 预后) become ``ParsedQuery.intents``, no concept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from itertools import pairwise

from kb.domain import Alteration, AlterationKind
from kb.query.concepts import NORMALISED, Concept, MatchKind, ParsedQuery
from kb.query.forms import Reading, ReadingType
from kb.query.index import QueryIndex
from kb.query.labels import (
    concept_for_biomarker,
    concept_for_class,
    concept_for_drug,
    concept_for_gene,
    concept_for_tumor,
    fusion_parts,
    variant_labels,
)
from kb.query.scan import QueryText
from kb.vocab.words import StopContext, stop_words

__all__ = ["Mention", "assemble"]

_JOINS = {"-", "::", "–", "—"}
_LIST_SEPARATORS = {"/", "、", ",", "，", "和", "及"}
_SLASH_NUMBER = re.compile(r"\s*/\s*(\d{1,2})(?![0-9A-Za-z])")


@dataclass(frozen=True, slots=True)
class Mention:
    """A hit with its chosen reading; ``ids`` narrows the reading's candidates once context settles them."""

    start: int
    end: int
    reading: Reading
    text: str
    inner: bool = False  # found inside a tumor name or a gene pair
    ids: tuple[str, ...] = ()
    match: str = ""

    @property
    def type(self) -> ReadingType:
        return self.reading.type

    @property
    def candidates(self) -> tuple[str, ...]:
        return self.ids or self.reading.ids

    @property
    def how(self) -> str:
        return self.match or self.reading.match

    @property
    def resolved(self) -> bool:
        return len(self.candidates) == 1

    def settled(self, genes: set[str]) -> Mention:
        """Resolved (reported as an alias) when exactly one candidate is among ``genes``; else unchanged."""
        if self.type is not ReadingType.GENE or self.resolved:
            return self
        kept = tuple(c for c in self.candidates if c in genes)
        return replace(self, ids=kept, match="alias") if len(kept) == 1 else self


@dataclass(frozen=True, slots=True)
class _Variant:
    start: int
    matched: str
    genes: tuple[str, ...]  # one: resolved; several: ambiguous
    form: str  # the written gene form (ambiguous ids: BRCA:MUTATION); "" for a bare variant
    kind: AlterationKind
    name: str
    match: MatchKind = "exact"
    partner: str = ""


def assemble(
    query: QueryText, index: QueryIndex, mentions: list[Mention], filler: list[bool], covered: list[bool]
) -> ParsedQuery:
    mentions = _settle(index, mentions)
    mentions += _slash_numbers(query, index, mentions, covered)
    mentions.sort(key=lambda m: (m.start, -m.end))
    variants, leftovers = _variants(query, index, mentions, filler)
    leftovers += [m.text for m in mentions if m.type is ReadingType.BIOMARKER and not m.candidates]  # TMB>5
    variants += _pairs(query, index, mentions)
    concepts = _concepts(index, mentions, variants)
    unresolved = _unresolved(query, covered, leftovers)
    said = [m for m in mentions if m.type is ReadingType.INTENT]
    intents = dict.fromkeys(i for m in said for i in m.reading.ids)
    if "resistance" in intents and all(
        m.text.casefold().strip() in _TREATMENT_WORDS for m in said if "sensitivity" in m.reading.ids
    ):
        intents.pop("sensitivity", None)  # 免疫治疗耐药: 治疗 names the treatment the question is about, no intent
    return ParsedQuery(query.raw, tuple(concepts), tuple(unresolved), tuple(intents))


def _settle(index: QueryIndex, mentions: list[Mention]) -> list[Mention]:
    context: set[str] = set()
    for m in mentions:
        if m.type is ReadingType.GENE and m.resolved:
            context.update(m.candidates)
        elif m.type is ReadingType.DRUG:
            for inn in m.candidates:
                context.update(index.targets(inn))
        elif m.type is ReadingType.FUSION:
            context.update(m.candidates)
        elif m.type is ReadingType.DRUG_CLASS:
            for ident in m.candidates:
                context.update(index.class_genes(ident))
        elif m.type is ReadingType.EVENT and m.reading.specific:
            context.update(gene for gene, _ in index.variant_genes.get(m.reading.name, ()))
    return [m.settled(context) for m in mentions]


def _slash_numbers(query: QueryText, index: QueryIndex, mentions: list[Mention], covered: list[bool]) -> list[Mention]:
    """``BRCA1/2`` names BRCA1 and BRCA2."""
    out = []
    for m in mentions:
        if m.type is not ReadingType.GENE or not m.resolved or m.end >= len(query.key):
            continue
        symbol = m.candidates[0]
        stem = symbol.rstrip("0123456789")
        found = _SLASH_NUMBER.match(query.raw, query.src[m.end - 1] + 1)
        if stem == symbol or found is None or index.gene(stem + found[1]) is None:
            continue
        start, end = query.key_span(found.start(1), found.end(1))
        reading = Reading(ReadingType.GENE, (stem + found[1],), "alias", approved=True)
        out.append(Mention(start, end, reading, query.raw[query.src[m.start] : found.end()]))
        for p in range(start, end):
            covered[p] = True
    return out


def _variants(
    query: QueryText, index: QueryIndex, mentions: list[Mention], filler: list[bool]
) -> tuple[list[_Variant], list[str]]:
    """Attach events, variants and 阳性 to genes (rules in the module docstring)."""
    chain = [m for m in mentions if m.type in (ReadingType.GENE, ReadingType.EVENT, ReadingType.POLARITY)]
    chain += [m for m in mentions if m.type is ReadingType.FUSION]
    fusion_spans = [(m.start, m.end) for m in mentions if m.type is ReadingType.FUSION]
    chain = [m for m in chain if not (m.inner and any(s <= m.start and m.end <= e for s, e in fusion_spans))]
    chain.sort(key=lambda m: (m.start, -m.end))
    genes = [m for m in mentions if m.type is ReadingType.GENE and m.resolved]
    out: list[_Variant] = []
    leftovers: list[str] = []
    made: dict[int, _Variant] = {}  # chain position -> the variant it produced
    pending: list[Mention] = []
    for i, m in enumerate(chain):
        prev = chain[i - 1] if i and _adjacent(filler, chain[i - 1].end, m.start) else None
        nxt = chain[i + 1] if i + 1 < len(chain) and _adjacent(filler, m.end, chain[i + 1].start) else None
        if m.type is ReadingType.GENE:
            continue
        if m.type is ReadingType.FUSION:
            gene = m.candidates[0]
            how, pair = _read("exact", m), m.reading
            made[i] = _Variant(m.start, m.text, (gene,), "", AlterationKind.FUSION, pair.name, how, pair.partner)
            out += [made[i], replace(made[i], name="FUSION", partner="")]
            continue
        owner = prev if prev is not None and prev.type is ReadingType.GENE else None
        owner = owner or (
            nxt if nxt is not None and nxt.type is ReadingType.GENE and m.type is ReadingType.EVENT else None
        )
        before = made.get(i - 1) if prev is not None else None
        if m.type is ReadingType.POLARITY:
            if before is None and owner is not None and owner.end <= m.start and m.reading.positive:
                read = _positive(index, owner, query.surface(owner.start, m.end))
                out += [replace(v, match=_read(v.match, owner, m)) for v in read]
            continue
        reading = m.reading
        if before is not None and not reading.specific:
            continue  # 突变 / 融合 after a variant: already said (T790M突变, EML4-ALK融合)
        if before is not None:
            made[i] = replace(
                before, start=m.start, matched=m.text, kind=reading.kind or AlterationKind.OTHER, name=reading.name
            )
            made[i] = replace(made[i], partner="", match=_read("exact", m))
        elif owner is not None:
            listed = _listed_before(query, chain, owner) if owner.end <= m.start else []
            span = query.surface(min(owner.start, m.start, *(g.start for g in listed)), max(owner.end, m.end))
            kind, how = reading.kind or AlterationKind.OTHER, _read("exact", owner, m)
            made[i] = _Variant(m.start, span, owner.candidates, owner.text.upper(), kind, reading.name, how)
            out += [_Variant(g.start, span, g.candidates, g.text.upper(), kind, reading.name, how) for g in listed]
        elif not reading.specific:
            pending.append(m)
            continue
        else:
            variant = _bare(index, m, genes)
            if variant is None:
                leftovers.append(m.text)
                continue
            made[i] = replace(variant, match=_read(variant.match, m))
        out.append(made[i])
    if len({g.candidates[0] for g in genes}) == 1:
        only = genes[0].candidates
        for m in pending:
            kind = m.reading.kind or AlterationKind.OTHER
            out.append(_Variant(m.start, m.text, only, "", kind, m.reading.name, _read("exact", m)))
    return out, leftovers


def _listed_before(query: QueryText, chain: list[Mention], owner: Mention) -> list[Mention]:
    """Genes listed before ``owner`` with ``/``, ``、`` or ``,`` (KRAS/NRAS/BRAF突变, BRCA1/2突变)."""
    out: list[Mention] = []
    i = chain.index(owner)
    while i > 0 and chain[i - 1].type is ReadingType.GENE and chain[i - 1].end <= chain[i].start:
        between = query.raw[query.src[chain[i - 1].end - 1] + 1 : query.src[chain[i].start]]
        if unicodedata.normalize("NFKC", between).strip() not in _LIST_SEPARATORS:
            break
        i -= 1
        out.append(chain[i])
    return out


def _adjacent(filler: list[bool], end: int, start: int) -> bool:
    return end <= start and all(filler[end:start])


def _positive(index: QueryIndex, owner: Mention, matched: str) -> list[_Variant]:
    readings = {index.positive[gene] for gene in owner.candidates if gene in index.positive}
    if len(readings) != 1 or not all(gene in index.positive for gene in owner.candidates):
        return []
    ((kind, name),) = readings
    return [_Variant(owner.start, matched, owner.candidates, owner.text.upper(), kind, name, match="alias")]


def _bare(index: QueryIndex, m: Mention, genes: list[Mention]) -> _Variant | None:
    """A variant with no gene beside it: the query's gene that the evidence supports, else the evidence's gene."""
    name, kind = m.reading.name, m.reading.kind or AlterationKind.OTHER
    filed = {gene for gene, _ in index.variant_genes.get(name, ())}
    named = list(dict.fromkeys(g.candidates[0] for g in genes))
    supported = [g for g in named if g in filed]
    if len(supported) == 1 or (len(named) == 1 and not filed):
        gene = (supported or named)[0]
        return _Variant(m.start, m.text, (gene,), "", kind, name)
    candidates = index.variant_gene(name)
    if not candidates:
        return None
    return _Variant(m.start, m.text, candidates, "", kind, name, match="exact" if len(candidates) == 1 else "ambiguous")


def _pairs(query: QueryText, index: QueryIndex, mentions: list[Mention]) -> list[_Variant]:
    """``KIF5B-RET``, ``EML4::ALK``: two genes joined by a hyphen (not a chain such as RAS-RAF-MEK)."""
    genes = [m for m in mentions if m.type is ReadingType.GENE and not m.inner]
    joined = [_joined(query, a, b) for a, b in pairwise(genes)]
    out = []
    for i, (a, b) in enumerate(pairwise(genes)):
        chained = (i > 0 and joined[i - 1]) or (i + 1 < len(joined) and joined[i + 1])
        if not joined[i] or chained or not (a.resolved and b.resolved) or a.candidates == b.candidates:
            continue
        left, right = a.candidates[0], b.candidates[0]
        gene, partner = (
            (left, right) if index.fusion_items.get(left, 0) > index.fusion_items.get(right, 0) else (right, left)
        )
        matched = query.surface(a.start, b.end)
        name = f"{left}-{right}"
        pair = _Variant(a.start, matched, (gene,), "", AlterationKind.FUSION, name, _read("exact", a, b), partner)
        out += [pair, replace(pair, name="FUSION", partner="")]
    return out


def _joined(query: QueryText, a: Mention, b: Mention) -> bool:
    between = query.raw[query.src[a.end - 1] + 1 : query.src[b.start]]
    return unicodedata.normalize("NFKC", between).strip() in _JOINS


def _concepts(index: QueryIndex, mentions: list[Mention], variants: list[_Variant]) -> list[Concept]:
    placed: list[tuple[int, Concept]] = []
    for m in mentions:
        how: MatchKind = "ambiguous" if not m.resolved else _match(m.how)
        if m.type is ReadingType.GENE:
            placed.append((m.start, concept_for_gene(index, m.candidates, m.text, how)))
        elif m.type is ReadingType.TUMOR:
            placed.append((m.start, concept_for_tumor(index, m.candidates, m.text, how)))
        elif m.type is ReadingType.DRUG:
            placed.append((m.start, concept_for_drug(index, m.candidates, m.text, how)))
        elif m.type is ReadingType.DRUG_CLASS:
            placed.append(
                (m.start, concept_for_class(index, m.candidates, m.text, how, _query_genes(mentions, variants)))
            )
        elif m.type is ReadingType.BIOMARKER and m.candidates:
            placed.append((m.start, concept_for_biomarker(index, m.candidates, m.text, how, m.reading.value)))
    for v in variants:
        placed.append((v.start, _variant_concept(index, v)))
    placed.sort(key=lambda sc: sc[0])
    pairs = [(f"{v.genes[0]}:{v.name}", v.partner) for v in variants if v.kind is AlterationKind.FUSION and v.partner]
    concepts = fusion_parts(_unique([c for _, c in placed]), pairs)
    explicit = {c.id for c in concepts if c.type == "gene" and c.match != "ambiguous"}
    implied: list[Concept] = []
    for concept in sorted(concepts, key=lambda c: c.type != "variant"):  # variants imply before drugs
        if concept.type == "variant" and concept.match != "ambiguous":
            genes: tuple[str, ...] = (concept.id.split(":", 1)[0],)
        elif concept.type == "drug" and concept.match != "ambiguous":
            genes = index.targets(concept.id)
        elif concept.type == "drug_class" and (drug_class := index.drug_classes.get(concept.id)):
            genes = drug_class.targets
        else:
            continue
        for gene in genes:
            if gene not in explicit and index.gene(gene) is not None:
                explicit.add(gene)
                implied.append(
                    replace(
                        concept_for_gene(index, (gene,), concept.matched, "exact"), implied=True, implied_by=concept.key
                    )
                )
    return concepts + implied + _members(index, concepts)


def _members(index: QueryIndex, concepts: list[Concept]) -> list[Concept]:
    """The members of each drug class named, as implied drugs (a drug already named is not repeated)."""
    named = {c.id for c in concepts if c.type == "drug"}
    out: list[Concept] = []
    for concept in concepts:
        drug_class = index.drug_classes.get(concept.id) if concept.type == "drug_class" else None
        for inn in drug_class.members if drug_class else ():
            if inn not in named:
                named.add(inn)
                drug = concept_for_drug(index, (inn,), concept.matched, "exact")
                out.append(replace(drug, implied=True, implied_by=concept.key))
    return out


def _match(how: str) -> MatchKind:
    return _READ_AS.get(how, "alias" if how == "alias" else "exact")


_READ_AS: dict[str, MatchKind] = {kind: kind for kind in NORMALISED}


def _read(match: MatchKind, *mentions: Mention) -> MatchKind:
    """A variant's ``match``: the strongest normalisation of the mentions it is made of, else ``match``."""
    if match == "ambiguous":
        return match
    found = {m.how for m in mentions}
    return next((kind for kind in NORMALISED if kind in found), match)


def _query_genes(mentions: list[Mention], variants: list[_Variant]) -> set[str]:
    """The genes the query names or files its variants under."""
    genes = {g for x in mentions if x.type is ReadingType.GENE and x.resolved for g in x.candidates}
    return genes | {v.genes[0] for v in variants if len(v.genes) == 1}


def _unique(concepts: list[Concept]) -> list[Concept]:
    """Each concept once; a repeat's value joins the first (PD-L1 ... TPS≥50%: one PD-L1 with its value)."""
    seen: dict[tuple[str, str], int] = {}
    out: list[Concept] = []
    for concept in concepts:
        at = seen.get((concept.type, concept.id))
        if at is None:
            seen[(concept.type, concept.id)] = len(out)
            out.append(concept)
        elif concept.value and not out[at].value:
            out[at] = replace(out[at], value=concept.value)
    return out


#: Intent words that only say a treatment is meant (sensitivity by themselves, nothing beside a resistance word).
_TREATMENT_WORDS = frozenset({"治疗", "用药", "treatment", "treatments", "therapy", "therapies"})


def _variant_concept(index: QueryIndex, v: _Variant) -> Concept:
    if len(v.genes) == 1:
        alteration = Alteration(v.genes[0], v.kind, v.name, partner=v.partner)
        label, label_zh = variant_labels(index, v.genes[0], v.kind, v.name)
        return Concept("variant", alteration.id, label, label_zh, v.matched, v.match)
    candidates = tuple(f"{gene}:{v.name}" for gene in v.genes)
    ident = f"{v.form}:{v.name}" if v.form else v.name
    label, label_zh = variant_labels(index, v.form or "", v.kind, v.name)
    return Concept("variant", ident, label.strip(), label_zh, v.matched, "ambiguous", candidates)


def _unresolved(query: QueryText, covered: list[bool], leftovers: list[str]) -> list[str]:
    out: dict[str, None] = dict.fromkeys(leftovers)
    filler = stop_words(StopContext.QUERY)
    for start, end in query.words(0, len(query.key)):
        p = start
        while p < end:
            if covered[p]:
                p += 1
                continue
            q = p
            while q < end and not covered[q]:
                q += 1
            word = query.surface(p, q).strip()
            if word and word.casefold() not in filler:
                out[word] = None
            p = q
    return list(out)
