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
* ``drug_classes``: the classes of ``drug_classes.tsv`` by id, with the members and
  targets the vocabularies know (:func:`drug_classes`);
* a deletion index for one-edit typos of drug and tumor names;
* ``pinyin``: the pinyin of every Chinese name (:mod:`kb.query.pinyin`), for pinyin
  and homophone readings.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from kb.domain import AlterationKind, Drug, Evidence, EvidenceDirection, EvidenceType, Gene, TumorType
from kb.query.biomarkers import biomarker_forms, positivity_shadow
from kb.query.forms import (
    GENERIC_EVENTS,
    Reading,
    ReadingType,
    class_forms,
    drug_forms,
    event_forms,
    gene_forms,
    intent_forms,
    stop_forms,
    tumor_forms,
)
from kb.query.pinyin import PinyinIndex, build_pinyin_index, english_words
from kb.text import is_cjk, name_key
from kb.vocab import Vocabularies, authored
from kb.vocab.classes import DrugClass, class_names, load_drug_classes
from kb.vocab.genes import load_gene_overrides
from kb.vocab.variants import load_variant_terms
from kb.vocab.words import spacy_stop_words

__all__ = [
    "FUZZY_MIN_LETTERS",
    "TARGET_MAX_GENES",
    "TARGET_MIN_ITEMS",
    "TARGET_MIN_SHARE",
    "VARIANT_MIN_SHARE",
    "QueryIndex",
    "build_query_index",
    "drug_classes",
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
    drug_classes: Mapping[str, DrugClass] = field(default_factory=dict)  # class id -> class (drug_classes.tsv)
    pinyin: PinyinIndex = field(default_factory=PinyinIndex)  # Chinese names by pinyin (kb.query.pinyin)
    biomarker_evidence: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # biomarker id -> evidence ids

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

    def class_genes(self, ident: str) -> tuple[str, ...]:
        """A drug class's target genes, then its members' (the genes a class in the query names)."""
        drug_class = self.drug_classes.get(ident)
        if drug_class is None:
            return ()
        return tuple(
            dict.fromkeys([*drug_class.targets, *(g for inn in drug_class.members for g in self.targets(inn))])
        )

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
    """Target genes of each drug: its curated ``Drug.targets`` (``drug_targets.tsv`` at ingest, or an
    editor's accepted change) when it has any, which replace the evidence's; else the genes "through the
    evidence".

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
            or not item.gene  # a biomarker fact (TMB-H) names no target gene
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
        if drug.targets:  # curated targets replace the evidence's (PD-L1 evidence is no target of anti-PD-1)
            out[drug.inn] = tuple(dict.fromkeys(drug.targets))
    return out


def drug_classes(
    classes: Iterable[DrugClass], vocab: Vocabularies, drugs: Mapping[str, tuple[Reading, ...]]
) -> dict[str, DrugClass]:
    """The classes by id, with the members and targets the vocabularies know. A drug record named by one of a
    class's own names (CIViC's "PD1 Inhibitor", "Immune Checkpoint Inhibitor") joins the class as a member, and
    the classes that include it; ``drugs`` are the drug forms."""
    classes = list(classes)
    records = {
        c.id: [r.ids[0] for name in class_names(c) for r in drugs.get(name_key(name), ()) if len(r.ids) == 1]
        for c in classes
        if not c.generation
    }
    out: dict[str, DrugClass] = {}
    for drug_class in classes:
        members = [inn for inn in drug_class.members if inn in vocab.drugs]
        for ident in (drug_class.id, *drug_class.includes):
            members += records.get(ident, [])
        targets = tuple(gene for gene in drug_class.targets if gene in vocab.genes.genes)
        out[drug_class.id] = replace(drug_class, members=tuple(dict.fromkeys(members)), targets=targets)
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
    named = {g.symbol for g in vocab.genes.genes.values() if g.name_zh}
    oncology = frozenset({item.gene for item in items if item.gene} | named)
    ranked = variant_genes(items)
    terms = load_variant_terms(authored("variant_terms.tsv"))
    overrides = load_gene_overrides(authored("gene_overrides.tsv"))
    drugs = _merge(drug_forms(vocab))
    classes = drug_classes(load_drug_classes(), vocab, drugs)
    forms = _merge(
        [
            *gene_forms(vocab, overrides, oncology),
            *tumor_forms(vocab),
            *((key, reading) for key, readings in drugs.items() for reading in readings),
            *_fusion_forms(vocab, ranked),
            *event_forms(terms),
            *class_forms(classes.values()),
            *intent_forms(),
            *stop_forms(),
        ]
    )
    positive = load_positive_readings(authored("positive_readings.tsv"))
    shadowed = positivity_shadow(forms, positive)  # HER2-positive stays the gene's 阳性 reading
    forms = _merge([*((k, r) for k, rs in forms.items() for r in rs), *biomarker_forms(vocab, shadowed)])
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
        positive=positive,
        event_words=_event_words((t.term, t.lang, t.name) for t in terms),
        oncology=oncology,
        fuzzy_keys=_deletions(fuzzy),
        drug_classes=classes,
        pinyin=build_pinyin_index(forms.items(), english_words(i.statement for i in items) | spacy_stop_words("en")),
        biomarker_evidence=vocab.biomarkers.evidence_links(items),
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
        biomarker_evidence=index.vocab.biomarkers.evidence_links(items),
    )
