"""Batch variant annotation for partner apps (docs/annotate.md).

One :class:`AnnotationQuery` per variant (a gene, an alteration, a tumor) gives one :class:`Annotation`: the
normalised variant, whether genekb knows the gene and the variant, the clinical statements of
:mod:`kb.summaries` about exactly that variant (for this tumor and others) with their levels in OncoKB's
vocabulary (:mod:`kb.crosswalk`), the highest of each kind, and the tests that can detect it. A query that
can't be answered (an unknown gene, an alteration that can't be read, an unknown tumor) comes back with its
``problems``; it never fails the batch and never passes silently.

Evidence answers a variant only when it is about that variant (``answers_variant``): EGFR L858R is not
answered by "EGFR mutation" rows, while an ALK fusion row answers EML4-ALK. A batch reads each gene's
evidence once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kb.crosswalk import MappedLevel, best, level_rank, oncokb_level
from kb.domain import Alteration, AlterationKind, Evidence, TestItem
from kb.genomic import GenomicIndex, GenomicVariant
from kb.ordering import TYPE_RANK, Relation, clinical_key
from kb.ranking import LEVEL_WEIGHT, ConceptTargets, answers_variant, evidence_concept_score, tumor_family
from kb.recommend import Recommendation, recommend_tests
from kb.store.base import Backend, EvidenceFilter
from kb.summaries import Statement, summarise
from kb.vocab.variants import fusion_pair, parse_alteration

if TYPE_CHECKING:
    from kb.query import QueryIndex

__all__ = ["MAX_BATCH", "Annotation", "AnnotationQuery", "Annotator", "GeneEvidence", "Problem", "Scored"]

MAX_BATCH = 1000  # queries per call
_GENERIC_KINDS = frozenset({AlterationKind.AMPLIFICATION, AlterationKind.LOSS, AlterationKind.EXPRESSION})
_FUSION_WORDS = frozenset({"", "fusion", "fusions", "gene fusion", "rearrangement", "融合", "重排"})
_GENERIC_NAMES = frozenset({"FUSION", "MUTATION", "ITD"})  # "ALK fusion": any alteration of the kind answers
# OncoKB's copy-number types as genekb's alteration words. A shallow gain is not an amplification: it is read as
# itself, and no curated evidence (amplification, overexpression) answers it
_COPY_NUMBER = {"AMPLIFICATION": "Amplification", "DELETION": "Deletion", "LOSS": "Deletion"}
_SHALLOW = frozenset({"GAIN", "SHALLOW GAIN", "LOW-LEVEL GAIN"})


@dataclass(frozen=True, slots=True)
class AnnotationQuery:
    """One variant to annotate; ``gene`` is a symbol, an alias or an Entrez id; ``alteration`` a protein change
    (one- or three-letter), an exon event, a fusion (``EML4-ALK``, ``EML4::ALK``), an amplification or
    deletion, or a biomarker (``MSI-H``); ``genomic`` a GRCh37 change (``7,140453136,140453136,A,T`` or
    ``7:g.140453136A>T``) used when no gene and alteration are given."""

    id: str = ""
    gene: str = ""
    alteration: str = ""
    tumor: str = ""  # OncoTree code, or an English or Chinese name
    consequence: str = ""
    reference_genome: str = "GRCh37"
    genomic: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # gene | alteration | tumor | genomic | reference_genome
    reason: str  # unknown_gene | ambiguous_gene | unreadable_alteration | unknown_tumor | ...
    message: str


@dataclass(frozen=True, slots=True)
class Scored:
    """A statement with its level in OncoKB's vocabulary (``None``: no OncoKB level applies)."""

    statement: Statement
    mapped: MappedLevel | None


