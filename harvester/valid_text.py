"""Text SQLite can store: lone surrogates found and repaired before a record reaches the store.

Python strings may hold code points UTF-8 cannot encode: the surrogates U+D800-U+DFFF. They arrive
from MARC-in-JSON (``"\\ud800"`` is valid JSON, and `json.loads` decodes the raw bytes ED A0 80 with
``surrogatepass``), from bytes decoded with ``surrogateescape`` and from non-UTF-8 file names. SQLite
refuses them, and it refuses them for the whole batch's transaction, so one bad character used to
cost a source every file after it (issue 19). Every record's stored text goes through `storable`.

Repair, not quarantine, for text: the raw bytes are stored unchanged beside the normalized record, so
replacing the character in the normalized text loses nothing the source sent, and the rest of the
record stays searchable; the record carries a repair note saying what was replaced. A surrogate pair
(CESU-8, or two escapes) becomes the character it encodes. An *identifier* is not repaired: two ids
differing only in their bad character would become one id and the records would replace each other,
so such a record is quarantined with the reason instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from harvester.errors import RecordRejected
from harvester.record import Record

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_invalid(text: str) -> bool:
    """Whether ``text`` holds a code point UTF-8 cannot encode (a surrogate). Asked by encoding, which
    fails on exactly those: ~0.2 µs for a record's JSON, where searching it with `_SURROGATE` took
    ~200 µs (as long as the rest of the record's ingest)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def valid_text(text: str) -> str:
    """``text`` with surrogate pairs joined into their character and lone surrogates as U+FFFD."""
    if not has_invalid(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def storable(record: Record, to_json: Callable[[Record], str], raw: bytes = b"") -> tuple[Record, str]:
    """The record and its JSON as they may be stored: text repaired (with a note in ``repairs``);
    `RecordRejected` when an identifier is not valid Unicode."""
    text = to_json(record)
    if not has_invalid(text):
        return record, text
    for what, value in (("record id", record.local_id), ("parent record id", record.parent_local_id)):
        if has_invalid(value or ""):
            raise RecordRejected(f"{what} is not valid Unicode (a lone surrogate, U+D800-U+DFFF): "
                                 f"{valid_text(value)!r}; an id is never guessed", raw, valid_text(value))
    count = len(_SURROGATE.findall(text))
    note = (f"text not valid Unicode: {count} surrogate code point(s) (U+D800-U+DFFF) replaced with U+FFFD "
            "or joined into the character they encode; the raw record is kept as sent")
    repaired = replace(record, repairs=(*record.repairs, note))
    return repaired, valid_text(to_json(repaired))
