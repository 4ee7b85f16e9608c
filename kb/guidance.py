"""Records of the China layer (docs/regulatory.md): a drug's regulatory and reimbursement status per indication,
a guideline's recommendation for a therapy, and editors' reading lists. Plain typed records, like
:mod:`kb.domain`; each is a curated kind of :data:`kb.kinds.KINDS`.

Every authored fact carries its source in the record (an approval number, a label, the guideline's year and
version). Fields nobody has a source for stay empty: a wrong approval is worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

__all__ = ["Approval", "GuidelineRecommendation", "ReadingItem", "ReadingList", "Regulatory", "Reimbursement"]


@dataclass(frozen=True, slots=True)
class Approval:
    """One regulator's approval of a drug for an indication (NMPA or FDA)."""

    source: str  # the approval number (国药准字 …), the label or the announcement it is read from
    approved_on: date | None = None  # the approval date
    indication: str = ""  # as the regulator words it: Chinese for the NMPA, English for the FDA


@dataclass(frozen=True, slots=True)
class Reimbursement:
    """The drug's place in the national reimbursement list (国家医保药品目录, NRDL) for an indication."""

    listed: bool
    year: int  # the list's edition (2024: the 2024 list, in force from 1 January 2025)
    source: str  # the list's title and the entry's number or page
    restriction_zh: str = ""  # 医保支付限制, as the list words it


@dataclass(frozen=True, slots=True)
class Regulatory:
    """The regulatory status of one drug for one indication: kind ``regulatory``.

    ``tumor_codes`` are the OncoTree codes the indication covers (a therapy row of one of them, or of a
    descendant, gets the record's badges); ``pan_tumor`` widens it to every solid (``solid``), haematological
    (``heme``) or any (``any``) tumour, as a tumour-agnostic approval does. ``listings`` name the guideline tables
    that list the drug for the indication ("NHC 2024": 新型抗肿瘤药物临床应用指导原则（2024年版）).
    """

    SCOPES: ClassVar[tuple[str, ...]] = ("solid", "heme", "any")

    id: str  # "<inn>:<indication>", e.g. "osimertinib:NSCLC" or "osimertinib:nhc2024-呼吸系统肿瘤"
    drug: str  # INN
    indication_zh: str  # the indication in Chinese, as its source words it
    tumor_codes: tuple[str, ...] = ()
    pan_tumor: str = ""  # of SCOPES, or ""
    nmpa: Approval | None = None
    fda: Approval | None = None
    nrdl: Reimbursement | None = None
    listings: tuple[str, ...] = ()
    source: str = ""  # where the listings and the indication's codes come from
    note: str = ""  # an editor's note


@dataclass(frozen=True, slots=True)
class GuidelineRecommendation:
    """A guideline's recommendation for a therapy: kind ``guideline``.

    It qualifies evidence items (``evidence``), or a summary row (``alteration`` × ``tumor_code`` × ``drug``), or
    both. CSCO grades its recommendations I, II or III (级推荐) with an evidence category (1A, 1B, 2A, 2B, 3); the
    NCCN gives a category (1, 2A, 2B, 3) and no grade.
    """

    BODIES: ClassVar[tuple[str, ...]] = ("CSCO", "NCCN")
    GRADES: ClassVar[dict[str, tuple[str, ...]]] = {"CSCO": ("I", "II", "III"), "NCCN": ("",)}
    CATEGORIES: ClassVar[dict[str, tuple[str, ...]]] = {
        "CSCO": ("1A", "1B", "2A", "2B", "3"),
        "NCCN": ("1", "2A", "2B", "3"),
    }

    id: str
    body: str  # of BODIES
    guideline: str  # the guideline's title: "CSCO非小细胞肺癌诊疗指南"
    year: int
    version: str  # "2024", "V3.2024"
    category: str  # of CATEGORIES[body]
    source: str  # chapter, table or page
    grade: str = ""  # of GRADES[body]
    evidence: tuple[str, ...] = ()  # ids of the evidence items it qualifies
    alteration: str = ""  # the summary row it qualifies: an alteration id (EGFR:T790M) or a biomarker id
    tumor_code: str | None = None
    drug: str = ""  # INN; a combination is its members joined by "+", sorted
    text_zh: str = ""  # the recommendation in the editor's words (never the guideline's text)


@dataclass(frozen=True, slots=True)
class ReadingItem:
    """One entry of a reading list: an article or an evidence item, with the editor's note."""

    pmid: str = ""
    evidence: str = ""  # an evidence id, when the entry is an evidence item
    note: str = ""
    note_en: str = ""


@dataclass(frozen=True, slots=True)
class ReadingList:
    """An editors' collection of key papers and evidence for a topic: kind ``reading_list``."""

    id: str  # a slug: "egfr-nsclc-key-trials"
    topic_kind: str  # gene, tumor, drug or biomarker
    topic_key: str  # the topic's key: EGFR, NSCLC, osimertinib, MSI-H
    title_zh: str
    title_en: str = ""
    note: str = ""  # a short introduction
    items: tuple[ReadingItem, ...] = ()  # in reading order
    topics: tuple[str, ...] = ()  # further topics it is shown on, as "kind:key" (tumor:NSCLC)
