"""genekb's annotations written as OncoKB's IndicatorQueryResp (the OncoKB-compatible API, api/routes/oncokb.py).

Only statements with a level in OncoKB's vocabulary (:mod:`kb.crosswalk`) become answers: sensitivity and
resistance ones ``treatments``, diagnostic and prognostic ones ``diagnosticImplications`` and
``prognosticImplications``; no other code is ever sent. The summaries are plain counts of genekb's curated
evidence; nothing is said that genekb has not curated (oncogenicity, mutation effect, hotspots, FDA levels).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from fastapi import Request

from api.oncokb_queries import Ask
from api.oncokb_schemas import (
    ArticleAbstractOut,
    CitationsOut,
    DrugOut,
    ImplicationOut,
    IndicatorQueryResp,
    MainTypeOut,
    MutationEffectOut,
    QueryOut,
    TreatmentOut,
    TumorTypeOut,
)
from kb.annotate import Annotation, Annotator, Scored
from kb.crosswalk import DIAGNOSTIC, PROGNOSTIC, RESISTANCE, SENSITIVE, best
from kb.domain import AlterationKind
from kb.ordering import Relation
from kb.services import Services
from kb.summaries import Statement
from kb.vocab import Vocabularies

__all__ = ["Facts", "answer", "data_facts", "tumor_type"]

_SENSITIVE_STANDARD = "STANDARD_THERAPEUTIC_IMPLICATIONS_FOR_DRUG_SENSITIVITY"
_RESISTANCE_STANDARD = "STANDARD_THERAPEUTIC_IMPLICATIONS_FOR_DRUG_RESISTANCE"
_SENSITIVE_INVESTIGATIONAL = "INVESTIGATIONAL_THERAPEUTIC_IMPLICATIONS_DRUG_SENSITIVITY"
_RESISTANCE_INVESTIGATIONAL = "INVESTIGATIONAL_THERAPEUTIC_IMPLICATIONS_DRUG_RESISTANCE"
_TYPE_OF_LEVEL = {  # OncoKB's evidence type of each level: standard care is 1, 2 and R1
    "LEVEL_1": _SENSITIVE_STANDARD,
    "LEVEL_2": _SENSITIVE_STANDARD,
    "LEVEL_3A": _SENSITIVE_INVESTIGATIONAL,
    "LEVEL_3B": _SENSITIVE_INVESTIGATIONAL,
    "LEVEL_4": _SENSITIVE_INVESTIGATIONAL,
    "LEVEL_R1": _RESISTANCE_STANDARD,
    "LEVEL_R2": _RESISTANCE_INVESTIGATIONAL,
    **{code: "DIAGNOSTIC_IMPLICATION" for code in DIAGNOSTIC},
    **{code: "PROGNOSTIC_IMPLICATION" for code in PROGNOSTIC},
}
_SUMMARIES = ("GENE_SUMMARY", "MUTATION_SUMMARY", "TUMOR_TYPE_SUMMARY", "DIAGNOSTIC_SUMMARY", "PROGNOSTIC_SUMMARY")
_THERAPY = frozenset((*SENSITIVE, *RESISTANCE))
_LIQUID = frozenset({"lymphoid", "myeloid"})  # OncoTree's blood tissues; every other tissue is a solid tumor's
_POSITION = re.compile(r"[A-Z*]?([0-9]{1,6})(?:_[A-Z*]?([0-9]{1,6}))?")


@dataclass(frozen=True, slots=True)
class Facts:
    """Facts of one data version: the newest review date (MM/DD/YYYY) and the evidence items per gene."""

    version: str
    date: str
    genes: dict[str, int]


def data_facts(request: Request, services: Services) -> Facts:
    """The facts of the store's data version, read once per version and kept on the app."""
    version = services.store.data_version()
    cached = getattr(request.app.state, "oncokb_facts", None)
    if isinstance(cached, Facts) and cached.version == version:
        return cached
    genes: Counter[str] = Counter()
    newest: date | None = None
    for item in services.store.iter_evidence():
        if item.gene:
            genes[item.gene] += 1
        if item.last_review is not None and (newest is None or item.last_review > newest):
            newest = item.last_review
    facts = Facts(version, newest.strftime("%m/%d/%Y") if newest else "", dict(genes))
    request.app.state.oncokb_facts = facts
    return facts


def _wanted(name: str, types: frozenset[str]) -> bool:
    return not types or name in types


