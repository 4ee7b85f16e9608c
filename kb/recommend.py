"""Test recommendation: rank the *published* catalogue for a query's concepts.

A recommendation is a product suggestion, kept apart from the evidence and
labelled ``sponsored``. Its reason names the matched genes, the biomarkers the
test measures and the curated evidence behind them; it never claims that a test
improves outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb.domain import Evidence, TestItem
from kb.ranking import LEVEL_WEIGHT, ConceptTargets
from kb.vocab.biomarkers import BiomarkerVocabulary
from kb.vocab.tumors import TumorVocabulary

__all__ = ["Recommendation", "recommend_tests"]


@dataclass(frozen=True, slots=True)
class Recommendation:
    item: TestItem
    score: float
    matched_genes: tuple[str, ...]
    matched_tumors: tuple[str, ...]
    reason: str
    reason_zh: str
    sponsored: bool = True
    matched_biomarkers: tuple[str, ...] = ()


def recommend_tests(
    catalogue: Iterable[TestItem],
    q: ConceptTargets,
    evidence: Sequence[Evidence],
    tumors: TumorVocabulary,
    *,
    limit: int = 5,
    biomarkers: BiomarkerVocabulary | None = None,
) -> list[Recommendation]:
    """Published tests covering the query's genes (named, from variants or drug targets), measuring
    its biomarkers, or indicated for its tumors.

    Score: gene coverage (named genes count double), tumor indication (hierarchy aware),
    the strength of curated evidence for the covered genes in that tumor, and a
    small preference for focused tests over large panels; plus the share of the
    query's biomarkers the test reports (1 when it reports them all). A query that
    names a biomarker gets no test for its tumor alone.
    """
    wanted = q.genes | q.implied_genes
    # with no tumor named, the tumors of the best matching evidence stand in (EGFR T790M -> NSCLC)
    context = {e.tumor_code for e in evidence[:20] if e.tumor_code} if not q.tumors else set()
    context_family = context | {a for code in context for a in tumors.ancestors(code)}
    best_level: dict[str, tuple[int, int]] = {}  # gene -> (best level weight, items)
    for item in evidence:
        if item.gene in wanted and (not q.tumor_family or q.tumor_family.get(item.tumor_code or "", 0) > 0):
            weight, count = best_level.get(item.gene, (0, 0))
            best_level[item.gene] = (max(weight, LEVEL_WEIGHT.get(item.level.value, 0)), count + 1)
    out: list[Recommendation] = []
    for test in catalogue:
        if not test.published:
            continue
        genes = tuple(g for g in test.genes if g in wanted)
        tumor_hits = tuple(c for c in test.indications if _indicated(c, q, tumors))
        measured = tuple(b for b in test.biomarkers if b in q.biomarkers)
        if not genes and not measured and not (tumor_hits and not wanted and not q.biomarkers):
            continue
        named = sum(1 for g in genes if g in q.genes)
        coverage = (2 * named + (len(genes) - named)) / (2 * len(q.genes) + len(q.implied_genes - q.genes) or 1)
        strength = max((best_level.get(g, (0, 0))[0] for g in genes), default=0) / 5
        kinds_ok = all(
            not kinds or kinds & set(test.alteration_kinds) for g, kinds in q.variant_kinds.items() if g in genes
        )
        focus = 1.0 / (1.0 + len(test.genes) / 50)
        in_context = 0.3 if context_family.intersection(test.indications) else 0.0
        score = (
            coverage + (0.5 if tumor_hits else 0.0) + 0.5 * strength + 0.2 * focus + (0.2 if kinds_ok else 0.0)
        ) + in_context
        if q.biomarkers:
            score += len(measured) / len(q.biomarkers)
        reason, reason_zh = _reasons(test, genes, tumor_hits, best_level, tumors, _measures(measured, biomarkers))
        out.append(Recommendation(test, round(score, 4), genes, tumor_hits, reason, reason_zh, True, measured))
    out.sort(key=lambda r: (-r.score, r.item.id))
    return out[:limit]


def _measures(ids: tuple[str, ...], vocab: BiomarkerVocabulary | None) -> tuple[str, ...]:
    """What a test measures to report these biomarkers: their groups (TMB-H -> TMB), else the ids."""
    found = vocab.biomarkers if vocab is not None else {}
    return tuple(dict.fromkeys((found[b].group if b in found and found[b].group else b) for b in ids))


def _indicated(code: str, q: ConceptTargets, tumors: TumorVocabulary) -> bool:
    if not q.tumor_family:
        return False
    if code in q.tumor_family:
        return True
    # a test indicated for a broader node (LUNG) covers a query on a narrower one (LUAD)
    return any(code in tumors.ancestors(t) for t in q.tumors)


def _reasons(
    test: TestItem,
    genes: tuple[str, ...],
    tumor_hits: tuple[str, ...],
    best_level: dict[str, tuple[int, int]],
    tumors: TumorVocabulary,
    measures: tuple[str, ...] = (),
) -> tuple[str, str]:
    en: list[str] = []
    zh: list[str] = []
    if measures:
        en.append(f"measures {', '.join(measures)}")
        zh.append(f"检测{'、'.join(measures)}")
    if genes:
        en.append(f"detects {', '.join(genes)}")
        zh.append(f"检测{'、'.join(genes)}")
    if tumor_hits:
        names = [tumors.nodes[c].name if c in tumors.nodes else c for c in tumor_hits]
        names_zh = [(tumors.nodes[c].name_zh or tumors.nodes[c].name) if c in tumors.nodes else c for c in tumor_hits]
        en.append(f"indicated for {', '.join(names)}")
        zh.append(f"适用于{'、'.join(names_zh)}")
    backed = [(g, best_level[g]) for g in genes if g in best_level]
    if backed:
        letters = {5: "A", 4: "B", 3: "C", 2: "D", 1: "E"}
        parts = [f"{g} (best level {letters[w]}, {n} items)" for g, (w, n) in backed]
        parts_zh = [f"{g}（最高{letters[w]}级，{n}条）" for g, (w, n) in backed]
        en.append("curated CIViC evidence for " + "; ".join(parts))
        zh.append("相关CIViC证据：" + "；".join(parts_zh))
    return (
        "Company test: " + "; ".join(en) + ".",
        "本公司检测项目：" + "；".join(zh) + "。",
    )
