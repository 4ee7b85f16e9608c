"""Surface forms of the tagger: :func:`concept_terms` turns the vocabularies into :class:`Term` s.

Gene precision rules (approved symbols of oncology genes, i.e. genes with an authored
Chinese name, and authored names are exempt from 2-5 and 8):

1. Symbols and aliases are matched case-sensitively: genes are written in upper case,
   so "can", "set" and "impact" in prose never match. Forms with a digit or an inner
   hyphen (``p53``, ``Bcl-2``, ``K-Ras``, ``miR-21``) match in any case.
2. Forms shorter than 3 characters are dropped.
3. Alphabetic forms not in upper case ("sera", "Snail") are English words, and
   alphabetic aliases and previous symbols of three letters (ROS, NAC, PDX, ERK) are
   acronyms that mostly mean something else in abstracts: both are dropped.
4. Forms that also name a tumor type or a drug (ALL, CML, AML) are dropped.
5. The ``not_gene`` stop words of ``stop_words.tsv`` (FISH, DCR, IMPACT, ECOG ...) are dropped.

Rules 6-9 are read in context (:mod:`kb.tagging.context`). Tumor names are also
tagged in British spelling (``spelling_variants.tsv``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from kb.text import is_cjk, name_key
from kb.vocab import Vocabularies
from kb.vocab.tumors import spelling_variants
from kb.vocab.variants import AMINO_ACID_LETTERS, AMINO_ACIDS
from kb.vocab.words import StopContext, stop_words

__all__ = ["PROTEIN", "Label", "Term", "concept_terms"]


class Label(StrEnum):
    GENE = "GENE"
    VARIANT = "VARIANT"
    TUMOR = "TUMOR"
    DRUG = "DRUG"

    @property
    def prefix(self) -> str:
        return self.value.lower()


@dataclass(frozen=True, slots=True)
class Term:
    """A surface form to match and the concept(s) it names (several when ambiguous)."""

    form: str
    label: Label
    targets: tuple[str, ...]  # HGNC symbols, OncoTree codes or INNs
    exact_case: bool
    curated: bool = False  # an approved symbol of an oncology gene or an authored name: exempt from rule 8


_AA = AMINO_ACID_LETTERS
_AA3 = "|".join(AMINO_ACIDS)

#: A protein change as abstracts write it: V600E, p.Thr790Met, E746_A750del, rs121434568.
PROTEIN = re.compile(
    rf"(?<![\w.])(?:p\.)?(?:[{_AA}]\d{{2,4}}(?:_[{_AA}]\d{{2,4}})?"
    rf"(?:delins[{_AA}]+|ins[{_AA}]+|del[{_AA}]*|dup|fs\*?\d*|[{_AA}*X])"
    rf"|(?:{_AA3})\d{{1,4}}(?:{_AA3}|Ter|\*|fs\*?\d*|del|dup)|rs\d{{4,}})(?!\w)"
)


_SYMBOL_DIGITS = re.compile(r"([A-Za-z]{2,})-?(\d{1,3}[A-Za-z]?)")
_MIR = re.compile(r"MIR(\d+)([A-Z]?)(?:-(\d))?")
_MIRLET = re.compile(r"MIRLET7([A-Z])")
_ABBREVIATION = re.compile(r"\S*[A-Z]\S*[A-Z]\S*")  # one word with two capitals: NSCLC, ccRCC, AML-M3
_CASE_FREE = re.compile(r"\d|\w-\w")  # a digit or an inner hyphen: Bcl-2, K-Ras, c-Met


def concept_terms(vocab: Vocabularies) -> list[Term]:
    """Every surface form the tagger matches, after the precision filters."""
    other = {key for key, _ in vocab.tumors.names()} | {key for key, _ in vocab.drugs.names()}
    abbreviations = frozenset(word.upper() for word in stop_words(StopContext.NOT_GENE))
    genes = list(_gene_terms(vocab, other, abbreviations))
    symbols = {t.form for t in genes if len(t.targets) == 1 and t.form == t.targets[0]}
    return [*genes, *_tumor_terms(vocab, symbols), *_drug_terms(vocab, symbols)]


def _gene_terms(vocab: Vocabularies, other: set[str], abbreviations: frozenset[str]) -> Iterator[Term]:
    genes = vocab.genes
    oncology = {gene.symbol for gene in genes.genes.values() if gene.name_zh}
    forms: dict[str, bool] = {}  # form -> authored
    for gene in genes.genes.values():
        for form in (gene.symbol, *gene.previous_symbols, *gene.aliases):
            forms.setdefault(form, False)
        for form in gene.synonyms_zh:
            if not any(is_cjk(c) for c in form):
                forms[form] = True
    for form, authored_form in forms.items():
        approved = form in genes.genes
        if not (approved and form in oncology) and not _plausible_gene(
            form, approved, authored_form, other, abbreviations
        ):
            continue
        match = None if approved else genes.lookup(form)
        if match is None and not approved:
            continue
        targets = (form,) if match is None else match.candidates
        for variant in _gene_forms(form, approved or authored_form):
            exact = _CASE_FREE.search(variant) is None
            yield Term(variant, Label.GENE, targets, exact, curated=authored_form or (approved and form in oncology))


def _plausible_gene(
    form: str, approved: bool, authored_form: bool, other: set[str], abbreviations: frozenset[str]
) -> bool:
    """Rules 2-5 of the module docstring."""
    if len(form) < 3 or not any(c.isalpha() for c in form) or form.upper() in abbreviations:
        return False
    if form.isalpha() and not authored_form and (not form.isupper() or (len(form) <= 3 and not approved)):
        return False
    return name_key(form) not in other and PROTEIN.fullmatch(form) is None  # no V600E-like aliases


def _gene_forms(form: str, curated: bool) -> Iterator[str]:
    """The form and its usual spellings: BCL2/BCL-2, MIR21/miR-21, MIRLET7A/let-7a, MYC/c-Myc.

    Hyphenated and c- spellings are made only for approved symbols and authored names."""
    yield form
    digits = _SYMBOL_DIGITS.fullmatch(form)
    if digits and ("-" in form or curated):
        yield f"{digits[1]}{digits[2]}" if "-" in form else f"{digits[1]}-{digits[2]}"
    mir = _MIR.fullmatch(form)
    if mir:
        tail = f"{mir[1]}{mir[2].lower()}" + (f"-{mir[3]}" if mir[3] else "")
        yield from (f"miR-{tail}", f"microRNA-{tail}", f"miRNA-{tail}")
    let = _MIRLET.fullmatch(form)
    if let:
        yield f"let-7{let[1].lower()}"
    if curated and form.isupper() and form.isalpha() and 3 <= len(form) <= 4:
        yield from (f"c-{form}", f"c-{form.capitalize()}")


def _tumor_terms(vocab: Vocabularies, gene_symbols: set[str]) -> Iterator[Term]:
    tumors = vocab.tumors
    for tumor in tumors.nodes.values():
        names = [*tumor.synonyms]
        if tumor.level >= 2 and "," not in tumor.name:
            names.append(tumor.name)
        for name in names:
            codes = tumors.lookup(name)
            if len(codes) != 1 or len(name) < 3 or name in gene_symbols:
                continue  # a name shared by several codes at one level (yolk sac tumor) stays untagged
            for form in _name_forms(name, spellings=True):
                yield Term(form, Label.TUMOR, codes, exact_case=_ABBREVIATION.fullmatch(form) is not None)


def _drug_terms(vocab: Vocabularies, gene_symbols: set[str]) -> Iterator[Term]:
    drugs = vocab.drugs
    for drug in drugs.drugs.values():
        if drug.members:
            continue  # combinations are tagged through their members
        for name in {drug.inn, drug.name, *drug.synonyms, *drug.brands}:
            if sum(c.isalpha() for c in name) < 3 or name in gene_symbols:
                continue
            inns = drugs.lookup(name)
            if len(inns) > 1:  # a salt form or a brand also listed as a drug: the brand owner, else the shortest
                owners = [d for d in inns if name in drugs.drugs[d].brands]
                inns = tuple((owners or sorted(inns, key=len))[:1])
            for form in _name_forms(name, spellings=False):
                yield Term(form, Label.DRUG, inns, exact_case=_ABBREVIATION.fullmatch(form) is not None)


def _name_forms(name: str, *, spellings: bool) -> Iterator[str]:
    """A name, its plural and its spelling variants ("non-small cell" / "non small cell", tumour)."""
    variants = {name, name.replace("-", " ")}
    if spellings:
        for us, gb in spelling_variants():
            variants |= {v.replace(us, gb) for v in variants}
    for variant in variants:
        yield variant
        if variant[-1].isalpha() and variant[-1] not in "sS":
            yield f"{variant}s"
