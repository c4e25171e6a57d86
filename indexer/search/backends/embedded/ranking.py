"""Relevance order with the shared tie-break: equal scores are ordered by cluster id, ascending.

Why: tantivy orders equal scores by internal document address, which depends on how the indexing
threads happened to split the documents into segments, so a rebuild of the same data could reorder a
result list, and the embedded engine and OpenSearch (which sorts ``_score`` then ``id``,
`indexer.search.backends.opensearch.search`) disagreed on most top-10s of the synthetic benchmark.
Both engines now order by (score descending, id ascending): stable between rebuilds, comparable
between engines, and paging never repeats or skips a record.

How, without reading stored documents: every document carries ``id_order`` (`tantivy_schema`), an
unsigned fast field holding the first 8 bytes of its id, so comparing it compares ids by their start
(byte order = string order). A page is taken from the engine's top hits fetched deep enough to hold
the whole group of records tied with the page's last score (`TIE_FETCH`); those are sorted by
(score, id_order) with a fast-field read, and only records that also share their 8-byte start are
told apart by their full id. A search without a scoring query (no text: every score equal) is
ordered by ``id_order`` directly.

Limit, said plainly: a tie at the page boundary larger than the last `TIE_FETCH` step (10,000
records with exactly the same score, which a real query rarely makes) is ordered among the records
the engine collected first; the page is still deterministic for one index, not across rebuilds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tantivy
from tantivy import Query

ID_ORDER = "id_order"
"""Unsigned fast field: the first 8 bytes of the id, big-endian (`id_order_key`)."""
KEY_BYTES = 8
TIE_FETCH = (100, 1_000, 10_000)
"""How many top hits to collect, tried in turn until the boundary's tie group is inside them."""
UNSCORED = 1.0
"""The score of every hit of a search without a scoring query (tantivy's all-query score)."""


def id_order_key(doc_id: str) -> int:
    """The ``id_order`` value of an id: its first 8 UTF-8 bytes as a big-endian number (zero padded), so
    a < b between keys implies id a < id b (equal keys: compare the full ids)."""
    return int.from_bytes(doc_id.encode("utf-8")[:KEY_BYTES].ljust(KEY_BYTES, b"\0"), "big")


@dataclass(slots=True)
class Page:
    """What `EmbeddedBackend` reads off a tantivy `SearchResult`: the match count and (score, address)."""

    count: int
    hits: list[tuple[Any, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Order:
    """A result order before the id: the score (``field`` None) or a fast field, and its direction."""

    field: str | None = None
    descending: bool = True


RELEVANCE = Order()
BY_ID = Order(ID_ORDER, descending=False)


def relevance_page(searcher: tantivy.Searcher, query: Query, offset: int, size: int, scored: bool) -> Page:
    """Hits ``offset .. offset + size`` in (score desc, id asc) order, with the total match count."""
    if scored:
        return ordered_page(searcher, query, offset, size, RELEVANCE)
    page = ordered_page(searcher, query, offset, size, BY_ID)
    return Page(count=page.count, hits=[(UNSCORED, address) for _key, address in page.hits])


def ordered_page(searcher: tantivy.Searcher, query: Query, offset: int, size: int, order: Order) -> Page:
    """Hits ``offset .. offset + size`` in `order`, then by id ascending; hits are (value, address) with
    value the score or the field's value. Missing field values sort last, as in OpenSearch."""
    want = offset + size
    count = 0
    hits: list[tuple[Any, Any]] = []
    for depth in _depths(want):
        if order.field is None:
            result = searcher.search(query, depth, count=not count)
        else:
            direction = tantivy.Order.Desc if order.descending else tantivy.Order.Asc
            result = searcher.search(query, depth, count=not count, order_by_field=order.field, order=direction)
        count = count or int(result.count or 0)  # type: ignore[attr-defined]
        hits = list(result.hits)
        if _complete(hits, depth, want, order):
            break
    ordered = _by_full_id(searcher, _keyed(searcher, hits, order), offset, want)
    return Page(count=count, hits=[(value, address) for _rank, _key, value, address in ordered[offset:want]])


def _depths(want: int) -> list[int]:
    """Collection depths: each `TIE_FETCH` step deeper than the page, and at least the page itself."""
    return [depth for depth in TIE_FETCH if depth > want] or [want + 1]


def _rank(value: Any, order: Order) -> tuple[int, Any]:
    """A value as an ascending sort key for `order` (numbers negated when descending; missing last)."""
    if value is None:
        return (1, 0)
    return (0, -value) if order.descending else (0, value)


def _complete(hits: list[tuple[Any, Any]], depth: int, want: int, order: Order) -> bool:
    """Whether every record sorting with or before the page's last one is among ``hits``: the engine
    returned fewer than asked (all matches), or the last collected value is strictly past the page's."""
    if len(hits) < depth or len(hits) < want:
        return True
    return _rank(hits[-1][0], order) > _rank(hits[want - 1][0], order)


def _keyed(searcher: tantivy.Searcher, hits: list[tuple[Any, Any]], order: Order) -> list[tuple[Any, int, Any, Any]]:
    """(rank, id_order, value, address), sorted by rank, then id_order."""
    if not hits:
        return []
    if order.field == ID_ORDER:
        keys: list[Any] = [value for value, _address in hits]
    else:
        keys = searcher.fast_field_values(ID_ORDER, [address for _value, address in hits])
    rows = [
        (_rank(value, order), int(key or 0), value, address) for (value, address), key in zip(hits, keys, strict=True)
    ]
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _by_full_id(
    searcher: tantivy.Searcher, rows: list[tuple[Any, int, Any, Any]], offset: int, want: int
) -> list[tuple[Any, int, Any, Any]]:
    """Settle the order of records sharing score and id_order (ids with the same 8-byte start) by their
    full id; only groups that reach into the page are read, so this costs nothing when keys differ."""
    start = 0
    out: list[tuple[Any, int, Any, Any]] = []
    while start < len(rows) and start < want:
        end = start + 1
        while end < len(rows) and rows[end][:2] == rows[start][:2]:
            end += 1
        group = rows[start:end]
        if end - start > 1 and end > offset:
            group.sort(key=lambda row: _stored_id(searcher, row[3]))
        out.extend(group)
        start = end
    return out


def _stored_id(searcher: tantivy.Searcher, address: Any) -> str:
    values = searcher.doc(address).to_dict().get("id") or [""]
    return str(values[0])
