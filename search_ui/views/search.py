"""The home page and the results page (`/search`), with its JSON twin `/search.json`.

Facets are multi-select: values of one field are OR-ed, and the backends count a field that has a
value chosen *without* that field's own filter (see `SearchBackend.search`), so choosing "Duke" keeps
every other library in the list as a checkbox to add.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from indexer.errors import QueryError
from indexer.labels import FORMAT_LABELS
from indexer.search.backends.base import MAX_PAGE, FacetCount, SearchRequest, SearchResults
from indexer.search.schema import FACET_FIELDS, FIELDS_BY_NAME
from search_ui.views.common import JSON, call, catalog_of, json_error, render
from search_ui.views.search_form import (
    ADVANCED_FIELDS,
    FIELD_CHOICES,
    PER_PAGE,
    SORT_LABELS,
    SearchForm,
)
from search_ui.views.search_suggest import did_you_mean

FACETS_SHOWN = 8
"""Values per facet before the rest fold into a "more" disclosure."""
MAX_JSON_PER_PAGE = 100


async def home(request: Request, empty_form: bool = False) -> Response:
    """The search box, with how many items the catalog holds (or how to fill an empty one)."""
    everything = SearchRequest(facets=(), per_page=1)
    context = _form_context(SearchForm(), home=True)
    context["empty_form"] = empty_form
    context["catalog_size"] = (await call(catalog_of(request).search, everything)).total
    return render(request, "search.html", context)


async def search(request: Request) -> Response:
    as_json = request.url.path.endswith(".json")
    form = SearchForm.from_params(request.query_params, MAX_JSON_PER_PAGE if as_json else PER_PAGE)
    problem = form.problem()
    if problem:
        if as_json:
            return json_error(400, problem.message)
        context = _form_context(form)
        context["form_problem"] = problem
        return render(request, "search.html", context, status_code=400)
    if form.is_empty and not as_json:  # /search with nothing asked: the home page (saying so if submitted)
        return await home(request, empty_form=bool(request.query_params))
    try:
        results: SearchResults = await call(catalog_of(request).search, form.to_request())
    except QueryError as exc:
        if as_json:
            return json_error(400, str(exc))
        context = _form_context(form, query_error=str(exc))
        return render(request, "search.html", context, status_code=400)
    if as_json:
        return JSON(_json(form, results))
    context = _form_context(form)
    context.update(await _results_context(request, form, results))
    return render(request, "search.html", context)


def _json(form: SearchForm, results: SearchResults) -> dict[str, Any]:
    data = results.to_json()
    data["query"] = form.query_text()
    data["max_page"] = MAX_PAGE
    data["filters"] = {name: list(values) for name, values in form.filters.items()}
    return data


def _form_context(form: SearchForm, home: bool = False, query_error: str = "") -> dict[str, Any]:
    return {
        "form": form,
        "home": home,
        "query_error": query_error,
        "field_choices": FIELD_CHOICES,
        "advanced_fields": ADVANCED_FIELDS,
        "sort_labels": SORT_LABELS,
        "chips": form.chips(),
        "clear_url": form.without_filters().url() if form.chips() else "",
        "hidden": [(k, v) for k, v in form.params() if k not in ("sort", "page")],
        "facet_hidden": [(k, v) for k, v in form.params() if k not in ("page", *FACET_FIELDS)],
        "format_labels": sorted(set(FORMAT_LABELS.values())),
        "nav": "search",
    }


async def _results_context(request: Request, form: SearchForm, results: SearchResults) -> dict[str, Any]:
    last_page = min(MAX_PAGE, max(1, -(-results.total // form.per_page)))
    hits = [_hit(hit.id, hit.doc) for hit in results.hits]
    beyond = form.asked_page > last_page and results.total > 0  # one notice: "fewer pages than that"
    return {
        "results": results,
        "hits": hits,
        "first": (form.page - 1) * form.per_page + 1,
        "last": (form.page - 1) * form.per_page + len(results.hits),
        "facets": _facets(form, results),
        "pages": _pages(form, last_page),
        "capped": not beyond and (form.asked_page > MAX_PAGE
                                  or (results.total > MAX_PAGE * form.per_page and form.page == MAX_PAGE)),
        "max_page": MAX_PAGE,
        "beyond": beyond,
        "last_page_url": form.with_page(last_page).url(),
        "last_page": last_page,
        "suggestions": await _suggestions(request, form) if results.total == 0 else [],
        "did_you_mean": await run_in_threadpool(did_you_mean, catalog_of(request), form, results),
    }


def _hit(cluster_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """What one result line shows, from the stored ``display`` dict (falling back to indexed fields)."""
    display = doc.get("display") or {}
    libraries = display.get("libraries") or doc.get("library") or []
    formats = doc.get("format") or [""]
    return {
        "id": cluster_id,
        "url": f"/record/{cluster_id}",
        "title": display.get("title") or doc.get("title") or "[No title]",
        "authors": display.get("authors") or doc.get("authors") or [],
        "year": display.get("year") or doc.get("year") or "",
        "format": display.get("format") or formats[0],
        "details": [str(v) for v in (display.get("year") or doc.get("year"), display.get("edition"),
                                      display.get("publisher")) if v],
        "libraries": libraries,
        "library_count": display.get("library_count") or doc.get("library_count") or len(libraries),
        "availability": (display.get("availability") or {}).get("text", ""),
    }


def _facets(form: SearchForm, results: SearchResults) -> list[dict[str, Any]]:
    """Each facet's values with counts and chosen state; chosen values always stay listed."""
    counts: dict[str, list[FacetCount]] = dict(results.facets)
    facets = []
    for name in FACET_FIELDS:
        chosen = form.filters.get(name, ())
        values: list[dict[str, Any]] = [
            {"value": f.value, "count": f.count, "selected": f.value in chosen} for f in counts.get(name, [])
        ]
        if name == "decade":
            values.sort(key=lambda v: str(v["value"]), reverse=True)  # newest decade first
        listed = {v["value"] for v in values}
        values += [{"value": v, "count": None, "selected": True} for v in chosen if v not in listed]
        if not values:
            continue
        shown = values[:FACETS_SHOWN] + [v for v in values[FACETS_SHOWN:] if v["selected"]]
        more = [v for v in values[FACETS_SHOWN:] if not v["selected"]]
        facets.append({"name": name, "label": FIELDS_BY_NAME[name].label, "shown": shown, "more": more})
    return facets


