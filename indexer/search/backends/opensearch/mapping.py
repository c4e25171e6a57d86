"""The OpenSearch index definition (settings, analysis chain, mapping), built from `indexer.search.schema.FIELDS`.

Built in code from the one field table so a field added to the schema is mapped here without a second
edit; `config/opensearch/index.json` is the same body written out for operators who want to inspect it
or create an index by hand (`python -m indexer.search.backends.opensearch.mapping > config/opensearch/index.json`;
a unit test checks the file still equals what this module builds).

How each schema kind is mapped, and why:

- ``text``: the field itself is *folded, unstemmed* (split on non-alphanumerics, lowercase, asciifolding:
  no ICU plugin needed, so any stock cluster works); prefixes and typo-tolerant matching run on it.
  The ``.stemmed`` subfield adds English stemming for word and phrase matches ("whales" finds "whale").
  Fields whose words "did you mean" lists (those with an unstemmed copy in the embedded engine:
  title, subtitle, authors) have ``fielddata`` on, so a ``terms`` aggregation can read them (`terms`).
  This is the analysis of `indexer.search.analysis` (the embedded engine), so both engines make the same terms.
- ``keyword``: exact values for facets, filters and sorting; when patrons may type the field in a query
  (``format:book``, ``library:duke``) a folded ``.text`` subfield makes that case- and accent-blind.
- ``identifier``: keyword. Values arrive normalized (`harvester.identifiers` at harvest time) and the
  query parser normalizes what is typed the same way, so an exact term match is all it takes.
- ``int``: integer (ranges, sorting). ``stored``: an object with ``enabled: false``, kept in ``_source``
  for result lists and never parsed or searched.

``dynamic: false`` keeps any key that is not in the schema in ``_source`` without mapping it, so a new
document key never breaks indexing nor grows the mapping behind our back.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from indexer.search.analysis import DERIVED_FIELDS, derived_text, exact_copy, nfc, normalize_identifier
from indexer.search.schema import FIELDS, IndexField

FOLDED = "unioncat_folded"
STEMMED = "unioncat_english"
STEMMED_SUBFIELD = "stemmed"
TEXT_SUBFIELD = "text"

MAX_TOKEN_CHARS = 160
"""As the embedded engine: longer "words" are garbage, dropped to keep the term dictionary small. The
embedded limit counts UTF-8 bytes, this one characters: the two agree on every word in Latin script and
on any word of up to 40 characters in any script."""

ANALYSIS: dict[str, Any] = {
    "tokenizer": {
        # Split on anything that is not alphabetic or numeric, exactly like the embedded engine's
        # tokenizer (tantivy's SimpleTokenizer splits on !char::is_alphanumeric, i.e. the Unicode
        # Alphabetic property and the N* categories): "O'Brien" → o, brien; "Moby-Dick" → moby, dick.
        # The standard tokenizer would keep "o'brien" whole and the two engines would disagree.
        "unioncat_words": {"type": "pattern", "pattern": "[^\\p{IsAlphabetic}\\p{N}]+"},
    },
    "filter": {
        "unioncat_short": {"type": "length", "max": MAX_TOKEN_CHARS - 1},
        # Snowball English ("porter2"), the algorithm tantivy's English stemmer uses.
        "unioncat_stemmer": {"type": "stemmer", "language": "porter2"},
    },
    "analyzer": {
        FOLDED: {
            "type": "custom",
            "tokenizer": "unioncat_words",
            "filter": ["unioncat_short", "lowercase", "asciifolding"],
        },
        STEMMED: {
            "type": "custom",
            "tokenizer": "unioncat_words",
            "filter": ["unioncat_short", "lowercase", "asciifolding", "unioncat_stemmer"],
        },
    },
}


def field_mapping(field: IndexField) -> dict[str, Any]:
    """The mapping of one schema field (see the module docstring for the reasons)."""
    mapping: dict[str, Any]
    if field.kind == "text":
        mapping = {
            "type": "text",
            "analyzer": FOLDED,
            "fields": {STEMMED_SUBFIELD: {"type": "text", "analyzer": STEMMED}},
        }
        if exact_copy(field):  # its words are listed for "did you mean" (`terms`): loaded on first use only
            mapping["fielddata"] = True
        return mapping
    if field.kind == "keyword":
        mapping = {"type": "keyword"}
        if field.query_alias:
            mapping["fields"] = {TEXT_SUBFIELD: {"type": "text", "analyzer": FOLDED}}
        return mapping
    if field.kind == "identifier":
        return {"type": "keyword"}
    if field.kind == "int":
        return {"type": "integer"}
    if field.kind == "stored":
        return {"type": "object", "enabled": False}
    raise ValueError(f"index field {field.name!r}: unknown kind {field.kind!r}")


def mappings() -> dict[str, Any]:
    """The ``mappings`` section: every schema field, nothing dynamic; the derived fields (CJK bigrams,
    joined spellings) are searched but not kept in ``_source`` (the embedded engine does not store them
    either)."""
    return {"dynamic": False, "_source": {"excludes": list(DERIVED_FIELDS)},
            "properties": {field.name: field_mapping(field) for field in FIELDS}}


def index_body(shards: int = 1, replicas: int = 0, building: bool = False) -> dict[str, Any]:
    """The body of ``PUT /<index>``.

    ``refresh_interval: -1``: no periodic refresh. Changes become visible when unioncat commits (a
    refresh), exactly as in the embedded engine, and a bulk load is not interrupted by refreshes nobody
    asked for. ``building=True`` is for a rebuild's fresh index: no replicas while it is filled (nobody
    searches it yet); `serving_settings` adds them just before the alias swap.
    """
    index: dict[str, Any] = {
        "number_of_shards": shards,
        "number_of_replicas": 0 if building else replicas,
        "refresh_interval": "-1",
    }
    return {"settings": {"index": index, "analysis": ANALYSIS}, "mappings": mappings()}


def serving_settings(replicas: int) -> dict[str, Any]:
    """Settings given to a rebuilt index before it takes the alias: its replicas."""
    return {"index": {"number_of_replicas": replicas}}


def _values(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in value if v is not None and v != ""]
    return [value]


def prepare_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The ``_source`` sent for an index document: only schema fields, empty values dropped, text composed
    to NFC and identifiers normalized, exactly as the embedded engine indexes them (a decomposed "ü"
    would otherwise split a word in two, and both engines must match the same typed identifiers)."""
    out: dict[str, Any] = {}
    for field in FIELDS:
        if field.name in DERIVED_FIELDS:
            continue
        if field.kind == "stored":
            if doc.get(field.name) is not None:
                out[field.name] = doc[field.name]
            continue
        values = _values(doc.get(field.name))
        if field.kind == "int":
            values = [int(v) for v in values]
        elif field.kind == "identifier":
            values = [normalize_identifier(field.name, nfc(str(v))) for v in values]
        elif field.kind in ("text", "keyword"):
            values = [nfc(str(v)) for v in values]
        if values:
            out[field.name] = values if field.multi else values[0]
    out.update(derived_text(doc))
    return out


def stored_document(source: dict[str, Any]) -> dict[str, Any]:
    """A ``_source`` read back → the index-document dict in the shape the embedded engine returns:
    every schema field present, lists for multi fields, ``""``/None/``{}`` for missing ones."""
    out: dict[str, Any] = {}
    for field in FIELDS:
        derived = field.name in DERIVED_FIELDS  # not stored by the embedded engine
        value = source.get(field.name) if not derived else None
        if field.kind == "stored":
            out[field.name] = value if value is not None else {}
        elif field.multi:
            out[field.name] = _values(value)
        elif field.kind == "int":
            out[field.name] = value if isinstance(value, int) else None
        else:
            values = _values(value)
            out[field.name] = values[0] if values else ""
    return out


def main() -> None:
    """Print the default index body as JSON (this is how `config/opensearch/index.json` is made)."""
    json.dump(index_body(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
