"""The query index: surface forms, evidence-derived links and labels, built once.

:func:`build_query_index` turns the :class:`~kb.vocab.Vocabularies` and the
curated evidence into a :class:`QueryIndex`:

* ``forms``: every surface form (:mod:`kb.query.forms`) keyed by
  :func:`kb.text.name_key`, with the longest key length per first character so
  the parser can scan unspaced Chinese;
* ``variant_genes``: a specific alteration name (T790M, EXON19DEL, ITD, EML4-ALK)
  -> the genes it is filed under, most items first;
* ``drug_targets``: a drug -> the genes of its sensitivity evidence
  (:func:`drug_targets`, rule in docs/query.md);
* ``positive``: the gene-specific reading of 阳性 (``positive_readings.tsv``);
* a deletion index for one-edit typos of drug and tumor names.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kb.domain import AlterationKind, Drug, Evidence, EvidenceDirection, EvidenceType, Gene, TumorType
from kb.query.forms import (
    GENERIC_EVENTS,
    Reading,
    ReadingType,
    drug_forms,
    event_forms,
    gene_forms,
    stop_forms,
    tumor_forms,
)
from kb.text import is_cjk, name_key
from kb.vocab import Vocabularies, authored
from kb.vocab.genes import load_gene_overrides
from kb.vocab.variants import load_variant_terms

__all__ = [
    "FUZZY_MIN_LETTERS",
    "TARGET_MAX_GENES",
    "TARGET_MIN_ITEMS",
    "TARGET_MIN_SHARE",
    "VARIANT_MIN_SHARE",
    "QueryIndex",
    "build_query_index",
    "drug_targets",
    "load_positive_readings",
    "relink_query_index",
    "variant_genes",
]

TARGET_MIN_ITEMS = 2.0  # a target gene needs this much sensitivity evidence (weighted items) ...
TARGET_MIN_SHARE = 0.35  # ... and at least this share of the drug's best-supported gene
TARGET_MAX_GENES = 4
VARIANT_MIN_SHARE = 0.8  # a bare variant names one gene when that gene holds this share of its items
FUZZY_MIN_LETTERS = 6


@dataclass(frozen=True)
class QueryIndex:
    """Everything :func:`kb.query.parse_query` needs; immutable once built."""

    vocab: Vocabularies
    forms: Mapping[str, tuple[Reading, ...]]
    max_len: Mapping[str, int]  # first character of a key -> longest key starting with it
    variant_genes: Mapping[str, tuple[tuple[str, int], ...]]
    drug_targets: Mapping[str, tuple[str, ...]]
    fusion_items: Mapping[str, int]  # gene -> fusion evidence items (which side of a pair names the fusion)
    positive: Mapping[str, tuple[AlterationKind, str]]
    event_words: Mapping[str, tuple[str, str]]  # alteration name -> (English word, Chinese word)
    oncology: frozenset[str]
    fuzzy_keys: Mapping[str, tuple[str, ...]]  # one-deletion variant -> keys

    def readings(self, key: str) -> tuple[Reading, ...]:
        return self.forms.get(key, ())

    def gene(self, symbol: str) -> Gene | None:
        return self.vocab.genes.genes.get(symbol)

    def tumor(self, code: str) -> TumorType | None:
        return self.vocab.tumors.nodes.get(code)

    def drug(self, inn: str) -> Drug | None:
        return self.vocab.drugs.drugs.get(inn)

    def targets(self, inn: str) -> tuple[str, ...]:
        """Target genes of a drug through the evidence; a combination's are its members'."""
        drug = self.drug(inn)
        members = drug.members if drug is not None and drug.members else ()
        out = dict.fromkeys(self.drug_targets.get(inn, ()))
        for member in members:
            out.update(dict.fromkeys(self.drug_targets.get(member, ())))
        return tuple(out)

    def variant_gene(self, name: str) -> tuple[str, ...]:
        """Genes a bare alteration name means: one when a gene holds ``VARIANT_MIN_SHARE`` of its items.

        A protein change unknown as such falls back to its codon (V600K -> V600 -> BRAF).
        """
        ranked = self.variant_genes.get(name)
        if ranked is None:
            codon = _codon(name)
            ranked = self.variant_genes.get(codon, ()) if codon else ()
        total = sum(count for _, count in ranked)
        if ranked and ranked[0][1] >= VARIANT_MIN_SHARE * total:
            return (ranked[0][0],)
        return tuple(gene for gene, _ in ranked)

    def fuzzy(self, token: str) -> tuple[str, ...]:
        """Keys one edit (insertion, deletion, substitution, transposition) from ``token``."""
        if len(token) < FUZZY_MIN_LETTERS or not token.isalpha():
            return ()
        probes = {token, *(token[:i] + token[i + 1 :] for i in range(len(token)))}
        found = {key for probe in probes for key in self.fuzzy_keys.get(probe, ())}
        return tuple(sorted(key for key in found if key != token and _one_edit(token, key)))


def _codon(name: str) -> str:
    head = name.rstrip("ACDEFGHIKLMNPQRSTVWY*")
    return head if head != name and head[:1].isalpha() and head[1:].isdigit() else ""


def _one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance is exactly 1."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (
        i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    )


def load_positive_readings(path: Path) -> dict[str, tuple[AlterationKind, str]]:
    """The authored reading of 阳性 per gene: ``symbol -> (kind, alteration name)``."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            row["gene"].strip(): (AlterationKind(row["kind"].strip()), row["name"].strip())
            for row in csv.DictReader(fh, delimiter="\t")
            if row.get("gene") and row.get("kind") and row.get("name")
        }


