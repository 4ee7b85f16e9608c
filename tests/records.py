"""Domain records for the tests: one builder per kind, with defaults that most tests can leave alone.

``evidence(n)`` is CIViC item ``civic:EID{n}``: EGFR T790M, predictive, supporting resistance to gefitinib in
NSCLC at level B, citing PMID ``1000 + n``. ``article(pmid, title)`` is an active PubMed citation of 2020 in
journal "J". A test passes only what it asserts on.
"""

from __future__ import annotations

from datetime import date

from kb.domain import (
    Alteration,
    AlterationKind,
    Article,
    Citation,
    Evidence,
    EvidenceDirection,
    EvidenceLevel,
    EvidenceType,
)

__all__ = ["STATEMENT", "article", "evidence"]

STATEMENT = "Resistance to gefitinib was seen in patients with the mutation."


def article(
    pmid: int | str,
    title: str,
    abstract: str = "",
    *,
    year: int | None = 2020,
    pub_date: date | None = None,
    journal: str = "J",
    version: int = 1,
    concepts: tuple[str, ...] = (),
) -> Article:
    """A citation with PMID ``pmid`` (a number or its digits)."""
    return Article(
        pmid=str(pmid),
        title=title,
        abstract=abstract,
        journal=journal,
        pub_date=pub_date,
        year=year,
        version=version,
        concepts=concepts,
    )


def evidence(
    n: int,
    *,
    gene: str = "EGFR",
    alteration: Alteration | None = None,
    etype: EvidenceType = EvidenceType.PREDICTIVE,
    level: EvidenceLevel = EvidenceLevel.B,
    rating: int | None = 3,
    tumor: str | None = "NSCLC",
    drugs: tuple[str, ...] = ("gefitinib",),
    citations: tuple[Citation, ...] | None = None,
    statement: str = STATEMENT,
    last_review: date | None = date(2021, 3, 1),
) -> Evidence:
    """CIViC evidence item ``civic:EID{n}``. The alteration is ``gene``'s T790M unless given; the citation is
    PMID ``1000 + n`` unless ``citations`` are given."""
    return Evidence(
        id=f"civic:EID{n}",
        source="CIViC",
        source_id=str(n),
        gene=gene,
        alteration=Alteration(gene, AlterationKind.PROTEIN_CHANGE, "T790M") if alteration is None else alteration,
        evidence_type=etype,
        direction=EvidenceDirection.SUPPORTS,
        significance="resistance",
        level=level,
        rating=rating,
        tumor_code=tumor,
        disease="Lung Non-small Cell Carcinoma",
        drugs=drugs,
        citations=(Citation(pmid=str(1000 + n)),) if citations is None else citations,
        statement=statement,
        last_review=last_review,
    )
