"""The one table of index fields: what a merged record becomes in the search engine.

Both backends (embedded tantivy, OpenSearch) build their schema/mapping from `FIELDS`, so a field added
here is searchable, facetable or sortable everywhere at once. An index document is a plain dict whose
keys are these field names (see `indexer.search.documents.build_document`):

    {"id": "c3f9…", "title": "Moby Dick", "authors": ["Melville, Herman"], "year": 1851,
     "format": ["book"], "library": ["Laurentian University"], "library_count": 2, ...,
     "display": {...}}   # stored JSON for result lists, never searched

Where a MARC field becomes a facet: `harvester.marc.mapping` (041 → Record.languages) →
`indexer.search.documents` (Record.languages → "language") → this table (facet, label "Language") →
`search_ui/templates/_facets.html`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IndexField:
    """One field of the index.

    kind: ``text`` (analyzed: folded, stemmed copy plus an unstemmed copy for prefix/fuzzy),
    ``keyword`` (exact value; facets, filters), ``identifier`` (normalized standard number, exact),
    ``int`` (ranges, sorting), ``stored`` (returned with hits, never searched).
    """

    name: str
    kind: str
    boost: float = 1.0
    multi: bool = False
    facet: bool = False
    label: str = ""
    query_alias: tuple[str, ...] = ()  # names users may type before ":" in a query


FIELDS: tuple[IndexField, ...] = (
    IndexField("id", "keyword"),
    IndexField("title", "text", boost=5.0, query_alias=("title", "ti")),
    IndexField("subtitle", "text", boost=3.0, query_alias=("title", "ti")),
    IndexField("authors", "text", boost=3.0, multi=True, query_alias=("author", "au", "creator")),
    IndexField("subjects", "text", boost=2.0, multi=True, query_alias=("subject", "su")),
    IndexField("publisher", "text", boost=1.0, multi=True, query_alias=("publisher", "pub")),
    IndexField("series", "text", boost=1.0, multi=True, query_alias=("series",)),
    IndexField("notes", "text", boost=0.5, multi=True, query_alias=("notes",)),
    # CJK bigrams of the text fields above (analysis.cjk_bigrams), derived by the backends, never stored
    IndexField("cjk", "text", boost=3.0),
    # joined spellings of title/author/subject/series words (analysis.joined: "dont", "utbi"), derived likewise
    IndexField("variants", "text", boost=2.0),
    IndexField("isbn", "identifier", multi=True, query_alias=("isbn",)),
    IndexField("issn", "identifier", multi=True, query_alias=("issn",)),
    IndexField("oclc", "identifier", multi=True, query_alias=("oclc",)),
    IndexField("lccn", "identifier", multi=True, query_alias=("lccn",)),
    IndexField("other_ids", "identifier", multi=True, query_alias=("id", "identifier")),
    IndexField("year", "int", query_alias=("year", "date")),
    IndexField("title_sort", "keyword"),
    IndexField("title_key", "keyword", multi=True),  # analysis.title_keys: for the exact-title bonus
    IndexField("library_count", "int"),
    IndexField("library", "keyword", multi=True, facet=True, label="Library", query_alias=("library",)),
    IndexField("format", "keyword", multi=True, facet=True, label="Format", query_alias=("format",)),
    IndexField("language", "keyword", multi=True, facet=True, label="Language", query_alias=("language", "lang")),
    IndexField("decade", "keyword", facet=True, label="Decade"),
    IndexField("subject_facet", "keyword", multi=True, facet=True, label="Subject"),
    IndexField("classification", "keyword", multi=True, facet=True, label="Classification"),
    IndexField("held_by_count", "keyword", facet=True, label="Held by (member libraries)"),
    IndexField("held_by", "identifier", multi=True, query_alias=("held_by",)),
    IndexField("members", "keyword", multi=True),
    IndexField("access", "keyword", multi=True, facet=True, label="Availability", query_alias=("access",)),
    IndexField("available_libraries", "int"),
    # browse + autocomplete: "<key>\x1f<display>" terms (analysis.heading_term), never shown raw
    IndexField("title_heading", "keyword", multi=True),
    IndexField("author_heading", "keyword", multi=True),
    IndexField("subject_heading", "keyword", multi=True),
    IndexField("callnumber_heading", "keyword", multi=True),
    IndexField("heading_prefix", "keyword", multi=True),  # "a:mel": short autocomplete prefixes (headings.py)
    IndexField("display", "stored"),
)

FIELDS_BY_NAME = {field.name: field for field in FIELDS}
TEXT_FIELDS = tuple(f for f in FIELDS if f.kind == "text")
IDENTIFIER_FIELDS = tuple(f for f in FIELDS if f.kind == "identifier")
FACET_FIELDS = tuple(f.name for f in FIELDS if f.facet)
"""Facets shown to patrons, in display order: library, format, language, decade, subject, classification,
held by (the collection analytics link their counts to searches filtered on these)."""

SORTS = ("relevance", "newest", "oldest", "title")
HEADING_FIELDS = {
    "title": "title_heading",
    "author": "author_heading",
    "subject": "subject_heading",
    "callnumber": "callnumber_heading",
}
"""Browse lists and autocomplete sources (a user-facing name → its heading field)."""


def fields_for_alias(alias: str) -> tuple[IndexField, ...]:
    """The index fields a user-typed field name (``title:``, ``au:``…) searches; empty if unknown."""
    alias = alias.lower()
    return tuple(f for f in FIELDS if alias in f.query_alias)
