"""The URL table of the discovery interface, one line per route (each page has its `.json` twin).

Twins come first: ``/record/{id}`` would otherwise also match ``/record/c123.json``.
"""

from __future__ import annotations

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from search_ui.staff import views as staff
from search_ui.templating import STATIC_DIR
from search_ui.views import (
    analytics,
    api_docs,
    autocomplete,
    browse,
    export,
    feeds,
    holdings,
    oai,
    partners,
    record,
    search,
    sru,
)

ROUTES = [
    Route("/", search.home, name="home"),
    Route("/search.json", search.search, name="search_json"),
    Route("/search.atom", feeds.search_feed, name="search_atom"),
    Route("/search.rss", feeds.search_feed, name="search_rss"),
    Route("/search", search.search, name="search"),
    Route("/autocomplete.json", autocomplete.autocomplete, name="autocomplete_json"),
    Route("/autocomplete", autocomplete.autocomplete, name="autocomplete"),
    Route("/browse", browse.browse, name="browse_home"),
    Route("/browse/{kind}.json", browse.browse, name="browse_json"),
    Route("/browse/{kind}", browse.browse, name="browse"),
    Route("/record/{cluster_id}.json", record.record, name="record_json"),
    Route("/record/{cluster_id}/raw/{record_id:path}", record.raw, name="record_raw"),
    Route("/record/{cluster_id}", record.record, name="record"),
    Route("/holdings.json", holdings.holdings, methods=["GET", "POST"], name="holdings_json"),
    Route("/holdings.csv", holdings.holdings, methods=["GET", "POST"], name="holdings_csv"),
    Route("/holdings", holdings.holdings, methods=["GET", "POST"], name="holdings"),
    Route("/partners.json", partners.partners, name="partners_json"),
    Route("/partners", partners.partners, name="partners"),
    Route("/oai", oai.oai, methods=["GET", "POST"], name="oai"),
    Route("/sru", sru.sru, methods=["GET", "POST"], name="sru"),
    Route("/export", export.export_records, name="export"),
    Route("/opensearch.xml", feeds.opensearch, name="opensearch"),
    Route("/robots.txt", feeds.robots, name="robots"),
    Route("/sitemap.xml", feeds.sitemap_xml, name="sitemap"),
    Route("/sitemap-{number:int}.xml", feeds.sitemap_page, name="sitemap_page"),
    Route("/api/openapi.json", api_docs.openapi_json, name="openapi"),
    Route("/api", api_docs.api_page, name="api"),
    Route("/analytics.json", analytics.overview, name="analytics_json"),
    Route("/analytics.csv", analytics.overview, name="analytics_csv"),
    Route("/analytics", analytics.overview, name="analytics"),
    Route("/analytics/library/{code}.json", analytics.library, name="analytics_library_json"),
    Route("/analytics/library/{code}.csv", analytics.library, name="analytics_library_csv"),
    Route("/analytics/library/{code}", analytics.library, name="analytics_library"),
    Route("/analytics/retention.json", analytics.retention, name="analytics_retention_json"),
    Route("/analytics/retention.csv", analytics.retention, name="analytics_retention_csv"),
    Route("/analytics/retention", analytics.retention, name="analytics_retention"),
    Route("/analytics/feeds.json", analytics.feeds, name="analytics_feeds_json"),
    Route("/analytics/feeds.csv", analytics.feeds, name="analytics_feeds_csv"),
    Route("/analytics/feeds", analytics.feeds, name="analytics_feeds"),
    Route("/analytics/titles.csv", analytics.titles, name="analytics_titles_csv"),
    *staff.ROUTES,
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
