"""One accepted vocabulary record applied to a built query index, in well under a second.

:func:`build_query_index` takes seconds (the gene forms of 44,000 HGNC genes). When an editor accepts one gene,
tumor, drug or biomarker, :func:`patch_query_index` gives a new index whose surface forms for the names of that
record, before and after the edit, are what a full build over the new vocabularies would give for that kind: a
new synonym is understood by the next query, a removed one is no longer. The readings of other kinds under the
same keys stay, in their order. What depends on many records at once (gene families, drug classes, the typo and
pinyin indexes) waits for the full rebuild that follows in the background (:meth:`kb.services.Services.apply`).
The index passed in is not changed: a search that holds it reads it whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from kb.domain import Biomarker, Drug, Gene, TumorType
from kb.query.biomarkers import biomarker_forms, positivity_shadow
from kb.query.forms import Reading, ReadingType, drug_forms, gene_forms, tumor_forms
from kb.query.index import QueryIndex
from kb.text import name_key
from kb.vocab import BiomarkerVocabulary, DrugVocabulary, TumorVocabulary, Vocabularies, authored
from kb.vocab.genes import load_gene_overrides

__all__ = ["patch_query_index", "patch_vocabularies"]

#: The order in which :func:`kb.query.index.build_query_index` merges the readings of one key.
_ORDER = (
    ReadingType.GENE,
    ReadingType.TUMOR,
    ReadingType.DRUG,
    ReadingType.FUSION,
    ReadingType.EVENT,
    ReadingType.POLARITY,
    ReadingType.DRUG_CLASS,
    ReadingType.INTENT,
    ReadingType.STOP,
    ReadingType.BIOMARKER,
)
_TYPES: dict[type[Any], ReadingType] = {
    Gene: ReadingType.GENE,
    TumorType: ReadingType.TUMOR,
    Drug: ReadingType.DRUG,
    Biomarker: ReadingType.BIOMARKER,
}


def patch_vocabularies(vocab: Vocabularies, record: Gene | TumorType | Drug | Biomarker) -> Vocabularies:
    """New vocabularies with ``record`` added or in place of the one with its key; ``vocab`` is unchanged."""
    if isinstance(record, Gene):
        return replace(vocab, genes=vocab.genes.with_gene(record))
    if isinstance(record, TumorType):
        tumors = {**vocab.tumors.nodes, record.code: record}
        return replace(vocab, tumors=TumorVocabulary.build(tumors.values()))
    if isinstance(record, Drug):
        return replace(vocab, drugs=DrugVocabulary.build({**vocab.drugs.drugs, record.inn: record}.values()))
    biomarkers = {**vocab.biomarkers.biomarkers, record.id: record}
    return replace(vocab, biomarkers=BiomarkerVocabulary.build(biomarkers.values()))


def patch_query_index(index: QueryIndex, record: Gene | TumorType | Drug | Biomarker) -> QueryIndex:
    """``index`` with ``record`` published: its vocabularies and the surface forms of its names (see the module)."""
    vocab = patch_vocabularies(index.vocab, record)
    kind = _TYPES[type(record)]
    oncology = index.oncology | {record.symbol} if isinstance(record, Gene) and record.name_zh else index.oncology
    before = dict(_kind_forms(index, index.vocab, kind, record, index.oncology))
    after = dict(_kind_forms(index, vocab, kind, record, oncology))
    forms = dict(index.forms)
    max_len = dict(index.max_len)
    for key in before.keys() | after.keys():
        if before.get(key) == after.get(key) and key in forms:
            continue
        kept = [r for r in forms.get(key, ()) if r.type is not kind]
        readings = _insert(kept, after.get(key, ()), kind)
        if readings:
            forms[key] = readings
            max_len[key[0]] = max(max_len.get(key[0], 0), len(key))
        else:
            forms.pop(key, None)
    targets = dict(index.drug_targets)
    if isinstance(record, Drug) and record.targets:  # curated targets replace the evidence's at once
        targets[record.inn] = tuple(dict.fromkeys(record.targets))
    return replace(index, vocab=vocab, forms=forms, max_len=max_len, oncology=oncology, drug_targets=targets)


def _kind_forms(
    index: QueryIndex,
    vocab: Vocabularies,
    kind: ReadingType,
    record: Gene | TumorType | Drug | Biomarker,
    oncology: frozenset[str],
) -> Iterator[tuple[str, tuple[Reading, ...]]]:
    """The forms of one kind's readings that the record may touch, as a full build over ``vocab`` gives them."""
    pairs: Iterator[tuple[str, Reading]]
    if kind is ReadingType.GENE:
        old = index.vocab.genes.genes.get(record.symbol) if isinstance(record, Gene) else None
        names = [n for g in (old, record) if isinstance(g, Gene) for n in _gene_names(g)]
        only = {key for n in names if (key := name_key(n))}
        pairs = gene_forms(vocab, load_gene_overrides(authored("gene_overrides.tsv")), oncology, only)
    elif kind is ReadingType.TUMOR:
        pairs = tumor_forms(vocab)
    elif kind is ReadingType.DRUG:
        pairs = drug_forms(vocab)
    else:
        pairs = biomarker_forms(vocab, positivity_shadow(index.forms, index.positive))
    merged: dict[str, list[Reading]] = {}
    for key, reading in pairs:
        slot = merged.setdefault(key, [])
        if reading not in slot:
            slot.append(reading)
    for key, readings in merged.items():
        yield key, tuple(readings)


def _gene_names(gene: Gene) -> tuple[str, ...]:
    return (gene.symbol, gene.name_zh, *gene.synonyms_zh, *gene.previous_symbols, *gene.aliases)


def _insert(kept: list[Reading], mine: tuple[Reading, ...], kind: ReadingType) -> tuple[Reading, ...]:
    """``mine`` placed among the other kinds' readings where a full build puts them."""
    rank = {t: i for i, t in enumerate(_ORDER)}
    at = next((i for i, r in enumerate(kept) if rank[r.type] > rank[kind]), len(kept))
    return (*kept[:at], *mine, *kept[at:])
