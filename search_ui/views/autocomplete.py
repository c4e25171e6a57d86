"""Autocomplete: titles, authors and subjects that start with what the patron has typed.

``/autocomplete.json?q=melv`` answers the enhancement script (static/autocomplete.js); ``/autocomplete?q=``
is the same list as a page of links, for browsers without JavaScript and for links from the no-JS box.
The source is the index's heading terms ("<key>\\x1f<display>"): the typed text is folded like the keys
("Müller, K" → "muller k") and the most frequent headings with that prefix win, counted in live
documents (what the suggestion's link finds). The embedded engine reads them from the heading tables it
writes at commit (a binary search and a precomputed top list per keystroke, no document read); the 1M
figures are in bench/README.md (bench/autocomplete.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from indexer.search.analysis import heading_key, split_heading
from indexer.search.schema import HEADING_FIELDS
from search_ui.views.common import JSON, catalog_of, json_error, render

MIN_CHARS = 2
"""One letter matches a twentieth of every list: no help, and the most work."""
PER_KIND = 4
MAX_PER_KIND = 10
KIND_LABELS = {"title": "Title", "author": "Author", "subject": "Subject"}


def suggestions(catalog: Any, text: str, kinds: tuple[str, ...], limit: int) -> list[dict[str, Any]] | None:
    """Up to `limit` headings per kind starting with `text`; None when the backend cannot list terms."""
    prefix = heading_key(text)
    if len(prefix) < MIN_CHARS:
        return []
    out: list[dict[str, Any]] = []
    for kind in kinds:
        found = catalog.terms(HEADING_FIELDS[kind], prefix, limit)
        if found is None:
            return None
        for term, count in found:
            display = split_heading(term)[1]
            out.append({"kind": kind, "label": KIND_LABELS[kind], "value": display, "count": count,
                        "url": heading_url(kind, display)})
    return out


def heading_url(kind: str, display: str) -> str:
    """Where choosing a suggestion leads: a title phrase search, or the items filed under a heading."""
    if kind == "title":
        return "/search?" + urlencode({"q": '"' + display.replace('"', " ") + '"', "field": "title"})
    return "/search?" + urlencode({f"{kind}_heading": display})


def _kinds(field: str | None) -> tuple[str, ...]:
    return (field,) if field in KIND_LABELS else tuple(KIND_LABELS)


async def autocomplete(request: Request) -> Response:
    as_json = request.url.path.endswith(".json")
    text = " ".join((request.query_params.get("q") or "").split())[:200]
    kinds = _kinds(request.query_params.get("field"))
    try:
        limit = max(1, min(int(request.query_params.get("limit") or PER_KIND), MAX_PER_KIND))
    except ValueError:
        limit = PER_KIND
    found = await run_in_threadpool(suggestions, catalog_of(request), text, kinds, limit)
    if as_json:
        if found is None:
            return json_error(501, "autocomplete needs the embedded search engine")
        return JSON({"query": text, "min_chars": MIN_CHARS, "suggestions": found})
    context = {"text": text, "found": found, "min_chars": MIN_CHARS, "nav": "search"}
    return render(request, "autocomplete.html", context, status_code=200 if found is not None else 501)
