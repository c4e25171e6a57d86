"""One title's analytics profile: who holds it, what it is, how many items — all the figures need.

A profile is derived from a merged record (`indexer.merge.MergedRecord`) as it streams past the index
run, so the analytics never re-read the record store. It keeps only what the figures are broken down
by, so the whole consortium's profiles are small enough to keep in the store and aggregate quickly.

- ``libraries``: member library codes holding the title (a configured digital collection is not a
  member: it only sets ``online``), sorted, distinct;
- ``format``, ``decade``, ``languages``, ``lc``, ``ddc``: the values the search facets use, so every
  count can link to the search listing the same titles;
- ``items``: per library, the items counted from item-level holdings (``Holding.kind == "item"``: an
  item field such as 949/999/945/952, its ``copies`` when the source counts them, else one); a library
  whose feed only says "held" (852 summaries, bare records) has no entry, and the pages say "no item
  data" rather than guess a copy count.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from harvester.record import Holding
from indexer.analytics.classes import ddc_label, lc_label, top_classes
from indexer.labels import format_label, language_name
from indexer.merge import MergedRecord

TITLE_CHARS = 300


@dataclass(frozen=True, slots=True)
class TitleProfile:
    """What the analytics know about one cluster."""

    cluster_id: str
    libraries: tuple[str, ...]
    online: bool = False
    format: str = ""
    decade: str = ""
    languages: tuple[str, ...] = ()
    lc: str = ""
    ddc: str = ""
    items: tuple[tuple[str, int], ...] = ()
    title: str = ""  # for CSV lists only; not part of any count

    @property
    def held_by(self) -> int:
        return len(self.libraries)


def profile_of(merged: MergedRecord, digital_sources: Collection[str] = ()) -> TitleProfile:
    """The profile of one merged record; members from ``digital_sources`` make it ``online`` only."""
    record = merged.record
    members = [m for m in merged.members if m.source_id not in digital_sources]
    libraries = tuple(sorted({m.library_code for m in members if m.library_code}))
    online = len(members) < len(merged.members)
    lc, ddc = top_classes(record.classification)
    return TitleProfile(
        cluster_id=merged.id,
        libraries=libraries,
        online=online,
        format=format_label(record.format),
        decade=f"{record.year // 10 * 10}s" if record.year else "",
        languages=tuple(dict.fromkeys(n for n in (language_name(c) for c in record.languages) if n)),
        lc=lc_label(lc),
        ddc=ddc_label(ddc),
        items=_items(record.holdings, set(libraries)),
        title=record.full_title[:TITLE_CHARS],
    )


def held_by_count(merged: MergedRecord, digital_sources: Collection[str] = ()) -> int:
    """Member libraries holding the title (the ``held_by_count`` search field)."""
    return len({m.library_code for m in merged.members if m.source_id not in digital_sources and m.library_code})


def is_item(holding: Holding) -> bool:
    """A holding read from an item field (``Holding.kind == "item"``), not a location summary or a bare
    "held": only those are items to count (`harvester.marc.holdings` decides the kind)."""
    return holding.kind == "item"


def _items(holdings: tuple[Holding, ...], members: set[str]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for holding in holdings:
        if holding.library_code in members and is_item(holding):
            counts[holding.library_code] = counts.get(holding.library_code, 0) + (holding.copies or 1)
    return tuple(sorted(counts.items()))