@dataclass(frozen=True, slots=True)
class Annotation:
    query: AnnotationQuery
    gene: str | None  # the HGNC symbol
    gene_exist: bool
    variant: Alteration | None  # normalised; None when the alteration can't be read
    variant_exist: bool  # some curated evidence is about this variant
    tumor: str | None  # the OncoTree code
    statements: list[Scored] = field(default_factory=list)  # clinical order, therapy first
    tests: list[Recommendation] = field(default_factory=list)  # product suggestions that detect it
    problems: list[Problem] = field(default_factory=list)
    biomarker: str | None = None  # a biomarker id, when the alteration names one
    genomic: GenomicVariant | None = None  # the CIViC variant a genomic change mapped to

    def highest(self, kind: str) -> MappedLevel | None:
        """The highest mapped level of ``kind`` (sensitive, resistance, diagnostic, prognostic)."""
        return best((s.mapped for s in self.statements), kind)


class GeneEvidence:
    """Each gene's evidence, read from the store once, and grouped by alteration (the alteration and those of
    the assertions citing an item decide whether it answers a variant). The services keep one across batches
    and start a new one when published changes refresh them."""

    def __init__(self, store: Backend) -> None:
        self.store = store
        self._evidence: dict[str, list[Evidence]] = {}
        self._groups: dict[str, dict[tuple[Alteration, ...], list[Evidence]]] = {}

    def evidence(self, gene: str) -> list[Evidence]:
        if gene not in self._evidence:
            found = self.store.evidence_matching(genes=[gene], tumors=[], drugs=[], filters=EvidenceFilter())
            self._evidence[gene] = [e for e in found if e.gene == gene]
        return self._evidence[gene]

    def groups(self, gene: str) -> dict[tuple[Alteration, ...], list[Evidence]]:
        if gene not in self._groups:
            groups: dict[tuple[Alteration, ...], list[Evidence]] = {}
            for e in self.evidence(gene):
                cited = tuple(a.alteration for a in e.assertions if a.alteration and a.alteration.gene == e.gene)
                groups.setdefault((e.alteration, *cited), []).append(e)
            self._groups[gene] = groups
        return self._groups[gene]


