"""Surface forms of the query index: every name a query may use, keyed by :func:`kb.text.name_key`.

Each key maps to one or more :class:`Reading` s (a form can name a gene and a
tumor type: ``BRCA``, ``CML``); the parser picks one in context. Builders here
are pure functions over the vocabularies; the precision rules for genes are in
:func:`gene_forms` and documented in ``docs/query.md``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from kb.domain import AlterationKind
from kb.text import is_cjk, name_key
from kb.vocab import Vocabularies
from kb.vocab.classes import CLASS_FORMS, GENERATION_WORDS, DrugClass, class_names
from kb.vocab.genes import GeneNameKind
from kb.vocab.variants import VariantTerm, inflections
from kb.vocab.words import StopContext, intent_words, spacy_stop_words, stop_words

__all__ = [
    "GENERIC_EVENTS",
    "Reading",
    "ReadingType",
    "class_forms",
    "clinical_abbreviations",
    "drug_forms",
    "event_forms",
    "gene_forms",
    "intent_forms",
    "stop_forms",
    "tumor_forms",
]

#: Alteration names that say what kind of event, but not which one: they need a gene.
GENERIC_EVENTS = frozenset(
    {"MUTATION", "FUSION", "AMPLIFICATION", "EXPRESSION", "OVEREXPRESSION", "UNDEREXPRESSION", "LOSS"}
    | {"LOSS-OF-FUNCTION", "WILDTYPE"}
)

_GENE_SYMBOL_FAMILY = re.compile(r"([A-Z]{3,})(\d{1,2})")
_AUTHORED_FAMILY = re.compile(r"([A-Za-z]{3,})-?(\d{1,2})")


class ReadingType(StrEnum):
    GENE = "gene"
    TUMOR = "tumor"
    DRUG = "drug"
    FUSION = "fusion"  # a named gene pair known from the evidence: EML4-ALK, BCR-ABL
    EVENT = "event"  # an event word: 突变, fusion, 19号外显子缺失, ITD
    POLARITY = "polarity"  # 阳性 / positive / + and 阴性 / negative
    DRUG_CLASS = "drug_class"  # EGFR-TKI, 三代EGFR-TKI, PD-1单抗 (kb.query.classes)
    INTENT = "intent"  # 耐药, prognosis, 胚系: what the doctor asks (intent_words.tsv); no concept
    BIOMARKER = "biomarker"  # MSI-H, 错配修复缺陷, TMB高, TPS≥50% (kb.query.biomarkers, kb.query.values)
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class Reading:
    """One meaning of a surface form."""

    type: ReadingType
    ids: tuple[str, ...] = ()  # HGNC symbols, OncoTree codes, INNs (several when ambiguous), class ids, intents
    match: str = "exact"  # exact | alias | ambiguous
    upper_only: bool = False  # an English word: the reading needs the query to write it in capitals
    approved: bool = False  # gene: the form is the approved symbol
    oncology: bool = False  # gene: a candidate is an oncology gene (in the evidence or named in Chinese)
    kind: AlterationKind | None = None  # event / fusion
    name: str = ""  # event / fusion: the normalised alteration name (FUSION, EXON19DEL, EML4-ALK)
    partner: str = ""  # fusion: the 5' partner
    positive: bool = True  # polarity
    value: str = ""  # biomarker: the value written with it (TPS>=50%, high, IHC 1+); kb.query.values

    @property
    def specific(self) -> bool:
        """An event that names one alteration (EXON19DEL, ITD), not just a kind of event (突变, fusion)."""
        return self.type is ReadingType.EVENT and self.name not in GENERIC_EVENTS


def _latin_ok(key: str, minimum: int) -> bool:
    return len(key) >= minimum and any(c.isalpha() for c in key)


def _cjk(key: str) -> bool:
    return any(is_cjk(c) for c in key)


def clinical_abbreviations() -> frozenset[str]:
    """Keys of the ``not_gene`` stop words: clinical and laboratory abbreviations that HGNC also lists as
    gene names (FISH, HRD, CAR-T ...); in a doctor's query they are never the gene."""
    return frozenset(name_key(word) for word in stop_words(StopContext.NOT_GENE))


