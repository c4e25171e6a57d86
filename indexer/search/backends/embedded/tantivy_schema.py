"""The embedded engine's tantivy schema, built from `indexer.search.schema`, and the conversion of
index documents to and from tantivy documents (exact copies, facet slot columns, the sortable year).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import orjson
import tantivy

from indexer.search.analysis import (
    _ANALYZERS,
    DERIVED_FIELDS,
    FOLDED,
    MAX_TOKEN_CHARS,
    RAW,
    STEMMED,
    derived_text,
    exact_copy,
    nfc,
    normalize_identifier,
)
from indexer.search.backends.embedded.facets import FACET_SLOTS, MORE_FIELD, NO_VALUE, SLOTTED, more_field, slot_fields
from indexer.search.backends.embedded.ranking import ID_ORDER, id_order_key
from indexer.search.headings import KIND_OF_FIELD
from indexer.search.schema import FIELDS


def register_analyzers(index: tantivy.Index) -> None:
    """Register unioncat's analyzers on an index; tantivy forgets them, so call this on EVERY open."""
    for name, analyzer in _ANALYZERS.items():
        index.register_tokenizer(name, analyzer)


YEAR_ASC = "year_asc"
"""Internal fast field for "oldest first": tantivy sorts a missing value first in ascending order."""
NO_YEAR = 99999


def build_schema() -> tantivy.Schema:
    """The embedded schema, derived from `indexer.search.schema.FIELDS` (plus the copies described above)."""
    builder = tantivy.SchemaBuilder()
    for field in FIELDS:
        if field.kind == "text":
            builder.add_text_field(field.name, stored=field.name not in DERIVED_FIELDS, tokenizer_name=STEMMED)
        elif field.kind in ("keyword", "identifier"):
            # facets count, title sorts and short autocomplete prefixes (headings.KIND_OF_FIELD) on fast fields
            fast = field.facet or field.name == "title_sort" or field.name in KIND_OF_FIELD
            builder.add_text_field(field.name, stored=True, tokenizer_name=RAW, fast=fast)
        elif field.kind == "int":
            builder.add_integer_field(field.name, stored=True, indexed=True, fast=True)
        elif field.kind == "stored":
            builder.add_bytes_field(field.name, stored=True, indexed=False)
        else:  # pragma: no cover - schema.py and this function change together
            raise ValueError(f"unknown field kind {field.kind!r} for {field.name}")
        copy = exact_copy(field)
        if copy:
            builder.add_text_field(copy, stored=False, tokenizer_name=FOLDED)
        if field.name in SLOTTED:
            for slot in (*slot_fields(field.name), more_field(field.name)):
                builder.add_text_field(slot, stored=False, tokenizer_name=RAW, index_option="basic", fast=True)
    builder.add_text_field(MORE_FIELD, stored=False, tokenizer_name=RAW, index_option="basic")
    builder.add_integer_field(YEAR_ASC, stored=False, indexed=False, fast=True)
    builder.add_unsigned_field(ID_ORDER, stored=False, indexed=False, fast=True)  # the tie-break (ranking)
    return builder.build()


def schema_fingerprint() -> str:
    """Changes whenever the embedded schema or analysis changes: an index built otherwise needs a rebuild."""
    plan: list[tuple[Any, ...]] = [(f.name, f.kind, f.multi, f.facet, exact_copy(f)) for f in FIELDS]
    plan.append(("analysis", STEMMED, FOLDED, MAX_TOKEN_CHARS, YEAR_ASC, ID_ORDER))
    plan.append(("slots", sorted(FACET_SLOTS.items()), NO_VALUE, MORE_FIELD))
    return hashlib.sha256(json.dumps(plan).encode()).hexdigest()[:16]


_PLAN = tuple((f.name, f.kind, exact_copy(f)) for f in FIELDS if f.name not in DERIVED_FIELDS)
_SLOTS = tuple((name, slot_fields(name), more_field(name)) for name in SLOTTED)
_SCHEMA = build_schema()
_BYTES_FIELDS = tuple(f.name for f in FIELDS if f.kind == "stored")
_STORED_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
"""``json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)``, the encoder built once
(`json.dumps` with options builds a new one per call)."""


def to_tantivy(doc: Mapping[str, Any]) -> tantivy.Document:
    """An index document (dict keyed by `FIELDS` names) → a tantivy document; needs a non-empty ``id``.

    Built as one dict handed to `Document.from_dict`: a single call into tantivy per document is about
    three times faster than one `add_text` per value, and conversion dominates the index build time.
    """
    return tantivy.Document.from_dict(tantivy_fields(doc), _SCHEMA)


def to_json(doc: Mapping[str, Any]) -> str:
    """An index document as the JSON text `IndexWriter.add_json` takes: the same fields and values as
    `to_tantivy` (bytes fields base64-encoded, as tantivy reads them), in a form that crosses a process
    boundary as one string; a full index run encodes in its worker processes and the writer parses the
    text in Rust (a third less time in the writing process than `Document.from_dict`)."""
    fields = tantivy_fields(doc)
    for name in _BYTES_FIELDS:
        if name in fields:
            fields[name] = base64.b64encode(fields[name]).decode("ascii")
    return orjson.dumps(fields).decode()


def tantivy_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The field → values dict of an index document's tantivy document (see `to_tantivy`)."""
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError(f"index document without an id: {str(doc)[:200]}")
    out: dict[str, Any] = {}
    for name, kind, copy in _PLAN:
        value = doc.get(name)
        if not value and (value is None or value == "" or value == []):
            continue
        if kind == "stored":
            out[name] = _STORED_JSON(value).encode("utf-8")
            continue
        if isinstance(value, list | tuple):  # a document's lists rarely hold blanks: copied only then
            values = [v for v in value if v is not None and v != ""] if None in value or "" in value else value
        else:
            values = [value]
        if not values:
            continue
        if kind == "int":
            out[name] = [int(v) for v in values]
            continue
        # ASCII text is composed already: `nfc` only for the rest (the same texts, a tenth of the calls)
        texts = [v if v.__class__ is str and v.isascii() else nfc(str(v)) for v in values]
        if kind == "identifier":
            texts = [normalize_identifier(name, t) for t in texts]
        out[name] = texts
        if copy:
            out[copy] = texts
    for name, text in derived_text(doc).items():
        out[name] = [text]
    more: list[str] = []
    for name, slots, overflow in _SLOTS:
        unique = list(dict.fromkeys(out.get(name, ())))
        for i, slot in enumerate(slots):
            out[slot] = [unique[i] if i < len(unique) else NO_VALUE]
        if len(unique) > len(slots):
            out[overflow] = unique[len(slots) :]
            more.append(name)
    if more:
        out[MORE_FIELD] = more
    year = doc.get("year")
    out[YEAR_ASC] = int(year) if isinstance(year, int) else NO_YEAR
    out[ID_ORDER] = id_order_key(doc_id)
    return out


def from_tantivy(stored: Mapping[str, list[Any]]) -> dict[str, Any]:
    """A stored tantivy document → the index-document dict (lists for multi fields, ``display`` a dict)."""
    out: dict[str, Any] = {}
    for field in FIELDS:
        values = stored.get(field.name, [])
        if field.kind == "stored":
            out[field.name] = json.loads(values[0]) if values else {}
        elif field.multi:
            out[field.name] = list(values)
        elif field.kind == "int":
            out[field.name] = values[0] if values else None
        else:
            out[field.name] = values[0] if values else ""
    return out