def _pages(form: SearchForm, last_page: int) -> dict[str, Any]:
    """Previous/next plus a window of page numbers around the current page (first and last kept)."""
    window = sorted({1, last_page, *range(max(1, form.page - 2), min(last_page, form.page + 2) + 1)})
    numbers: list[dict[str, Any]] = []
    previous = 0
    for number in window:
        if previous and number > previous + 1:
            numbers.append({"gap": True})
        url = form.with_page(number).url()
        numbers.append({"number": number, "url": url, "current": number == form.page})
        previous = number
    return {
        "previous": form.with_page(form.page - 1).url() if form.page > 1 else "",
        "next": form.with_page(form.page + 1).url() if form.page < last_page else "",
        "numbers": numbers if last_page > 1 else [],
    }


async def _suggestions(request: Request, form: SearchForm) -> list[dict[str, str]]:
    """Ways out of an empty result list, as links (the engine already tried OR and fuzzy matching)."""
    suggestions: list[dict[str, str]] = []
    if form.filters or form.year_from is not None or form.year_to is not None:
        wider = form.without_filters()
        total = (await call(catalog_of(request).search, replace(wider.to_request(facets=()), per_page=1))).total
        if total:
            suggestions.append({"text": f"Remove all filters ({total:,} results)", "url": wider.url()})
    if form.field != "all" and form.q:
        suggestions.append({"text": "Search all fields instead", "url": replace(form, field="all").url()})
    for name, label in ADVANCED_FIELDS:
        if name in form.advanced:
            text = f"Remove the {label.lower()} condition"
            suggestions.append({"text": text, "url": form.without(name).url()})
    return suggestions
