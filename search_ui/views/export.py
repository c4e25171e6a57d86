"""Exports and citations: `/export?as=…` for chosen records, a result page, or one record.

Which records: every ``id`` given (cluster ids; a retired id follows its redirect), or, with
``scope=page`` or no ``id`` at all, the hits of the search described by the other parameters (the
result page's own URL parameters, so "export all on this page" is the page's form with its hidden
fields). Errors are HTML pages for browsers and JSON for everything else (by ``Accept``).

    GET /export?as=ris&id=c93be77ddc07cd10e
    GET /export?as=bibtex&q=history&page=2&scope=page
    GET /export?as=citation&style=modern-language-association&id=c93be77ddc07cd10e
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from search_ui.interop.citation import DEFAULT_STYLE, STYLES, UnknownStyle, cite
from search_ui.interop.export import FORMATS, ExportError, export
from search_ui.interop.export_csl import csl_item
from search_ui.views.common import call, catalog_of, json_error
from search_ui.views.search_form import SearchForm

if TYPE_CHECKING:
    from indexer.merge import MergedRecord

MAX_EXPORT = 100
"""Records in one export (a result page holds at most 100)."""
MAX_CITED = 20
"""Records in one formatted-citation export: citeproc-py needs up to ~0.3 s for one uncached APA entry
on a busy machine (see bench/exports.py), so a request for 100 would hold a worker for half a minute."""


async def export_records(request: Request) -> Response:
    params = request.query_params
    name = params.get("as") or ""
    style = params.get("style") or DEFAULT_STYLE
    try:
        if name not in FORMATS:
            raise _Refused(400, f"Unknown export format {name!r}; choose one of: {', '.join(FORMATS)}.")
        if style not in STYLES:
            raise _Refused(400, str(UnknownStyle(style)) + ".")
        records = await _chosen(request)
        if name == "citation" and len(records) > MAX_CITED:
            raise _Refused(400, f"Too many records to cite ({len(records)}); cite at most {MAX_CITED} at a time.")
        body = export(records, name, style)
    except _Refused as exc:
        return _error(request, exc.status, exc.message)
    except ExportError as exc:
        return _error(request, 422, str(exc))
    fmt = FORMATS[name]
    filename = f"{records[0].id if len(records) == 1 else 'unioncat-export'}.{fmt.extension}"
    disposition = "inline" if name == "citation" else "attachment"
    return Response(body, media_type=fmt.media_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def _chosen(request: Request) -> list[MergedRecord]:
    params = request.query_params
    ids = list(dict.fromkeys(i.strip() for i in params.getlist("id") if i.strip()))
    if params.get("scope") == "page" or not ids:
        if params.get("scope") == "selected":
            raise _Refused(400, "No records were selected: tick at least one, or export all on the page.")
        return await _page_records(request)
    if len(ids) > MAX_EXPORT:
        raise _Refused(400, f"Too many records ({len(ids)}); export at most {MAX_EXPORT} at a time.")
    records = []
    for cluster_id in ids:
        merged = await _record(request, cluster_id)
        if merged is None:
            raise _Refused(404, f"No record with id {cluster_id}.")
        records.append(merged)
    return records


async def _record(request: Request, cluster_id: str) -> MergedRecord | None:
    merged: MergedRecord | None = await call(catalog_of(request).record, cluster_id)
    if merged is None:
        target = await call(catalog_of(request).redirect, cluster_id)
        merged = await call(catalog_of(request).record, target) if target else None
    return merged


async def _page_records(request: Request) -> list[MergedRecord]:
    from indexer.search.backends.base import QueryError

    form = SearchForm.from_params(request.query_params, MAX_EXPORT)
    if form.is_empty:
        raise _Refused(400, "Say which records to export: one or more id parameters, or a search (q=…).")
    try:
        results = await call(catalog_of(request).search, form.to_request(facets=()))
    except QueryError as exc:
        raise _Refused(400, f"Your search could not be read: {exc}") from exc
    records = [m for m in [await call(catalog_of(request).record, hit.id) for hit in results.hits] if m is not None]
    if not records:
        raise _Refused(404, "The search found no records to export.")
    return records


def _error(request: Request, status: int, message: str) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        raise HTTPException(status, message)
    return json_error(status, message)


def export_links(cluster_id: str) -> list[dict[str, str]]:
    """The record page's export menu: one link per format."""
    return [{"label": f.label, "name": f.name, "url": "/export?" + urlencode({"as": f.name, "id": cluster_id})}
            for f in FORMATS.values() if f.name != "citation"]


def citation_context(merged: MergedRecord, style: str | None) -> dict[str, Any]:
    """What the record page's "Cite this" section shows: one style's citation and the style menu."""
    chosen = style if style in STYLES else DEFAULT_STYLE
    item = csl_item(merged)
    return {
        "export_links": export_links(merged.id),
        "citation": cite([item], chosen)[0],
        "citation_style": chosen,
        "citation_styles": STYLES,
        "citation_text_url": "/export?" + urlencode({"as": "citation", "style": chosen, "id": merged.id}),
    }
