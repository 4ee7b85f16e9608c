"""Badges of regulatory status and guideline recommendations on clinical statements (docs/regulatory.md).

:class:`Guidance` holds the published ``regulatory`` and ``guideline`` records with the tumour tree, and answers two
questions about a therapy row (its drugs × its tumour): which badges it carries (国内已获批, 医保, FDA, the NHC
2024 listing, CSCO and NCCN recommendations), and whether it is approved in China (the "只看国内已获批" filter).

A record covers a tumour when one of its ``tumor_codes`` is the tumour or an ancestor of it (an approval for NSCLC
covers a lung adenocarcinoma row), or by its pan-tumour scope. A combination carries a badge only when each of its
drugs does: "approved in China" means every drug is, for that tumour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kb.guidance import GuidelineRecommendation, Regulatory
from kb.store.base import Backend
from kb.vocab import Vocabularies
from kb.vocab.tumors import TumorVocabulary

__all__ = ["HEME_TISSUES", "Badge", "Guidance"]

#: OncoTree's haematological tissues: a "heme" scope covers them, a "solid" one everything else
HEME_TISSUES = frozenset({"MYELOID", "LYMPH"})


@dataclass(frozen=True, slots=True)
class Badge:
    """One badge of a therapy row, with where it comes from."""

    kind: str  # nmpa | nrdl | fda | listing | csco | nccn
    label_zh: str  # 国内已获批, 医保, FDA已获批, NHC 2024收录, CSCO I级推荐, NCCN 1类
    label_en: str
    detail: str  # dates, the list's year and restriction, the guideline and version
    sources: tuple[str, ...]  # the records' sources: approval numbers, labels, lists, guideline sections
    records: tuple[str, ...]  # the ids of the records behind it (regulatory:…, guideline:…)


class Guidance:
    """The published regulatory and guideline records, indexed for therapy rows."""

    def __init__(
        self,
        regulatory: Sequence[Regulatory],
        recommendations: Sequence[GuidelineRecommendation],
        tumors: TumorVocabulary,
        drug_names: Mapping[str, str] | None = None,
    ) -> None:
        self.tumors = tumors
        self.drug_names = dict(drug_names or {})  # INN -> the name a badge's detail gives (Chinese when known)
        self.by_drug: dict[str, list[Regulatory]] = {}
        for record in regulatory:
            self.by_drug.setdefault(record.drug, []).append(record)
        self.by_evidence: dict[str, list[GuidelineRecommendation]] = {}
        self.by_row: dict[tuple[str, str], list[GuidelineRecommendation]] = {}
        for rec in recommendations:
            for eid in rec.evidence:
                self.by_evidence.setdefault(eid, []).append(rec)
            if rec.alteration and rec.drug:
                self.by_row.setdefault((rec.alteration, rec.drug), []).append(rec)

    @classmethod
    def from_store(cls, store: Backend, vocab: Vocabularies) -> Guidance:
        return cls(
            list(store.iter_records("regulatory", Regulatory)),
            list(store.iter_records("guidelines", GuidelineRecommendation)),
            vocab.tumors,
            {inn: d.name_zh or d.name or inn for inn, d in vocab.drugs.drugs.items()},
        )

    def covers(self, record: Regulatory, tumor_code: str | None) -> bool:
        """Whether ``record``'s indication covers a row of ``tumor_code`` (no tumour: never)."""
        if tumor_code is None or tumor_code not in self.tumors:
            return False
        lineage = [tumor_code, *self.tumors.ancestors(tumor_code)]
        if set(lineage) & set(record.tumor_codes):
            return True
        if record.pan_tumor == "any":
            return True
        heme = lineage[-1] in HEME_TISSUES
        return (record.pan_tumor == "solid" and not heme) or (record.pan_tumor == "heme" and heme)

    def for_row(self, drug: str, tumor_code: str | None) -> list[Regulatory]:
        """The records of ``drug`` whose indication covers ``tumor_code``."""
        return [r for r in self.by_drug.get(drug, ()) if self.covers(r, tumor_code)]

    def approved_in_china(self, drugs: Sequence[str], tumor_code: str | None) -> bool:
        """Whether every drug of the row has an NMPA approval covering its tumour (a row without drugs: no)."""
        return bool(drugs) and all(any(r.nmpa for r in self.for_row(d, tumor_code)) for d in drugs)

    def badges(
        self,
        drugs: Sequence[str],
        tumor_code: str | None,
        *,
        evidence: Sequence[str] = (),
        alteration: str = "",
    ) -> list[Badge]:
        """The badges of a row: regulatory ones when each of ``drugs`` has them for ``tumor_code``, then the
        guideline recommendations that name one of its ``evidence`` ids or the row itself."""
        out: list[Badge] = []
        per_drug = {d: self.for_row(d, tumor_code) for d in drugs}
        if drugs and all(per_drug.values()):
            named = {self.drug_names.get(d, d): records for d, records in per_drug.items()}
            out.extend(_regulatory_badges(named))
        out.extend(self._recommendation_badges(drugs, tumor_code, evidence, alteration))
        return out

    def _recommendation_badges(
        self, drugs: Sequence[str], tumor_code: str | None, evidence: Sequence[str], alteration: str
    ) -> list[Badge]:
        found: dict[str, GuidelineRecommendation] = {}
        for eid in evidence:
            found.update((r.id, r) for r in self.by_evidence.get(eid, ()))
        if alteration and drugs:
            for rec in self.by_row.get((alteration, "+".join(sorted(drugs))), ()):
                if (
                    rec.tumor_code is None
                    or rec.tumor_code == tumor_code
                    or (tumor_code is not None and rec.tumor_code in self.tumors.ancestors(tumor_code))
                ):
                    found[rec.id] = rec
        ranked = sorted(found.values(), key=lambda r: (r.body, -r.year, r.grade, r.category, r.id))
        return [_recommendation_badge(r) for r in ranked]


