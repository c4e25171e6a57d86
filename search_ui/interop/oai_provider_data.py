"""What the OAI-PMH provider publishes: the merged catalog as items with datestamps, sets and deletions.

An item is a cluster (one merged record per item, with every library's holdings), identified by its
permanent cluster id, datestamped by the time the cluster last changed (`ClusterStore`'s
``updated_at``). A cluster retired by re-clustering (merged into another, or all its records deleted)
stays listed as a deleted item for good (``deletedRecord=persistent``), datestamped by its retirement.

Sets: ``library:<code>`` per member library (the library of a member record's source) and
``format:<code>`` per format of the merged record, under the two parent sets ``library`` and ``format``.
The store pre-selects a library's clusters; membership is then checked on each item itself, and a
format only there, because only the merge decides which member's format the item carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harvester.record import FORMATS
from indexer.dedup.cluster_changes import ClusterChange
from indexer.labels import format_label
from indexer.merge import MergedRecord

if TYPE_CHECKING:
    from indexer.catalog import Catalog

LIBRARY_SET = "library"
FORMAT_SET = "format"
_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!*'()")
MAX_BATCHES = 200
"""Store batches read for one page at most (a rare format over a huge catalog could otherwise scan on)."""
FORMAT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Item:
    """One published item: a live merged record, or the header of a deleted one."""

    id: str  # cluster id
    stamp: float
    merged: MergedRecord | None  # None: deleted
    sets: tuple[str, ...]

    @property
    def deleted(self) -> bool:
        return self.merged is None


@dataclass(frozen=True, slots=True)
class Selection:
    """A list request's bounds: datestamps (start inclusive, end exclusive) and an optional set."""

    start: float | None = None
    end: float | None = None
    set_spec: str = ""


def set_part(value: str) -> str:
    """A library or format code as a setSpec part (the spec allows only a few characters; ``~XX`` escapes)."""
    return "".join(c if c in _SAFE else "".join(f"~{b:02X}" for b in c.encode()) for c in value)


def unset_part(part: str) -> str:
    """`set_part` reversed (a part that is not a valid escape is taken literally)."""
    raw = bytearray()
    i = 0
    while i < len(part):
        if part[i] == "~" and _is_hex(part[i + 1 : i + 3]):
            raw.append(int(part[i + 1 : i + 3], 16))
            i += 3
        else:
            raw += part[i].encode()
            i += 1
    return raw.decode("utf-8", errors="replace")


def _is_hex(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789ABCDEFabcdef" for c in text)


class CatalogItems:
    """The provider's view of one catalog: pages of items in datestamp order, single items, sets."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.log = catalog.changes()

    def earliest(self) -> float | None:
        return self.log.earliest()

    def sets(self) -> list[tuple[str, str]]:
        """(setSpec, setName) of every set, parents first, then libraries by code, then formats."""
        libraries = sorted({code: name for code, name in self.catalog.libraries().values() if code}.items())
        if not libraries:
            return []  # nothing harvested yet: no set hierarchy to speak of
        found = [(LIBRARY_SET, "Member libraries"), (FORMAT_SET, "Formats")]
        found += [(f"{LIBRARY_SET}:{set_part(code)}", name or code) for code, name in libraries]
        found += [(f"{FORMAT_SET}:{set_part(code)}", format_label(code)) for code in FORMATS]
        return found

    def known_set(self, set_spec: str) -> bool:
        return any(spec == set_spec for spec, _ in self.sets())

    def item(self, cluster_id: str) -> Item | None:
        """The item with this cluster id: live, deleted (retired), or None when never published."""
        stamp = self.log.stamp(cluster_id)
        if stamp is not None:
            return self._items([(cluster_id, stamp)])[0]
        retired = self.log.retired(cluster_id)
        return _deleted(retired) if retired is not None else None

    def count(self, selection: Selection) -> int | None:
        """How many items the selection holds (None for a format set: only the merge can tell)."""
        library, fmt = _filters(selection.set_spec)
        if fmt:
            return None
        return self.log.count(selection.start, selection.end, library=library)

    def page(self, selection: Selection, after: tuple[float, str],
             limit: int) -> tuple[list[Item], tuple[float, str] | None]:
        """Up to ``limit`` items after the keyset position ``after``, and where the next page starts
        (None when nothing follows). A format set is checked item by item, so a rare format may take a
        bounded number of store batches per page; the position then resumes where the reading stopped."""
        library, fmt = _filters(selection.set_spec)
        batch = limit + 1 if not fmt else max(limit + 1, FORMAT_BATCH)
        found: list[Item] = []
        position = after
        for _ in range(MAX_BATCHES):
            rows = self.log.changes(selection.start, selection.end, position, batch, library=library)
            merged = {item.id: item for item in self._items([(r.id, r.stamp) for r in rows if not r.deleted])}
            for row in rows:
                item = merged[row.id] if not row.deleted else _deleted(row)
                if _selected(item, library, fmt):
                    if len(found) == limit:
                        return found, position
                    found.append(item)
                position = (row.stamp, row.id)
            if len(rows) < batch:
                return found, None
        return found, position

    def _items(self, clusters: Sequence[tuple[str, float]]) -> list[Item]:
        members = self.log.members_of([cluster_id for cluster_id, _ in clusters])
        merged = {m.id: m for m in self.catalog.merged([(c, members.get(c, [])) for c, _ in clusters])}
        return [_live(cluster_id, stamp, merged.get(cluster_id)) for cluster_id, stamp in clusters]


def _live(cluster_id: str, stamp: float, merged: MergedRecord | None) -> Item:
    """A live cluster's item; one whose members were all deleted since clustering reads as deleted."""
    if merged is None:
        return Item(cluster_id, stamp, None, ())
    specs = [LIBRARY_SET, FORMAT_SET]
    specs += sorted({f"{LIBRARY_SET}:{set_part(m.library_code)}" for m in merged.members if m.library_code})
    specs.append(f"{FORMAT_SET}:{set_part(merged.record.format)}")
    return Item(cluster_id, stamp, merged, tuple(specs))


def _deleted(change: ClusterChange) -> Item:
    specs = [LIBRARY_SET, FORMAT_SET]
    specs += sorted(f"{LIBRARY_SET}:{set_part(code)}" for code in change.libraries)
    specs += sorted(f"{FORMAT_SET}:{set_part(code)}" for code in change.formats)
    return Item(change.id, change.stamp, None, tuple(specs))


def _selected(item: Item, library: str, fmt: str) -> bool:
    """Is the item in the set? Checked on the item itself, whatever the store pre-selected."""
    if library and f"{LIBRARY_SET}:{set_part(library)}" not in item.sets:
        return False
    return not fmt or f"{FORMAT_SET}:{set_part(fmt)}" in item.sets


def _filters(set_spec: str) -> tuple[str, str]:
    """(library code, format code) a setSpec selects; a parent set (or none) selects everything."""
    top, _, part = set_spec.partition(":")
    if not part:
        return "", ""
    return (unset_part(part), "") if top == LIBRARY_SET else ("", unset_part(part))