def tumor_type(code: str | None, disease: str, vocab: Vocabularies) -> TumorTypeOut:
    """OncoKB's TumorType of an OncoTree code, or of a disease OncoTree lacks (its name only)."""
    node = vocab.tumors.nodes.get(code) if code else None
    if node is None:
        blank = MainTypeOut(id=None, name="", tumorForm="")
        return TumorTypeOut(
            id=0, code="", name=disease or code or "", mainType=blank, tissue=None, children={}, parent=None, level=0,
            tumorForm="",
        )  # fmt: skip
    form = ("LIQUID" if node.tissue.lower() in _LIQUID else "SOLID") if node.tissue else ""
    return TumorTypeOut(
        id=0,
        code=node.code,
        name=node.name,
        mainType=MainTypeOut(id=None, name=node.main_type, tumorForm=form),
        tissue=node.tissue or None,
        children={},
        parent=node.parent if node.parent and node.parent != "TISSUE" else None,
        level=node.level,
        tumorForm=form,
    )


def _drug(inn: str, vocab: Vocabularies) -> DrugOut:
    drug = vocab.drugs.drugs.get(inn)
    return DrugOut(
        drugName=(drug.name or inn) if drug else inn, ncitCode="", synonyms=list(drug.synonyms) if drug else []
    )


def _abstracts(st: Statement) -> list[ArticleAbstractOut]:
    """The cited sources without a PMID (conference abstracts, drug labels), by their citation text."""
    texts = dict.fromkeys(c.text or c.source_id for i in st.items for c in i.citations if not c.pmid)
    return [ArticleAbstractOut(abstract=t, link="") for t in texts if t]


def _label(st: Statement) -> str:
    return st.alteration.label or st.alteration.name


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _describe(st: Statement, drugs: tuple[str, ...], vocab: Vocabularies) -> str:
    where = tumor_type(st.tumor_code, st.disease, vocab).name or st.disease
    to = f" to {' + '.join(_drug(d, vocab).drugName for d in drugs)}" if drugs else ""
    disagree = " (the items do not all agree)" if st.direction == "mixed" else ""
    about = f"{st.gene} {_label(st)}".strip()
    return (
        f"{_plural(len(st.items), 'curated evidence item')} about {about} in {where} "
        f"{'reports' if len(st.items) == 1 else 'report'} "
        f"{st.significance.replace('_', ' ')}{to}{disagree}; genekb level {st.best_level.value}."
    )


def _treatments(scored: list[Scored], vocab: Vocabularies) -> list[TreatmentOut]:
    """One treatment per drug combination, level and tumor; substitutes are one treatment per drug."""
    out: dict[tuple[tuple[str, ...], str, str], TreatmentOut] = {}
    for s in scored:
        st, code = s.statement, s.mapped.code if s.mapped else ""
        groups = [(d,) for d in st.drugs] if st.drug_interaction == "substitutes" and len(st.drugs) > 1 else [st.drugs]
        for drugs in groups:
            key = (drugs, code, st.tumor_code or st.disease)
            found = out.get(key)
            if found is not None:  # the same treatment from another statement (erlotinib alone and as a substitute)
                found.pmids = list(dict.fromkeys((*found.pmids, *st.pmids)))
                found.abstracts = [*found.abstracts, *(a for a in _abstracts(st) if a not in found.abstracts)]
                found.description = f"{found.description} {_describe(st, drugs, vocab)}"
                continue
            out[key] = TreatmentOut(
                alterations=[_label(st)],
                approvedIndications=[],
                description=_describe(st, drugs, vocab),
                drugs=[_drug(d, vocab) for d in drugs],
                fdaLevel="NO",
                level=code,
                levelAssociatedCancerType=tumor_type(st.tumor_code, st.disease, vocab),
                levelExcludedCancerTypes=[],
                pmids=list(st.pmids),
                abstracts=_abstracts(st),
                genekbLevel=st.best_level.value,
            )
    return list(out.values())


def _implications(scored: list[Scored], vocab: Vocabularies) -> list[ImplicationOut]:
    return [
        ImplicationOut(
            levelOfEvidence=s.mapped.code if s.mapped else "",
            alterations=[_label(s.statement)],
            tumorType=tumor_type(s.statement.tumor_code, s.statement.disease, vocab),
            pmids=list(s.statement.pmids),
            abstracts=_abstracts(s.statement),
            description=_describe(s.statement, (), vocab),
            genekbLevel=s.statement.best_level.value,
        )
        for s in scored
    ]


def _what(a: Annotation, vocab: Vocabularies) -> str:
    if a.biomarker:
        marker = vocab.biomarkers.biomarkers.get(a.biomarker)
        return marker.name if marker is not None and marker.name else a.biomarker
    if a.variant is not None:  # T790M rather than p.Thr790Met; Amplification rather than AMPLIFICATION
        protein = a.variant.kind is AlterationKind.PROTEIN_CHANGE
        return f"{a.gene} {a.variant.name if protein else a.variant.label or a.variant.name}"
    return a.gene or ""


def _why(ask: Ask, a: Annotation) -> str:
    if ask.note:
        return ask.note
    return " ".join(f"{p.message[:1].upper()}{p.message[1:]}." for p in a.problems)


