"""The OpenAPI 3 document of unioncat's JSON API, built from the same tables the views use.

Search parameters come from `SearchForm`'s fields and `indexer.search.schema` (facets, sorts), export
formats from `FORMATS`, citation styles from `STYLES`: a facet, format or style added there appears
here without a second list to keep in step. Served at `/api/openapi.json`; `/api` renders it for people.

    document = openapi_document("unioncat")
"""

from __future__ import annotations

from typing import Any

from search_ui.interop import openapi_schemas as schemas
from search_ui.interop.citation import DEFAULT_STYLE, STYLES
from search_ui.interop.export import FORMATS

Schema = dict[str, Any]
OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0.0"
MAX_PER_PAGE = 100


def _param(name: str, description: str, schema: Schema, example: Any = None, required: bool = False,
           where: str = "query") -> Schema:
    param: Schema = {"name": name, "in": where, "description": description, "schema": schema}
    if required:
        param["required"] = True
    if isinstance(schema.get("type"), str) and schema["type"] == "array":
        param.update(style="form", explode=True)
    if example is not None:
        param["example"] = example
    return param


def search_parameters() -> list[Schema]:
    """The parameters of `/search` and its twins (JSON, Atom, RSS, export of a result page)."""
    from indexer.search.schema import FACET_FIELDS, SORTS
    from search_ui.views.search_form import ADVANCED_FIELDS, FIELD_CHOICES

    params = [
        _param("q", "Query text in unioncat's query language (words, \"phrases\", title:whale, year:1990-2000).",
               {"type": "string", "maxLength": 500}, "moby dick"),
        _param("field", "Field the q text searches.", {"type": "string", "enum": [v for v, _ in FIELD_CHOICES]}),
    ]
    params += [_param(name, f"Advanced search: {label}.", {"type": "string", "maxLength": 500})
               for name, label in ADVANCED_FIELDS]
    params += [_param(name, f"Publication year, {edge} (inclusive).", {"type": "integer", "minimum": -9999,
                                                                       "maximum": 9999})
               for name, edge in (("year_from", "from"), ("year_to", "to"))]
    params += [_param(name, f"Facet filter on {name} (repeat to OR values; fields are AND-ed).",
                      {"type": "array", "items": {"type": "string"}, "maxItems": 20}) for name in FACET_FIELDS]
    params += [
        _param("sort", "Result order.", {"type": "string", "enum": list(SORTS)}),
        _param("page", "Result page (1-based; pages past 50 are not served).", {"type": "integer", "minimum": 1,
                                                                              "maximum": 50}),
        _param("per_page", "Results per page.", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
    ]
    return params


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> Schema:
    return _json({"$ref": "#/components/schemas/Error"}, description)


def _body(media_type: str, description: str) -> Schema:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}


def _export_operation() -> Schema:
    content = {fmt.media_type.split(";")[0]: {"schema": {"type": "string"}} for fmt in FORMATS.values()}
    content["application/vnd.citationstyles.csl+json"] = {"schema": {"$ref": "#/components/schemas/CslItems"}}
    return {
        "operationId": "export",
        "summary": "Export records (RIS, BibTeX, CSL-JSON, MARCXML, MARC 21) or formatted citations",
        "description": "The records named by `id` (up to 100; a retired id follows its redirect), or, with "
                       "`scope=page` or no `id`, the hits of the search given by the search parameters.",
        "parameters": [
            _param("as", "Export format.", {"type": "string", "enum": list(FORMATS)}, "ris", required=True),
            _param("id", "Cluster id of a record to export (repeatable).",
                   {"type": "array", "items": {"type": "string"}, "maxItems": 100}, ["c93be77ddc07cd10e"]),
            _param("style", f"Citation style of `as=citation` (default {DEFAULT_STYLE}).",
                   {"type": "string", "enum": list(STYLES)}),
            _param("scope", "`page`: export the hits of the search; `selected`: only the `id`s.",
                   {"type": "string", "enum": ["selected", "page"]}),
            *search_parameters(),
        ],
        "responses": {
            "200": {"description": "The export file.", "content": content},
            "400": _error("Unknown format or style, nothing chosen, too many records, or an unreadable search."),
            "404": _error("No record with a given id, or the search found nothing."),
            "422": _error("A record cannot be written in this format (e.g. too large for ISO 2709)."),
        },
    }


