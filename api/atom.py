"""Atom (RFC 4287) documents of feed items, written with the standard library's XML writer.

Every entry has a stable ``urn:genekb:`` id (an evidence entry's id names the entry version, so an edit is a new
entry; an article's is its PMID), the Chinese sentence as its title, both sentences as ``content type="text"``,
a link to the app's page and an ``updated`` time (the change's publication, the article's first ingestion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from urllib.parse import quote
from xml.etree import ElementTree as ET

from kb.editorial.changes_text import Sentence
from kb.editorial.follows import FeedItem

__all__ = ["ATOM_MEDIA_TYPE", "PAGE_OF", "AtomFeed", "atom_document"]

ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
_NS = "http://www.w3.org/2005/Atom"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: the page path of a followed kind whose name is not its path (a reading list's page is /reading/<id>)
PAGE_OF = {"reading_list": "reading"}


@dataclass(frozen=True, slots=True)
class AtomFeed:
    id: str  # urn:genekb:topic:gene:EGFR
    title: str
    self_url: str  # the feed's own URL
    page_url: str  # the page in the app it follows
    base_url: str  # the app's root, ending in "/"


def atom_document(feed: AtomFeed, items: Sequence[tuple[FeedItem, Sentence]]) -> bytes:
    root = ET.Element("feed", {"xmlns": _NS, "xml:lang": "zh-CN"})
    entries = [(_updated(item), item, text) for item, text in items]
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    _text(root, "updated", _stamp(max((u for u, _, _ in entries), default=_EPOCH)))
    author = ET.SubElement(root, "author")
    _text(author, "name", "genekb")
    ET.SubElement(root, "link", {"rel": "self", "type": "application/atom+xml", "href": feed.self_url})
    ET.SubElement(root, "link", {"rel": "alternate", "type": "text/html", "href": feed.page_url})
    _text(root, "generator", "genekb")
    for updated, item, text in entries:
        entry = ET.SubElement(root, "entry")
        _text(entry, "id", _entry_id(item))
        _text(entry, "title", text.zh)
        _text(entry, "updated", _stamp(updated))
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": _entry_url(feed, item)})
        _text(entry, "category", "", term=item.type)
        _text(entry, "content", f"{text.zh}\n{text.en}", type="text")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _text(parent: ET.Element, tag: str, value: str, **attrs: str) -> None:
    ET.SubElement(parent, tag, attrs).text = value or None


def _stamp(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _updated(item: FeedItem) -> datetime:
    if item.change is not None:
        return item.change.at
    art = item.article
    if art is not None and art.first_ingested is not None:
        return art.first_ingested
    day = art.entrez_date or art.pub_date if art is not None else None
    return datetime.combine(day, time(), tzinfo=UTC) if day else _EPOCH


def _entry_id(item: FeedItem) -> str:
    if item.change is not None:
        return f"urn:genekb:{item.change.kind}:{item.change.key}:v{item.change.entry_version}"
    return f"urn:genekb:article:{item.article.pmid if item.article else ''}"


def _entry_url(feed: AtomFeed, item: FeedItem) -> str:
    if item.article is not None:
        return f"{feed.base_url}article/{item.article.pmid}"
    kind, _, key = item.topic.partition(":")
    return f"{feed.base_url}{PAGE_OF.get(kind, kind)}/{quote(key, safe='')}"