def gene_forms(
    vocab: Vocabularies, overrides: dict[str, str], oncology: frozenset[str], only: Collection[str] | None = None
) -> Iterator[tuple[str, Reading]]:
    """Gene names that are safe in a query (rules in docs/query.md, "Genes"); with ``only``, the forms of
    those keys alone, from the genes that have them (an accepted edit, :mod:`kb.query.patch`)."""
    genes = vocab.genes
    authored: set[str] = {name_key(alias) for alias in overrides}
    capitals: set[str] = set()  # keys written in capitals (or with a digit) by some source
    keys: dict[str, None] = {}
    holders = {s for key in only for s in genes.holders(key)} if only is not None else genes.genes
    for gene in (genes.genes[s] for s in holders):
        for form in (gene.name_zh, *gene.synonyms_zh):
            authored.add(name_key(form))
        for form in (gene.symbol, gene.name_zh, *gene.synonyms_zh, *gene.previous_symbols, *gene.aliases):
            key = name_key(form)
            if key:
                keys[key] = None
                if form.upper() == form or any(c.isdigit() for c in form):
                    capitals.add(key)
    keys.update(dict.fromkeys(authored))
    rules = _GeneRules(oncology, clinical_abbreviations(), spacy_stop_words("en"))
    families = dict(_gene_families(vocab, overrides, rules))
    yield from ((k, r) for k, r in families.items() if only is None or k in only)
    for key in keys:
        if key in families or (only is not None and key not in only):
            continue
        found = genes.lookup(key)
        if found is None:
            continue
        reading = _gene_reading(vocab, key, found.candidates, found.kind, rules, key in authored, key in capitals)
        if reading is not None:
            yield key, reading


@dataclass(frozen=True, slots=True)
class _GeneRules:
    oncology: frozenset[str]  # genes in the evidence or with an authored Chinese name
    abbreviations: frozenset[str]  # keys of the not_gene stop words: never a gene, unless an oncology symbol
    english: frozenset[str]  # English stop words: a gene only when written in capitals


def _gene_reading(
    vocab: Vocabularies,
    key: str,
    candidates: tuple[str, ...],
    kind: GeneNameKind,
    rules: _GeneRules,
    authored: bool,
    capitals: bool,
) -> Reading | None:
    onc = any(c in rules.oncology for c in candidates)
    approved = kind is GeneNameKind.SYMBOL
    upper_only = key in rules.english
    if _cjk(key):
        if len(key) < 2:
            return None
    elif approved:
        if not _latin_ok(key, 2 if onc else 3) or (key in rules.abbreviations and not onc):
            return None
    elif authored:
        if not _latin_ok(key, 2):
            return None
        upper_only = upper_only or len(key) == 2
    else:  # an HGNC previous symbol or alias
        if not _latin_ok(key, 3) or key in rules.abbreviations or (key.isalpha() and not capitals):
            return None
        distinctive = (any(c.isdigit() for c in key) and len(key) >= 4) or (key.isalpha() and len(key) >= 5)
        if not (onc or distinctive):
            return None
        upper_only = upper_only or key.isalpha()  # cap, arg, fad: English words unless written GENE-style
    if len(candidates) > 1:
        match = "ambiguous"
    else:
        gene = vocab.genes.genes[candidates[0]]
        match = "exact" if key in (name_key(gene.symbol), name_key(gene.name_zh)) else "alias"
    return Reading(ReadingType.GENE, candidates, match, upper_only=upper_only, approved=approved, oncology=onc)


def _gene_families(vocab: Vocabularies, overrides: dict[str, str], rules: _GeneRules) -> Iterator[tuple[str, Reading]]:
    """Numbered families: ``BRCA`` -> BRCA1, BRCA2 and ``NTRK`` -> NTRK1-3 (approved symbols of oncology
    genes), ``MEK`` -> MAP2K1, MAP2K2 and ``HER`` -> EGFR, ERBB2-4 (authored names MEK1, HER2 ...).

    A family from approved symbols is used only where HGNC gives the stem no reading; one with an
    authored member replaces HGNC's reading of the stem (HGNC lists MEK for MAP2K7 alone).
    """
    members: dict[str, set[str]] = defaultdict(set)
    curated: set[str] = set()
    for symbol in rules.oncology:
        m = _GENE_SYMBOL_FAMILY.fullmatch(symbol)
        if m:
            members[name_key(m[1])].add(symbol)
    named = [(name, g.symbol) for g in vocab.genes.genes.values() if g.name_zh for name in g.synonyms_zh]
    for name, symbol in [*named, *overrides.items()]:
        m = _AUTHORED_FAMILY.fullmatch(name)
        if m and symbol in vocab.genes.genes:
            members[name_key(m[1])].add(symbol)
            curated.add(name_key(m[1]))
    for stem, genes in members.items():
        if len(genes) < 2 or stem in rules.abbreviations:
            continue
        if stem in curated or vocab.genes.lookup(stem) is None:
            ordered = tuple(sorted(genes, key=lambda s: (len(s), s)))
            yield stem, Reading(ReadingType.GENE, ordered, "ambiguous", upper_only=stem in rules.english, oncology=True)


