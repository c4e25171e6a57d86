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

`record_from_json` is the way back, for the indexer's two readers of millions of stored records (the
clusterer, which drops the fields no matcher reads, and the merge).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import fields
from typing import Any

import orjson

from harvester.record import _NESTED, _RECORD_AS_DICT, Record

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


def record_from_json(text: str, drop: Collection[str] = ()) -> Record:
    """``Record.from_dict(json.loads(text))``, the same record in about two thirds of the time (decoding
    the members' JSON was a third of a full index run's merge): orjson parses (the standard library
    when it refuses, e.g. an integer beyond 64 bits), every list becomes a tuple in one pass, and the
    nested items are built by one constructor each, as `Record.from_dict` does field by field.

    The fields named in ``drop`` are left at their defaults without being built (the clusterer's
    records need no holdings, which are most of a big record's size)."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        data = json.loads(text)
    for name in drop:
        data.pop(name, None)
    values: dict[str, Any] = {k: tuple(v) if v.__class__ is list else v for k, v in data.items()}
    for name, make in _ITEM_MAKERS:
        items = values.get(name)
        if items:
            values[name] = tuple([make(item) for item in items])
    if not values.keys() <= _KNOWN:  # keys this version does not know are ignored, as by from_dict
        values = {k: v for k, v in values.items() if k in _KNOWN}
    return Record(**values)


def _item_maker(cls: type) -> Callable[[dict[str, Any]], Any]:
    """A constructor of ``cls`` from its stored dict, its lists made tuples as `Record.from_dict` does:
    the fields declared as tuples directly, any other list (never written by `record_json`) through
    the general pass, so the result is the same either way."""
    declared = tuple(f.name for f in fields(cls) if str(f.type).startswith("tuple"))

    def make(item: dict[str, Any]) -> Any:
        for name in declared:
            value = item.get(name)
            if value.__class__ is list:
                item[name] = tuple(value)
        if list in map(type, item.values()):
            item = {k: tuple(v) if v.__class__ is list else v for k, v in item.items()}
        return cls(**item)
    return make


_KNOWN = frozenset(f.name for f in fields(Record))
_ITEM_MAKERS = tuple((name, _item_maker(cls)) for name, cls in _NESTED.items())
