"""Concept tagger: genes, variants, tumor types and drugs in English titles and abstracts.

:func:`build_tagger` turns the :class:`~kb.vocab.Vocabularies` into surface-form
:class:`Term` s (:func:`concept_terms`, a pure function holding every precision
filter) and loads them into the ``kb_concept_tagger`` spaCy component. The
component matches the terms with two PhraseMatchers (ORTH for gene symbols and
abbreviations, which are case-sensitive; LOWER for names and for symbols with a
digit, such as ``Bcl-2``), finds variants with regular expressions and writes
typed spans to ``doc.spans["kb_concepts"]`` (``label_`` is the type,
``kb_id_`` the concept id). :class:`ConceptTagger` turns them into
:class:`Mention` s.

Concept ids: ``gene:EGFR`` (HGNC symbol), ``variant:EGFR:T790M`` (the
:class:`~kb.domain.Alteration` id; ``variant:T790M`` when no gene is in reach),
``tumor:NSCLC`` (OncoTree code) and ``drug:osimertinib`` (lowercase INN).

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
5. Forms in :data:`ABBREVIATIONS` are dropped.
6. A form naming several genes is tagged only when exactly one candidate is named
   unambiguously elsewhere in the same text; otherwise it is skipped, never guessed.
7. Upper-case words are not names in a sentence written in capitals.
8. An abbreviation the text defines as something else, "disease control rate (DCR)",
   is not a gene anywhere in that text (Schwartz-Hearst long forms; a long form naming a
   protein, enzyme, receptor ... keeps it). Tumor abbreviations get the same test.
9. Context: an alias followed by "cells" is a cell line (PC9), a name that goes on with
   a number is another name (CCK-8, DLD-1), ``-AS1`` is a transcript suffix.

Mention spans: a gene span takes a following "gene" (BRAF gene) or miRNA arm (miR-21-5p); a protein change takes
a following "mutation" (V600E mutation); a fusion takes "fusion" (EML4-ALK fusion).
An abbreviation defined after a drug or tumor name, "tyrosine kinase inhibitors (TKIs)",
is tagged as that concept throughout the text.

Nested mentions: a gene inside a longer drug or tumor name ("BRAF inhibitor")
and the genes of a fusion ("EML4-ALK") are kept beside the longer mention;
otherwise the longest match wins.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import NamedTuple, cast

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from kb.domain import Alteration, AlterationKind
from kb.text import is_cjk, name_key
from kb.vocab import Vocabularies, authored
from kb.vocab.variants import VariantTerm, load_variant_terms, parse_alteration

__all__ = [
    "ABBREVIATIONS",
    "SPAN_KEY",
    "ConceptMatcher",
    "ConceptTagger",
    "Label",
    "Mention",
    "Term",
    "WordTokenizer",
    "build_tagger",
    "concept_terms",
]

SPAN_KEY = "kb_concepts"
_TEXT = "kb_text"

#: HGNC symbols, and aliases longer than three letters, that oncology abstracts mostly use as
#: clinical, statistical or laboratory abbreviations, or that are upper-case English words.
ABBREVIATIONS = frozenset(
    {"ANOVA", "CAD", "CAT", "CGA", "CHIP", "CHOP", "COPD", "CTCL", "DBT", "DCR", "EFS", "ESD", "FISH", "FLASH"}
    | {"IMPACT", "SDS", "SET", "STAT"}
)


class Label(StrEnum):
    GENE = "GENE"
    VARIANT = "VARIANT"
    TUMOR = "TUMOR"
    DRUG = "DRUG"

    @property
    def prefix(self) -> str:
        return self.value.lower()


@dataclass(frozen=True, slots=True)
class Mention:
    """One tagged span of a text, with its concept id (``gene:EGFR``)."""

    start_char: int
    end_char: int
    label: Label
    text: str
    concept_id: str


@dataclass(frozen=True, slots=True)
class Term:
    """A surface form to match and the concept(s) it names (several when ambiguous)."""

    form: str
    label: Label
    targets: tuple[str, ...]  # HGNC symbols, OncoTree codes or INNs
    exact_case: bool
    curated: bool = False  # an approved symbol of an oncology gene or an authored name: exempt from rule 8


# --- terms -----------------------------------------------------------------------------------

_SYMBOL_DIGITS = re.compile(r"([A-Za-z]{2,})-?(\d{1,3}[A-Za-z]?)")
_MIR = re.compile(r"MIR(\d+)([A-Z]?)(?:-(\d))?")
_MIRLET = re.compile(r"MIRLET7([A-Z])")
_ABBREVIATION = re.compile(r"\S*[A-Z]\S*[A-Z]\S*")  # one word with two capitals: NSCLC, ccRCC, AML-M3
_CASE_FREE = re.compile(r"\d|\w-\w")  # a digit or an inner hyphen: Bcl-2, K-Ras, c-Met


def concept_terms(vocab: Vocabularies) -> list[Term]:
    """Every surface form the tagger matches, after the precision filters."""
    other = {key for key, _ in vocab.tumors.names()} | {key for key, _ in vocab.drugs.names()}
    genes = list(_gene_terms(vocab, other))
    symbols = {t.form for t in genes if len(t.targets) == 1 and t.form == t.targets[0]}
    return [*genes, *_tumor_terms(vocab, symbols), *_drug_terms(vocab, symbols)]


def _gene_terms(vocab: Vocabularies, other: set[str]) -> Iterator[Term]:
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
        if not (approved and form in oncology) and not _plausible_gene(form, approved, authored_form, other):
            continue
        match = None if approved else genes.lookup(form)
        if match is None and not approved:
            continue
        targets = (form,) if match is None else match.candidates
        for variant in _gene_forms(form, approved or authored_form):
            exact = _CASE_FREE.search(variant) is None
            yield Term(variant, Label.GENE, targets, exact, curated=authored_form or (approved and form in oncology))


def _plausible_gene(form: str, approved: bool, authored_form: bool, other: set[str]) -> bool:
    """Rules 2-5 of the module docstring."""
    if len(form) < 3 or not any(c.isalpha() for c in form) or form.upper() in ABBREVIATIONS:
        return False
    if form.isalpha() and not authored_form and (not form.isupper() or (len(form) <= 3 and not approved)):
        return False
    return name_key(form) not in other and _PROTEIN.fullmatch(form) is None  # no V600E-like aliases


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
        for us, gb in (("tumor", "tumour"), ("leukemia", "leukaemia"), ("esophag", "oesophag")):
            variants |= {v.replace(us, gb) for v in variants}
    for variant in variants:
        yield variant
        if variant[-1].isalpha() and variant[-1] not in "sS":
            yield f"{variant}s"


# --- variants --------------------------------------------------------------------------------

_AA = "ACDEFGHIKLMNPQRSTVWY"
_AA3 = "Ala|Arg|Asn|Asp|Cys|Gln|Glu|Gly|His|Ile|Leu|Lys|Met|Phe|Pro|Ser|Thr|Trp|Tyr|Val"
_PROTEIN = re.compile(
    rf"(?<![\w.])(?:p\.)?(?:[{_AA}]\d{{2,4}}(?:_[{_AA}]\d{{2,4}})?"
    rf"(?:delins[{_AA}]+|ins[{_AA}]+|del[{_AA}]*|dup|fs\*?\d*|[{_AA}*X])"
    rf"|(?:{_AA3})\d{{1,4}}(?:{_AA3}|Ter|\*|fs\*?\d*|del|dup)|rs\d{{4,}})(?!\w)"
)
_CELL_LINE = re.compile(r"[\s-]*cell(?:s|\s+lines?)?\b", re.I)
_NUMBERED = re.compile(r"-\d+(?!p)")  # CCK-8, DLD-1: the name goes on, and is not the gene's
_TRANSCRIPT = re.compile(r"AS\d*|DT|IT\d*|OT\d*")  # HGNC suffixes of antisense and divergent transcripts
_GENE_NOUN = re.compile(r"-[35]p\b|\s+(?:onco)?genes?\b")  # miR-21-5p, BRAF gene
_FUSION_NOUN = re.compile(r"[\s-]+(?:fusion|rearrangement|translocation)s?(?:\s+genes?)?\b", re.I)
_DEFINITION = re.compile(r"\s*\(\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*\)")
_MUTATION_WORD = re.compile(r"[\s-]+(?:mutations?|mutant|mutated)\b", re.I)
_EXON_EVENT = r"deletions?|del|insertions?|ins|skipping|skip|mutations?|duplications?|dup"
_EXON = re.compile(
    rf"\bexons?\s*(?P<n>\d{{1,2}})\s*(?P<e>{_EXON_EVENT})\b|\b(?P<e2>{_EXON_EVENT})\s+(?:in|of|within|at)\s+"
    rf"exons?\s*(?P<n2>\d{{1,2}})\b",
    re.I,
)
_INFLECTIONS = {
    "mutation": ("mutated",), "amplification": ("amplified",), "overexpression": ("overexpressed",),
    "deletion": ("deleted",), "rearrangement": ("rearranged",), "wild-type": ("wild type",),
}  # fmt: skip
_FUSION_JOIN = {"-", "–", "::"}
_NOT_FUSION = re.compile(r"\s*(?:-\s*)?(?:pathways?|axis|signal\w*|interactions?|complex\w*|binding|loop|cascade)\b")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z0-9(\[])|\n")
_CAPS_WORD = re.compile(r"[A-Za-z]{2,}")
_ENZYME = r"genase|ferase|phatase|synthe?t?ase|oxidase|reductase|protease|merase|helicase|ligase|lipase|esterase|hydrolase|aminase|peptidase|nuclease|tpase|lyase|kinase"  # noqa: E501
_CUE = {  # words that make a long form a gene or tumor name
    Label.GENE: re.compile(
        rf"\d|[α-ω]|\w*(?:{_ENZYME})s?\b|\b(?:protein|gene|receptor|factor|ligand|antigen|enzyme|homologu?e|"
        r"transporter|channel|subunit|domain|family|member|binding|rna|oncogene|suppressor|regulator|cyclin|"
        r"interleukin|chemokine|integrin|cadherin|catenin|keratin|mucin|collagen|transcript|hormone|peptide|"
        r"globulin|molecule|chain)s?\b",
        re.I,
    ),
    Label.TUMOR: re.compile(
        r"\w+omas?\b|\b(?:cancers?|tumou?rs?|neoplasms?|neoplasia|leuka?emias?|malignanc\w*|syndromes?|"
        r"diseases?|metasta\w*)\b",
        re.I,
    ),
}


class _Hit(NamedTuple):
    start: int
    end: int
    label: Label
    targets: tuple[str, ...]
    alteration: Alteration | None = None
    curated: bool = False


class _Event(NamedTuple):
    kind: AlterationKind
    name: str


# --- the spaCy pieces ------------------------------------------------------------------------


_WORD = re.compile(r"[^\W_\u3400-\u9fff]+|\S")  # letters and digits, or one other character (a CJK one)
_HYPHENS = ("\u2010", "\u2011", "\u2012")  # Unicode hyphens are read as "-" (same offsets)


def _ascii_hyphens(text: str) -> str:
    for hyphen in _HYPHENS:
        if hyphen in text:
            text = text.replace(hyphen, "-")
    return text


class WordTokenizer:
    """Runs of letters and digits, and single other characters, as tokens.

    Finer and about four times faster than spaCy's English rules; names and the
    patterns made from them are split the same way, so "BRAF(V600E)" and
    "EML4-ALK" expose their genes. Non-space whitespace becomes its own token.
    """

    _TOKEN = re.compile(rf"({_WORD.pattern})( ?)|(\s+)")  # a token and its space, or other whitespace

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        found = self._TOKEN.findall(_ascii_hyphens(text))
        words = [word or blank for word, _, blank in found]
        spaces = [bool(space) for _, space, _ in found]
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data[_TEXT] = text  # Doc.text re-joins every token in Python: ~40% of tagging time
        return doc

    def pipe(self, texts: Iterable[str]) -> Iterator[Doc]:
        return map(self, texts)


@Language.factory("kb_concept_tagger", default_config={"span_key": SPAN_KEY})
def make_concept_matcher(nlp: Language, name: str, span_key: str) -> ConceptMatcher:
    return ConceptMatcher(nlp, name, span_key=span_key)


class ConceptMatcher:
    """The pipeline component; load it with :meth:`add_terms` and :meth:`add_variant_terms`."""

    def __init__(self, nlp: Language, name: str = "kb_concept_tagger", *, span_key: str = SPAN_KEY) -> None:
        self.nlp = nlp
        self.name = name
        self.span_key = span_key
        self._exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._folded = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._targets: dict[tuple[Label, bool, tuple[str, ...]], tuple[tuple[str, ...], bool]] = {}
        self._events: dict[str, _Event] = {}
        self._exon_terms: dict[str, str] = {}
        self._event_after = self._event_before = self._exon_re = re.compile(r"(?!)")

    def add_terms(self, terms: Iterable[Term]) -> None:
        """Add surface forms, split as :class:`WordTokenizer` splits text. Each goes in as a tuple of
        token hashes (the keyword form that PhraseMatcher's own unpickling uses), under one match key
        per label and case mode: building 200,000 pattern Docs would take ~10 s."""
        strings = self.nlp.vocab.strings
        groups: dict[tuple[Label, bool], set[tuple[int, ...]]] = {}
        for term in terms:
            words = tuple(_WORD.findall(term.form) if term.exact_case else _WORD.findall(term.form.lower()))
            slot = (term.label, term.exact_case)
            known, curated = self._targets.setdefault((*slot, words), (term.targets, term.curated))
            if known != term.targets or curated != term.curated:
                merged = tuple(sorted({*known, *term.targets}))
                self._targets[(*slot, words)] = (merged, curated or term.curated)
            groups.setdefault(slot, set()).add(tuple(map(strings.add, words)))
        for (label, exact), keywords in groups.items():
            matcher = self._exact if exact else self._folded
            matcher.add(label.value, list(keywords))  # type: ignore[arg-type]

    def add_variant_terms(self, terms: Iterable[VariantTerm]) -> None:
        """English event words (mutation, amplification, ITD ...) and exon shorthands (ex19del)."""
        for term in terms:
            if term.lang != "en" or not term.name:
                continue
            word = term.term.casefold()
            if term.kind is AlterationKind.EXON:
                self._exon_terms[word] = term.name
                continue
            for form in (word, f"{word}s", *_INFLECTIONS.get(word, ())):
                self._events[form] = _Event(term.kind, term.name)
        events = _alternation(self._events)
        self._event_after = re.compile(rf"[\s-]*(?:genes?[\s-]+)?({events})(?!\w)", re.I)
        self._event_before = re.compile(
            rf"(?<![\w-])({events})\s+(?:(?:in|of|within|at|on)\s+)?(?:the\s+)?(?:genes?\s+)?\Z", re.I
        )
        self._exon_re = re.compile(rf"(?<![\w-])(?:{_alternation(self._exon_terms)})(?!\w)", re.I)

    def __call__(self, doc: Doc) -> Doc:
        text = _ascii_hyphens(doc.user_data.get(_TEXT) or doc.text)
        sentences = [0, *(m.end() for m in _SENTENCE_END.finditer(text))]
        hits = _abbreviations(text, _misread(text, _select(self._dictionary_hits(doc, text))))
        hits = _unshouted(hits, text, sentences)
        genes = _resolve_genes([h for h in hits if h.label is Label.GENE], text)
        variants = self._variants(text, genes, sentences)
        genes = [g._replace(end=m.end()) if (m := _GENE_NOUN.match(text, g.end)) else g for g in genes]
        spans: list[Span] = []
        for hit in [*(h for h in hits if h.label is not Label.GENE), *genes, *variants]:
            alteration = hit.alteration
            concept = (alteration.id if alteration.gene else alteration.name) if alteration else hit.targets[0]
            kb_id = f"{hit.label.prefix}:{concept}"
            span = doc.char_span(hit.start, hit.end, hit.label.value, kb_id, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.spans[self.span_key] = sorted(spans)
        return doc

    def _dictionary_hits(self, doc: Doc, text: str) -> Iterator[_Hit]:
        for exact, matcher in ((True, self._exact), (False, self._folded)):
            for match_id, start, end in matcher(doc):
                label = Label(self.nlp.vocab.strings[match_id])
                last = doc[end - 1]
                begin, stop = doc[start].idx, last.idx + len(last)
                surface = text[begin:stop] if exact else text[begin:stop].lower()
                found = self._targets.get((label, exact, tuple(_WORD.findall(surface))))
                if found is not None:  # always, unless lower() changes how a word splits
                    yield _Hit(begin, stop, label, found[0], curated=found[1])

    def _variants(self, text: str, genes: list[_Hit], sentences: list[int]) -> list[_Hit]:
        symbols = {g.targets[0] for g in genes}
        taken = {(g.start, g.end) for g in genes}
        out = _fusions(text, genes)
        located: list[tuple[int, int, str, str]] = []  # (start, end, wording, exon name) near a gene
        for m in _PROTEIN.finditer(text):
            if (m.start(), m.end()) in taken or _CELL_LINE.match(text, m.end()):
                continue
            tail = _MUTATION_WORD.match(text, m.end())
            located.append((m.start(), tail.end() if tail else m.end(), m.group(), ""))
        folded = text.casefold()
        if "exon" in folded:  # the exon searches are slow and rarely needed
            for m in _EXON.finditer(text):
                located.append((m.start(), m.end(), f"exon {m['n'] or m['n2']} {m['e'] or m['e2']}", ""))
        if any(term in folded for term in self._exon_terms):
            for m in self._exon_re.finditer(text):
                located.append((m.start(), m.end(), m.group(), self._exon_terms[m.group().casefold()]))
        for start, end, wording, exon in located:
            if any(start < h.end and h.start < end for h in out):
                continue
            near = _nearest_gene(genes, start, end, sentences) or (next(iter(symbols)) if len(symbols) == 1 else "")
            alteration = Alteration(near, AlterationKind.EXON, exon) if exon else parse_alteration(near, wording)
            out.append(_Hit(start, end, Label.VARIANT, (), alteration))
        for gene in genes:  # event words next to a gene: KRAS mutations, FLT3-ITD, loss of PTEN, mutant p53
            after = self._event_after.match(text, gene.end)
            before = self._event_before.search(text, max(0, gene.start - 60), gene.start)
            for word in (after, before):
                if word and not any(word.start(1) < h.end and h.start < word.end(1) for h in out):
                    event = self._events[word[1].casefold()]
                    alteration = Alteration(gene.targets[0], event.kind, event.name)
                    out.append(_Hit(word.start(1), word.end(1), Label.VARIANT, (), alteration))
        return out


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of words, longest first; a space also matches a hyphen."""
    body = "|".join(re.escape(f).replace(r"\ ", r"[\s-]") for f in sorted(words, key=len, reverse=True))
    return body or "(?!)"


def _select(hits: Iterable[_Hit]) -> list[_Hit]:
    """Longest match wins; a gene may sit inside a longer drug or tumor name."""
    order = {Label.TUMOR: 0, Label.DRUG: 1, Label.GENE: 2, Label.VARIANT: 3}
    kept: list[_Hit] = []
    for hit in sorted(set(hits), key=lambda h: (h.start - h.end, order[h.label], h.start)):
        clash = [k for k in kept if hit.start < k.end and k.start < hit.end]
        if all(hit.label is Label.GENE and k.label is not Label.GENE for k in clash):
            kept.append(hit)
    return kept


def _abbreviations(text: str, hits: list[_Hit]) -> list[_Hit]:
    """An abbreviation defined after a drug or tumor name, "tyrosine kinase inhibitors (TKIs)",
    names that concept wherever it appears in the text, and overrides gene aliases spelled alike."""
    defined: dict[str, _Hit] = {}
    for hit in hits:
        m = _DEFINITION.match(text, hit.end) if hit.label in (Label.DRUG, Label.TUMOR) else None
        if m and sum(c.isupper() for c in m[1]) >= 2 and _long_form(text[hit.start : hit.end], m[1]):
            short = m[1].removesuffix("s")
            defined.setdefault(short, hit)
            defined.setdefault(f"{short}s", hit)
    if not defined:
        return hits
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, sorted(defined, key=len, reverse=True)))})(?!\w)")
    found = [defined[m.group()]._replace(start=m.start(), end=m.end()) for m in pattern.finditer(text)]
    kept = [h for h in hits if h.label is not Label.GENE or not any(_overlap(h, f) for f in found)]
    return kept + [f for f in found if not any(_overlap(h, f) for h in kept)]


