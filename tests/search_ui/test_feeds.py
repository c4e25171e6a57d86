"""Feeds and discovery hooks, read by the parsers other software uses.

Atom and RSS by `feedparser` (the feed readers' library), the OpenSearch description, sitemap index and
sitemaps by lxml against their namespaces, robots.txt by the standard library's robot parser; every
URL they advertise is then fetched from the app, so a template or permalink that leads nowhere fails.
"""

from __future__ import annotations

import calendar
import re
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import feedparser
import pytest
from lxml import etree

from search_ui.interop.feeds_discovery import SITEMAP_SIZE, sitemap_pages
from tests.search_ui.dataset import XSS, Dataset

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def local(url: str) -> str:
    """An absolute URL the app advertised, as a path the test client can fetch."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def parse_feed(client: Any, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def search_ids(client: Any, **params: Any) -> list[str]:
    return [hit["id"] for hit in client.get("/search.json", params=params).json()["hits"]]


def test_atom_feed_of_a_search_parses_and_matches_the_result_list(client: Any) -> None:
    feed = parse_feed(client, "/search.atom?q=history")
    assert feed.version == "atom10"
    assert feed.feed.title == "unioncat: history"
    expected = search_ids(client, q="history", per_page=20)
    assert [local(e.link).removeprefix("/record/") for e in feed.entries] == expected
    assert [e.id for e in feed.entries] == [e.link for e in feed.entries]
    assert int(feed.feed.opensearch_totalresults) == client.get("/search.json?q=history").json()["total"]
    assert feed.feed.opensearch_itemsperpage == "20" and feed.feed.opensearch_startindex == "1"
    first = feed.entries[0]
    assert first.title.startswith("A history of") and first.author and "Held by 1 library" in first.summary
    assert first.tags[0].term in {"Book", "E-book", "Serial"}


def test_entries_carry_their_records_last_change_and_the_feed_the_latest(client: Any, catalog: Any) -> None:
    feed = parse_feed(client, "/search.atom?q=history")
    ids = [local(e.link).removeprefix("/record/") for e in feed.entries]
    stamps = catalog.cluster_stamps(ids)
    assert len(stamps) == len(ids)
    for entry, cluster_id in zip(feed.entries, ids, strict=True):
        assert calendar.timegm(entry.updated_parsed) == int(stamps[cluster_id])
    assert calendar.timegm(feed.feed.updated_parsed) == int(max(stamps.values()))
    again = client.get("/search.atom?q=history").content
    assert again == client.get("/search.atom?q=history").content  # an unchanged search: the same bytes
    rss = parse_feed(client, "/search.rss?q=history")
    assert [calendar.timegm(e.published_parsed) for e in rss.entries] == [int(stamps[i]) for i in ids]


def test_the_result_list_links_its_feeds(client: Any) -> None:
    html = client.get("/search", params={"q": "history", "format": "Book"}).text
    for suffix, media_type in (("atom", "application/atom+xml"), ("rss", "application/rss+xml")):
        url = f"/search.{suffix}?q=history&amp;format=Book"
        assert f'<link rel="alternate" type="{media_type}" href="{url}"' in html
        assert f'<a href="{url}">' in html
        assert parse_feed(client, url.replace("&amp;", "&")).entries


def test_rss_feed_parses_with_the_same_entries(client: Any) -> None:
    feed = parse_feed(client, "/search.rss?q=history&sort=oldest&per_page=5")
    assert feed.version == "rss20"
    assert [local(e.link).removeprefix("/record/") for e in feed.entries] == search_ids(
        client, q="history", sort="oldest", per_page=5)
    assert all(e.id == e.link for e in feed.entries)  # the guid is the permalink


def test_following_next_links_pages_through_the_whole_result_set(client: Any, dataset: Dataset) -> None:
    url, seen, pages = "/search.atom?q=history&per_page=20", [], 0
    while url and pages < 10:
        feed = parse_feed(client, url)
        seen += [e.link for e in feed.entries]
        links = {link.rel: link.href for link in feed.feed.links}
        assert "first" in links and "last" in links
        url = local(links["next"]) if "next" in links else ""
        pages += 1
    total = int(feed.feed.opensearch_totalresults)
    assert len(seen) == len(set(seen)) == total >= dataset.history_total and pages == 3


def test_hostile_record_text_stays_text_in_both_feeds(client: Any) -> None:
    for suffix in ("atom", "rss"):
        response = client.get(f"/search.{suffix}", params={"q": "hacker"})
        assert b"<script>" not in response.content
        [entry] = feedparser.parse(response.content).entries
        assert entry.title.startswith(XSS)


def test_a_feed_of_an_unreadable_query_is_a_400_with_the_reason(client: Any) -> None:
    response = client.get("/search.atom", params={"q": 'title:"unclosed'})
    assert response.status_code in (200, 400)  # the parser may repair it; if not, it must say why
    if response.status_code == 400:
        assert "could not be read" in response.text


def test_every_page_links_the_opensearch_description(client: Any, dataset: Dataset) -> None:
    pages = ["/", "/search?q=moby", f"/record/{dataset.moby}", "/holdings", "/partners", "/api", "/no/such/page"]
    for path in pages:
        html = client.get(path).text
        assert re.search(r'<link rel="search" type="application/opensearchdescription\+xml" '
                         r'href="/opensearch.xml" title="unioncat">', html), path


def test_opensearch_description_templates_lead_to_results(client: Any) -> None:
    response = client.get("/opensearch.xml")
    assert response.headers["content-type"].startswith("application/opensearchdescription+xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    assert 0 < len(root.findtext(f"{OPENSEARCH}ShortName") or "") <= 16
    assert root.findtext(f"{OPENSEARCH}Description")
    templates = {url.get("type"): url.get("template") for url in root.iter(f"{OPENSEARCH}Url")}
    assert set(templates) >= {"text/html", "application/atom+xml", "application/rss+xml", "application/json"}
    for media_type, template in templates.items():
        url = template.replace("{searchTerms}", "moby")
        url = re.sub(r"\{\w+\?\}", "", url)
        response = client.get(local(url))
        assert response.status_code == 200, url
        assert response.headers["content-type"].split(";")[0] in (media_type, "text/html"), url
    assert "Moby" in client.get(local(templates["application/json"].replace("{searchTerms}", "moby")
                                      .replace("{startPage?}", "1").replace("{count?}", "5"))).text


def test_robots_txt_allows_records_and_points_to_the_sitemap(client: Any, dataset: Dataset) -> None:
    text = client.get("/robots.txt").text
    robots = RobotFileParser()
    robots.parse(text.splitlines())
    assert robots.can_fetch("*", f"http://testserver/record/{dataset.moby}")
    assert not robots.can_fetch("*", "http://testserver/search?q=history")
    assert not robots.can_fetch("*", "http://testserver/export?as=ris&q=x")
    assert robots.site_maps() == ["http://testserver/sitemap.xml"]


def test_the_sitemap_lists_every_record_permalink_once(client: Any, catalog: Any) -> None:
    index = etree.fromstring(client.get("/sitemap.xml").content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    assert not list(index.iter(f"{SITEMAP}lastmod"))  # unknown without reading every file: left out
    locations: list[str] = []
    for loc in index.iter(f"{SITEMAP}loc"):
        urlset = etree.fromstring(client.get(local(loc.text or "")).content)
        assert urlset.tag == f"{SITEMAP}urlset"
        for url in urlset.iter(f"{SITEMAP}url"):
            locations.append(url.findtext(f"{SITEMAP}loc") or "")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", url.findtext(f"{SITEMAP}lastmod") or "")
    expected = sorted(cluster_id for cluster_id, _ in catalog.clusters.iter_clusters())
    assert [local(u).removeprefix("/record/") for u in locations] == expected
    for url in locations[:10]:
        assert client.get(local(url)).status_code == 200


@pytest.mark.parametrize(("clusters", "files"), [(0, 1), (1, 1), (SITEMAP_SIZE, 1), (SITEMAP_SIZE + 1, 2)])
def test_sitemaps_split_at_the_protocol_limit(clusters: int, files: int) -> None:
    assert sitemap_pages(clusters) == files


def test_a_sitemap_past_the_last_is_404(client: Any) -> None:
    assert client.get("/sitemap-2.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404
