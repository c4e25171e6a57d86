"""The JSON a record is stored as: the standard library's compact form, written by orjson.

``json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":"))`` is the store's format;
orjson writes exactly those bytes for what a record holds (strings, ints, tuples, dicts, booleans,
None) in a third of the time (the encoding was ~8% of a record's ingest). Whatever orjson refuses (a
lone surrogate, an int beyond 64 bits, a non-string key) goes the standard library's way, so the output
never differs; `tests/harvester/test_ingest_speedups.py` holds the two side by side on real records.

`record_json` does not even build the nested dicts: orjson writes a (slotted) dataclass as the dict of
its fields in declaration order, which is exactly what `Record.to_dict` makes of the authors, subjects,
links, scripts and holdings, so only the top level (where `repairs` and `id_origin` are left out when
empty and go last when set) is a dict.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from harvester.record import _RECORD_AS_DICT, Record

# the standard library's encoder built once; a record's dict never holds itself: no circularity check
_stdlib_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def to_json(value: dict[str, Any]) -> str:
    """``value`` as the store's compact JSON text."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError: refused, the standard library writes it
        return _stdlib_json(value)


def record_json(record: Record) -> str:
    """A record's stored JSON: `to_json` of `Record.to_dict`, with the nested items left to orjson."""
    top = _RECORD_AS_DICT(record)
    if record.repairs:
        top["repairs"] = record.repairs
    if record.id_origin:
        top["id_origin"] = record.id_origin
    try:
        return orjson.dumps(top).decode()
    except TypeError:  # refused somewhere inside: the plain dicts, the standard library's way
        return _stdlib_json(record.to_dict())
