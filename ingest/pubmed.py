"""Streaming parser of MEDLINE/PubMed XML (baseline and update files, EFetch output).

:func:`parse_pubmed` is a pure generator over a binary stream. It reads one
``<PubmedArticle>`` at a time with :func:`lxml.etree.iterparse` and frees each
element (and everything before it) once it is turned into a record, so memory
stays flat on 150 MB baseline files. The DTD named in the DOCTYPE is never
loaded and entities are not resolved, so parsing needs no network.

It yields:

* :class:`kb.domain.Article` for each usable citation;
* :class:`ingest.records.DeletedCitation` for each PMID of a ``<DeleteCitation>``;
* :class:`ingest.records.Rejected` for a citation without PMID or title (parsing
  goes on), and one final ``Rejected`` when the XML is truncated or malformed
  (parsing stops there, after yielding everything read before the damage).
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from datetime import date
from typing import Any, BinaryIO

from lxml import etree

from ingest.records import DeletedCitation, Rejected
from kb.domain import Article, ArticleStatus

__all__ = ["PubmedRecord", "parse_pubmed"]

PubmedRecord = Article | DeletedCitation | Rejected

SOURCE = "pubmed"

_ARTICLE = "PubmedArticle"
_DELETE = "DeleteCitation"
_BOOK = "PubmedBookArticle"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MEDLINE_YEAR = re.compile(r"\b(1[6-9]\d\d|2\d\d\d)\b")
_MEDLINE_MONTH = re.compile(r"\b([A-Za-z]{3})[a-z]*\b")


def parse_pubmed(stream: BinaryIO, *, source_name: str = "") -> Iterator[PubmedRecord]:
    """Yield the citations, deletions and rejects of one PubMed XML stream, in file order.

    ``source_name`` (a file name, ``"efetch:200"`` ...) prefixes the key of the
    final ``Rejected`` when the XML is damaged, so the rejects file says where.
    """
    guarded = _GuardedReader(stream)
    context = etree.iterparse(
        guarded,
        events=("end",),
        tag=(_ARTICLE, _DELETE, _BOOK),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=True,
        remove_blank_text=True,
        remove_comments=True,
        remove_pis=True,
    )
    events = iter(context)
    ordinal = 0  # 1-based number of the current <PubmedArticle>, for rejects without a PMID
    last_line = 1
    while True:
        # Only pulling the next element is guarded: an exception thrown into this
        # generator by its consumer must not be mistaken for damaged XML.
        try:
            _, elem = next(events)
        except StopIteration:
            if guarded.error is not None:  # the XML ended cleanly but the gzip trailer is damaged
                yield _damaged(source_name, last_line, guarded.error)
            return
        except etree.XMLSyntaxError as exc:
            yield _damaged(source_name, exc.lineno or last_line, guarded.error or exc.msg)
            return
        last_line = elem.sourceline or last_line
        tag = elem.tag
        if tag == _ARTICLE:
            ordinal += 1
            yield _article(elem, ordinal)
        elif tag == _DELETE:
            for pmid in elem.iterfind("PMID"):
                text = (pmid.text or "").strip()
                if text:
                    yield DeletedCitation(text)
        else:
            yield _book(elem)
        _release(elem)


class _GuardedReader:
    """Turns a damaged compressed stream into an early end of data.

    If the gzip reader's exception escaped from ``read()``, lxml would drop the
    elements it had already parsed from the last chunk. Ending the data instead
    lets lxml deliver them and then report the XML as truncated.
    """

    def __init__(self, stream: BinaryIO) -> None:
        # read1 makes at most one read of the raw stream, so a failing read cannot
        # take already-decompressed bytes down with it (BufferedReader.read would).
        self._read = getattr(stream, "read1", stream.read)
        self.error: str | None = None

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            return b""
        try:
            data: bytes = self._read(size if size > 0 else 1 << 16)
            return data
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            self.error = f"corrupt compressed stream: {exc}"
            return b""


def _damaged(source_name: str, line: int, detail: str) -> Rejected:
    return Rejected(SOURCE, f"{source_name}:line {line}", f"truncated or malformed XML: {detail}")


def _release(elem: Any) -> None:
    """Free a handled element and the already-handled siblings before it."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def _article(elem: Any, ordinal: int) -> Article | Rejected:
    citation = elem.find("MedlineCitation")
    pmid_el = citation.find("PMID") if citation is not None else None
    pmid = (pmid_el.text or "").strip() if pmid_el is not None else ""
    if pmid_el is None or not pmid:
        return Rejected(SOURCE, f"article #{ordinal}", "citation has no MedlineCitation/PMID")
    version_text = (pmid_el.get("Version") or "1").strip()
    if not version_text.isdigit():
        return Rejected(SOURCE, pmid, f"PMID Version is not a number: {version_text!r}")
    article = citation.find("Article")
    if article is None:
        return Rejected(SOURCE, pmid, "citation has no Article element")
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    if not title:
        return Rejected(SOURCE, pmid, "citation has no title")

    journal_el = article.find("Journal")
    journal = ""
    pub_date: date | None = None
    year: int | None = None
    if journal_el is not None:
        journal = _text(journal_el.find("Title")) or _text(journal_el.find("ISOAbbreviation"))
        year, pub_date = _pub_date(journal_el.find("JournalIssue/PubDate"))
    if not journal:
        journal = _text(citation.find("MedlineJournalInfo/MedlineTA"))
    if pub_date is None:
        pub_date = _ymd(article.find("ArticleDate")) or _ymd(citation.find("DateCompleted"))
        if year is None and pub_date is not None:
            year = pub_date.year

    return Article(
        pmid=pmid,
        title=title,
        abstract=_abstract(article.find("Abstract")),
        journal=journal,
        pub_date=pub_date,
        year=year,
        mesh_terms=_texts(citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")),
        publication_types=_texts(article.iterfind("PublicationTypeList/PublicationType")),
        doi=_doi(article, elem),
        version=int(version_text),
        status=ArticleStatus.ACTIVE,
        entrez_date=_ymd(elem.find("PubmedData/History/PubMedPubDate[@PubStatus='entrez']")),
        revised_date=_ymd(citation.find("DateRevised")),
    )


def _book(elem: Any) -> Rejected:
    pmid = _text(elem.find("BookDocument/PMID")) or "book"
    return Rejected(SOURCE, pmid, "book record (PubmedBookArticle) is not supported")


def _text(elem: Any) -> str:
    """All text of ``elem`` with inner markup (<i>, <sup> ...) flattened and spaces collapsed."""
    if elem is None:
        return ""
    text = elem.text or "" if len(elem) == 0 else "".join(elem.itertext())
    return " ".join(text.split())


def _texts(elems: Iterator[Any]) -> tuple[str, ...]:
    return tuple(text for text in map(_text, elems) if text)


def _abstract(abstract: Any) -> str:
    if abstract is None:
        return ""
    parts: list[str] = []
    for section in abstract.iterfind("AbstractText"):
        text = _text(section)
        if not text:
            continue
        label = (section.get("Label") or "").strip()
        parts.append(f"{label}: {text}" if label else text)
    return "\n".join(parts)


def _doi(article: Any, pubmed_article: Any) -> str:
    for location in article.iterfind("ELocationID"):
        if location.get("EIdType") == "doi" and location.get("ValidYN", "Y") == "Y":
            doi = _text(location)
            if doi:
                return doi
    for article_id in pubmed_article.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if article_id.get("IdType") == "doi":
            doi = _text(article_id)
            if doi:
                return doi
    return ""


def _pub_date(pub_date: Any) -> tuple[int | None, date | None]:
    """Year and date of a ``<PubDate>``; a missing month or day counts as the first."""
    if pub_date is None:
        return None, None
    year_text = _text(pub_date.find("Year"))
    month: int | None
    day: int | None
    if year_text:
        year = int(year_text) if year_text.isdigit() else None
        month = _month(_text(pub_date.find("Month")))
        day = _int(_text(pub_date.find("Day")))
    else:
        medline = _text(pub_date.find("MedlineDate"))  # "2019 Nov-Dec", "1998 Dec-1999 Jan"
        found = _MEDLINE_YEAR.search(medline)
        year = int(found.group(1)) if found else None
        month_found = _MEDLINE_MONTH.search(medline[found.end() :]) if found else None
        month = _month(month_found.group(1)) if month_found else None
        day = None
    if year is None:
        return None, None
    return year, _safe_date(year, month, day)


def _ymd(elem: Any) -> date | None:
    """A ``<Year><Month><Day>`` element (ArticleDate, DateCompleted, DateRevised, PubMedPubDate) as a date."""
    if elem is None:
        return None
    year = _int(_text(elem.find("Year")))
    if year is None:
        return None
    return _safe_date(year, _month(_text(elem.find("Month"))), _int(_text(elem.find("Day"))))


def _safe_date(year: int, month: int | None, day: int | None) -> date | None:
    for candidate in ((month or 1, day or 1), (month or 1, 1), (1, 1)):
        try:
            return date(year, *candidate)
        except ValueError:
            continue
    return None


def _month(text: str) -> int | None:
    if not text:
        return None
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(text.lower())


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None