def tumor_forms(vocab: Vocabularies) -> Iterator[tuple[str, Reading]]:
    """OncoTree codes (3+ characters), names and synonyms, English and Chinese."""
    found: dict[str, dict[str, str]] = defaultdict(dict)  # key -> code -> best match
    upper: dict[str, bool] = {}
    english = spacy_stop_words("en")
    codes: dict[str, str] = {}
    for tumor in vocab.tumors.nodes.values():
        if tumor.code in ("TISSUE", "OTHER"):
            continue
        names = [(tumor.name, "exact"), (tumor.name_zh, "exact")]
        names += [(s, "alias") for s in (*tumor.synonyms, *tumor.synonyms_zh)]
        code_key = name_key(tumor.code)
        if _latin_ok(code_key, 3):
            codes[code_key] = tumor.code
            names.append((tumor.code, "exact"))
        for form, match in names:
            key = name_key(form)
            if not key or (_cjk(key) and len(key) < 2):
                continue
            if not _cjk(key) and not _latin_ok(key, 3 if form != form.upper() else 2):
                continue
            slot = found[key]
            if slot.get(tumor.code) != "exact":
                slot[tumor.code] = match
            upper[key] = not _cjk(key) and (len(key) == 2 or key in english)
    for key, slot in found.items():
        if key in codes:  # a code names its own node only
            slot = {codes[key]: "exact"}
        ids = tuple(sorted(slot))
        match = "ambiguous" if len(ids) > 1 else slot[ids[0]]
        yield key, Reading(ReadingType.TUMOR, ids, match, upper_only=upper[key])


