"""Record types shared by every ingest parser and loader.

Parsers yield domain records (``kb.domain``) mixed with these two:

* :class:`Rejected` marks a bad part of an input. The loader writes it to the
  rejects file and carries on with the rest of the input.
* :class:`DeletedCitation` tells the store that PubMed withdrew a citation.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DeletedCitation", "Rejected"]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A bad part of an input, written to the rejects file."""

    source: str  # "pubmed", "civic", ...
    key: str  # what was rejected: a PMID, "line 17", "file" ...
    reason: str  # human-readable


@dataclass(frozen=True, slots=True)
class DeletedCitation:
    """PubMed deleted this citation (a ``<DeleteCitation>`` entry of an update file)."""

    pmid: str
