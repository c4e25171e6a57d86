"""What the public sees of the catalog: every merged record without the values the hidden-field rules
cover, no raw records, and partner feed errors without internal paths or redirect targets.

Views reach the catalog through `search_ui.views.common.catalog_of`, which hands anyone but signed-in
staff a `PublicCatalog`: so the record page, its JSON, the exports, OAI-PMH, SRU and the feeds all read
the same withheld records, and a new public surface cannot forget the filter.

What is withheld from a record: notes, alternate-script texts and holding notes that are (or contain)
a hidden value, holding barcodes that are one, and any other text field equal to one. The holdings
statement (library, location, call number, status, copies) stays even when a library sends it in 9XX
item fields: publishing it is what the catalog is for; the item's barcode, price and notes are not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any, cast

from harvester.errors import RecordRejected
from harvester.marc.files import read_record
from harvester.marc.raw_view import MARC_FORMATS
from harvester.record import Holding, Record
from search_ui.staff.hidden import HiddenFields

if TYPE_CHECKING:
    from harvester.store import StoredRecord
    from indexer.catalog import Catalog
    from indexer.merge import MergedRecord

CONTAINED_MIN = 8
"""A hidden value at least this long withholds any note that contains it (shorter ones only when the
note is exactly that value: "Gift" must not withhold every note mentioning a gift)."""
_KEEP = frozenset({"id", "source_id", "local_id", "kind", "parent_local_id", "leader", "format"})
_TEXT_FIELDS = tuple(f.name for f in fields(Record) if f.name not in _KEEP)


class PublicCatalog:
    """A `Catalog` as the public may read it: records withheld per the rules, raw records not at all.

    Everything else is the catalog's own method (``__getattr__``), so search, facets, status and
    the OAI change log work unchanged.
    """

    def __init__(self, catalog: Catalog, hidden: HiddenFields) -> None:
        self._catalog = catalog
        self._hidden = hidden

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    def record(self, cluster_id: str) -> MergedRecord | None:
        merged = self._catalog.record(cluster_id)
        return self.withhold(merged) if merged is not None else None

    def versions(self, cluster_id: str) -> list[MergedRecord]:
        return [self.withhold(m) for m in self._catalog.versions(cluster_id)]

    def merged(self, clusters: Sequence[tuple[str, Sequence[str]]]) -> list[MergedRecord]:
        return [self.withhold(m) for m in self._catalog.merged(clusters)]

    def stored(self, record_id: str) -> StoredRecord | None:
        """Raw records are for signed-in staff only."""
        return None

    def withhold(self, merged: MergedRecord) -> MergedRecord:
        values: set[str] = set()
        for member in merged.members:
            values |= hidden_values(self._catalog.stored(member.record_id), self._hidden)
        return withhold(merged, frozenset(values)) if values else merged


def public_catalog(catalog: Catalog, hidden: HiddenFields) -> Catalog:
    """``catalog`` behind a `PublicCatalog` (typed as the catalog it stands in for)."""
    return cast("Catalog", PublicCatalog(catalog, hidden))


def hidden_values(stored: StoredRecord | None, hidden: HiddenFields) -> frozenset[str]:
    """The texts the rules hide in one stored record (nothing for Dublin Core / MODS payloads)."""
    if stored is None or stored.raw_format not in MARC_FORMATS:
        return frozenset()
    try:
        marc, _ = read_record(stored.raw, stored.raw_format)
    except RecordRejected:
        return frozenset()
    return hidden.values(marc)


def withhold(merged: MergedRecord, values: frozenset[str]) -> MergedRecord:
    """``merged`` without the hidden ``values`` (see the module docstring for what goes)."""
    record = merged.record
    changes: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        if isinstance(value, str) and value and _squash(value) in values:
            changes[name] = ""
        elif isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            test = _mentions if name == "notes" else _equals
            changes[name] = tuple(v for v in value if not test(v, values))
    changes["alternate_scripts"] = tuple(a for a in record.alternate_scripts if not _mentions(a.text, values))
    changes["holdings"] = tuple(_holding(h, values) for h in record.holdings)
    return replace(merged, record=replace(record, **changes))


def _holding(holding: Holding, values: frozenset[str]) -> Holding:
    return replace(holding, barcode="" if _equals(holding.barcode, values) else holding.barcode,
                   note="" if _mentions(holding.note, values) else holding.note)


def _equals(text: str, values: frozenset[str]) -> bool:
    return bool(text) and _squash(text) in values


def _mentions(text: str, values: frozenset[str]) -> bool:
    if not text:
        return False
    text = _squash(text)
    return text in values or any(len(v) >= CONTAINED_MIN and v in text for v in values)


def _squash(text: str) -> str:
    return " ".join(text.split())


_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://([^/\s'\"<>]+)[^\s'\"<>]*", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w.:/])(?:[A-Za-z]:\\|/)(?:[^\s/\\'\"<>]+[/\\])+(?=[^\s/\\'\"<>])")


WITHHELD = "[address withheld]"


def public_text(text: str, known_hosts: frozenset[str] = frozenset()) -> str:
    """A harvest message as partners may read it: file paths cut to the file's name; an address on a
    configured source's host cut to that host ("http://oai.partner.example/…"), any other address (a
    redirect target, an internal server) withheld."""
    def address(match: re.Match[str]) -> str:
        host = match.group(1)
        return f"{match.group(0).split('://')[0]}://{host}/…" if host.lower() in known_hosts else WITHHELD

    return _PATH.sub("", _URL.sub(address, text))


def public_status(value: Any, known_hosts: frozenset[str] = frozenset()) -> Any:
    """`public_text` applied to every string of a nested status (the partners page rows)."""
    if isinstance(value, str):
        return public_text(value, known_hosts)
    if isinstance(value, dict):
        return {key: public_status(item, known_hosts) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [public_status(item, known_hosts) for item in value]
    return value