def drug_forms(vocab: Vocabularies) -> Iterator[tuple[str, Reading]]:
    """INNs, display names, Chinese names, synonyms and brands (English and Chinese)."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    brands: dict[str, set[str]] = defaultdict(set)
    stems: dict[str, set[str]] = defaultdict(set)
    for drug in vocab.drugs.drugs.values():
        exact = [drug.inn, drug.name, drug.name_zh]
        alias = [*drug.synonyms, *drug.synonyms_zh, *drug.brands, *drug.brands_zh]
        for form, match in [*((f, "exact") for f in exact), *((f, "alias") for f in alias)]:
            key = name_key(form)
            if not key or (not _cjk(key) and not _drug_latin(key)) or (_cjk(key) and len(key) < 2):
                continue
            slot = found[key]
            if slot.get(drug.inn) != "exact":
                slot[drug.inn] = match
        for brand in (*drug.brands, *drug.brands_zh):
            brands[name_key(brand)].add(drug.inn)
        for short in _antibody_stems((drug.name_zh, *drug.synonyms_zh)):
            stems[short].add(drug.inn)
    # doctors shorten a Chinese antibody name (贝伐珠单抗 -> 贝伐珠, 贝伐; 西妥昔单抗 -> 西妥昔): a stem that is no
    # other name and stands for one drug only reads as that drug
    for key, inns_of in stems.items():
        if key not in found and len(inns_of) == 1:
            found[key] = {next(iter(inns_of)): "alias"}
    for key, slot in found.items():
        inns = tuple(sorted(slot))
        if len(inns) > 1:
            inns = _one_drug(inns, brands.get(key, set()))
        match = "ambiguous" if len(inns) > 1 else slot[inns[0]]
        yield key, Reading(ReadingType.DRUG, inns, match)


def _drug_latin(key: str) -> bool:
    """A Latin drug name with three letters (``t-dxd``), or a code name of letters and digits, four characters
    or more (DS-8201, ds 8201 and DS8201 share the key ``ds8201``)."""
    letters = sum(c.isalpha() for c in key)
    return letters >= 3 or (letters >= 1 and len(key) >= 4 and any(c.isdigit() for c in key))


def _antibody_stems(names: Iterable[str]) -> Iterator[str]:
    """The short forms of Chinese antibody names: without 单抗, and without 珠单抗 (two characters at least)."""
    for name in names:
        key = name_key(name)
        if not key.endswith("单抗") or not _cjk(key):
            continue
        stem = key.removesuffix("单抗")
        for short in (stem, stem.removesuffix("珠")):
            if len(short) >= 2 and short != key:
                yield short


def _one_drug(inns: tuple[str, ...], brand_owners: set[str]) -> tuple[str, ...]:
    """A brand names its owner; a salt or formulation record (trametinib dimethyl sulfoxide) folds into the INN."""
    owners = [inn for inn in inns if inn in brand_owners]
    if len(owners) == 1:
        return (owners[0],)
    shortest = min(inns, key=len)
    if all(inn.startswith(shortest) for inn in inns):
        return (shortest,)
    return inns


def event_forms(terms: Iterable[VariantTerm]) -> Iterator[tuple[str, Reading]]:
    """Event words of ``variant_terms.tsv`` with their inflections (``inflections.tsv``), and the 阳性 / 阴性
    words (the terms with a polarity, ``+`` among them)."""
    forms = inflections()
    for term in terms:
        for word in (term.term, *forms.get(term.term.casefold(), ())):
            key = name_key(word)
            if not key:
                continue
            if term.polarity:
                yield key, Reading(ReadingType.POLARITY, positive=term.polarity == "positive")
            elif term.name:
                yield key, Reading(ReadingType.EVENT, kind=term.kind, name=term.name)
            else:  # 耐药, 敏感, 点突变: qualifiers that name no alteration
                yield key, Reading(ReadingType.STOP)


def class_forms(classes: Iterable[DrugClass]) -> Iterator[tuple[str, Reading]]:
    """Drug class names (:func:`kb.vocab.classes.class_names`: names, plurals, stems with suffixes); a
    generation's forms are its class's with a generation word before them (三代EGFR-TKI, 3rd-generation ALK
    TKI). The labels are ``exact``, other forms ``alias``; a Latin form of three letters or less needs capitals."""
    bare: dict[str, list[str]] = defaultdict(list)  # 三代TKI: the generation of any class, settled by the query
    for drug_class in classes:
        if drug_class.generation:
            for word in GENERATION_WORDS.get(drug_class.generation, ()):
                for suffix in CLASS_FORMS["tki"]:
                    bare[name_key(word + suffix)].append(drug_class.id)
        labels = {name_key(names[0]) for names in (drug_class.names_en, drug_class.names_zh) if names}
        before = [name_key(w) for w in GENERATION_WORDS.get(drug_class.generation, ())] or [""]
        for name in class_names(drug_class):
            key = name_key(name)
            match = "exact" if key in labels else "alias"
            upper_only = key.isascii() and key.isalpha() and len(key) <= 3
            for word in before:
                if key:
                    yield word + key, Reading(ReadingType.DRUG_CLASS, (drug_class.id,), match, upper_only=upper_only)
    for key, ids in bare.items():
        yield key, Reading(ReadingType.DRUG_CLASS, tuple(ids), "ambiguous" if len(ids) > 1 else "alias")


def intent_forms() -> Iterator[tuple[str, Reading]]:
    """The intent words of ``intent_words.tsv`` (耐药, prognosis, 胚系): each reads as its intent."""
    for row in intent_words():
        key = name_key(row.word)
        if key:
            yield key, Reading(ReadingType.INTENT, (row.intent.value,))


def stop_forms() -> Iterator[tuple[str, Reading]]:
    """The query stop words: spaCy's English and Chinese lists and the ``query`` rows of ``stop_words.tsv``
    (clinical filler); only consumed where nothing else matched."""
    for word in (*spacy_stop_words("en"), *stop_words(StopContext.QUERY), *spacy_stop_words("zh")):
        key = name_key(word)
        if key:
            yield key, Reading(ReadingType.STOP)
