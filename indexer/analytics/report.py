"""Stored counts → the figures the pages, ``.json`` and ``.csv`` show, each with the links behind it.

Everything here is arithmetic on `analytics_cells` (see `indexer.analytics.tally` for the keys): no
record is read, so a page costs the same on a thousand titles or a million.

- `overview`: the consortium — titles held, the "held by k members" distribution, per member held /
  unique / shared / items, the member × member overlap matrix (counts and row percentages), and
  each breakdown (format, decade, language, LC class, Dewey class) by k;
- `library_report`: one member — its distribution, its overlap with every other member (as a share
  of its own and of the other's holdings) and its breakdowns (held, unique);
- `retention`: titles held by at most N members, optionally only those also in a digital collection.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from indexer.analytics.links import search_url, titles_url
from indexer.analytics.tally import CONSORTIUM, DIMENSIONS, Cell

DIMENSION_LABELS = {"format": "Format", "decade": "Decade", "language": "Language",
                    "lc": "LC class (050/090)", "ddc": "Dewey class (082)"}
UNKNOWN_LABELS = {"format": "Unknown", "decade": "Year unknown", "language": "No language given",
                  "lc": "No LC class number", "ddc": "No Dewey number"}


@dataclass(frozen=True, slots=True)
class Figures:
    """The stored cells, indexed for the report functions, plus who the members are."""

    cells: Counter[Cell]
    names: Mapping[str, str]  # member library code → name (digital collections excluded)
    digital: tuple[str, ...] = ()  # library codes of digital collections
    titles: dict[tuple[str, int, int], int] = field(default_factory=dict)
    dims: dict[tuple[str, str], dict[str, Counter[int]]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def of(cls, cells: Counter[Cell], names: Mapping[str, str], digital: tuple[str, ...] = ()) -> Figures:
        figures = cls(cells, names, digital)
        dims: dict[tuple[str, str], dict[str, Counter[int]]] = defaultdict(lambda: defaultdict(Counter))
        for cell, n in cells.items():
            if cell[0] == "t":
                figures.titles[(cell[1], cell[2], cell[3])] = n
            elif cell[0] == "d":
                dims[(cell[1], cell[2])][cell[3]][cell[4]] += n
            elif cell[0] == "p":
                figures.pairs[(cell[1], cell[2])] = n
        figures.dims.update({key: dict(values) for key, values in dims.items()})
        return figures

    def libraries(self) -> list[str]:
        """Member codes, by name: those configured or seen holding something."""
        seen = {scope for scope, _, _ in self.titles if scope != CONSORTIUM}
        codes = (set(self.names) | seen) - set(self.digital)
        return sorted(codes, key=lambda code: (self.names.get(code, code).casefold(), code))

    def name(self, code: str) -> str:
        return self.names.get(code, code)

    def by_k(self, scope: str, online_only: bool = False) -> Counter[int]:
        out: Counter[int] = Counter()
        for (s, k, online), n in self.titles.items():
            if s == scope and (online or not online_only):
                out[k] += n
        return out

    def overlap(self, a: str, b: str) -> int:
        return self.pairs.get((a, b) if a < b else (b, a), 0)

    def items(self, code: str) -> tuple[int, int]:
        return self.cells.get(("i", code), 0), self.cells.get(("it", code), 0)


def pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def overview(fig: Figures) -> dict[str, Any]:
    """The consortium page's figures."""
    counts = fig.by_k(CONSORTIUM)
    held = sum(n for k, n in counts.items() if k >= 1)
    return {
        "titles": held,
        "titles_url": search_url(held_by=sorted(k for k in counts if k >= 1)),
        "online_only": counts.get(0, 0),
        "members": len(fig.libraries()),
        "distribution": _distribution(fig, CONSORTIUM, "", counts, held),
        "libraries": [_member_row(fig, code) for code in fig.libraries()],
        "matrix": matrix(fig),
        "breakdowns": {d: _breakdown(fig, CONSORTIUM, d) for d in DIMENSIONS},
    }


def _distribution(fig: Figures, scope: str, name: str, counts: Counter[int], held: int) -> list[dict[str, Any]]:
    lib = "" if scope == CONSORTIUM else scope
    return [
        {"held_by": k, "titles": counts[k], "pct": pct(counts[k], held),
         "url": search_url(library=name, held_by=[k]), "csv": titles_url(lib, [k])}
        for k in sorted(counts) if k >= 1
    ]


