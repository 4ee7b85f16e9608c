"""Query understanding: a doctor's free text (Chinese, English or both) to typed concepts.

Build the index once, then parse every query with it::

    index = build_query_index(vocabularies_from_store(store), store.iter_evidence())
    parsed = parse_query("EGFR T790M 奥希替尼", index)
    parsed.genes        # ("EGFR",)
    parsed.variants     # ("EGFR:T790M",)
    parsed.drugs        # ("osimertinib",)

The rules are in ``docs/query.md``.
"""

from __future__ import annotations

from kb.query.concepts import Concept, ConceptType, MatchKind, ParsedQuery
from kb.query.index import QueryIndex, build_query_index, relink_query_index
from kb.query.parser import MAX_QUERY_CHARS, parse_query

__all__ = [
    "MAX_QUERY_CHARS",
    "Concept",
    "ConceptType",
    "MatchKind",
    "ParsedQuery",
    "QueryIndex",
    "build_query_index",
    "parse_query",
    "relink_query_index",
]
