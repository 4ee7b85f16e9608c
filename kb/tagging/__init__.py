"""Concept tagger: genes, variants, tumor types and drugs in English titles and abstracts.

:func:`build_tagger` turns the :class:`~kb.vocab.Vocabularies` into surface-form
:class:`Term` s (:func:`concept_terms`, a pure function holding the precision
filters) and loads them into the ``kb_concept_tagger`` spaCy component, which
writes typed spans to ``doc.spans["kb_concepts"]``; :class:`ConceptTagger`
turns them into :class:`Mention` s.

Concept ids: ``gene:EGFR`` (HGNC symbol), ``variant:EGFR:T790M`` (the
:class:`~kb.domain.Alteration` id; ``variant:T790M`` when no gene is in reach),
``tumor:NSCLC`` (OncoTree code) and ``drug:osimertinib`` (lowercase INN).

The package, in the order a text goes through it:

* :mod:`kb.tagging.terms`: the surface forms and gene precision rules 1-5;
* :mod:`kb.tagging.component`: the tokenizer and the spaCy component (matching, variants, mention spans);
* :mod:`kb.tagging.context`: reading in context, rules 6-9, abbreviations and fusions;
* :mod:`kb.tagging.tagger`: :func:`build_tagger`, :class:`ConceptTagger`, :class:`Mention`.

The word rules (stop words, event words, inflections, exon events, context words,
British spellings) are tables in ``kb/vocab/data``, listed in ``docs/vocabularies.md``.
"""

from __future__ import annotations

from kb.tagging.component import SPAN_KEY, ConceptMatcher, WordTokenizer
from kb.tagging.tagger import ConceptTagger, Mention, build_tagger
from kb.tagging.terms import Label, Term, concept_terms

__all__ = [
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
