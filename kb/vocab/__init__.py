"""Vocabularies: typed record sets with English and Chinese names.

The authored tables ship in ``kb/vocab/data``; the large public sources (HGNC,
OncoTree, CIViC, the NHC drug list) are read from ``KB_DATA_DIR`` at ingest time.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from kb.store.base import Store
from kb.vocab.drugs import DrugVocabulary
from kb.vocab.genes import GeneVocabulary
from kb.vocab.tumors import TumorVocabulary

__all__ = ["DrugVocabulary", "GeneVocabulary", "TumorVocabulary", "Vocabularies", "authored", "vocabularies_from_store"]


def authored(name: str) -> Path:
    """Path of an authored table shipped in ``kb/vocab/data``."""
    return Path(str(files("kb.vocab") / "data" / name))


@dataclass
class Vocabularies:
    """The three concept vocabularies used by tagging and query understanding."""

    genes: GeneVocabulary
    tumors: TumorVocabulary
    drugs: DrugVocabulary


def vocabularies_from_store(store: Store) -> Vocabularies:
    """The vocabularies as stored (the store is the source of truth once ingested)."""
    from kb.vocab.genes import load_gene_overrides

    return Vocabularies(
        genes=GeneVocabulary.build(store.iter_genes(), overrides=load_gene_overrides(authored("gene_overrides.tsv"))),
        tumors=TumorVocabulary.build(store.iter_tumors()),
        drugs=DrugVocabulary.build(store.iter_drugs()),
    )
