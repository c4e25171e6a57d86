"""The JSON Schemas of the API's response bodies (OpenAPI 3.0 dialect), one constant per shape.

They describe what the `.json` twins of the pages return (`search_ui.views.*`): required keys are the
ones a client may rely on; objects stay open (``additionalProperties``) so a new field is not a
breaking change. `tests/search_ui/test_openapi.py` runs schemathesis against the app to check every
response against them.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
STRINGS: Schema = {"type": "array", "items": STRING}
YEAR: Schema = {"type": "integer", "nullable": True}

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": STRING},
        }
    },
}

HIT: Schema = {
    "type": "object",
    "required": ["id", "title", "authors", "year", "format", "libraries"],
    "properties": {
        "id": STRING,
        "score": {"type": "number"},
        "title": STRING,
        "authors": STRINGS,
        "year": YEAR,
        "format": STRING,
        "edition": STRING,
        "members": STRINGS,
        "libraries": STRINGS,
    },
}

FACET_VALUE: Schema = {
    "type": "object",
    "required": ["value", "count"],
    "properties": {"value": STRING, "count": {"type": "integer", "minimum": 0}},
}

SEARCH: Schema = {
    "type": "object",
    "required": ["total", "page", "per_page", "hits", "facets", "query"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "relaxed": {"type": "boolean"},
        "fuzzy": {"type": "boolean"},
        "query": STRING,
        "max_page": {"type": "integer"},
        "hits": {"type": "array", "items": HIT},
        "facets": {"type": "object", "additionalProperties": {"type": "array", "items": FACET_VALUE}},
        "filters": {"type": "object", "additionalProperties": STRINGS},
    },
}

HOLDING: Schema = {
    "type": "object",
    "required": ["library_code"],
    "properties": {
        "library_code": STRING,
        "library_name": STRING,
        "location": STRING,
        "call_number": STRING,
        "status": STRING,
        "copies": {"type": "integer"},
        "lendable": {"type": "boolean"},
        "summary": STRING,
    },
}

AUTHOR: Schema = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": STRING, "kind": STRING, "roles": STRINGS, "dates": STRING, "primary": {"type": "boolean"}},
}

RECORD_FIELDS: Schema = {
    "type": "object",
    "required": ["id", "title", "authors", "holdings"],
    "properties": {
        "id": STRING,
        "title": STRING,
        "subtitle": STRING,
        "authors": {"type": "array", "items": AUTHOR},
        "isbns": STRINGS,
        "issns": STRINGS,
        "oclc_numbers": STRINGS,
        "publisher": STRING,
        "place": STRING,
        "year": YEAR,
        "languages": STRINGS,
        "format": STRING,
        "holdings": {"type": "array", "items": HOLDING},
    },
}

MEMBER: Schema = {
    "type": "object",
    "required": ["record_id", "source_id", "library_code", "library_name"],
    "properties": {"record_id": STRING, "source_id": STRING, "library_code": STRING, "library_name": STRING,
                   "title": STRING},
}

RECORD: Schema = {
    "type": "object",
    "required": ["id", "base_id", "libraries", "members", "record"],
    "properties": {
        "id": STRING,
        "base_id": STRING,
        "libraries": STRINGS,
        "members": {"type": "array", "items": MEMBER},
        "provenance": {"type": "object", "additionalProperties": STRINGS},
        "record": RECORD_FIELDS,
    },
}

HOLDINGS_ANSWERS: Schema = {
    "type": "object",
    "required": ["answers"],
    "properties": {
        "answers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["query", "items"],
                "properties": {
                    "query": STRING,
                    "kind": STRING,
                    "normalized": STRING,
                    "error": STRING,
                    "items": {
                        "type": "array",
                        "items": {"type": "object", "required": ["cluster_id", "url"],
                                  "properties": {"cluster_id": STRING, "url": STRING}},
                    },
                },
            },
        }
    },
}

CSL_ITEMS: Schema = {
    "type": "array",
    "items": {"type": "object", "required": ["id", "type", "title"],
              "properties": {"id": STRING, "type": STRING, "title": STRING}},
}
