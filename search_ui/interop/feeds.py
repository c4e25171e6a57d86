"""Atom 1.0 and RSS 2.0 feeds of any search, with OpenSearch response elements and paging links.

A feed is the result list of one search (the same URL parameters as `/search`), so a patron can
follow "new books on whaling" in a feed reader and an aggregator can page through a result set
(RFC 5005 ``first``/``previous``/``next``/``last`` links, OpenSearch ``totalResults``/``startIndex``).
Both are built with lxml element trees: text is escaped by the serializer, never pasted into markup.

    page = FeedPage(title="…", self_url=…, html_url=…, total=45, start_index=1, per_page=20, entries=[…])
    atom_bytes = to_atom(page); rss_bytes = to_rss(page)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One result: its permalink (also its id), title, authors, a one-line summary and categories."""

    url: str
    title: str
    authors: tuple[str, ...] = ()
    summary: str = ""
    categories: tuple[str, ...] = ()
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of a search as a feed; ``links`` maps RFC 5005 relations (first, next…) to URLs."""

    title: str
    self_url: str
    html_url: str
    search_url: str  # the OpenSearch description
    total: int
    start_index: int
    per_page: int
    search_terms: str
    entries: list[FeedEntry]
    links: dict[str, str] = field(default_factory=dict)
    author: str = "unioncat"
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry: control characters a record may hold would make lxml refuse the tree."""
    return _NOT_XML.sub("", text)


def to_atom(page: FeedPage) -> bytes:
    """The page as an Atom 1.0 feed document (UTF-8, with XML declaration)."""
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "opensearch": OPENSEARCH})
    _atom_text(feed, "title", page.title)
    _atom_text(feed, "id", page.self_url)
    _atom_text(feed, "updated", page.updated.isoformat(timespec="seconds"))
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    _atom_text(author, "name", page.author)
    _atom_link(feed, "self", page.self_url, ATOM_TYPE)
    _atom_link(feed, "alternate", page.html_url, "text/html")
    _atom_link(feed, "search", page.search_url, OPENSEARCH_TYPE)
    for rel, url in page.links.items():
        _atom_link(feed, rel, url, ATOM_TYPE)
    _opensearch_response(feed, page)
    for item in page.entries:
        entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
        _atom_text(entry, "title", item.title)
        _atom_text(entry, "id", item.url)
        _atom_link(entry, "alternate", item.url, "text/html")
        _atom_text(entry, "updated", (item.updated or page.updated).isoformat(timespec="seconds"))
        for name in item.authors:
            _atom_text(etree.SubElement(entry, f"{{{ATOM}}}author"), "name", name)
        for term in item.categories:
            etree.SubElement(entry, f"{{{ATOM}}}category", term=xml_text(term))
        if item.summary:
            _atom_text(entry, "summary", item.summary)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True))


def to_rss(page: FeedPage) -> bytes:
    """The page as an RSS 2.0 channel (with atom:link self/next and OpenSearch elements)."""
    rss = etree.Element("rss", version="2.0", nsmap={"atom": ATOM, "opensearch": OPENSEARCH})
    channel = etree.SubElement(rss, "channel")
    _text(channel, "title", page.title)
    _text(channel, "link", page.html_url)
    _text(channel, "description", f"{page.title} ({page.total} results)")
    _text(channel, "lastBuildDate", format_datetime(page.updated, usegmt=True))
    _text(channel, "generator", page.author)
    _atom_link(channel, "self", page.self_url, RSS_TYPE)
    _atom_link(channel, "search", page.search_url, OPENSEARCH_TYPE)
    for rel, url in page.links.items():
        _atom_link(channel, rel, url, RSS_TYPE)
    _opensearch_response(channel, page)
    for entry in page.entries:
        item = etree.SubElement(channel, "item")
        _text(item, "title", entry.title)
        _text(item, "link", entry.url)
        etree.SubElement(item, "guid", isPermaLink="true").text = xml_text(entry.url)
        if entry.summary:
            _text(item, "description", entry.summary)
        if entry.updated:
            _text(item, "pubDate", format_datetime(entry.updated, usegmt=True))
        for term in entry.categories:
            _text(item, "category", term)
    return bytes(etree.tostring(rss, xml_declaration=True, encoding="utf-8", pretty_print=True))


def _opensearch_response(parent: etree._Element, page: FeedPage) -> None:
    _text(parent, f"{{{OPENSEARCH}}}totalResults", str(page.total))
    _text(parent, f"{{{OPENSEARCH}}}startIndex", str(page.start_index))
    _text(parent, f"{{{OPENSEARCH}}}itemsPerPage", str(page.per_page))
    etree.SubElement(parent, f"{{{OPENSEARCH}}}Query", role="request", searchTerms=xml_text(page.search_terms))


def _atom_link(parent: etree._Element, rel: str, href: str, media_type: str) -> None:
    etree.SubElement(parent, f"{{{ATOM}}}link", rel=rel, href=xml_text(href), type=media_type)


def _atom_text(parent: etree._Element, name: str, text: str) -> None:
    _text(parent, f"{{{ATOM}}}{name}", text)


def _text(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = xml_text(text)
