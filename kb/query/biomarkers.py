"""Biomarker names in a query (the values written with them are read by :mod:`kb.query.values`).

:func:`biomarker_forms` gives the ids, names and synonyms of ``biomarkers.tsv`` (MSI-H,
微卫星高度不稳定, HER2低表达); a group name that no biomarker is called (MMR, HER2 IHC) reads as its
members, ambiguous. A name that is a gene's positivity wording (HER2-positive = HER2 + positive)
is left to the gene-level reading of ``positive_readings.tsv`` (:func:`positivity_shadow`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping

from kb.query.forms import Reading, ReadingType
from kb.text import is_cjk, name_key
from kb.vocab import Vocabularies

__all__ = ["biomarker_forms", "positivity_shadow"]


def positivity_shadow(
    forms: Mapping[str, tuple[Reading, ...]], positive: Mapping[str, object]
) -> Callable[[str], bool]:
    """Whether a key is a gene form with a positive reading followed by a positive polarity word (her2positive)."""
    genes = {
        key
        for key, readings in forms.items()
        if any(r.type is ReadingType.GENE and r.ids and all(g in positive for g in r.ids) for r in readings)
    }
    polarity = {
        key for key, readings in forms.items() if any(r.type is ReadingType.POLARITY and r.positive for r in readings)
    }
    return lambda key: any(key[:i] in genes and key[i:] in polarity for i in range(1, len(key)))


def biomarker_forms(vocab: Vocabularies, shadowed: Callable[[str], bool]) -> Iterator[tuple[str, Reading]]:
    """Biomarker ids and names (``exact``), synonyms (``alias``) and group names (``ambiguous``)."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for biomarker in vocab.biomarkers:
        names = [(biomarker.id, "exact"), (biomarker.name, "exact"), (biomarker.name_zh, "exact")]
        names += [(s, "alias") for s in (*biomarker.synonyms, *biomarker.synonyms_zh)]
        for form, match in names:
            key = name_key(form)
            if _usable(key) and not shadowed(key) and found[key].get(biomarker.id) != "exact":
                found[key][biomarker.id] = match
    for key, slot in found.items():
        ids = tuple(slot)
        match = "ambiguous" if len(ids) > 1 else slot[ids[0]]
        yield key, Reading(ReadingType.BIOMARKER, ids, match)
    groups: dict[str, list[str]] = defaultdict(list)
    for biomarker in vocab.biomarkers:
        if biomarker.group:
            groups[name_key(biomarker.group)].append(biomarker.id)
    for key, members in groups.items():
        if _usable(key) and key not in found and len(members) > 1:
            yield key, Reading(ReadingType.BIOMARKER, tuple(members), "ambiguous")


def _usable(key: str) -> bool:
    if any(is_cjk(c) for c in key):
        return len(key) >= 2
    return sum(c.isalpha() for c in key) >= 2
