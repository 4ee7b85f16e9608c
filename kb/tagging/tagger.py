"""The public tagger: :func:`build_tagger` and the :class:`Mention` s that :class:`ConceptTagger` returns."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import cast

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from kb.tagging.component import SPAN_KEY, TEXT_KEY, ConceptMatcher, WordTokenizer
from kb.tagging.terms import Label, concept_terms
from kb.vocab import Vocabularies, authored
from kb.vocab.variants import load_variant_terms

__all__ = ["ConceptTagger", "Mention", "build_tagger"]


@dataclass(frozen=True, slots=True)
class Mention:
    """One tagged span of a text, with its concept id (``gene:EGFR``)."""

    start_char: int
    end_char: int
    label: Label
    text: str
    concept_id: str


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
        text = doc.user_data.get(TEXT_KEY) or doc.text
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
