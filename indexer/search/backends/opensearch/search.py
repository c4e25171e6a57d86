"""The ``_search`` request body (filters, facets, sort, paging) and the reading of its response.

Facets are ``terms`` aggregations computed over *all* matching documents, not just the page. Facet
filters go in ``post_filter`` so that each facet's own aggregation can ignore its own selection: with
"Format: Book" chosen, the Format facet still counts E-books (so a patron can add them: values of one
facet are OR-ed), while the Library and Language facets count only books. This is the multi-select
behaviour of the embedded engine. The year range is not a facet, so it narrows everything (``query``).

    body = search_body(request, translate(parsed.root))
    results = read_results(client.search(index=alias, body=body), request)
"""

from __future__ import annotations

from typing import Any

from indexer.errors import QueryError
from indexer.search.analysis import nfc
from indexer.search.backends.base import MAX_PAGE, FacetCount, SearchHit, SearchRequest, SearchResults
from indexer.search.backends.opensearch.mapping import stored_document
from indexer.search.backends.opensearch.query import year_bounds
from indexer.search.schema import FIELDS_BY_NAME, SORTS

FILTERABLE_KINDS = ("keyword", "identifier")
MAX_PER_PAGE = 100
"""Largest page, as in the embedded engine."""
TIE_BREAK: dict[str, Any] = {"id": {"order": "asc"}}
"""Equal scores (or equal years, equal titles) are ordered by cluster id, in both engines (the embedded
one: `indexer.search.backends.embedded.ranking`), so paging never shows a record twice or skips one, a
rebuild never reorders a list and the engines answer alike. Year sorts go straight to the id, as the
embedded engine does (it has no score beside a field order)."""

_SORTS: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": {"order": "desc"}}, TIE_BREAK],
    "newest": [{"year": {"order": "desc", "missing": "_last"}}, TIE_BREAK],
    "oldest": [{"year": {"order": "asc", "missing": "_last"}}, TIE_BREAK],
    "title": [{"title_sort": {"order": "asc", "missing": "_last"}}, TIE_BREAK],
}
assert set(_SORTS) == set(SORTS), "every sort in indexer.search.schema.SORTS needs an OpenSearch translation"


def clamp_page(page: int) -> int:
    return max(1, min(page, MAX_PAGE))


def clamp_per_page(per_page: int) -> int:
    return max(1, min(per_page, MAX_PER_PAGE))


def facet_names(request: SearchRequest) -> list[str]:
    """The requested facets that are facets in the schema (others are ignored, as by the embedded engine)."""
    return [name for name in request.facets if name in FIELDS_BY_NAME and FIELDS_BY_NAME[name].facet]


def search_body(request: SearchRequest, query: dict[str, Any]) -> dict[str, Any]:
    """The whole ``_search`` body for one request and one translated query clause."""
    check_sort(request.sort)
    size = clamp_per_page(request.per_page)
    body: dict[str, Any] = {
        "query": _with_year(query, request.year_from, request.year_to),
        "from": (clamp_page(request.page) - 1) * size,
        "size": size,
        "sort": [dict(key) for key in _SORTS[request.sort]],
        "track_total_hits": True,
    }
    filters = facet_filters(request.filters)
    if filters:
        body["post_filter"] = {"bool": {"filter": list(filters.values())}}
    aggs = {
        name: _facet_agg(name, [clause for other, clause in filters.items() if other != name], request)
        for name in facet_names(request)
    }
    if aggs:
        body["aggs"] = aggs
    return body


def check_sort(sort: str) -> None:
    if sort not in _SORTS:
        raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")


def facet_filters(filters: Any) -> dict[str, dict[str, Any]]:
    """One ``terms`` clause per filtered field (its values OR-ed); fields are AND-ed by the caller."""
    clauses: dict[str, dict[str, Any]] = {}
    for name, values in filters.items():
        field = FIELDS_BY_NAME.get(name)
        if field is None or field.kind not in FILTERABLE_KINDS:
            raise QueryError(f"cannot filter on {name!r}")
        chosen = [nfc(values)] if isinstance(values, str) else [nfc(str(v)) for v in values]
        if chosen:
            clauses[name] = {"terms": {name: chosen}}
    return clauses


def _with_year(query: dict[str, Any], low: int | None, high: int | None) -> dict[str, Any]:
    if low is None and high is None:
        return query
    return {"bool": {"must": [query], "filter": [{"range": {"year": year_bounds(low, high)}}]}}


def _facet_agg(name: str, other_filters: list[dict[str, Any]], request: SearchRequest) -> dict[str, Any]:
    terms = {
        "terms": {
            "field": name,
            "size": max(1, min(request.facet_size, 1000)),
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
    }
    scope: dict[str, Any] = {"bool": {"filter": other_filters}} if other_filters else {"match_all": {}}
    return {"filter": scope, "aggs": {"values": terms}}


def _hit(hit: dict[str, Any]) -> SearchHit:
    score = float(hit.get("_score") or 0.0)  # null when a field sort decides the order
    return SearchHit(id=str(hit["_id"]), score=score, doc=stored_document(hit.get("_source") or {}))


def total_of(response: dict[str, Any]) -> int:
    """``hits.total`` is ``{"value": n, "relation": "eq"}`` (or a bare int from old clusters)."""
    total = response.get("hits", {}).get("total", 0)
    return int(total["value"]) if isinstance(total, dict) else int(total)


def read_results(
    response: dict[str, Any], request: SearchRequest, relaxed: bool = False, fuzzy: bool = False
) -> SearchResults:
    """A `SearchResults` from a ``_search`` response built by `search_body`."""
    hits = [_hit(hit) for hit in response.get("hits", {}).get("hits", [])]
    aggregations = response.get("aggregations", {})
    facets = {
        name: [
            FacetCount(value=str(bucket["key"]), count=int(bucket["doc_count"]))
            for bucket in aggregations.get(name, {}).get("values", {}).get("buckets", [])
            if str(bucket["key"]) != ""
        ]
        for name in facet_names(request)
    }
    return SearchResults(
        total=total_of(response),
        hits=hits,
        facets=facets,
        page=clamp_page(request.page),
        per_page=clamp_per_page(request.per_page),
        relaxed=relaxed,
        fuzzy=fuzzy,
    )