def _paths() -> Schema:
    search = search_parameters()
    cluster = _param("cluster_id", "The record's cluster id (its permalink).", {"type": "string"},
                     "c93be77ddc07cd10e", required=True, where="path")
    ids = _param("ids", "Standard numbers (ISBN, ISSN, OCLC, LCCN), separated by newlines or commas; "
                        "repeatable.", {"type": "array", "items": {"type": "string"}, "maxItems": 50},
                 ["9780142437247"])
    return {
        "/search.json": {"get": {
            "operationId": "search", "summary": "Search the union catalog", "parameters": search,
            "responses": {"200": _json({"$ref": "#/components/schemas/SearchResults"}, "One page of results."),
                          "400": _error("The query could not be read.")}}},
        "/record/{cluster_id}.json": {"get": {
            "operationId": "record", "summary": "One merged record with every library's holdings",
            "parameters": [cluster],
            "responses": {"200": _json({"$ref": "#/components/schemas/Record"}, "The merged record."),
                          "301": {"description": "A retired id: Location names the record that now holds it."},
                          "404": _error("No record with this id.")}}},
        "/holdings.json": {"get": {
            "operationId": "holdings", "summary": "ILL holdings check: who holds each standard number",
            "parameters": [ids],
            "responses": {"200": _json({"$ref": "#/components/schemas/HoldingsAnswers"}, "One answer per id."),
                          "400": _error("Too many identifiers.")}}},
        "/holdings.csv": {"get": {
            "operationId": "holdingsCsv", "summary": "The holdings check as CSV (one row per holding)",
            "parameters": [ids],
            "responses": {"200": _body("text/csv", "CSV with a header row."),
                          "400": _error("Too many identifiers.")}}},
        "/export": {"get": _export_operation()},
        **_discovery_paths(search),
    }


def _discovery_paths(search: list[Schema]) -> Schema:
    """Feeds of a search and the documents other software discovers the catalog by."""
    return {
        "/search.atom": {"get": {
            "operationId": "searchAtom", "summary": "Any search as an Atom 1.0 feed", "parameters": search,
            "responses": {"200": _body("application/atom+xml", "Atom feed with OpenSearch elements."),
                          "400": _body("text/plain", "The query could not be read.")}}},
        "/search.rss": {"get": {
            "operationId": "searchRss", "summary": "Any search as an RSS 2.0 feed", "parameters": search,
            "responses": {"200": _body("application/rss+xml", "RSS channel with OpenSearch elements."),
                          "400": _body("text/plain", "The query could not be read.")}}},
        "/opensearch.xml": {"get": {
            "operationId": "openSearchDescription", "summary": "OpenSearch 1.1 description document",
            "responses": {"200": _body("application/opensearchdescription+xml", "The description.")}}},
        "/sitemap.xml": {"get": {
            "operationId": "sitemap", "summary": "Sitemap index of every record permalink",
            "responses": {"200": _body("application/xml", "A sitemap index.")}}},
    }


def openapi_document(site_name: str = "unioncat") -> Schema:
    """The whole OpenAPI document (a JSON-ready dict)."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{site_name} union catalog API",
            "version": API_VERSION,
            "description": "Search, records, holdings and exports of the union catalog. Every page of the "
                           "web interface has a `.json` twin; these are the ones with a stable shape.",
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {"schemas": {
            "Error": schemas.ERROR, "SearchResults": schemas.SEARCH, "Record": schemas.RECORD,
            "HoldingsAnswers": schemas.HOLDINGS_ANSWERS, "CslItems": schemas.CSL_ITEMS,
        }},
    }
