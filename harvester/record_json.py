"""The JSON a record is stored as: the standard library's compact form, written by orjson.

``json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":"))`` is the store's format;
orjson writes exactly those bytes for what a record holds (strings, ints, tuples, dicts, booleans,
None) in a third of the time (the encoding was ~8% of a record's ingest). Whatever orjson refuses (a
lone surrogate, an int beyond 64 bits, a non-string key) goes the standard library's way, so the output
never differs; `tests/harvester/test_ingest_speedups.py` holds the two side by side on real records.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from harvester.record import Record

# the standard library's encoder built once; a record's dict never holds itself: no circularity check
_stdlib_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def to_json(value: dict[str, Any]) -> str:
    """``value`` as the store's compact JSON text."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError: refused, the standard library writes it
        return _stdlib_json(value)


def record_json(record: Record) -> str:
    """A record's stored JSON (`Record.to_dict`, then `to_json`)."""
    return to_json(record.to_dict())
