"""The seed of the ``regulatory`` kind: every drug × cancer category of the NHC 2024 new-antitumor-drug guideline
table, marked "listed in the NHC 2024 guideline" (docs/regulatory.md, "Seed data").

The table (``KB_DATA_DIR/zh/cancer_drug_name_zh_en_2024.tsv``: Chinese name, category, English INN) says which
drugs the guideline lists under which chapter, and nothing about approvals: the records it makes carry the listing
only. NMPA, FDA and NRDL entries are left to editors, each with its source. The categories are read as OncoTree
tissues by the authored ``nhc_categories.tsv``. Records are written through the curated path, so an editor's
published version of one (an NMPA approval added to it, say) wins over the table's.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ingest.loader import JobReport
from ingest.records import Rejected
from kb.errors import DataError
from kb.guidance import Regulatory
from kb.text import split_list
from kb.vocab import authored, vocabularies_from_store
from kb.vocab.tables import read_table

if TYPE_CHECKING:  # a type only: ingest.jobs registers this job
    from ingest.jobs import IngestContext

__all__ = ["LISTING", "SOURCE", "ingest_regulatory", "parse_nhc_table", "read_categories"]

LISTING = "NHC 2024"
SOURCE = (
    "国家卫生健康委员会《新型抗肿瘤药物临床应用指导原则（2024年版）》药物名称表 "
    "(as tabulated in pzweuj/pzweuj.github.io@8da3044, content/posts/2025-02-28-Cancer_Drug_Name.md)"
)


def read_categories(path: Path | None = None) -> dict[str, tuple[tuple[str, ...], str]]:
    """The authored crosswalk: category → (OncoTree tissue codes, pan-tumour scope)."""
    rows = read_table(path or authored("nhc_categories.tsv"))
    return {r["category_zh"]: (tuple(split_list(r["tumor_codes"], "|")), r["pan_tumor"]) for r in rows}


def parse_nhc_table(
    stream: TextIO,
    *,
    drug: Callable[[str, str], str | None],
    categories: Mapping[str, tuple[tuple[str, ...], str]],
) -> Iterator[Regulatory | Rejected]:
    """One record per drug × category of the table; ``drug(name_en, name_zh)`` is the drug's INN (None: unknown).
    A row whose drug or category is unknown is a :class:`Rejected` naming the line, and the others go on."""
    seen: set[str] = set()
    for n, row in enumerate(csv.DictReader(stream, delimiter="\t"), start=2):
        name_zh, category, name_en = (row.get(c, "").strip() for c in ("name_zh", "cancer_category_zh", "name_en"))
        inn = drug(name_en, name_zh)
        if inn is None:
            yield Rejected("regulatory", f"line {n}", f"unknown drug {name_en or name_zh!r} ({name_zh})")
            continue
        if category not in categories:
            yield Rejected("regulatory", f"line {n}", f"unknown cancer category {category!r} (nhc_categories.tsv)")
            continue
        key = f"{inn}:nhc2024-{category}"
        if key in seen:
            continue
        seen.add(key)
        codes, scope = categories[category]
        yield Regulatory(
            id=key,
            drug=inn,
            indication_zh=category,
            tumor_codes=codes,
            pan_tumor=scope,
            listings=(LISTING,),
            source=SOURCE,
        )


def ingest_regulatory(ctx: IngestContext, path: Path) -> list[JobReport]:
    """Load the NHC 2024 listing as ``regulatory`` records (a missing table: nothing to do)."""
    if not path.exists():
        return []
    vocab = vocabularies_from_store(ctx.store)
    categories = read_categories()
    unknown = [code for codes, _ in categories.values() for code in codes if code not in vocab.tumors]
    if vocab.tumors and unknown:
        raise DataError(f"nhc_categories.tsv names OncoTree codes the store lacks: {', '.join(unknown)}")

    def drug(name_en: str, name_zh: str) -> str | None:
        for name in (name_en, name_zh):
            found = vocab.drugs.lookup(name) if name else ()
            if len(found) == 1:
                return found[0]
        return None

    with path.open(encoding="utf-8", newline="") as fh:
        records = list(parse_nhc_table(fh, drug=drug, categories=categories))
    return [ctx.load(records, job="regulatory", write=ctx.writer("regulatory"))]