def _regulatory_badges(per_drug: dict[str, list[Regulatory]]) -> list[Badge]:
    """One badge per fact that every drug of the row has (a combination: each member)."""
    out: list[Badge] = []
    facts = (
        ("nmpa", "国内已获批", "Approved in China (NMPA)", lambda r: r.nmpa is not None),
        ("nrdl", "医保", "National reimbursement list (NRDL)", lambda r: r.nrdl is not None and r.nrdl.listed),
        ("fda", "FDA已获批", "FDA approved", lambda r: r.fda is not None),
        ("listing", "NHC 2024收录", "Listed in the NHC 2024 guideline", lambda r: "NHC 2024" in r.listings),
    )
    for kind, zh, en, holds in facts:
        chosen = {d: [r for r in records if holds(r)] for d, records in per_drug.items()}
        if not all(chosen.values()):
            continue
        records = [r for rs in chosen.values() for r in rs]
        out.append(
            Badge(
                kind=kind,
                label_zh=zh,
                label_en=en,
                detail="；".join(dict.fromkeys(_detail(kind, d, r) for d, rs in chosen.items() for r in rs)),
                sources=tuple(dict.fromkeys(_source(kind, r) for r in records)),
                records=tuple(dict.fromkeys(f"regulatory:{r.id}" for r in records)),
            )
        )
    return out


def _detail(kind: str, drug: str, r: Regulatory) -> str:
    if kind == "nmpa" and r.nmpa is not None:
        when = r.nmpa.approved_on.isoformat() if r.nmpa.approved_on else "日期未录入"
        return f"{drug}：{r.nmpa.indication or r.indication_zh}（{when}）"
    if kind == "fda" and r.fda is not None:
        when = r.fda.approved_on.isoformat() if r.fda.approved_on else "date not entered"
        return f"{drug}: {r.fda.indication or r.indication_zh} ({when})"
    if kind == "nrdl" and r.nrdl is not None:
        limit = f"，限{r.nrdl.restriction_zh}" if r.nrdl.restriction_zh else ""
        return f"{drug}：{r.nrdl.year}年版目录{limit}"
    return f"{drug}：{r.indication_zh}"


def _source(kind: str, r: Regulatory) -> str:
    facts = {"nmpa": r.nmpa, "fda": r.fda, "nrdl": r.nrdl}
    fact = facts.get(kind)
    return fact.source if fact is not None else r.source


def _recommendation_badge(r: GuidelineRecommendation) -> Badge:
    if r.body == "CSCO":
        zh, en = f"CSCO {r.grade}级推荐（{r.category}类）", f"CSCO level {r.grade} ({r.category})"
    else:
        zh, en = f"NCCN {r.category}类", f"NCCN category {r.category}"
    detail = f"{r.guideline} {r.version}（{r.year}）" + (f"：{r.text_zh}" if r.text_zh else "")
    return Badge(r.body.lower(), zh, en, detail, (r.source,), (f"guideline:{r.id}",))
