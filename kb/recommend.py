"""Test recommendation: the *published* catalogue items that can answer a query, best first.

A test is offered only when it fits (docs/search.md, "Test recommendations: what fits"):

* it detects every queried alteration and biomarker it is offered for (those of its genes, and the
  biomarkers it reports or whose genes it covers): the gene is on the test, the alteration's type is one
  it reports for that gene, a hotspot test lists the variant; a biomarker only when the test reports it;
* it fits the tumor: indicated for the named tumor, an OncoTree ancestor or descendant of it, or
  pan-cancer in a scope that holds it; with no tumor named, the tumors of the best matching evidence
  stand in when there are any.

A question that names a tumor only is answered by coverage of the tumor's actionable genes and
biomarkers (level A or B evidence in its OncoTree family), ties broken by indication, breadth and
turnaround. A recommendation is a product suggestion, labelled ``sponsored``; its reason states what
the test detects for this query, where it applies, its samples and turnaround, never evidence levels,
counts or outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kb.domain import Alteration, AlterationKind, Evidence, TestItem
from kb.ranking import ConceptTargets
from kb.vocab.biomarkers import BiomarkerVocabulary
from kb.vocab.tumors import TumorVocabulary
from kb.vocab.variants import exon_events, parse_alteration

__all__ = ["ACTIONABLE_LEVELS", "GROUP_REPORTS", "HEME_ROOTS", "Recommendation", "recommend_tests", "report_types"]

#: the report type a test needs to report a biomarker of each group
GROUP_REPORTS: Mapping[str, str] = {
    "MSI": "msi", "TMB": "tmb", "HRD": "hrd", "MMR": "expression", "PD-L1": "expression", "HER2 IHC": "expression",
}  # fmt: skip
#: OncoTree tissues of the haematological neoplasms (a ``pan_cancer: solid`` test never fits them)
HEME_ROOTS = frozenset({"MYELOID", "LYMPH"})
#: the evidence levels that make a gene or biomarker actionable in a tumor
ACTIONABLE_LEVELS = frozenset({"A", "B"})
#: the alteration name a query's generic event kind (ALK fusion, MET amplification) stands for
_GENERIC: Mapping[AlterationKind, str] = {
    AlterationKind.FUSION: "FUSION", AlterationKind.AMPLIFICATION: "AMPLIFICATION",
    AlterationKind.EXPRESSION: "EXPRESSION", AlterationKind.LOSS: "LOSS", AlterationKind.ITD: "ITD",
    AlterationKind.MUTATION: "MUTATION", AlterationKind.WILD_TYPE: "WILDTYPE",
}  # fmt: skip
_ANY_MUTATION = frozenset({"MUTATION", "WILDTYPE"})  # a hotspot test answers these with its hotspots
_REPORTS_EN_ZH: Mapping[str, tuple[str, str]] = {
    "snv_indel": ("mutations", "突变"), "cnv": ("copy number changes", "拷贝数变异"), "fusion": ("fusions", "融合"),
    "expression": ("protein expression", "蛋白表达"), "methylation": ("methylation", "甲基化"),
    "msi": ("MSI", "MSI"), "tmb": ("TMB", "TMB"), "hrd": ("HRD", "HRD"),
}  # fmt: skip
_SAMPLES_EN_ZH: Mapping[str, tuple[str, str]] = {
    "tissue": ("tissue", "组织"), "cytology": ("cytology", "细胞学样本"), "plasma": ("plasma", "血浆"),
    "blood": ("blood", "外周血"), "bone_marrow": ("bone marrow", "骨髓"), "saliva": ("saliva", "唾液"),
}  # fmt: skip
_SCOPES_EN_ZH: Mapping[str, tuple[str, str]] = {
    "solid": ("solid tumours", "实体瘤"), "heme": ("haematological malignancies", "血液肿瘤"),
    "any": ("any tumour", "各类肿瘤"),
}  # fmt: skip
_CODON = re.compile(r"([A-Z])(\d+)X?")
_EXON = re.compile(r"EXON(\d+)([A-Z]+)")


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


@dataclass(frozen=True, slots=True)
class _Want:
    """One thing the query asks a test to detect: an alteration, any alteration of a gene, or a biomarker."""

    gene: str = ""
    alteration: Alteration | None = None  # None: any alteration of the gene
    biomarker: str = ""
    related: frozenset[str] = frozenset()  # a biomarker's genes
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class _Fit:
    indicated: tuple[str, ...]  # the test's indications in the family of the query's tumors
    pan: str  # the query tumor a pan-cancer test fits through its scope ("" when none)
    ok: bool


def report_types(alteration: Alteration) -> frozenset[str]:
    """The report types any one of which detects ``alteration`` (docs/search.md)."""
    kind, name = alteration.kind, alteration.name
    if kind is AlterationKind.EXON and name.endswith("SKIP"):
        return frozenset({"snv_indel", "fusion"})  # splice-site variants in DNA, an aberrant transcript in RNA
    if kind is AlterationKind.LOSS:
        return frozenset({"snv_indel", "cnv"} if "FUNCTION" in name else {"cnv", "expression"})
    if kind is AlterationKind.OTHER and "METHYL" in name:
        return frozenset({"methylation"})
    simple = {
        AlterationKind.FUSION: "fusion",
        AlterationKind.AMPLIFICATION: "cnv",
        AlterationKind.EXPRESSION: "expression",
    }
    return frozenset({simple.get(kind, "snv_indel")})


def detects(test: TestItem, alteration: Alteration) -> bool:
    """Whether ``test`` can report ``alteration`` (gene, report type, and a hotspot test's list)."""
    if alteration.gene not in test.genes:
        return False
    types = report_types(alteration).intersection(test.reports_for(alteration.gene))
    if not types:
        return False
    return types != {"snv_indel"} or _sequenced(test, alteration)


def _sequenced(test: TestItem, alteration: Alteration) -> bool:
    listed = [h.partition(":")[2] for h in test.hotspots if h.partition(":")[0] == alteration.gene]
    name = alteration.name
    if all(any(_hotspot_holds(h, part) for h in listed) for part in name.split("/")):
        return True  # of G12/G13 both
    if "PROMOTER" in name or "UTR" in name or re.fullmatch(r"RS\d+", name):
        return False  # outside the coding exons: only when listed
    if test.coverage == "full" or alteration.gene in test.full_genes:
        return True
    return name in _ANY_MUTATION and bool(listed)


def _hotspot_holds(hotspot: str, name: str) -> bool:
    """A hotspot names ``name``: the same id, its codon (G12, G719X: any substitution there), or its exon
    (EXON11MUT: any event named by exon 11)."""
    if hotspot == name:
        return True
    codon = _CODON.fullmatch(hotspot)
    if codon:
        return re.fullmatch(rf"{codon[1]}{codon[2]}[A-Z*]?", name) is not None
    exon = _EXON.fullmatch(hotspot)
    return exon is not None and exon[2] == "MUT" and re.fullmatch(rf"EXON{exon[1]}[A-Z]+", name) is not None


def recommend_tests(
    catalogue: Iterable[TestItem],
    q: ConceptTargets,
    evidence: Sequence[Evidence],
    tumors: TumorVocabulary,
    *,
    limit: int = 5,
    biomarkers: BiomarkerVocabulary | None = None,
) -> list[Recommendation]:
    """The published tests that can answer ``q``, best first (see the module docstring).

    Score of a question with genes, alterations or biomarkers: the weighted share of them the test is
    offered for (named ones count double, genes implied by a drug once), plus 0.5 for an indication that
    fits (0.3 through a pan-cancer scope) and a small preference for focused tests; ties go to the faster
    test. ``evidence`` is the query's ranked evidence: its tumors stand in when none is named, and for a
    tumor-only question it is the tumor's evidence, read for the actionable genes and biomarkers.
    """
    wants = _wants(q, biomarkers)
    published = [t for t in catalogue if t.published]
    if not wants:
        return _for_tumor(published, q, evidence, tumors, limit) if q.tumors else []
    codes = set(q.tumors) or {e.tumor_code for e in evidence[:20] if e.tumor_code}
    out: list[Recommendation] = []
    total = sum(w.weight for w in wants)
    for test in published:
        touched = [w for w in wants if _touches(test, w)]
        if not touched or not all(_answers(test, w) for w in touched):
            continue
        fit = _fit(test, codes, tumors)
        if not fit.ok:
            continue
        share = sum(w.weight for w in touched) / total
        score = share + (0.5 if fit.indicated else 0.3 if fit.pan else 0.0) + 0.2 / (1.0 + len(test.genes) / 50)
        genes = tuple(dict.fromkeys(w.gene for w in touched if w.gene))
        measured = tuple(b for b in test.biomarkers if any(w.biomarker == b for w in touched))
        detail = _detail(test, touched, biomarkers)
        reason, reason_zh = _reasons(test, detail, fit, codes, tumors)
        out.append(Recommendation(test, round(score, 4), genes, fit.indicated, reason, reason_zh, True, measured))
    out.sort(key=lambda r: (-r.score, r.item.turnaround_days, -len(r.item.samples), r.item.id))
    return out[:limit]


def _wants(q: ConceptTargets, vocab: BiomarkerVocabulary | None) -> list[_Want]:
    """What the query asks a test to detect: its alterations, biomarkers and named genes (weight 2); with none,
    the genes a drug targets or an ambiguous name stands for (weight 1): the drug says what the doctor would
    treat with, the alteration or biomarker what to test (MSI-H with pembrolizumab asks for MSI, not PDCD1)."""
    out: list[_Want] = []
    for ident in sorted(q.variants):
        gene, _, name = ident.partition(":")
        out.append(_Want(gene, parse_alteration(gene, name), weight=2.0))
    for gene, kinds in sorted(q.variant_kinds.items()):
        out += [_Want(gene, Alteration(gene, k, _GENERIC.get(k, k.value.upper())), weight=2.0) for k in sorted(kinds)]
    # a named fusion beside a mutation of the same gene is the patient's driver, the mutation the question
    # (BCR-ABL T315I asks for the kinase-domain mutation): the fusion is no separate thing to detect
    mutated = {w.gene for w in out if w.alteration is not None and w.alteration.kind is not AlterationKind.FUSION}
    out = [
        w
        for w in out
        if not (w.alteration is not None and w.alteration.kind is AlterationKind.FUSION and w.gene in mutated)
    ]
    found = vocab.biomarkers if vocab is not None else {}
    for b in sorted(q.biomarkers):
        out.append(_Want(biomarker=b, related=frozenset(found[b].genes) if b in found else frozenset(), weight=2.0))
    altered = {w.gene for w in out}
    out += [_Want(g, weight=2.0) for g in sorted(q.genes - altered)]
    if not out:  # a drug's targets (or an ambiguous gene's candidates) when nothing else is named
        out += [_Want(g, weight=1.0) for g in sorted(q.implied_genes)]
    return out


def _touches(test: TestItem, want: _Want) -> bool:
    """Whether the test is offered for ``want``: its gene is on the test; a biomarker it reports, or whose
    genes it covers (a FISH test of ERBB2 is offered for HER2-low, and fails it)."""
    if want.biomarker:
        return want.biomarker in test.biomarkers or not want.related.isdisjoint(test.genes)
    return want.gene in test.genes


def _answers(test: TestItem, want: _Want) -> bool:
    if want.biomarker:
        return want.biomarker in test.biomarkers
    if want.alteration is None:
        return want.gene in test.genes
    return detects(test, want.alteration)


def _fit(test: TestItem, codes: set[str], tumors: TumorVocabulary) -> _Fit:
    """How the test fits the tumors (any fit when there are none; an item that states neither indications
    nor a pan-cancer scope, an editor's draft, is not restricted)."""
    family = codes | {a for c in codes for a in tumors.ancestors(c)} | {d for c in codes for d in tumors.descendants(c)}
    indicated = tuple(c for c in test.indications if c in family)
    pan = next((c for c in sorted(codes) if test.pan_cancer and _in_scope(c, test.pan_cancer, tumors)), "")
    return _Fit(indicated, pan, bool(indicated or pan or not codes or not (test.indications or test.pan_cancer)))


def _in_scope(code: str, scope: str, tumors: TumorVocabulary) -> bool:
    if scope == "any":
        return True
    line = tumors.ancestors(code)
    heme = (line[-1] if line else code) in HEME_ROOTS
    return heme if scope == "heme" else not heme


def _for_tumor(
    tests: list[TestItem], q: ConceptTargets, evidence: Sequence[Evidence], tumors: TumorVocabulary, limit: int
) -> list[Recommendation]:
    """A tumor-only question: the fitting tests by their share of the tumor's actionable genes (each by the
    share of its level A/B alterations detected) and biomarkers; then explicit indication over pan-cancer
    scope, breadth (genes and biomarkers reported) and turnaround."""
    family = set(q.tumor_family)
    genes: dict[str, dict[str, Alteration]] = {}
    markers: dict[frozenset[str], None] = {}
    validated: dict[str, int] = {}  # level A items per gene: the order genes are named in
    for e in evidence:
        if e.level.value not in ACTIONABLE_LEVELS or e.tumor_code not in family:
            continue
        if e.gene:
            genes.setdefault(e.gene, {})[e.alteration.id] = e.alteration
            validated[e.gene] = validated.get(e.gene, 0) + (e.level.value == "A")
        elif e.biomarkers:
            markers[frozenset(e.biomarkers)] = None
    units = len(genes) + len(markers)
    codes = set(q.tumors)
    ranked: list[tuple[tuple[float, int, int, int, str], Recommendation]] = []
    for test in tests:
        fit = _fit(test, codes, tumors)
        if not fit.ok:
            continue
        shares = {g: sum(detects(test, a) for a in alts.values()) / len(alts) for g, alts in genes.items()}
        covered = [g for g in sorted(shares, key=lambda g: (-validated[g], -len(genes[g]), g)) if shares[g] > 0]
        reported = [b for m in markers for b in test.biomarkers if b in m]
        share = (sum(shares.values()) + sum(1 for m in markers if m.intersection(test.biomarkers))) / (units or 1)
        if units and not share:
            continue
        detail = _tumor_detail(test, covered, reported)
        reason, reason_zh = _reasons(test, detail, fit, codes, tumors)
        rec = Recommendation(test, round(share, 4), (), fit.indicated, reason, reason_zh, True, ())
        breadth = len(test.genes) + len(test.biomarkers)
        ranked.append(((-rec.score, 0 if fit.indicated else 1, -breadth, test.turnaround_days, test.id), rec))
    ranked.sort(key=lambda pair: pair[0])
    return [rec for _, rec in ranked[:limit]]


# -- reasons: facts about the test and the query ------------------------------------------------------
_GENE_TYPES = ("snv_indel", "cnv", "fusion", "expression", "methylation")
#: generic events worth naming after what the test covers (a fusion test's "fusions" already says FUSION)
_EVENT_EN_ZH: Mapping[str, tuple[str, str]] = {
    "AMPLIFICATION": ("amplification", "扩增"), "LOSS": ("loss", "缺失"), "ITD": ("ITD", "ITD"),
    "WILDTYPE": ("wild type", "野生型"), "LOSS-OF-FUNCTION": ("loss of function", "功能缺失"),
}  # fmt: skip


def _detail(test: TestItem, touched: list[_Want], vocab: BiomarkerVocabulary | None) -> list[tuple[str, str]]:
    """What the test detects for these wants, (English, Chinese) phrases: what it measures first, then its
    genes (those covered alike in one phrase) and the queried alterations it detects."""
    found = vocab.biomarkers if vocab is not None else {}
    groups = [found[w.biomarker].group if w.biomarker in found else w.biomarker for w in touched if w.biomarker]
    out = (
        [(f"measures {', '.join(dict.fromkeys(groups))}", f"检测{'、'.join(dict.fromkeys(groups))}")] if groups else []
    )
    scopes: dict[tuple[str, ...], list[str]] = {}
    for gene in dict.fromkeys(w.gene for w in touched if w.gene):
        alts = [w.alteration for w in touched if w.gene == gene and w.alteration is not None]
        types = [t for t in test.reports_for(gene) if not alts or any(t in report_types(a) for a in alts)]
        scopes.setdefault(tuple(_scope_words(test, gene, types)), []).append(gene)
    for words, genes in scopes.items():
        alts = [w.alteration for w in touched if w.gene in genes and w.alteration is not None]
        named = [a for a in alts if a.name not in _GENERIC.values() or a.name in _EVENT_EN_ZH]
        en = f"covers {_listed([w.split('|')[0] for w in words], ', ', ' and ')} of {', '.join(genes)}"
        zh = f"检测{'、'.join(genes)}{_listed([w.split('|')[1] for w in words], '、', '及')}"
        en, zh = (en, zh) if words else ("", "")
        en, zh = en or f"detects {', '.join(genes)}", zh or f"检测{'、'.join(genes)}"
        if not named and "hotspot mutations|热点突变" in words:  # which ones, when no variant is asked
            named = [parse_alteration(g, n) for g, _, n in (h.partition(":") for h in test.hotspots) if g in genes]
        if named:
            en += f", detects {', '.join(dict.fromkeys(_label(a, 'en') for a in named))}"
            zh += f"，可检出{'、'.join(dict.fromkeys(_label(a, 'zh') for a in named))}"
        out.append((en, zh))
    return out


def _tumor_detail(test: TestItem, genes: list[str], reported: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if genes:
        shown, more = genes[:6], len(genes) > 6
        types = list(dict.fromkeys(t for g in genes for t in test.reports_for(g) if t in _GENE_TYPES))
        kinds_en = f" ({', '.join(_REPORTS_EN_ZH[t][0] for t in types)})" if types else ""
        kinds_zh = f"的{'、'.join(_REPORTS_EN_ZH[t][1] for t in types)}" if types else ""
        out.append(
            (
                f"covers {', '.join(shown)}{' and other genes' if more else ''}{kinds_en}",
                f"检测{'、'.join(shown)}{'等基因' if more else ''}{kinds_zh}",
            )
        )
    if reported:
        out.append((f"reports {', '.join(dict.fromkeys(reported))}", f"报告{'、'.join(dict.fromkeys(reported))}"))
    return out


def _listed(words: list[str], sep: str, last: str) -> str:
    return sep.join(words[:-1]) + last + words[-1] if len(words) > 1 else "".join(words)


def _scope_words(test: TestItem, gene: str, types: list[str]) -> list[str]:
    """``en|zh`` words for what the test covers of a gene: ``all coding exons|全外显子``, ``fusions|融合`` ..."""
    out: list[str] = []
    for t in types:
        if t == "snv_indel" and (test.coverage == "full" or gene in test.full_genes):
            out.append("all coding exons|全外显子")
        elif t == "snv_indel":
            out.append("hotspot mutations|热点突变")
        elif t in _GENE_TYPES:
            out.append("|".join(_REPORTS_EN_ZH[t]))
    return out


def _label(alteration: Alteration, lang: str) -> str:
    """``T790M``; an exon event as words (``exon 19 deletion``, ``19号外显子缺失``), a generic one too."""
    if alteration.name in _EVENT_EN_ZH:
        return _EVENT_EN_ZH[alteration.name][0 if lang == "en" else 1]
    exon = _EXON.fullmatch(alteration.name)
    if exon is None:
        return alteration.name
    word = exon_events().label(exon[2], lang) or exon[2].lower()
    return f"exon {exon[1]} {word}" if lang == "en" else f"{exon[1]}号外显子{word}"


def _reasons(
    test: TestItem, detail: list[tuple[str, str]], fit: _Fit, codes: set[str], tumors: TumorVocabulary
) -> tuple[str, str]:
    en = [d[0] for d in detail]
    zh = [d[1] for d in detail]
    hits = fit.indicated or (() if codes else test.indications[:3])
    shown = [c for c in hits if not any(c in tumors.ancestors(other) for other in hits)]  # GB, not also ADIFG
    if shown:
        en.append(f"indicated for {', '.join(_tumor_name(c, tumors, 'en') for c in shown)}")
        zh.append(f"适用于{'、'.join(_tumor_name(c, tumors, 'zh') for c in shown)}")
    elif fit.pan:
        scope_en, scope_zh = _SCOPES_EN_ZH[test.pan_cancer]
        en.append(f"indicated for {scope_en} (pan-cancer), including {_tumor_name(fit.pan, tumors, 'en')}")
        zh.append(f"适用于{scope_zh}（泛癌种），含{_tumor_name(fit.pan, tumors, 'zh')}")
    if test.samples:
        names = [_SAMPLES_EN_ZH[s] for s in test.samples]
        if test.paired:
            en.append(f"{names[0][0]} with matched {' or '.join(n[0] for n in names[1:])} (paired)")
            zh.append(f"{names[0][1]}与{'或'.join(n[1] for n in names[1:])}配对")
        else:
            en.append(" or ".join(n[0] for n in names))
            zh.append("或".join(n[1] for n in names))
    en.append(f"{test.turnaround_days} working days")
    zh.append(f"{test.turnaround_days}个工作日")
    return "Company test: " + "; ".join(en) + ".", "本公司检测项目：" + "；".join(zh) + "。"


def _tumor_name(code: str, tumors: TumorVocabulary, lang: str) -> str:
    node = tumors.nodes.get(code)
    if node is None:
        return code
    return (node.name_zh or node.name) if lang == "zh" else node.name