def _summaries(
    ask: Ask, a: Annotation, annotator: Annotator, vocab: Vocabularies, dx: int, px: int
) -> tuple[str, str, str, str, str]:
    what = _what(a, vocab)
    gene = ""
    if a.gene:
        n = len(annotator.evidence(a.gene))
        held = _plural(n, "curated evidence item") if n else "no curated evidence"
        gene = f"genekb holds {held} about {a.gene}."
    if a.variant_exist:
        items = len({e.id for s in a.statements for e in s.statement.items})
        held = f"{_plural(len(a.statements), 'curated statement')} ({_plural(items, 'evidence item')})"
        variant = f"genekb holds {held} about {what}."
    else:
        variant = f"genekb holds no curated evidence about {what}." if a.variant or a.biomarker else ""
    variant = f"{variant} {_why(ask, a)}".strip()
    node = vocab.tumors.nodes.get(a.tumor) if a.tumor else None
    tumor = dx_text = px_text = ""
    if node is not None and a.variant_exist:
        here = sum(1 for s in a.statements if s.statement.relation in (Relation.EXACT, Relation.FAMILY))
        tumor = f"{here} of these statements concern {node.name} or its OncoTree family."
    where = f" in {node.name}" if node is not None else ""
    if dx:
        dx_text = f"genekb holds {_plural(dx, 'diagnostic statement')} with a level about {what}{where}."
    if px:
        px_text = f"genekb holds {_plural(px, 'prognostic statement')} with a level about {what}{where}."
    texts = (gene, variant, tumor, dx_text, px_text)
    return tuple(t if _wanted(name, ask.types) else "" for t, name in zip(texts, _SUMMARIES, strict=True))  # type: ignore[return-value]


def _query(ask: Ask, a: Annotation, vocab: Vocabularies) -> QueryOut:
    record = vocab.genes.genes.get(a.gene) if a.gene else None
    entrez = int(record.ncbi_gene_id) if record and re.fullmatch(r"[0-9]{1,12}", record.ncbi_gene_id) else ask.entrez
    start, end = ask.start, ask.end
    if start is None and a.variant is not None and a.variant.kind is AlterationKind.PROTEIN_CHANGE:
        found = _POSITION.match(a.variant.name)
        if found:
            start = int(found.group(1))
            end = int(found.group(2) or found.group(1)) if end is None else end
    return QueryOut(
        id=ask.id,
        referenceGenome=ask.query.reference_genome,
        hugoSymbol=a.gene or ask.hugo,
        entrezGeneId=entrez,
        alteration=a.genomic.variant if a.genomic is not None else ask.alteration,
        alterationType=None,
        svType=ask.sv_type,
        tumorType=ask.tumor_type,
        consequence=ask.consequence,
        proteinStart=start,
        proteinEnd=end,
        hgvs=ask.hgvs,
    )


def answer(ask: Ask, a: Annotation, annotator: Annotator, vocab: Vocabularies, facts: Facts) -> IndicatorQueryResp:
    """The IndicatorQueryResp of one annotation: its OncoKB-level statements, in the annotator's order."""

    def kept(codes: frozenset[str] | tuple[str, ...]) -> list[Scored]:
        wanted = {c for c in codes if _wanted(_TYPE_OF_LEVEL[c], ask.types)}
        return [s for s in a.statements if s.mapped and s.mapped.code in wanted]

    therapy, dx, px = kept(_THERAPY), kept(DIAGNOSTIC), kept(PROGNOSTIC)
    gene, variant, tumor, dx_text, px_text = _summaries(ask, a, annotator, vocab, len(dx), len(px))

    def highest(scored: list[Scored], kind: str) -> str | None:
        found = best((s.mapped for s in scored), kind)
        return found.code if found else None

    return IndicatorQueryResp(
        query=_query(ask, a, vocab),
        geneExist=a.gene_exist,
        variantExist=a.variant_exist,
        alleleExist=a.variant_exist,
        oncogenic="Unknown",
        mutationEffect=MutationEffectOut(
            knownEffect="Unknown", description="", citations=CitationsOut(pmids=[], abstracts=[])
        ),
        highestSensitiveLevel=highest(therapy, "sensitive"),
        highestResistanceLevel=highest(therapy, "resistance"),
        highestDiagnosticImplicationLevel=highest(dx, "diagnostic"),
        highestPrognosticImplicationLevel=highest(px, "prognostic"),
        highestFdaLevel=None,
        otherSignificantSensitiveLevels=[],
        otherSignificantResistanceLevels=[],
        hotspot=False,
        geneSummary=gene,
        variantSummary=variant,
        tumorTypeSummary=tumor,
        diagnosticSummary=dx_text,
        prognosticSummary=px_text,
        treatments=_treatments(therapy, vocab),
        diagnosticImplications=_implications(dx, vocab),
        prognosticImplications=_implications(px, vocab),
        dataVersion=facts.version,
        lastUpdate=facts.date,
        vus=False,
    )