def _member_row(fig: Figures, code: str) -> dict[str, Any]:
    counts = fig.by_k(code)
    held = sum(counts.values())
    items, item_titles = fig.items(code)
    name = fig.name(code)
    return {
        "code": code, "name": name, "held": held, "unique": counts.get(1, 0),
        "unique_pct": pct(counts.get(1, 0), held), "shared": held - counts.get(1, 0),
        "item_count": items, "item_titles": item_titles,
        "url": search_url(library=name), "unique_url": search_url(library=name, held_by=[1]),
        "shared_url": search_url(library=name, held_by=sorted(k for k in counts if k >= 2))
        if held > counts.get(1, 0) else None,
        "unique_csv": titles_url(code, [1]), "page": f"/analytics/library/{code}",
    }


def matrix(fig: Figures) -> dict[str, Any]:
    """Member × member: titles both hold, and that as a share of the row member's holdings."""
    codes = fig.libraries()
    rows = []
    for a in codes:
        held = sum(fig.by_k(a).values())
        cells = []
        for b in codes:
            count = held if a == b else fig.overlap(a, b)
            cells.append({"with": b, "count": count, "pct": pct(count, held),
                          "url": search_url(all_of=[a] if a == b else [a, b]) if count else None})
        rows.append({"code": a, "name": fig.name(a), "held": held, "cells": cells})
    return {"codes": codes, "names": [fig.name(c) for c in codes], "rows": rows}


def _breakdown(fig: Figures, scope: str, dimension: str) -> dict[str, Any]:
    values = fig.dims.get((scope, dimension), {})
    lib = "" if scope == CONSORTIUM else scope
    name = "" if scope == CONSORTIUM else fig.name(scope)
    rows = []
    for value, counts in sorted(values.items(), key=lambda item: (-sum(item[1].values()), item[0])):
        total = sum(counts.values())
        rows.append({
            "value": value, "label": value or UNKNOWN_LABELS[dimension], "titles": total,
            "unique": counts.get(1, 0), "unique_pct": pct(counts.get(1, 0), total),
            "by_k": {str(k): counts[k] for k in sorted(counts)},
            "url": search_url(library=name, dimension=dimension, value=value,
                              held_by=[] if scope != CONSORTIUM else sorted(k for k in counts if k >= 1)),
            "unique_url": search_url(library=name, held_by=[1], dimension=dimension, value=value),
            "csv": titles_url(lib, (), dimension, value),
        })
    return {"dimension": dimension, "label": DIMENSION_LABELS[dimension], "rows": rows}


def library_report(fig: Figures, code: str) -> dict[str, Any] | None:
    """One member's page; None for a code that is not a member."""
    if code not in fig.libraries():
        return None
    counts = fig.by_k(code)
    row = _member_row(fig, code)
    overlap = []
    for other in fig.libraries():
        if other == code:
            continue
        count = fig.overlap(code, other)
        theirs = sum(fig.by_k(other).values())
        overlap.append({"code": other, "name": fig.name(other), "count": count,
                        "pct_of_mine": pct(count, row["held"]), "pct_of_theirs": pct(count, theirs),
                        "url": search_url(all_of=[code, other]) if count else None,
                        "csv": titles_url(code, with_library=other)})
    return {
        **row,
        "distribution": _distribution(fig, code, row["name"], counts, row["held"]),
        "overlap": overlap,
        "breakdowns": {d: _breakdown(fig, code, d) for d in DIMENSIONS},
    }


def retention(fig: Figures, at_most: int, online: bool) -> dict[str, Any]:
    """Titles held by 1..``at_most`` members (only those also online, if asked), per member and in all."""
    ks = list(range(1, max(1, at_most) + 1))
    online_q = list(fig.digital[:1]) if online else []
    rows = []
    for code in fig.libraries():
        counts = fig.by_k(code, online_only=online)
        name = fig.name(code)
        rows.append({"code": code, "name": name, "titles": sum(counts.get(k, 0) for k in ks),
                     "held": sum(fig.by_k(code).values()),
                     "url": search_url(library=name, held_by=ks, all_of=online_q),
                     "csv": titles_url(code, ks, online=online)})
    total = fig.by_k(CONSORTIUM, online_only=online)
    return {
        "at_most": at_most, "online": online, "digital": list(fig.digital),
        "digital_names": [fig.names.get(c, c) for c in fig.digital],
        "titles": sum(total.get(k, 0) for k in ks),
        "url": search_url(held_by=ks, all_of=online_q), "csv": titles_url("", ks, online=online),
        "libraries": rows,
    }
