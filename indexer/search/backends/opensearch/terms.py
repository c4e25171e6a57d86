"""Browse lists, prefix completions and "did you mean" words on OpenSearch: the `TermLister` answers of
the embedded engine, from aggregations instead of a term-dictionary walk, in the same shape.

- A whole field in term order (browse): a ``composite`` aggregation paged with ``after_key``. Keyword
  terms are compared as UTF-8 bytes, the order of tantivy's term dictionary, so both engines list the
  headings "<key>\\x1f<display>" (`analysis.heading_term`) alike. The list is cached per index state
  (`TermCache`), as the embedded engine caches it per index generation.
- The most frequent terms with a prefix (autocomplete): documents holding a term with the prefix
  (a ``prefix`` query) and a ``terms`` aggregation over them restricted to the prefix (``include``: a
  document's other headings, a co-author, are not counted). Counts are then taken again for just the
  chosen terms (``include`` as a list), which every shard answers in full, so a count equals the
  number of documents the heading's link finds even on a many-shard index.
- The words of a text field ("did you mean" asks for ``title_exact``, the embedded engine's folded,
  unstemmed copy): the OpenSearch ``title`` field is analyzed exactly so (`mapping`), and the mapping
  enables ``fielddata`` on such fields so they can be aggregated. Fielddata is loaded into the heap on
  the first such request only, per field (at 1M synthetic titles: tens of MB).

No ``_terms_enum`` API: OpenSearch does not have it (Elasticsearch does), and these requests need
nothing beyond a stock cluster.
"""

from __future__ import annotations

import threading
from typing import Any

from indexer.errors import QueryError
from indexer.search.analysis import EXACT_SUFFIX, exact_copy
from indexer.search.schema import FIELDS, FIELDS_BY_NAME

PAGE = 10_000
"""Buckets per composite page (below the cluster's default ``search.max_buckets``, 65,535)."""
MAX_PAGES = 10_000
"""Bound on composite pages for one list (10^8 terms): a loop that cannot run away."""
OVERFETCH = 10
"""Candidates asked per wanted completion before the exact recount (as the embedded short-prefix path)."""
MAX_TERMS = 5000
"""Most completions one prefix returns (the embedded engine's bound)."""

TEXT_WORDS = {f.name + EXACT_SUFFIX: f.name for f in FIELDS if f.kind == "text" and exact_copy(f)}
"""The embedded engine's unstemmed text copies → the OpenSearch text field analyzed the same way."""


def source_field(field: str) -> str:
    """The OpenSearch field whose terms are `field`'s: keyword and identifier fields are themselves."""
    known = FIELDS_BY_NAME.get(field)
    if known is not None and known.kind in ("keyword", "identifier"):
        return field
    if field in TEXT_WORDS:
        return TEXT_WORDS[field]
    raise QueryError(f"cannot list the terms of {field!r}")


def escape_regex(text: str) -> str:
    """`text` as a literal in Lucene's regular-expression syntax (``\\`` quotes any character)."""
    return "".join(c if c.isalnum() else "\\" + c for c in text)


def prefix_body(name: str, prefix: str, size: int) -> dict[str, Any]:
    """Candidate completions: the `size` most frequent terms of `name` starting with `prefix`."""
    terms = {
        "field": name,
        "include": escape_regex(prefix) + ".*",
        "size": size,
        "shard_size": size,
        "order": [{"_count": "desc"}, {"_key": "asc"}],
    }
    return {"size": 0, "query": {"prefix": {name: {"value": prefix}}}, "aggs": {"t": {"terms": terms}}}


def recount_body(name: str, chosen: list[str]) -> dict[str, Any]:
    """Exact document counts of the chosen terms (every shard reports each listed term)."""
    terms = {"field": name, "include": chosen, "size": len(chosen)}
    return {"size": 0, "query": {"terms": {name: chosen}}, "aggs": {"t": {"terms": terms}}}


def composite_body(name: str, after: dict[str, Any] | None) -> dict[str, Any]:
    """One page of every term of `name`, in term order, from after `after`."""
    composite: dict[str, Any] = {"size": PAGE, "sources": [{"k": {"terms": {"field": name, "order": "asc"}}}]}
    if after:
        composite["after"] = after
    return {"size": 0, "aggs": {"t": {"composite": composite}}}


def buckets(response: dict[str, Any]) -> list[tuple[str, int]]:
    found = response.get("aggregations", {}).get("t", {}).get("buckets", [])
    return [(_key(b["key"]), int(b["doc_count"])) for b in found]


def _key(key: Any) -> str:
    return str(key["k"]) if isinstance(key, dict) else str(key)


def with_prefix(search: Any, field: str, prefix: str, limit: int) -> list[tuple[str, int]]:
    """The `limit` most frequent terms of `field` starting with `prefix`, (count desc, term asc).
    `search` runs one ``_search`` body on the alias and returns the response."""
    if not prefix or limit < 1:
        return []
    name = source_field(field)
    limit = min(limit, MAX_TERMS)
    candidates = buckets(search(prefix_body(name, prefix, max(50, limit * OVERFETCH))))
    chosen = [term for term, _ in candidates if term.startswith(prefix)]
    if not chosen:
        return []
    exact = dict(buckets(search(recount_body(name, chosen))))
    return sorted(((t, exact.get(t, 0)) for t in chosen), key=lambda tc: (-tc[1], tc[0]))[:limit]


def every_term(search: Any, field: str) -> list[tuple[str, int]]:
    """Every term of `field` with its document count, in term order (composite pages)."""
    name = source_field(field)
    out: list[tuple[str, int]] = []
    after: dict[str, Any] | None = None
    for _ in range(MAX_PAGES):
        response = search(composite_body(name, after))
        out.extend(buckets(response))
        after = response.get("aggregations", {}).get("t", {}).get("after_key")
        if not after or len(response["aggregations"]["t"].get("buckets", [])) < PAGE:
            return out
    raise QueryError(f"the terms of {field!r} are more than {PAGE * MAX_PAGES:,}: not listed")


class TermCache:
    """Whole-field term lists, one per (index state, field): browse pages read the same list."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[Any, str], list[tuple[str, int]]] = {}

    def get(self, state: Any, field: str, fill: Any) -> list[tuple[str, int]]:
        with self._lock:
            cached = self._cache.get((state, field))
        if cached is not None:
            return cached
        terms = fill()
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if k[0] == state}
            self._cache[(state, field)] = terms
        return terms

