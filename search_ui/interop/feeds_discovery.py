"""How other software finds the catalog: an OpenSearch description, robots.txt and a sitemap.

The OpenSearch description (linked from every page with ``<link rel="search">``) lets a browser add
the catalog as a search engine and tells an aggregator the URL templates of the HTML, Atom, RSS and
JSON results. The sitemap lists every record permalink (the only pages worth crawling: result
lists are infinite), 50,000 URLs a file behind a sitemap index, as the sitemaps protocol requires.

    opensearch_description("https://cat.example", "unioncat")
    sitemap_index(["https://cat.example/sitemap-1.xml"])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from lxml import etree

from search_ui.interop.feeds import ATOM_TYPE, OPENSEARCH, OPENSEARCH_TYPE, RSS_TYPE, xml_text

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_SIZE = 50_000
"""URLs per sitemap file: the protocol's maximum."""
SHORT_NAME_MAX = 16
"""OpenSearch's limit for ``ShortName``."""

_TEMPLATES = (
    ("text/html", "/search?q={searchTerms}&page={startPage?}&per_page={count?}"),
    (ATOM_TYPE, "/search.atom?q={searchTerms}&page={startPage?}&per_page={count?}"),
    (RSS_TYPE, "/search.rss?q={searchTerms}&page={startPage?}&per_page={count?}"),
    ("application/json", "/search.json?q={searchTerms}&page={startPage?}&per_page={count?}"),
)


def opensearch_description(base_url: str, site_name: str, example: str = "history") -> bytes:
    """The OpenSearch 1.1 description document of the catalog at ``base_url`` (no trailing slash)."""
    root = etree.Element(f"{{{OPENSEARCH}}}OpenSearchDescription", nsmap={None: OPENSEARCH})
    _text(root, "ShortName", site_name[:SHORT_NAME_MAX])
    _text(root, "LongName", f"{site_name} union catalog")
    _text(root, "Description", f"Search every library of the {site_name} union catalog at once.")
    _text(root, "Tags", "library catalog union-catalog books holdings")
    for media_type, path in _TEMPLATES:
        etree.SubElement(root, f"{{{OPENSEARCH}}}Url", type=media_type, method="get", pageOffset="1",
                         template=xml_text(base_url + path))
    etree.SubElement(root, f"{{{OPENSEARCH}}}Url", type=OPENSEARCH_TYPE, rel="self",
                     template=xml_text(base_url + "/opensearch.xml"))
    image = etree.SubElement(root, f"{{{OPENSEARCH}}}Image", type="image/svg+xml", width="16", height="16")
    image.text = xml_text(base_url + "/static/favicon.svg")
    etree.SubElement(root, f"{{{OPENSEARCH}}}Query", role="example", searchTerms=xml_text(example))
    for name, text in (("SyndicationRight", "open"), ("AdultContent", "false"), ("Language", "*"),
                       ("InputEncoding", "UTF-8"), ("OutputEncoding", "UTF-8")):
        _text(root, name, text)
    return _serialize(root)


def robots_txt(base_url: str) -> str:
    """Crawl the record pages (and the sitemap that lists them), not the endless result lists."""
    lines = ["User-agent: *", "Disallow: /search", "Disallow: /export", "Disallow: /holdings",
             "Disallow: /api/", "Allow: /record/", "", f"Sitemap: {base_url}/sitemap.xml", ""]
    return "\n".join(lines)


def sitemap_pages(cluster_count: int) -> int:
    """How many sitemap files ``cluster_count`` permalinks need (at least one, possibly empty)."""
    return max(1, -(-cluster_count // SITEMAP_SIZE))


def sitemap_index(urls: Sequence[str]) -> bytes:
    """A sitemap index pointing at each sitemap file.

    No ``lastmod``: the index cannot know it without reading every file's clusters, and a made-up
    "now" would tell crawlers that every file changed on every visit.
    """
    root = etree.Element(f"{{{SITEMAP}}}sitemapindex", nsmap={None: SITEMAP})
    for url in urls:
        entry = etree.SubElement(root, f"{{{SITEMAP}}}sitemap")
        etree.SubElement(entry, f"{{{SITEMAP}}}loc").text = xml_text(url)
    return _serialize(root)


def sitemap(entries: Iterable[tuple[str, float | None]]) -> bytes:
    """A sitemap of (permalink, last change as Unix time or None) pairs."""
    root = etree.Element(f"{{{SITEMAP}}}urlset", nsmap={None: SITEMAP})
    for url, changed in entries:
        entry = etree.SubElement(root, f"{{{SITEMAP}}}url")
        etree.SubElement(entry, f"{{{SITEMAP}}}loc").text = xml_text(url)
        if changed:
            stamp = datetime.fromtimestamp(changed, UTC).isoformat(timespec="seconds")
            etree.SubElement(entry, f"{{{SITEMAP}}}lastmod").text = stamp
    return _serialize(root)


def _text(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{OPENSEARCH}}}{name}").text = xml_text(text)


def _serialize(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))
