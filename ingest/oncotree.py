"""OncoTree: the nested tree JSON (a release file or the API's ``/tumorTypes/tree``)
or the API's flat ``/tumorTypes`` list, into :class:`~kb.domain.TumorType` records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from ingest.records import Rejected
from kb.domain import TumorType
from kb.errors import ParseError
from kb.vocab.tumors import TumorNames

__all__ = ["parse_oncotree", "with_chinese_names"]


def parse_oncotree(stream: BinaryIO) -> Iterator[TumorType | Rejected]:
    try:
        data = json.load(stream)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"OncoTree JSON is malformed: {exc}") from exc
    if isinstance(data, dict):
        nodes: list[dict[str, Any]] = []
        stack = list(data.values())
        while stack:
            node = stack.pop()
            if not isinstance(node, dict):
                continue
            nodes.append(node)
            stack.extend((node.get("children") or {}).values())
    elif isinstance(data, list):
        nodes = [n for n in data if isinstance(n, dict)]
    else:
        raise ParseError("OncoTree JSON is neither a tree object nor a list of tumor types")
    for node in nodes:
        code = str(node.get("code") or "").strip().upper()
        name = str(node.get("name") or "").strip()
        if not code or not name:
            yield Rejected("oncotree", code or "node", "node without code or name")
            continue
        refs = node.get("externalReferences") or {}
        yield TumorType(
            code=code,
            name=name,
            parent=(str(node["parent"]).upper() if node.get("parent") else None),
            main_type=str(node.get("mainType") or ""),
            tissue=str(node.get("tissue") or ""),
            level=int(node.get("level") or 0),
            umls=tuple(refs.get("UMLS") or ()),
            nci=tuple(refs.get("NCI") or ()),
        )


def with_chinese_names(tumor: TumorType, table: dict[str, TumorNames]) -> TumorType:
    """Attach the authored Chinese name, Chinese synonyms and English abbreviations."""
    names = table.get(tumor.code)
    if names is None:
        return tumor
    return replace(tumor, name_zh=names.name_zh, synonyms_zh=names.synonyms_zh, synonyms=names.synonyms_en)
