"""Profiles → counts ("cells"), kept as deltas so that an index run only adds what changed.

A cell is one number the pages show, keyed by a small tuple:

- ``("t", scope, k, online)``: titles held by exactly ``k`` members (``scope`` = a library code, or
  ``"*"`` for the consortium), ``online`` 1 when also in a configured digital collection;
- ``("d", scope, dimension, value, k)``: the same by format, decade, language, LC or Dewey class
  (``value`` "" = not known);
- ``("p", a, b)``: titles both ``a`` and ``b`` hold (``a < b``; the matrix is symmetric);
- ``("i", library)`` items counted at item level, ``("it", library)`` titles with item data.

A cell depends on who holds a title and on one value of it, never on two values at once, so a
title is counted once per value under its holder set (``("LA", "LB"), "format", "Book"``): five or
six dictionary updates per title. Each distinct holder set and value is then expanded into its cells
once; at a million titles that is a few thousand expansions instead of thirty million updates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from indexer.analytics.profile import TitleProfile

CONSORTIUM = "*"
DIMENSIONS = ("format", "decade", "language", "lc", "ddc")
"""Breakdowns, in display order."""

Cell = tuple[Any, ...]


class Tally:
    """Counts of profiles by holder set and value; ``add``/``remove`` keep it in step."""

    def __init__(self) -> None:
        self.holders: Counter[tuple[tuple[str, ...], bool]] = Counter()
        self.values: Counter[tuple[tuple[str, ...], str, str]] = Counter()
        self.items: Counter[Cell] = Counter()

    def add(self, profile: TitleProfile, sign: int = 1) -> None:
        libraries = profile.libraries
        self.holders[(libraries, profile.online)] += sign
        values = self.values
        values[(libraries, "format", profile.format)] += sign
        values[(libraries, "decade", profile.decade)] += sign
        values[(libraries, "lc", profile.lc)] += sign
        values[(libraries, "ddc", profile.ddc)] += sign
        for language in profile.languages or ("",):
            values[(libraries, "language", language)] += sign
        for library, count in profile.items:
            self.items[("i", library)] += sign * count
            self.items[("it", library)] += sign

    def remove(self, profile: TitleProfile) -> None:
        self.add(profile, -1)

    def add_all(self, profiles: Iterable[TitleProfile]) -> None:
        for profile in profiles:
            self.add(profile)

    def to_json(self) -> list[Any]:
        """The counts as JSON-ready lists (a checkpoint of a long index run keeps them; `from_json`)."""
        return [[[list(libs), online, n] for (libs, online), n in self.holders.items()],
                [[list(libs), dim, value, n] for (libs, dim, value), n in self.values.items()],
                [[list(cell), n] for cell, n in self.items.items()]]

    @classmethod
    def from_json(cls, data: list[Any]) -> Tally:
        tally = cls()
        holders, values, items = data
        tally.holders.update({(tuple(libs), bool(online)): n for libs, online, n in holders})
        tally.values.update({(tuple(libs), dim, value): n for libs, dim, value, n in values})
        tally.items.update({tuple(cell): n for cell, n in items})
        return tally

    def cells(self) -> Counter[Cell]:
        """Every cell this tally contributes (negative where it is a removal), zeros dropped."""
        out: Counter[Cell] = Counter()
        for (libraries, online), count in self.holders.items():
            if count:
                k = len(libraries)
                for scope in (CONSORTIUM, *libraries):
                    out[("t", scope, k, int(online))] += count
                for a, b in combinations(libraries, 2):
                    out[("p", a, b)] += count
        for (libraries, dimension, value), count in self.values.items():
            if count:
                k = len(libraries)
                for scope in (CONSORTIUM, *libraries):
                    out[("d", scope, dimension, value, k)] += count
        out.update(self.items)
        return Counter({cell: n for cell, n in out.items() if n})
