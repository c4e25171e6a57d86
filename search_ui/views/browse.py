"""Browse lists: authors, subjects and call numbers in alphabetical (shelf) order, with counts, paging
and "jump to" a heading; each heading links to its items. ``/browse/{kind}`` and its ``.json`` twin.

The list is the index's own heading terms ("<key>\\x1f<display>", `analysis.heading_term`), so no second
store can drift from the search results: a heading's count is the number of items the link finds.
Paging is by position in the sorted list (cached per index generation by the backend); the URL names
the heading a page starts at (``?from=Melville``), so pages are bookmarkable and work without JavaScript.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from indexer.search.analysis import callnumber_key, heading_key, split_heading
from indexer.search.schema import HEADING_FIELDS
from search_ui.views.common import JSON, catalog_of, render

PAGE_SIZE = 25
MAX_FROM = 200


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    label: str  # "Authors"
    singular: str  # "author"
    param: str  # the search parameter a heading link filters on (`SearchForm` heading filters)


KINDS = {
    "author": Kind("author", "Authors", "author", "author_heading"),
    "subject": Kind("subject", "Subjects", "subject", "subject_heading"),
    "callnumber": Kind("callnumber", "Call numbers", "call number", "callnumber"),
}


def key_for(kind: str, text: str) -> str:
    """The sort key a typed "jump to" text is looked up by (the same function the index used)."""
    return callnumber_key(text) if kind == "callnumber" else heading_key(text)


class _Keys:
    """Sort keys of the backend's cached term list, computed once per list (per index generation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lists: dict[str, tuple[list[tuple[str, int]], list[str]]] = {}

    def of(self, field: str, terms: list[tuple[str, int]]) -> list[str]:
        with self._lock:
            cached = self._lists.get(field)
            if cached is not None and cached[0] is terms:
                return cached[1]
        keys = [split_heading(term)[0] for term, _ in terms]
        with self._lock:
            self._lists[field] = (terms, keys)
        return keys


_KEYS = _Keys()


def browse_page(catalog: Any, kind: str, start: str, size: int = PAGE_SIZE) -> dict[str, Any] | None:
    """One page of headings from the first whose key is >= `start`'s key; None if the backend cannot list."""
    field = HEADING_FIELDS[kind]
    terms = catalog.terms(field)
    if terms is None:
        return None
    keys = _KEYS.of(field, terms)
    wanted = key_for(kind, start) if start else ""
    position = bisect.bisect_left(keys, wanted) if wanted else 0
    if position >= len(keys) and keys:
        position = max(0, len(keys) - size)  # past the end: the last page, not an empty one
    rows = [_row(kind, terms[i], wanted) for i in range(position, min(position + size, len(terms)))]
    before = max(0, position - size)
    return {
        "kind": kind,
        "start": start,
        "rows": rows,
        "total_headings": len(terms),
        "position": position,
        "exact": bool(rows) and rows[0]["current"],
        "previous": _page_url(kind, split_heading(terms[before][0])[1]) if position > 0 else "",
        "next": _page_url(kind, split_heading(terms[position + size][0])[1]) if position + size < len(terms) else "",
    }


def _row(kind: str, entry: tuple[str, int], wanted: str) -> dict[str, Any]:
    term, count = entry
    key, display = split_heading(term)
    return {
        "heading": display,
        "count": count,
        "current": bool(wanted) and key == wanted,
        "url": "/search?" + urlencode({KINDS[kind].param: display}),
    }


def _page_url(kind: str, start: str) -> str:
    return f"/browse/{kind}?" + urlencode({"from": start})


async def browse(request: Request) -> Response:
    kind = request.path_params.get("kind", "author")
    if kind not in KINDS:
        raise HTTPException(404, f"No browse list {kind!r}: try authors, subjects or call numbers.")
    as_json = request.url.path.endswith(".json")
    start = " ".join((request.query_params.get("from") or "").split())[:MAX_FROM]
    page = await run_in_threadpool(browse_page, catalog_of(request), kind, start)
    if as_json:
        if page is None:
            return JSON({"error": {"status": 501, "message": "browse needs the embedded search engine"}}, 501)
        return JSON(page)
    context = {"kind": KINDS[kind], "kinds": KINDS.values(), "page": page, "start": start, "nav": "browse"}
    return render(request, "browse.html", context, status_code=200 if page is not None else 501)
