"""The term dictionary as data: heading lists for browse, prefix completions, and word frequencies for
"did you mean", read straight from tantivy (`Searcher.terms_with_prefix`), with no second index.

A heading field's terms are "<key>\\x1f<display>" (`analysis.heading_term`), so the dictionary walked in
byte order is the alphabetical browse list, and a prefix of the key is an autocomplete query. Counts are
document frequencies summed over segments; like every tantivy doc_freq they may include documents
deleted since the last merge (an incremental `unioncat index` can leave a count briefly one high).
"""

from __future__ import annotations

import threading
from typing import Any

import tantivy

from indexer.search.headings import KIND_OF_FIELD, PREFIX_FIELD, SHORT_PREFIX, prefix_term

__all__ = ["KIND_OF_FIELD", "SHORT_PREFIX", "TermLists", "short_prefix", "with_prefix"]

MAX_TERMS = 5000
"""Most terms one prefix walk returns (the most frequent); bounds the work of a one-letter prefix."""


class TermLists:
    """Cached whole-field term lists (alphabetical), one per (index generation, field)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[Any, str], list[tuple[str, int]]] = {}

    def alphabetical(self, searcher: tantivy.Searcher, generation: Any, field: str) -> list[tuple[str, int]]:
        """Every term of `field` with its document count, in term (= key) order; cached per generation."""
        key = (generation, field)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        terms = sorted(searcher.terms_with_prefix(field, ""))
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if k[0] == generation}
            self._cache[key] = terms
        return terms


def with_prefix(searcher: tantivy.Searcher, field: str, prefix: str, limit: int) -> list[tuple[str, int]]:
    """The `limit` most frequent terms of `field` starting with `prefix` (count descending, then term)."""
    if not prefix:
        return []
    return [(str(t), int(n)) for t, n in searcher.terms_with_prefix(field, prefix, limit=min(limit, MAX_TERMS))]


SHORT_OVERFETCH = 10
"""Buckets asked per wanted suggestion: a document's other headings (co-authors) are counted too and
filtered out afterwards, so ask enough that they cannot crowd out the real top headings."""


def short_prefix(
    searcher: tantivy.Searcher, schema: tantivy.Schema, field: str, prefix: str, limit: int
) -> list[tuple[str, int]]:
    """`with_prefix` for a short prefix: count `field` over the documents holding ``heading_prefix``
    "<kind>:<prefix>" (an aggregation on the fast column) instead of walking every matching term.
    Which headings come back is decided per segment (their top lists, overfetched); their counts are
    then read exactly with `doc_freq`, so a count always equals what the heading's link finds."""
    query = tantivy.Query.term_query(schema, PREFIX_FIELD, prefix_term(field, prefix))
    size = max(50, limit * SHORT_OVERFETCH)
    answer = searcher.aggregate(query, {"h": {"terms": {"field": field, "size": size, "segment_size": size}}})
    buckets = [(str(b["key"]), int(b["doc_count"])) for b in answer.get("h", {}).get("buckets", [])]
    # per-segment top lists can leave a heading's smaller segments out: take exact counts for the chosen
    found = [(term, int(searcher.doc_freq(field, term))) for term, _ in buckets if term.startswith(prefix)]
    return sorted(found, key=lambda tc: (-tc[1], tc[0]))[:limit]
