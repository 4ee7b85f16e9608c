"""Vocabularies: typed record sets with English and Chinese names.

The authored tables ship in ``kb/vocab/data`` (names, and the word rules: stop
words, event words, inflections; see ``docs/vocabularies.md``); the large public
sources (HGNC, OncoTree, CIViC, the NHC drug list) are read from ``KB_DATA_DIR``
at ingest time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.vocab.biomarkers import BiomarkerVocabulary
from kb.vocab.drugs import DrugVocabulary
from kb.vocab.genes import GeneVocabulary, load_gene_overrides
from kb.vocab.tables import authored
from kb.vocab.tumors import TumorVocabulary

if TYPE_CHECKING:  # a type only: kb.store imports kb.analysis, which reads its stop words from kb.vocab
    from kb.store.base import Backend

__all__ = [
    "BiomarkerVocabulary",
    "DrugVocabulary",
    "GeneVocabulary",
    "TumorVocabulary",
    "Vocabularies",
    "authored",
    "vocabularies_from_store",
]


@dataclass
class Vocabularies:
    """The concept vocabularies used by tagging and query understanding."""

    genes: GeneVocabulary
    tumors: TumorVocabulary
    drugs: DrugVocabulary
    biomarkers: BiomarkerVocabulary = field(default_factory=BiomarkerVocabulary)


def vocabularies_from_store(store: Backend) -> Vocabularies:
    """The vocabularies as stored (the store is the source of truth once ingested)."""
    return Vocabularies(
        genes=GeneVocabulary.build(store.iter_genes(), overrides=load_gene_overrides(authored("gene_overrides.tsv"))),
        tumors=TumorVocabulary.build(store.iter_tumors()),
        drugs=DrugVocabulary.build(store.iter_drugs()),
        biomarkers=BiomarkerVocabulary.build(store.iter_biomarkers()),
    )