class Annotator:
    """Annotates batches over one store and query index; caches per instance (make one per batch)."""

    def __init__(
        self,
        store: Backend,
        index: QueryIndex,
        catalogue: Sequence[TestItem],
        *,
        genomic: GenomicIndex | None = None,
        genes: GeneEvidence | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.catalogue = catalogue
        self.genomic = genomic or GenomicIndex()
        self.genes = genes or GeneEvidence(store)  # shared across batches by the services, renewed on refresh
        self._tumors: dict[str, str | None] = {}
        self._answers: dict[tuple[str, str, str, str], Annotation] = {}

    # -- resolving ---------------------------------------------------------------------------------
    def gene(self, name: str) -> tuple[str | None, Problem | None]:
        text = name.strip()
        if not text:
            return None, Problem("gene", "missing_gene", "no gene given")
        if text.isdigit():
            symbol = self.index.vocab.genes.by_entrez(text)
            return (
                (symbol, None) if symbol else (None, Problem("gene", "unknown_gene", f"no gene with Entrez id {text}"))
            )
        match = self.index.vocab.genes.lookup(text)
        if match is None:
            return None, Problem("gene", "unknown_gene", f"no HGNC gene, previous symbol or alias {text!r}")
        if match.symbol is None:
            names = ", ".join(match.candidates[:8])
            return None, Problem("gene", "ambiguous_gene", f"{text!r} names several genes: {names}")
        return match.symbol, None

    def tumor(self, text: str) -> tuple[str | None, Problem | None]:
        text = text.strip()
        if not text:
            return None, None
        if text not in self._tumors:
            self._tumors[text] = self._read_tumor(text)
        code = self._tumors[text]
        if code is None:
            return None, Problem("tumor", "unknown_tumor", f"no OncoTree code or tumor name {text!r}")
        return code, None

    def _read_tumor(self, text: str) -> str | None:
        from kb.query import parse_query

        tumors = self.index.vocab.tumors
        if text.upper() in tumors:
            return text.upper()
        found = {
            c.id for c in parse_query(text[:200], self.index).concepts if c.type == "tumor" and c.match != "ambiguous"
        }
        return found.pop() if len(found) == 1 else None

    def evidence(self, gene: str) -> list[Evidence]:
        return self.genes.evidence(gene)

    def _groups(self, gene: str) -> dict[tuple[Alteration, ...], list[Evidence]]:
        return self.genes.groups(gene)

    # -- annotating --------------------------------------------------------------------------------
    def annotate(self, queries: Sequence[AnnotationQuery]) -> list[Annotation]:
        return [self.one(q) for q in queries]

    def one(self, query: AnnotationQuery) -> Annotation:
        problems: list[Problem] = []
        tumor, trouble = self.tumor(query.tumor)
        problems += [trouble] if trouble else []
        if query.reference_genome and query.reference_genome.upper() not in ("GRCH37", "GRCH38"):
            message = f"referenceGenome is GRCh37 or GRCh38, not {query.reference_genome!r}"
            problems.append(Problem("reference_genome", "unknown_reference_genome", message))
        if not query.gene.strip() and not query.alteration.strip() and query.genomic.strip():
            return self._genomic(query, tumor, problems)
        biomarker = self._biomarker(query)
        if biomarker is not None:
            return self._answer(query, None, None, tumor, problems, biomarker=biomarker)
        gene, variant, more = self._variant(query)
        return self._answer(query, gene, variant, tumor, problems + more)

    def _biomarker(self, query: AnnotationQuery) -> str | None:
        """The biomarker an alteration names with no gene, or with a gene it reports (MSI-H, TMB-H)."""
        ids = self.index.vocab.biomarkers.lookup(query.alteration.strip()) if query.alteration.strip() else ()
        if len(ids) != 1 or (query.gene.strip() and self.gene(query.gene)[0] is not None):
            return None
        return ids[0]

    def _variant(self, query: AnnotationQuery) -> tuple[str | None, Alteration | None, list[Problem]]:
        gene, trouble = self.gene(query.gene) if query.gene.strip() else (None, None)
        text = " ".join(query.alteration.split())
        if not text:
            problem = Problem("alteration", "missing_alteration", "no alteration given")
            return gene, None, [p for p in (trouble, problem) if p]
        text = _COPY_NUMBER.get(text.upper(), text)
        partners = _fusion_genes(text)
        if partners:  # EML4::ALK (HGVS's fusion notation) and EML4/ALK are written EML4-ALK; "fusion" says no more
            rest = text[len(text.split(" ")[0]) :]
            text = "-".join(partners) + ("" if rest.strip().casefold() in _FUSION_WORDS else rest)
        pair = parse_alteration(gene or "X", text)
        if partners and (gene is None or gene in partners):  # the side with evidence names the fusion (ALK)
            known = [g for g in (self.gene(p)[0] for p in partners) if g]
            if known:
                gene = max(known, key=lambda g: (len(self.evidence(g)), g == partners[-1]))
                trouble = None
            pair = parse_alteration(gene or "X", text)
        if gene is None:
            return None, None, [trouble or Problem("gene", "missing_gene", "no gene given")]
        alteration = parse_alteration(gene, text) if pair.gene != gene else pair
        if text.upper() in _SHALLOW:
            return gene, Alteration(gene, AlterationKind.OTHER, "GAIN", label=text), []
        if alteration.kind is AlterationKind.OTHER:
            what = "a protein change, exon event, fusion, copy-number change or biomarker"
            problem = Problem("alteration", "unreadable_alteration", f"{text!r} is not {what}")
            return gene, None, [problem]
        return gene, alteration, []

    def _genomic(self, query: AnnotationQuery, tumor: str | None, problems: list[Problem]) -> Annotation:
        found = self.genomic.lookup(query.genomic, query.reference_genome or "GRCh37")
        if isinstance(found, tuple):
            problem = Problem("genomic", *found)
            return Annotation(query, None, False, None, False, tumor, problems=[*problems, problem])
        gene, _ = self.gene(found.gene)
        if gene is None:
            return Annotation(query, None, False, None, False, tumor, problems=problems, genomic=found)
        answer = self._answer(query, gene, parse_alteration(gene, found.variant), tumor, problems)
        return replace(answer, genomic=found)

    def _answer(
        self,
        query: AnnotationQuery,
        gene: str | None,
        variant: Alteration | None,
        tumor: str | None,
        problems: list[Problem],
        *,
        biomarker: str | None = None,
    ) -> Annotation:
        if biomarker is None and (gene is None or variant is None):  # nothing to evaluate: the problems say why
            return Annotation(query, gene, gene is not None, variant, False, tumor, problems=problems)
        key = (gene or "", variant.id if variant else "", biomarker or "", tumor or "")
        if key not in self._answers:
            self._answers[key] = self._evaluate(query, gene, variant, tumor, biomarker)
        return replace(self._answers[key], query=query, problems=problems)

    def _evaluate(
        self,
        query: AnnotationQuery,
        gene: str | None,
        variant: Alteration | None,
        tumor: str | None,
        biomarker: str | None,
    ) -> Annotation:
        q = self._targets(gene, variant, tumor, biomarker)
        pool = list(self.evidence(gene)) if gene else []
        if biomarker:
            linked = self.index.biomarker_evidence.get(biomarker, ())
            seen = {e.id for e in pool}
            pool += [e for e in self.store.get_evidence_many([i for i in linked if i not in seen]).values()]
        if biomarker:
            about = [e for e in pool if biomarker in e.biomarkers or e.id in linked]
        else:  # whether an item answers the variant depends on its alterations only: decided once per group
            about = [e for group in self._groups(gene or "").values() if answers_variant(group[0], q) for e in group]
        scored = [(e, evidence_concept_score(e, q)) for e in about]
        kept = [(e, s) for e, s in scored if s > 0]
        kept.sort(key=lambda es: (clinical_key(es[0], q, es[1], 0.0, []), es[0].id))
        items = [e for e, _ in kept]
        statements = sorted((Scored(st, oncokb_level(st)) for st in summarise(items, q)), key=_partner_order)
        tests = recommend_tests(
            self.catalogue, q, items, self.index.vocab.tumors, biomarkers=self.index.vocab.biomarkers
        )
        return Annotation(
            query, gene, gene is not None, variant, bool(items), tumor, statements, tests, biomarker=biomarker
        )

    def _targets(
        self, gene: str | None, variant: Alteration | None, tumor: str | None, biomarker: str | None
    ) -> ConceptTargets:
        variants: frozenset[str] = frozenset()
        kinds: dict[str, frozenset[AlterationKind]] = {}
        if gene and variant:
            generic = variant.kind in _GENERIC_KINDS or variant.name in _GENERIC_NAMES
            variants = frozenset() if generic else frozenset({variant.id})
            if generic or variant.kind is AlterationKind.FUSION:  # a named fusion is also answered by "ALK fusion"
                kinds[gene] = frozenset({variant.kind})
        alterations = self.index.vocab.biomarkers.biomarkers[biomarker].alterations if biomarker else ()
        return ConceptTargets(
            genes=frozenset({gene}) if gene else frozenset(),
            variants=variants,
            variant_kinds=kinds,
            tumors=frozenset({tumor}) if tumor else frozenset(),
            tumor_family=tumor_family([tumor] if tumor else [], self.index.vocab.tumors),
            biomarkers=frozenset({biomarker}) if biomarker else frozenset(),
            biomarker_alterations=frozenset(alterations),
        )


def _partner_order(scored: Scored) -> tuple[int, int, int, int]:
    """Therapy first; the asked tumor (or its family) before others; the higher mapped level, then genekb's.
    Stable, so equal statements keep the clinical order of :mod:`kb.ordering`."""
    st = scored.statement
    return (
        TYPE_RANK.get(st.evidence_type, 9),
        int(st.relation is Relation.OTHER),
        level_rank(scored.mapped.code) if scored.mapped else 99,
        -LEVEL_WEIGHT.get(st.best_level.value, 0),
    )


def _fusion_genes(text: str) -> tuple[str, ...]:
    """The two genes of a fusion written ``EML4-ALK``, ``EML4::ALK`` or ``EML4/ALK`` (with an optional word)."""
    return fusion_pair(text.split(" ")[0])
