"""Merged records as RIS, the tagged format every reference manager imports (EndNote, Zotero, Mendeley).

Written with `rispy` (the reader/writer the tests parse it back with). RIS is one ``TAG  - value``
per line, so a value must never contain a line break: a hostile or sloppy record with a newline in
its title would otherwise start a tag of its own. `one_line` folds every control character to a space.

    text = to_ris([merged], url_of)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import rispy

from harvester.record import Record
from indexer.merge import MergedRecord
from search_ui.interop.export_csl import is_editor, resource_links, tidy

RIS_TYPES = {
    "book": "BOOK",
    "e-book": "EBOOK",
    "serial": "JFULL",
    "e-journal": "EJOUR",
    "map": "MAP",
    "score": "MUSIC",
    "audio": "SOUND",
    "music-recording": "SOUND",
    "video": "VIDEO",
    "image": "ART",
    "manuscript": "MANSCPT",
    "computer-file": "COMP",
    "thesis": "THES",
    "article": "JOUR",
    "dataset": "DATA",
}
"""`Record.format` → RIS reference type; anything else is "GEN" (generic)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def one_line(text: str) -> str:
    """A value safe for one RIS line: control characters and line separators become one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def ris_entry(merged: MergedRecord) -> dict[str, Any]:
    """The rispy dict of one merged record (rispy's field names; `rispy.TAG_KEY_MAPPING` has the tags)."""
    record = merged.record
    entry: dict[str, Any] = {"type_of_reference": RIS_TYPES.get(record.format, "GEN"), "id": merged.id}
    entry["title"] = tidy(record.full_title) or "[No title]"
    _put(entry, "authors", [tidy(a.name) for a in record.authors if not is_editor(a)])
    _put(entry, "secondary_authors", [tidy(a.name) for a in record.authors if is_editor(a)])
    _put(entry, "year", str(record.year) if record.year else "")
    _put(entry, "publisher", tidy(record.publisher))
    _put(entry, "place_published", tidy(record.place))
    _put(entry, "edition", tidy(record.edition))
    _put(entry, "issn", "; ".join((*record.isbns, *record.issns)))
    _put(entry, "language", ", ".join(record.languages))
    _put(entry, "keywords", [s.heading for s in record.subjects])
    _put(entry, "abstract", record.summary)
    _put(entry, "notes", list(record.notes))
    _put(entry, "tertiary_title", tidy(record.series[0]) if record.series else "")
    _put(entry, "urls", resource_links(record))
    _put(entry, "call_number", _call_numbers(record))
    _put(entry, "doi", next((v.partition(":")[2] for v in record.other_ids if v.lower().startswith("doi:")), ""))
    return {key: _clean(value) for key, value in entry.items()}


class _Writer(rispy.RisWriter):  # type: ignore[misc]
    """rispy's writer without its "1." counter line before each reference (not part of RIS)."""

    def set_header(self, count: int) -> str:
        return ""


def to_ris(records: Sequence[MergedRecord]) -> str:
    """Every record as one RIS reference (``TY`` … ``ER``), in the order given."""
    return str(rispy.dumps([ris_entry(m) for m in records], implementation=_Writer))


def _call_numbers(record: Record) -> str:
    """Distinct call numbers, each with its library code ("NOR: PS2384 .M6"), as ILL staff read them."""
    seen = dict.fromkeys(f"{h.library_code}: {h.call_number}" for h in record.holdings if h.call_number)
    return "; ".join(seen)


def _clean(value: Any) -> Any:
    if isinstance(value, list):
        return [one_line(v) for v in value if one_line(v)]
    return one_line(value)


def _put(entry: dict[str, Any], key: str, value: Any) -> None:
    if value:
        entry[key] = value
