"""Browse lists: authors, subjects and call numbers in alphabetical (shelf) order, with counts, paging
and "jump to" a heading; each heading links to its items. ``/browse/{kind}`` and its ``.json`` twin.

The list is the index's own heading terms ("<key>\\x1f<display>", `analysis.heading_term`), so no second
store can drift from the search results: a heading's count is the number of items the link finds.
Paging is by position in the sorted list (the backend's heading table, decoded once per index
commit; a jump is a binary search in it, no key list is built); the URL names
the heading a page starts at (``?from=Melville``), so pages are bookmarkable and work without JavaScript.
"""

from __future__ import annotations

import bisect
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


def _key_of(entry: tuple[str, int]) -> str:
    return split_heading(entry[0])[0]


def browse_page(catalog: Any, kind: str, start: str, size: int = PAGE_SIZE) -> dict[str, Any] | None:
    """One page of headings from the first whose key is >= `start`'s key; None if the backend cannot list."""
    field = HEADING_FIELDS[kind]
    terms = catalog.terms(field)
    if terms is None:
        return None
    wanted = key_for(kind, start) if start else ""
    # keys are folded words (no character below the separator), so term order is key order
    position = bisect.bisect_left(terms, wanted, key=_key_of) if wanted else 0
    if position >= len(terms) and terms:
        position = max(0, len(terms) - size)  # past the end: the last page, not an empty one
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
