"""The spaCy pieces of the tagger: the word tokenizer and the ``kb_concept_tagger`` component.

The component matches the :class:`~kb.tagging.terms.Term` s with two
PhraseMatchers (ORTH for gene symbols and abbreviations, which are
case-sensitive; LOWER for names and for symbols with a digit, such as
``Bcl-2``), reads them in context (:mod:`kb.tagging.context`), finds variants
with regular expressions and the event words of ``variant_terms.tsv``,
``inflections.tsv`` and ``exon_events.tsv``, and writes typed spans to
``doc.spans["kb_concepts"]`` (``label_`` is the type, ``kb_id_`` the concept id).

Mention spans: a gene span takes a following "gene" (BRAF gene) or miRNA arm
(miR-21-5p); a protein change takes a following mutation word (V600E mutation);
a fusion takes "fusion" (EML4-ALK fusion). Nested mentions: a gene inside a
longer drug or tumor name ("BRAF inhibitor") and the genes of a fusion
("EML4-ALK") are kept beside the longer mention; otherwise the longest match wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import NamedTuple

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from kb.domain import Alteration, AlterationKind
from kb.tagging.context import (
    CELL_LINE,
    Hit,
    defined_abbreviations,
    fusions,
    misread,
    nearest_gene,
    resolve_genes,
    select,
    sentence_starts,
    unshouted,
)
from kb.tagging.terms import PROTEIN, Label, Term
from kb.vocab.variants import VariantTerm, exon_events, inflections, parse_alteration

__all__ = ["SPAN_KEY", "TEXT_KEY", "WORD", "ConceptMatcher", "WordTokenizer", "ascii_hyphens"]

SPAN_KEY = "kb_concepts"
TEXT_KEY = "kb_text"  # doc.user_data: the text as given

_GENE_NOUN = re.compile(r"-[35]p\b|\s+(?:onco)?genes?\b")  # miR-21-5p, BRAF gene


class _Event(NamedTuple):
    kind: AlterationKind
    name: str


@cache
def _exon_pattern() -> re.Pattern[str]:
    """``exon 19 deletion``, ``deletions in exon 19``, with the English words of ``exon_events.tsv``."""
    events = "|".join(map(re.escape, exon_events().words("en")))
    return re.compile(
        rf"\bexons?\s*(?P<n>\d{{1,2}})\s*(?P<e>{events})\b|\b(?P<e2>{events})\s+(?:in|of|within|at)\s+"
        rf"exons?\s*(?P<n2>\d{{1,2}})\b",
        re.I,
    )


WORD = re.compile(r"[^\W_\u3400-\u9fff]+|\S")  # letters and digits, or one other character (a CJK one)
_HYPHENS = ("\u2010", "\u2011", "\u2012")  # Unicode hyphens are read as "-" (same offsets)


def ascii_hyphens(text: str) -> str:
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

    _TOKEN = re.compile(rf"({WORD.pattern})( ?)|(\s+)")  # a token and its space, or other whitespace

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        found = self._TOKEN.findall(ascii_hyphens(text))
        words = [word or blank for word, _, blank in found]
        spaces = [bool(space) for _, space, _ in found]
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data[TEXT_KEY] = text  # Doc.text re-joins every token in Python: ~40% of tagging time
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
        self._event_after = self._event_before = self._exon_re = self._mutation_word = re.compile(r"(?!)")

    def add_terms(self, terms: Iterable[Term]) -> None:
        """Add surface forms, split as :class:`WordTokenizer` splits text. Each goes in as a tuple of
        token hashes (the keyword form that PhraseMatcher's own unpickling uses), under one match key
        per label and case mode: building 200,000 pattern Docs would take ~10 s."""
        strings = self.nlp.vocab.strings
        groups: dict[tuple[Label, bool], set[tuple[int, ...]]] = {}
        for term in terms:
            words = tuple(WORD.findall(term.form) if term.exact_case else WORD.findall(term.form.lower()))
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
        """English event words (mutation, amplification, ITD ...) with their inflections (``inflections.tsv``)
        and exon shorthands (ex19del)."""
        forms = inflections()
        for term in terms:
            if term.lang != "en" or not term.name:
                continue
            word = term.term.casefold()
            if term.kind is AlterationKind.EXON:
                self._exon_terms[word] = term.name
                continue
            for form in (word, *(f.casefold() for f in forms.get(word, ()))):
                self._events[form] = _Event(term.kind, term.name)
        events = _alternation(self._events)
        mutation = _alternation(form for form, event in self._events.items() if event.name == "MUTATION")
        self._mutation_word = re.compile(rf"[\s-]+(?:{mutation})\b", re.I)  # V600E mutation(s), mutant
        self._event_after = re.compile(rf"[\s-]*(?:genes?[\s-]+)?({events})(?!\w)", re.I)
        self._event_before = re.compile(
            rf"(?<![\w-])({events})\s+(?:(?:in|of|within|at|on)\s+)?(?:the\s+)?(?:genes?\s+)?\Z", re.I
        )
        self._exon_re = re.compile(rf"(?<![\w-])(?:{_alternation(self._exon_terms)})(?!\w)", re.I)

    def __call__(self, doc: Doc) -> Doc:
        text = ascii_hyphens(doc.user_data.get(TEXT_KEY) or doc.text)
        sentences = sentence_starts(text)
        hits = defined_abbreviations(text, misread(text, select(self._dictionary_hits(doc, text))))
        hits = unshouted(hits, text, sentences)
        genes = resolve_genes([h for h in hits if h.label is Label.GENE], text)
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

    def _dictionary_hits(self, doc: Doc, text: str) -> Iterator[Hit]:
        for exact, matcher in ((True, self._exact), (False, self._folded)):
            for match_id, start, end in matcher(doc):
                label = Label(self.nlp.vocab.strings[match_id])
                last = doc[end - 1]
                begin, stop = doc[start].idx, last.idx + len(last)
                surface = text[begin:stop] if exact else text[begin:stop].lower()
                found = self._targets.get((label, exact, tuple(WORD.findall(surface))))
                if found is not None:  # always, unless lower() changes how a word splits
                    yield Hit(begin, stop, label, found[0], curated=found[1])

    def _variants(self, text: str, genes: list[Hit], sentences: list[int]) -> list[Hit]:
        symbols = {g.targets[0] for g in genes}
        taken = {(g.start, g.end) for g in genes}
        out = fusions(text, genes)
        located: list[tuple[int, int, str, str]] = []  # (start, end, wording, exon name) near a gene
        for m in PROTEIN.finditer(text):
            if (m.start(), m.end()) in taken or CELL_LINE.match(text, m.end()):
                continue
            tail = self._mutation_word.match(text, m.end())
            located.append((m.start(), tail.end() if tail else m.end(), m.group(), ""))
        folded = text.casefold()
        if "exon" in folded:  # the exon searches are slow and rarely needed
            for m in _exon_pattern().finditer(text):
                located.append((m.start(), m.end(), f"exon {m['n'] or m['n2']} {m['e'] or m['e2']}", ""))
        if any(term in folded for term in self._exon_terms):
            for m in self._exon_re.finditer(text):
                located.append((m.start(), m.end(), m.group(), self._exon_terms[m.group().casefold()]))
        for start, end, wording, exon in located:
            if any(start < h.end and h.start < end for h in out):
                continue
            near = nearest_gene(genes, start, end, sentences) or (next(iter(symbols)) if len(symbols) == 1 else "")
            alteration = Alteration(near, AlterationKind.EXON, exon) if exon else parse_alteration(near, wording)
            out.append(Hit(start, end, Label.VARIANT, (), alteration))
        for gene in genes:  # event words next to a gene: KRAS mutations, FLT3-ITD, loss of PTEN, mutant p53
            after = self._event_after.match(text, gene.end)
            before = self._event_before.search(text, max(0, gene.start - 60), gene.start)
            for word in (after, before):
                if word and not any(word.start(1) < h.end and h.start < word.end(1) for h in out):
                    event = self._events[" ".join(word[1].casefold().split())]  # wild\ntype
                    alteration = Alteration(gene.targets[0], event.kind, event.name)
                    out.append(Hit(word.start(1), word.end(1), Label.VARIANT, (), alteration))
        return out


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of words, longest first; a space also matches a hyphen."""
    body = "|".join(re.escape(f).replace(r"\ ", r"[\s-]") for f in sorted(words, key=len, reverse=True))
    return body or "(?!)"