def _misread(text: str, hits: list[_Hit]) -> list[_Hit]:
    """Rule 8: a gene or tumor abbreviation that the text defines as something else, "disease
    control rate (DCR)", "reactive oxygen species (ROS)", is not that concept anywhere in the text."""
    misread: set[tuple[Label, str]] = set()
    for hit in hits:
        if hit.curated or hit.label not in _CUE or text[hit.start - 1 : hit.start] != "(":
            continue
        short = text[hit.start : hit.end]
        if not text.startswith(")", hit.end):
            continue
        long_form = _long_form(text[max(0, hit.start - 150) : hit.start - 1], short)
        if long_form and " " in long_form.strip() and not _CUE[hit.label].search(long_form):
            misread.add((hit.label, short))
    return [h for h in hits if (h.label, text[h.start : h.end]) not in misread] if misread else hits


def _long_form(before: str, short: str) -> str | None:
    """The words before an abbreviation that spell it (Schwartz & Hearst, PSB 2003)."""
    words = before.split()[-min(len(short) + 5, 2 * len(short)) :]
    candidate = " ".join(words)
    lowered, letters = candidate.casefold(), [c for c in short.casefold() if c.isalnum()]
    i = len(lowered) - 1
    for n, char in enumerate(reversed(letters)):
        first = n == len(letters) - 1
        while i >= 0 and (lowered[i] != char or (first and i > 0 and lowered[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
    return candidate[lowered.rfind(" ", 0, i + 1) + 1 :]


def _overlap(a: _Hit, b: _Hit) -> bool:
    return a.start < b.end and b.start < a.end


def _unshouted(hits: list[_Hit], text: str, sentences: list[int]) -> list[_Hit]:
    """Rule 7: upper-case words are not names in a sentence written in capitals."""
    shouted: dict[int, bool] = {}
    kept = []
    for hit in hits:
        surface = text[hit.start : hit.end]
        if surface.isalpha() and surface.isupper():
            i = bisect_right(sentences, hit.start) - 1
            if i not in shouted:
                sentence = text[sentences[i] : sentences[i + 1] if i + 1 < len(sentences) else len(text)]
                words = _CAPS_WORD.findall(sentence)
                shouted[i] = len(words) >= 4 and sum(w.isupper() for w in words) >= 0.6 * len(words)
            if shouted[i]:
                continue
        kept.append(hit)
    return kept


def _resolve_genes(hits: list[_Hit], text: str) -> list[_Hit]:
    """Rule 6: a form naming several genes is kept when exactly one of them is named unambiguously
    in the same text. Also drops aliases naming cell lines (PC9 cells), the start of a longer
    numbered name (CCK-8, DLD-1) and transcript suffixes (ST8SIA6-AS1 is no AS1 gene)."""
    hits = [
        h
        for h in hits
        if (text[h.start : h.end] in h.targets or not _CELL_LINE.match(text, h.end))
        and not _NUMBERED.match(text, h.end)
        and not (text[h.start - 1 : h.start] == "-" and _TRANSCRIPT.fullmatch(text, h.start, h.end))
    ]
    known = {h.targets[0] for h in hits if len(h.targets) == 1}
    out = []
    for hit in hits:
        if len(hit.targets) > 1:
            named = [t for t in hit.targets if t in known]
            if len(named) != 1:
                continue
            hit = hit._replace(targets=(named[0],))
        out.append(hit)
    return out


def _fusions(text: str, genes: list[_Hit]) -> list[_Hit]:
    """``EML4-ALK``, ``BCR::ABL1``: two different genes joined by a hyphen, named by the 3' gene."""
    ordered = sorted(genes)
    out = []
    for i, (left, right) in enumerate(pairwise(ordered)):
        if text[left.end : right.start] not in _FUSION_JOIN or left.targets == right.targets:
            continue
        chained = (i > 0 and text[ordered[i - 1].end : left.start] in _FUSION_JOIN) or (
            i + 2 < len(ordered) and text[right.end : ordered[i + 2].start] in _FUSION_JOIN
        )
        if chained or _NOT_FUSION.match(text, right.end):
            continue  # RAS-RAF-MEK, HGF-MET signaling: pathways, not fusions
        five, three = left.targets[0], right.targets[0]
        noun = _FUSION_NOUN.match(text, right.end)
        end = noun.end() if noun else right.end
        out.append(_Hit(left.start, end, Label.VARIANT, (), parse_alteration(three, f"{five}-{three}")))
    return out


def _nearest_gene(genes: list[_Hit], start: int, end: int, sentences: list[int]) -> str:
    """The closest gene in the same sentence, preferring one before the variant."""
    i = bisect_right(sentences, start) - 1
    low, high = sentences[i], sentences[i + 1] if i + 1 < len(sentences) else 1 << 62
    before = [g for g in genes if low <= g.start and g.end <= start]
    after = [g for g in genes if end <= g.start < high]
    if before:
        return max(before, key=lambda g: g.end).targets[0]
    return min(after, key=lambda g: g.start).targets[0] if after else ""


# --- the public tagger -----------------------------------------------------------------------


class ConceptTagger:
    """Tags GENE, VARIANT, TUMOR and DRUG mentions with concept ids."""

    def __init__(self, nlp: Language, *, span_key: str = SPAN_KEY) -> None:
        self.nlp = nlp
        self.span_key = span_key

    def tag(self, text: str) -> list[Mention]:
        return self._mentions(self.nlp(text))

    def tag_many(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[Mention]]:
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield self._mentions(doc)

    def concepts(self, text: str) -> tuple[str, ...]:
        """Sorted unique concept ids of one article."""
        return tuple(sorted({m.concept_id for m in self.tag(text)}))

    def _mentions(self, doc: Doc) -> list[Mention]:
        text = doc.user_data.get(_TEXT) or doc.text
        return [
            Mention(
                span.start_char, span.end_char, Label(span.label_), text[span.start_char : span.end_char], span.kb_id_
            )
            for span in doc.spans[self.span_key]
        ]


def build_tagger(vocab: Vocabularies) -> ConceptTagger:
    """A blank English pipeline with the word tokenizer and the concept component, loaded from ``vocab``."""
    nlp = spacy.blank("en")
    nlp.tokenizer = WordTokenizer(nlp.vocab)
    component = cast(ConceptMatcher, nlp.add_pipe("kb_concept_tagger"))
    component.add_terms(concept_terms(vocab))
    component.add_variant_terms(load_variant_terms(authored("variant_terms.tsv")))
    return ConceptTagger(nlp)
