"""Where each number leads: the search listing exactly the titles it counts, and its CSV list.

Search filters are facet values (`indexer.search.schema`): ``held_by_count`` (members holding the
title; several values are OR-ed, so "at most 2" is ``held_by_count=1&held_by_count=2``), ``library``
(display name), ``format``, ``decade``, ``language`` and ``classification``. Facet values of one
field are OR-ed, so "held by A *and* B" is written in the query language instead, as
``held_by:A held_by:B`` (library codes, matched exactly). A count of titles with no value ("decade
unknown") has no search filter; its CSV list (`titles_url`) still lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

FACET_OF = {"format": "format", "decade": "decade", "language": "language", "lc": "classification",
            "ddc": "classification"}
"""Breakdown dimension → the search facet carrying the same values."""


def search_url(library: str = "", held_by: Sequence[int] = (), dimension: str = "", value: str = "",
               all_of: Sequence[str] = ()) -> str | None:
    """The search for these titles, or None when a part cannot be expressed as a filter."""
    if dimension and not value:
        return None
    params: list[tuple[str, str]] = []
    if all_of:
        params.append(("q", " ".join(f"held_by:{code}" for code in all_of)))
    if library:
        params.append(("library", library))
    params += [("held_by_count", str(k)) for k in held_by]
    if dimension:
        params.append((FACET_OF[dimension], value))
    return "/search?" + urlencode(params)


def titles_url(scope: str = "", held_by: Sequence[int] = (), dimension: str = "", value: str | None = None,
               with_library: str = "", online: bool = False) -> str:
    """The analytics' own CSV list of the same titles (covers "unknown" values too)."""
    params: list[tuple[str, str]] = []
    if scope:
        params.append(("library", scope))
    params += [("held_by", str(k)) for k in held_by]
    if dimension:
        params += [("dimension", dimension), ("value", value or "")]
    if with_library:
        params.append(("with", with_library))
    if online:
        params.append(("online", "1"))
    return "/analytics/titles.csv?" + urlencode(params)
