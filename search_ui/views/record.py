"""The record page at its permalink `/record/{cluster_id}` (and `.json`), and each member's raw record.

A cluster id retired by re-clustering answers 301 to the cluster that now holds its records, so
bookmarks and citations keep working. The staff section ("why these were merged") runs the matcher's
explanation for the base record against every other member; it is computed only when asked for
(`?explain=1`), because a large cluster makes it the slowest part of the page.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from harvester.marc.raw_view import raw_as_text
from indexer.dedup.matching import Explanation, Reason
from search_ui.staff.identity import staff_of
from search_ui.views.common import JSON, call, catalog_of, render
from search_ui.views.export import citation_context
from search_ui.views.holdings_table import holdings_by_library, lenders_json, requester_of

if TYPE_CHECKING:
    from indexer.catalog import MergedRecord
    from indexer.lenders import LenderList

INLINE_RAW_MEMBERS = 12
"""Members whose raw record is shown inline (in a disclosure); bigger clusters link to each instead."""
MAX_EXPLAINED = 50
"""Member pairs explained on one page (``unioncat explain A B`` answers for any other pair)."""


async def record(request: Request) -> Response:
    cluster_id = request.path_params["cluster_id"]
    as_json = request.url.path.endswith(".json")
    merged: MergedRecord | None = await call(catalog_of(request).record, cluster_id)
    if merged is None:
        return await _moved_or_missing(request, cluster_id, as_json)
    requester = await requester_of(request)
    lenders = await call(catalog_of(request).lenders, merged, requester)
    if as_json:
        return JSON(record_json(merged, lenders))
    explain = request.query_params.get("explain") == "1"
    libraries = holdings_by_library(merged.record.holdings)
    context = {
        "lenders": lenders,
        "requester": requester,
        "requesters": await call(catalog_of(request).requesters),
        "cluster_id": merged.id,
        "merged": merged,
        "rec": merged.record,
        "libraries": libraries,
        "all_holdings": [holding for library in libraries for holding in library["rows"]],
        "links": [link for link in merged.record.links if is_web_url(link.url)],
        "members": await _members(request, merged),
        "versions": await call(catalog_of(request).versions, merged.id),
        "explain": explain,
        "explanations": await _explanations(request, merged) if explain else [],
        "max_explained": MAX_EXPLAINED,
        **citation_context(merged, request.query_params.get("style")),
        "similar": [_similar(hit.id, hit.doc) for hit in await call(catalog_of(request).similar, merged)],
        "back_url": back_to_results(request),
        "permalink": str(request.url_for("record", cluster_id=merged.id)),
        "call_numbers": sorted({h.call_number.strip() for h in merged.record.holdings if h.call_number.strip()}),
    }
    return render(request, "record.html", context)


def back_to_results(request: Request) -> str:
    """The results page the patron came from (same site, /search only), for a "Back to results" link.

    Read from the Referer, so result links stay clean permalinks and it works without JavaScript.
    """
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or referer.path != "/search" or not referer.query:
        return ""
    return f"/search?{referer.query}"


def _similar(cluster_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    display = doc.get("display") or {}
    return {
        "url": f"/record/{quote(cluster_id, safe='')}",
        "title": display.get("title") or doc.get("title") or "[No title]",
        "authors": display.get("authors") or doc.get("authors") or [],
        "year": display.get("year") or doc.get("year") or "",
        "format": display.get("format") or "",
    }


async def raw(request: Request) -> Response:
    """One member record as received, in MARC mnemonic form (or its XML), inside a page: staff only,
    because raw records carry what the public may not see (notes, prices, order data)."""
    cluster_id, record_id = request.path_params["cluster_id"], request.path_params["record_id"]
    if staff_of(request) is None:
        raise HTTPException(403, "Raw records are shown to signed-in staff only.")
    merged: MergedRecord | None = await call(catalog_of(request).record, cluster_id)
    if merged is None or record_id not in {m.record_id for m in merged.members}:
        raise HTTPException(404, f"record {record_id} is not part of {cluster_id}")
    stored = await call(catalog_of(request).stored, record_id)
    if stored is None:
        raise HTTPException(404, f"record {record_id} is no longer stored")
    context = {"cluster_id": cluster_id, "record_id": record_id, "stored": stored,
               "raw_text": raw_as_text(stored.raw, stored.raw_format), "title": merged.record.full_title}
    return render(request, "raw.html", context)


async def _moved_or_missing(request: Request, cluster_id: str, as_json: bool) -> Response:
    target = await call(catalog_of(request).redirect, cluster_id)
    if target and target != cluster_id:
        suffix = ".json" if as_json else ""
        return RedirectResponse(f"/record/{quote(target, safe='')}{suffix}", status_code=301)
    raise HTTPException(404, f"No record with id {cluster_id}.")


def is_web_url(url: str) -> bool:
    """Only http(s) links become clickable: an 856 may hold ``javascript:`` or worse."""
    return urlsplit(url.strip()).scheme.lower() in ("http", "https")


def record_json(merged: MergedRecord, lenders: LenderList | None = None) -> dict[str, Any]:
    """The record page as data; ``holdings_summary`` and ``lenders`` say what the page says."""
    data = {
        "id": merged.id,
        "base_id": merged.base_id,
        "libraries": list(merged.libraries),
        "members": [asdict(member) for member in merged.members],
        "provenance": {name: list(ids) for name, ids in merged.provenance.items()},
        "record": merged.record.to_dict(),
        "holdings_summary": [{"library": lib["name"], "code": lib["code"], "summary": lib["summary"]}
                             for lib in holdings_by_library(merged.record.holdings)],
    }
    if lenders is not None:
        data["lenders"] = lenders_json(lenders)
    return data


async def _members(request: Request, merged: MergedRecord) -> list[dict[str, Any]]:
    staff = staff_of(request) is not None
    inline = staff and len(merged.members) <= INLINE_RAW_MEMBERS
    members = []
    for member in merged.members:
        raw_text = ""
        if inline:
            stored = await call(catalog_of(request).stored, member.record_id)
            raw_text = raw_as_text(stored.raw, stored.raw_format) if stored is not None else ""
        members.append(
            {
                "member": member,
                "base": member.record_id == merged.base_id,
                "raw_url": (f"/record/{quote(merged.id, safe='')}/raw/{quote(member.record_id, safe=':')}"
                            if staff else ""),
                "raw_text": raw_text,
            }
        )
    return members


async def _explanations(request: Request, merged: MergedRecord) -> list[Any]:
    """The matcher's account of base vs each member (a member gone from the store says so)."""
    explanations = []
    others = [m.record_id for m in merged.members if m.record_id != merged.base_id]
    for other in others[:MAX_EXPLAINED]:
        try:
            explanations.append(await call(catalog_of(request).explain, merged.base_id, other))
        except KeyError as exc:
            explanations.append(Explanation(merged.base_id, other, False, 0.0,
                                            (Reason("missing", str(exc.args[0])),)))
    return explanations
