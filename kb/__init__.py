"""genekb: the meaning of the knowledge base — domain model, vocabularies, query
understanding, ranking, recommendation and the storage/search backends.

The public surface is listed in ``__all__``; everything else is internal.
"""

from __future__ import annotations

from kb.domain import (
    Alteration,
    AlterationKind,
    Article,
    Citation,
    Drug,
    Evidence,
    EvidenceDirection,
    EvidenceLevel,
    EvidenceType,
    Gene,
    TestItem,
    TumorType,
)
from kb.errors import KBError
from kb.settings import Settings, load_settings

__all__ = [
    "Alteration",
    "AlterationKind",
    "Article",
    "Citation",
    "Drug",
    "Evidence",
    "EvidenceDirection",
    "EvidenceLevel",
    "EvidenceType",
    "Gene",
    "KBError",
    "Settings",
    "TestItem",
    "TumorType",
    "load_settings",
]
