"""The collection analytics pages: consortium overview, one page per member, retention, feed health.

Every page has ``.json`` and ``.csv`` twins and shows each chart next to the table of its numbers;
each number links to the search listing its titles (and to a CSV list of them). The figures are
the ones the last `unioncat index` stored (`indexer.analytics`), so a page view costs a few
thousand rows of counts, whatever the catalog size.

    GET /analytics            /analytics.json            /analytics.csv
    GET /analytics/library/NcD(.json|.csv)
    GET /analytics/retention?at_most=2&online=1(.json|.csv)
    GET /analytics/feeds(.json|.csv)
    GET /analytics/titles.csv?library=NcD&held_by=1
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from search_ui.views import analytics_charts as charts
from search_ui.views.common import JSON, call, catalog_of, first_int, json_error, render

MAX_RETENTION = 50
BREAKDOWN_BARS = 12
"""Values charted per breakdown (the table beside the chart lists them all)."""


async def overview(request: Request) -> Response:
    figures, state = await _figures(request)
    if figures is None:
        return _not_yet(request, state)
    from indexer.analytics.export import overview_csv
    from indexer.analytics.report import overview as build

    report = build(figures)
    return _answer(request, report, overview_csv, "analytics.html", "analytics.csv",
                   {"report": report, "state": state, "charts": _overview_charts(report)})


async def library(request: Request) -> Response:
    code = request.path_params["code"]
    figures, state = await _figures(request)
    if figures is None:
        return _not_yet(request, state)
    from indexer.analytics.export import library_csv
    from indexer.analytics.report import library_report

    report = library_report(figures, code)
    if report is None:
        return _missing(request, f"No member library with code {code!r}.")
    context = {"report": report, "state": state, "charts": _library_charts(report)}
    return _answer(request, report, library_csv, "analytics_library.html", f"analytics-{code}.csv", context)


async def retention(request: Request) -> Response:
    figures, state = await _figures(request)
    if figures is None:
        return _not_yet(request, state)
    from indexer.analytics.config import load_analytics_config
    from indexer.analytics.export import retention_csv
    from indexer.analytics.report import retention as build

    settings = request.app.state.settings
    default = load_analytics_config(settings).retention_max
    at_most = max(1, min(first_int(request.query_params.get("at_most"), default) or default, MAX_RETENTION))
    online = request.query_params.get("online") == "1" and bool(figures.digital)
    report = build(figures, at_most, online)
    bars = charts.bar_chart([(r["name"], r["titles"]) for r in report["libraries"]])
    choices = range(1, max(2, len(figures.libraries())) + 1)
    context = {"report": report, "state": state, "chart": bars, "choices": choices}
    return _answer(request, report, retention_csv, "analytics_retention.html", "retention.csv", context)


async def feeds(request: Request) -> Response:
    from indexer.analytics.export import feeds_csv
    from indexer.analytics.feeds import SERIES, feed_health

    catalog = catalog_of(request)
    sources = await call(catalog.sources)
    report = await call(feed_health, catalog.store, sources)
    for feed in report:
        groups = [(f"#{r['id']}", [r[s] for s in SERIES]) for r in feed["runs"]]
        feed["chart"] = charts.grouped_bars(groups, SERIES) if groups else None
    return _answer(request, {"sources": report}, lambda r: feeds_csv(r["sources"]), "analytics_feeds.html",
                   "feeds.csv", {"feeds": report})


async def titles(request: Request) -> Response:
    from indexer.analytics.export import TitleFilter
    from indexer.analytics.reader import titles_csv

    params = request.query_params
    held = tuple(k for k in (first_int(v) for v in params.getlist("held_by")) if k is not None)
    where = TitleFilter(library=params.get("library", ""), held_by=held, dimension=params.get("dimension", ""),
                        value=params.get("value") if "value" in params else None,
                        with_library=params.get("with", ""), online=params.get("online") == "1")
    if where.dimension and where.dimension not in ("format", "decade", "language", "lc", "ddc"):
        return json_error(400, f"unknown dimension {where.dimension!r}")
    lines = titles_csv(catalog_of(request).store, where)
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="titles.csv"'})


async def _figures(request: Request) -> tuple[Any, dict[str, Any]]:
    from indexer.analytics.reader import load_figures

    catalog = catalog_of(request)
    return await call(load_figures, catalog.store, catalog.settings)


def _answer(request: Request, report: Any, to_csv: Any, template: str, filename: str,
            context: dict[str, Any]) -> Response:
    path = request.url.path
    if path.endswith(".json"):
        return JSON(report)
    if path.endswith(".csv"):
        return Response(to_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return render(request, template, {**context, "nav": "analytics"})


def _not_yet(request: Request, state: dict[str, Any]) -> Response:
    message = "No collection figures yet: run `unioncat index` to compute them."
    if request.url.path.endswith((".json", ".csv")):
        return json_error(503, message)
    return render(request, "analytics.html", {"report": None, "message": message, "nav": "analytics"}, 503)


def _missing(request: Request, message: str) -> Response:
    if request.url.path.endswith((".json", ".csv")):
        return json_error(404, message)
    return render(request, "analytics.html", {"report": None, "message": message, "nav": "analytics"}, 404)


def _overview_charts(report: dict[str, Any]) -> dict[str, Any]:
    matrix = report["matrix"]
    return {
        "distribution": charts.bar_chart([(f"Held by {r['held_by']}", r["titles"]) for r in report["distribution"]]),
        "unique": charts.bar_chart([(r["name"], r["unique"]) for r in report["libraries"]]),
        "heatmap": charts.heatmap(matrix["codes"], [[(c["count"], c["pct"]) for c in row["cells"]]
                                                    for row in matrix["rows"]]),
        "breakdowns": _breakdown_charts(report["breakdowns"], "titles"),
    }


def _library_charts(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "distribution": charts.bar_chart([(f"Held by {r['held_by']}", r["titles"]) for r in report["distribution"]]),
        "overlap": charts.bar_chart([(o["name"], o["count"]) for o in report["overlap"]]),
        "breakdowns": _breakdown_charts(report["breakdowns"], "titles"),
    }


def _breakdown_charts(breakdowns: dict[str, Any], measure: str) -> dict[str, Any]:
    return {d: charts.bar_chart([(r["label"], r[measure]) for r in table["rows"][:BREAKDOWN_BARS]])
            for d, table in breakdowns.items()}
