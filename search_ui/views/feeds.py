"""Feeds and discovery hooks: `/search.atom`, `/search.rss`, `/opensearch.xml`, `/robots.txt`, sitemaps.

The feeds take exactly the parameters of `/search` (see `SearchForm`), so any result list a patron
sees, with its filters and sort, is also a feed: the page's ``<link rel="alternate">`` points to it.
Feed and sitemap URLs are absolute, built from the request's own base URL (run uvicorn with
``--proxy-headers`` behind a proxy so that is the public one).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from search_ui.interop.feeds import ATOM_TYPE, RSS_TYPE, FeedEntry, FeedPage, to_atom, to_rss
from search_ui.interop.feeds_discovery import (
    SITEMAP_SIZE,
    opensearch_description,
    robots_txt,
    sitemap,
    sitemap_index,
    sitemap_pages,
)
from search_ui.views.common import call, catalog_of
from search_ui.views.search_form import SearchForm

MAX_FEED_ITEMS = 100
"""Entries per feed page (``per_page``); the default is the result page's 20."""


def base_url(request: Request) -> str:
    """``https://host[:port][/root]`` of this request, without a trailing slash."""
    return str(request.base_url).rstrip("/")


async def search_feed(request: Request) -> Response:
    """One page of any search as Atom (``/search.atom``) or RSS 2.0 (``/search.rss``)."""
    from indexer.search.backends.base import QueryError, SearchResults

    atom = request.url.path.endswith(".atom")
    form = SearchForm.from_params(request.query_params, MAX_FEED_ITEMS)
    try:
        results: SearchResults = await call(catalog_of(request).search, form.to_request(facets=()))
    except QueryError as exc:
        return PlainTextResponse(f"Your search could not be read: {exc}", status_code=400)
    stamps = await call(catalog_of(request).cluster_stamps, [hit.id for hit in results.hits])
    page = feed_page(request, form, results, ".atom" if atom else ".rss", stamps)
    if atom:
        return Response(to_atom(page), media_type=f"{ATOM_TYPE}; charset=utf-8")
    return Response(to_rss(page), media_type=f"{RSS_TYPE}; charset=utf-8")


def feed_page(request: Request, form: SearchForm, results: Any, suffix: str,
              stamps: dict[str, float]) -> FeedPage:
    """The feed model of one result page: entries, OpenSearch counts and first/previous/next/last links.

    Each entry's ``updated`` is its cluster's last change (``stamps``), and the feed's is the latest of
    those, so polling an unchanged search gives an unchanged feed.
    """
    from indexer.search.backends.base import MAX_PAGE

    base = base_url(request)
    last = min(MAX_PAGE, max(1, -(-results.total // form.per_page)))
    links = {"first": form.with_page(1)}
    if form.page > 1:
        links["previous"] = form.with_page(min(form.page - 1, last))
    if form.page < last:
        links["next"] = form.with_page(form.page + 1)
    links["last"] = form.with_page(last)
    path = "/search" + suffix
    terms = form.query_text()
    entries = [feed_entry(base, hit.id, hit.doc, stamps.get(hit.id)) for hit in results.hits]
    changed = [entry.updated for entry in entries if entry.updated]
    return FeedPage(
        title=f"{request.app.state.site_name}: {terms or 'all records'}",
        self_url=base + form.url(path),
        html_url=base + form.url("/search"),
        search_url=base + "/opensearch.xml",
        total=results.total,
        start_index=(form.page - 1) * form.per_page + 1,
        per_page=form.per_page,
        search_terms=terms,
        entries=entries,
        links={rel: base + link.url(path) for rel, link in links.items()},
        author=request.app.state.site_name,
        updated=max(changed) if changed else datetime.now(UTC),
    )


def feed_entry(base: str, cluster_id: str, doc: dict[str, Any], stamp: float | None = None) -> FeedEntry:
    """A search hit as a feed entry (from the stored ``display`` dict, as the result list shows it)."""
    display = doc.get("display") or {}
    libraries = display.get("libraries") or doc.get("library") or []
    details = [str(v) for v in (display.get("year") or doc.get("year"), display.get("edition"),
                                display.get("publisher")) if v]
    held = f"Held by {len(libraries)} {'library' if len(libraries) == 1 else 'libraries'}"
    summary = " · ".join([*details, f"{held}: {', '.join(libraries)}" if libraries else held])
    fmt = display.get("format") or (doc.get("format") or [""])[0]
    return FeedEntry(
        url=f"{base}/record/{quote(cluster_id, safe='')}",
        title=display.get("title") or doc.get("title") or "[No title]",
        authors=tuple(display.get("authors") or doc.get("authors") or ()),
        summary=summary,
        categories=(fmt,) if fmt else (),  # already the display label ("E-book")
        updated=datetime.fromtimestamp(stamp, UTC) if stamp else None,
    )


async def opensearch(request: Request) -> Response:
    body = opensearch_description(base_url(request), request.app.state.site_name)
    return Response(body, media_type="application/opensearchdescription+xml; charset=utf-8")


async def robots(request: Request) -> Response:
    return PlainTextResponse(robots_txt(base_url(request)))


async def sitemap_xml(request: Request) -> Response:
    """The sitemap index: one sitemap file per `SITEMAP_SIZE` record permalinks."""
    count = await call(catalog_of(request).cluster_count)
    base = base_url(request)
    urls = [f"{base}/sitemap-{n}.xml" for n in range(1, sitemap_pages(count) + 1)]
    return Response(sitemap_index(urls), media_type="application/xml; charset=utf-8")


async def sitemap_page(request: Request) -> Response:
    """Sitemap file ``n``: the permalinks of clusters ``(n-1)·SITEMAP_SIZE`` onwards, in id order."""
    number: int = request.path_params["number"]
    count = await call(catalog_of(request).cluster_count)
    if not 1 <= number <= sitemap_pages(count):
        return PlainTextResponse(f"No sitemap {number}; see /sitemap.xml", status_code=404)
    rows = await call(catalog_of(request).cluster_page, (number - 1) * SITEMAP_SIZE, SITEMAP_SIZE)
    base = base_url(request)
    entries = ((f"{base}/record/{quote(cluster_id, safe='')}", changed) for cluster_id, changed in rows)
    return Response(sitemap(entries), media_type="application/xml; charset=utf-8")


