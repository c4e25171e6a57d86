"""Profiles → counts ("cells"), kept as deltas so that an index run only adds what changed.

A cell is one number the pages show, keyed by a small tuple:

- ``("t", scope, k, online)``: titles held by exactly ``k`` members (``scope`` = a library code, or
  ``"*"`` for the consortium), ``online`` 1 when also in a configured digital collection;
- ``("d", scope, dimension, value, k)``: the same by format, decade, language, LC or Dewey class
  (``value`` "" = not known);
- ``("p", a, b)``: titles both ``a`` and ``b`` hold (``a < b``; the matrix is symmetric);
- ``("i", library)`` items counted at item level, ``("it", library)`` titles with item data.

Titles with equal signatures contribute alike, so profiles are first counted by signature (one dict
update per title) and each distinct signature is expanded into its cells once: at a million titles
that is a few hundred thousand expansions instead of thirty million counter updates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import combinations
from typing import Any

from indexer.analytics.profile import TitleProfile

CONSORTIUM = "*"
DIMENSIONS = ("format", "decade", "language", "lc", "ddc")
"""Breakdowns, in display order."""

Cell = tuple[Any, ...]


class Tally:
    """Signature and item counts of a set of profiles; ``add``/``remove`` keep it in step."""

    def __init__(self) -> None:
        self.signatures: Counter[tuple[Any, ...]] = Counter()
        self.items: Counter[Cell] = Counter()

    def add(self, profile: TitleProfile, sign: int = 1) -> None:
        self.signatures[profile.signature()] += sign
        for library, count in profile.items:
            self.items[("i", library)] += sign * count
            self.items[("it", library)] += sign

    def remove(self, profile: TitleProfile) -> None:
        self.add(profile, -1)

    def add_all(self, profiles: Iterable[TitleProfile]) -> None:
        for profile in profiles:
            self.add(profile)

    def cells(self) -> Counter[Cell]:
        """Every cell this tally contributes (negative where it is a removal), zeros dropped."""
        out: Counter[Cell] = Counter()
        for signature, count in self.signatures.items():
            if count:
                for cell in expand(signature):
                    out[cell] += count
        for cell, count in self.items.items():
            out[cell] += count
        return Counter({cell: n for cell, n in out.items() if n})


def expand(signature: tuple[Any, ...]) -> Iterator[Cell]:
    """The cells one title of this signature counts in."""
    libraries, online, fmt, decade, languages, lc, ddc = signature
    k = len(libraries)
    values = {"format": (fmt,), "decade": (decade,), "language": languages or ("",), "lc": (lc,), "ddc": (ddc,)}
    for scope in (CONSORTIUM, *libraries):
        yield ("t", scope, k, int(online))
        for dimension in DIMENSIONS:
            for value in values[dimension]:
                yield ("d", scope, dimension, value, k)
    for a, b in combinations(libraries, 2):
        yield ("p", a, b)