def variant_genes(evidence: Iterable[Evidence]) -> dict[str, tuple[tuple[str, int], ...]]:
    """Specific alteration name -> ``(gene, items)`` most items first (generic events such as MUTATION excluded)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for item in evidence:
        alteration = item.alteration
        if alteration.name in GENERIC_EVENTS or alteration.kind is AlterationKind.OTHER:
            continue
        counts[alteration.name][item.gene] += 1
    return {name: tuple(c.most_common()) for name, c in counts.items()}


def drug_targets(evidence: Iterable[Evidence], drugs: Iterable[Drug] = ()) -> dict[str, tuple[str, ...]]:
    """Target genes of each drug: an editor's curated ``Drug.targets`` first, then the genes
    "through the evidence".

    Counted: predictive, sensitivity, supporting evidence, wild-type markers left
    out. An item weighs 1 for each drug given alone or as a substitute and 1/n
    for each of the n drugs of a combination. A gene is a target when it has at
    least ``TARGET_MIN_ITEMS`` and ``TARGET_MIN_SHARE`` of the best gene's weight;
    at most ``TARGET_MAX_GENES``, best first.
    """
    weights: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in evidence:
        if (
            item.evidence_type is not EvidenceType.PREDICTIVE
            or item.direction is not EvidenceDirection.SUPPORTS
            or item.significance != "sensitivity"
            or item.alteration.kind is AlterationKind.WILD_TYPE
            or not item.drugs
        ):
            continue
        weight = 1.0 / len(item.drugs) if item.drug_interaction == "combination" else 1.0
        for inn in item.drugs:
            weights[inn][item.gene] += weight
    out: dict[str, tuple[str, ...]] = {}
    for inn, genes in weights.items():
        ranked = sorted(genes.items(), key=lambda kv: (-kv[1], kv[0]))
        best = ranked[0][1]
        kept = [g for g, w in ranked if w >= TARGET_MIN_ITEMS and w >= TARGET_MIN_SHARE * best]
        if kept:
            out[inn] = tuple(kept[:TARGET_MAX_GENES])
    for drug in drugs:
        if drug.targets:
            out[drug.inn] = tuple(dict.fromkeys((*drug.targets, *out.get(drug.inn, ()))))
    return out


def _event_words(terms: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    """Alteration name -> the first English and Chinese words of ``variant_terms.tsv`` for it."""
    en: dict[str, str] = {}
    zh: dict[str, str] = {}
    for term, lang, name in terms:
        if not name:
            continue
        if lang == "zh":
            zh.setdefault(name, term)
        elif lang == "en" and (term.isupper() or " " in term or term.isalpha() or "-" in term):
            en.setdefault(name, term)
    return {name: (en.get(name, name.lower()), zh.get(name, "")) for name in en.keys() | zh.keys()}


def _merge(pairs: Iterable[tuple[str, Reading]]) -> dict[str, tuple[Reading, ...]]:
    forms: dict[str, list[Reading]] = defaultdict(list)
    for key, reading in pairs:
        slot = forms[key]
        if reading not in slot:
            slot.append(reading)
    return {key: tuple(readings) for key, readings in forms.items()}


def _fusion_forms(
    vocab: Vocabularies, ranked: Mapping[str, tuple[tuple[str, int], ...]]
) -> Iterator[tuple[str, Reading]]:
    """Named pairs of the evidence (EML4-ALK under ALK, BCR-ABL under ABL1) as surface forms."""
    for name, genes in ranked.items():
        left, sep, right = name.partition("-")
        if not sep or "-" in right or vocab.genes.lookup(left) is None or vocab.genes.lookup(right) is None:
            continue
        gene = genes[0][0]
        partner = left if gene.startswith(right) or gene == right else right
        yield (
            name_key(name),
            Reading(ReadingType.FUSION, (gene,), kind=AlterationKind.FUSION, name=name, partner=partner),
        )


def _deletions(keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        index[key].add(key)
        for i in range(len(key)):
            index[key[:i] + key[i + 1 :]].add(key)
    return {probe: tuple(sorted(found)) for probe, found in index.items()}


def build_query_index(vocab: Vocabularies, evidence: Iterable[Evidence]) -> QueryIndex:
    """Build the index once (a few seconds on the full vocabularies); reuse it for every query."""
    items = list(evidence)
    oncology = frozenset({item.gene for item in items} | {g.symbol for g in vocab.genes.genes.values() if g.name_zh})
    ranked = variant_genes(items)
    terms = load_variant_terms(authored("variant_terms.tsv"))
    overrides = load_gene_overrides(authored("gene_overrides.tsv"))
    forms = _merge(
        [
            *gene_forms(vocab, overrides, oncology),
            *tumor_forms(vocab),
            *drug_forms(vocab),
            *_fusion_forms(vocab, ranked),
            *event_forms(terms),
            *stop_forms(),
        ]
    )
    max_len: dict[str, int] = {}
    for key in forms:
        max_len[key[0]] = max(max_len.get(key[0], 0), len(key))
    fuzzy = [
        key
        for key, readings in forms.items()
        if len(key) >= FUZZY_MIN_LETTERS
        and key.isalpha()
        and not any(is_cjk(c) for c in key)
        and all(r.type in (ReadingType.DRUG, ReadingType.TUMOR) for r in readings)
    ]
    fusion_items = Counter(item.gene for item in items if item.alteration.kind is AlterationKind.FUSION)
    return QueryIndex(
        vocab=vocab,
        forms=forms,
        max_len=max_len,
        variant_genes=ranked,
        drug_targets=drug_targets(items, vocab.drugs.drugs.values()),
        fusion_items=dict(fusion_items),
        positive=load_positive_readings(authored("positive_readings.tsv")),
        event_words=_event_words((t.term, t.lang, t.name) for t in terms),
        oncology=oncology,
        fuzzy_keys=_deletions(fuzzy),
    )


def relink_query_index(index: QueryIndex, evidence: Iterable[Evidence]) -> QueryIndex:
    """``index`` with its evidence-derived links (variant genes, drug targets, fusion counts) computed
    again from ``evidence``; the surface forms stay (a cheap refresh after evidence is published)."""
    items = list(evidence)
    fusion_items = Counter(item.gene for item in items if item.alteration.kind is AlterationKind.FUSION)
    return replace(
        index,
        variant_genes=variant_genes(items),
        drug_targets=drug_targets(items, index.vocab.drugs.drugs.values()),
        fusion_items=dict(fusion_items),
    )
