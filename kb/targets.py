"""The ranking view of a parsed query: :func:`targets` turns its concepts into
:class:`~kb.ranking.ConceptTargets` (tumor family weights follow OncoTree; a biomarker brings the
alterations that report it and the other states of its group)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.domain import AlterationKind
from kb.ranking import ConceptTargets, tumor_family
from kb.text import name_key
from kb.vocab.biomarkers import BiomarkerVocabulary
from kb.vocab.variants import parse_alteration

if TYPE_CHECKING:
    from kb.query import ParsedQuery, QueryIndex

__all__ = ["targets"]

_GENERIC = {"FUSION", "AMPLIFICATION", "MUTATION", "OVEREXPRESSION", "EXPRESSION", "LOSS", "ITD", "WILDTYPE"}


def targets(parsed: ParsedQuery, index: QueryIndex) -> ConceptTargets:
    """The ranking view of a parsed query (tumor family weights follow OncoTree)."""
    genes: set[str] = set()
    implied: set[str] = set()
    variants: set[str] = set()
    kinds: dict[str, set[AlterationKind]] = {}
    tumors: set[str] = set()
    drugs: set[str] = set()
    biomarkers: set[str] = set()
    alterations: set[str] = set()  # every variant id named, generic ones included (a biomarker's state)
    for c in parsed.concepts:
        ids = c.candidates if c.match == "ambiguous" and c.candidates else (c.id,)
        if c.type == "gene":
            (implied if c.implied or c.match == "ambiguous" else genes).update(ids)
        elif c.type == "variant":
            for ident in ids:
                gene, _, name = ident.partition(":")
                if not name:
                    continue
                alterations.add(ident)
                implied.add(gene)
                if name in _GENERIC:
                    kinds.setdefault(gene, set()).add(parse_alteration(gene, name).kind)
                else:
                    variants.add(ident)
        elif c.type == "tumor" and c.match != "ambiguous":
            tumors.update(ids)
        elif c.type == "drug":
            drugs.update(ids)
        elif c.type == "biomarker":
            biomarkers.update(ids)
    family = tumor_family(tumors, index.vocab.tumors)
    return ConceptTargets(
        genes=frozenset(genes),
        implied_genes=frozenset(implied - genes),
        variants=frozenset(variants),
        variant_kinds={g: frozenset(k) for g, k in kinds.items()},
        tumors=frozenset(tumors),
        tumor_family=family,
        drugs=frozenset(drugs),
        text_key=name_key(parsed.text),
        unresolved=bool(parsed.unresolved),
        intents=parsed.intents,
        **_biomarker_targets(biomarkers, alterations, index.vocab.biomarkers),
    )


def _biomarker_targets(named: set[str], alterations: set[str], vocab: BiomarkerVocabulary) -> dict[str, frozenset[str]]:
    """The biomarkers named, the alterations that report them, and the other states of their groups (and of
    the group of a state a variant names: HER2阳性 is ERBB2:AMPLIFICATION, HER2-positive's, so HER2-low is other)."""
    states = {b for b in named if b in vocab.biomarkers}
    states |= {b.id for b in vocab if alterations.intersection(b.alterations)}
    groups = {vocab.biomarkers[b].group for b in states} - {""}
    others = [b for b in vocab if b.group in groups and b.id not in states]
    return {
        "biomarkers": frozenset(named),
        "biomarker_alterations": frozenset(
            a for b in named if b in vocab.biomarkers for a in vocab.biomarkers[b].alterations
        ),
        "other_states": frozenset(b.id for b in others),
        "other_alterations": frozenset(a for b in others for a in b.alterations),
    }
