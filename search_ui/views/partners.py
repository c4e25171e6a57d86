"""Feed status for partner libraries: what each source holds, its last harvest, and what was rejected.

Partners ask "did our nightly export arrive, and what did you refuse?"; this page answers from the
record store (through `Catalog.sources`), with every quarantined record's position and reason.
The public reads harvest errors without internal file paths or redirect targets
(`search_ui.staff.public.public_status`); signed-in staff read them in full.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from search_ui.staff.identity import staff_of
from search_ui.staff.public import public_status
from search_ui.views.common import JSON, call, catalog_of, render

QUARANTINE_SHOWN = 100
"""Quarantine entries listed per source (the count is always exact)."""
UNMAPPED_SHOWN = 50
"""Unmapped holdings codes listed per source, most frequent first (the number of codes is exact)."""


async def partners(request: Request) -> Response:
    sources: list[dict[str, Any]] = await call(catalog_of(request).sources)
    rows = [await _with_quarantine(request, dict(source)) for source in sources]
    staff = staff_of(request) is not None
    if not staff:
        settings = request.app.state.settings
        known = frozenset(urlsplit(s.url).netloc.lower() for s in settings.sources if s.url)
        rows = [public_status(row, known) for row in rows]
    if request.url.path.endswith(".json"):
        return JSON({"sources": rows})
    return render(request, "partners.html", {"sources": rows, "nav": "partners", "staff": staff})


async def _with_quarantine(request: Request, source: dict[str, Any]) -> dict[str, Any]:
    entries = await call(catalog_of(request).quarantined, source["id"])
    source["quarantine"] = [
        {"file": e.file, "position": e.position, "local_id": e.local_id, "reason": e.reason,
         "created_at": e.created_at, "size": e.size, "excerpt": e.excerpt, "kept": len(e.raw or b"")}
        for e in entries[:QUARANTINE_SHOWN]
    ]
    source["last_run"] = source.get("last_run") or None
    unmapped = await call(catalog_of(request).unmapped_codes, source["id"])
    source["unmapped"] = [{"code": code, "holdings": count} for code, count in unmapped[:UNMAPPED_SHOWN]]
    source["unmapped_total"] = len(unmapped)
    return source

