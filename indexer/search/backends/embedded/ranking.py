"""Result order with the shared tie-break: equal scores (equal years, equal titles) are ordered by
cluster id, ascending.

Why: tantivy orders equal scores by internal document address, which depends on how the indexing
threads happened to split the documents into segments, so a rebuild of the same data could reorder a
result list, and the embedded engine and OpenSearch (which sorts ``_score`` then ``id``,
`indexer.search.backends.opensearch.search`) disagreed on most top-10s of the synthetic benchmark.
Both engines now order by (score or field, then id): stable between rebuilds, comparable between
engines, and paging never repeats or skips a record.

How, without reading stored documents: every document carries ``id_order`` (`tantivy_schema`), an
unsigned fast field that orders like the id (`id_order_key`: exact for cluster ids up to their last
hex digit). A page is taken from the top hits (`FIRST_DEPTH`); when the group of records tied with
the page's last value may reach past them, the tied records are found in id order instead of by
collecting deeper (a tie can be a third of the index: "history" in every "X -- History" subject):

- for a field sort, the records with exactly that value, ordered by ``id_order`` (one search);
- for relevance, the matches walked in ``id_order`` windows (`SCAN`), each window scored and its
  records with exactly the tied score kept, until the page is full. Scores are compared for exact
  equality, which holds: the window adds a zero-scored filter to the same query.

Only records that share score and ``id_order`` are told apart by reading their full id. A search
without a scoring query (no text: every score equal) is ordered by ``id_order`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tantivy
from tantivy import Occur, Query

ID_ORDER = "id_order"
"""Unsigned fast field ordering like the id (`id_order_key`)."""
FIRST_DEPTH = 100
"""Top hits collected first (at least the page and one more)."""
SCAN = (1_000, 10_000, 100_000)
"""Matches per id-order window when walking a relevance tie, one window of each size in turn; a tie
that sparse (fewer than the page among 111,000 matches) keeps the engine's own order past the first hits."""
UNSCORED = 1.0
"""The score of every hit of a search without a scoring query (tantivy's all-query score)."""
MAX_KEY = (1 << 64) - 1
_HEX = "0123456789abcdef"
_CLUSTER_DIGITS = 15


def id_order_key(doc_id: str) -> int:
    """A number that never orders two ids against their string order (a < b → key(a) <= key(b)).

    Cluster ids ("c" + 16 hex digits, `indexer.dedup.cluster_ids`) are told apart by their first 15
    digits (top bits 01); other ids by their first 7 bytes, under 00 when they sort before "c" and 10
    when after. Equal keys are settled by the full id.
    """
    if doc_id[:1] == "c":
        return (1 << 62) | int(_hex_digits(doc_id[1:]), 16)
    bucket = 0 if doc_id < "c" else 2
    return (bucket << 62) | (int.from_bytes(doc_id.encode("utf-8")[:7].ljust(7, b"\0"), "big") << 6)


def _hex_digits(rest: str) -> str:
    """15 hex digits ordering like `rest` among cluster-id tails: a non-hex character becomes the
    largest digits it sorts after (below "0": zeros; between "9" and "a": 9 then f's; above "f": f's)."""
    digits = ""
    for char in rest[:_CLUSTER_DIGITS]:
        if char in _HEX:
            digits += char
            continue
        if "9" < char < "a":
            digits += "9"
        return (digits + ("0" if char < "0" else "f") * _CLUSTER_DIGITS)[:_CLUSTER_DIGITS]
    return digits.ljust(_CLUSTER_DIGITS, "0")


@dataclass(slots=True)
class Page:
    """What `EmbeddedBackend` reads off a tantivy `SearchResult`: the match count and (value, address)."""

    count: int
    hits: list[tuple[Any, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Order:
    """A result order before the id: the score (``field`` None) or a fast field, and its direction.
    ``text``: the field is a keyword (equal values are matched with a term query, not a range)."""

    field: str | None = None
    descending: bool = True
    text: bool = False


RELEVANCE = Order()
BY_ID = Order(ID_ORDER, descending=False)

Row = tuple[Any, int, Any, Any]
"""(rank, id_order, value, address): rank sorts ascending in the page's order."""


def relevance_page(
    searcher: tantivy.Searcher, schema: tantivy.Schema, query: Query, offset: int, size: int, scored: bool
) -> Page:
    """Hits ``offset .. offset + size`` in (score desc, id asc) order, with the total match count."""
    if scored:
        return ordered_page(searcher, schema, query, offset, size, RELEVANCE)
    page = ordered_page(searcher, schema, query, offset, size, BY_ID)
    return Page(count=page.count, hits=[(UNSCORED, address) for _key, address in page.hits])


def ordered_page(
    searcher: tantivy.Searcher, schema: tantivy.Schema, query: Query, offset: int, size: int, order: Order
) -> Page:
    """Hits ``offset .. offset + size`` in `order`, then by id ascending; hits are (value, address) with
    value the score or the field's value. Missing field values sort last, as in OpenSearch."""
    want = offset + size
    depth = max(FIRST_DEPTH, want + 1)
    result = _collect(searcher, query, depth, order, count=True)
    count = int(result.count or 0)  # type: ignore[attr-defined]
    hits = list(result.hits)
    rows = _keyed(searcher, hits, order)
    if not _complete(hits, depth, want, order):
        boundary = hits[want - 1][0]
        before = [row for row in rows if row[0] < _rank(boundary, order)]
        tied = _tied(searcher, schema, query, order, boundary, want - len(before))
        if tied is not None:
            rows = before + tied
    ordered = _by_full_id(searcher, rows, offset, want)
    return Page(count=count, hits=[(value, address) for _rank, _key, value, address in ordered[offset:want]])


def _collect(searcher: tantivy.Searcher, query: Query, depth: int, order: Order, count: bool) -> Any:
    if order.field is None:
        return searcher.search(query, depth, count=count)
    direction = tantivy.Order.Desc if order.descending else tantivy.Order.Asc
    return searcher.search(query, depth, count=count, order_by_field=order.field, order=direction)


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


def _keyed(searcher: tantivy.Searcher, hits: list[tuple[Any, Any]], order: Order) -> list[Row]:
    """Rows sorted by rank, then id_order."""
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


def _tied(
    searcher: tantivy.Searcher, schema: tantivy.Schema, query: Query, order: Order, value: Any, need: int
) -> list[Row] | None:
    """At least `need` records whose sort value is exactly `value`, the smallest ids first, with every
    record sharing the last one's id_order; None when they cannot be found that way (missing values)."""
    if value is None:
        return None
    if order.field is None:
        return _scan_score(searcher, schema, query, value, need)
    if order.field == ID_ORDER:
        return None  # the key itself: a collision group at the boundary, settled by the full id
    same = Query.term_query(schema, order.field, value) if order.text else _range(schema, order.field, value, value)
    depth = need + FIRST_DEPTH
    for _ in range(len(SCAN) + 1):
        found = _collect(searcher, _filtered(query, same), depth, BY_ID, count=False)
        hits = list(found.hits)
        if _complete(hits, depth, need, BY_ID):
            return [(_rank(value, order), int(k), value, a) for k, a in hits]
        depth *= 10
    return None


def _scan_score(
    searcher: tantivy.Searcher, schema: tantivy.Schema, query: Query, score: float, need: int
) -> list[Row] | None:
    """Matches scored exactly `score`, walking the query's matches in id_order windows (`SCAN`); None
    when the windows end before `need` were found."""
    tied: list[Row] = []
    low = 0
    for size in SCAN:
        rest = _filtered(query, _range(schema, ID_ORDER, low, MAX_KEY))
        window = list(_collect(searcher, rest, size, BY_ID, count=False).hits)
        if not window:
            break
        high = int(window[-1][0])
        inside = _filtered(query, _range(schema, ID_ORDER, low, high))
        scored = searcher.search(inside, len(window) + FIRST_DEPTH, count=True)
        total = int(scored.count or 0)  # type: ignore[attr-defined]
        if total > len(scored.hits):  # more records share the window's last key than it showed
            scored = searcher.search(inside, total, count=False)
        keep = [(s, a) for s, a in scored.hits if s == score]
        keys = searcher.fast_field_values(ID_ORDER, [a for _s, a in keep]) if keep else []
        tied += [((0, -score), int(k or 0), s, a) for (s, a), k in zip(keep, keys, strict=True)]
        if len(tied) >= need or len(window) < size or high == MAX_KEY:
            break
        low = high + 1
    else:
        return None
    tied.sort(key=lambda row: row[1])
    return tied


def _filtered(query: Query, constraint: Query) -> Query:
    """`query` restricted by `constraint` without changing any score (the constraint scores zero)."""
    return Query.boolean_query([(Occur.Must, query), (Occur.Must, Query.const_score_query(constraint, 0.0))])


def _range(schema: tantivy.Schema, name: str, low: int, high: int) -> Query:
    kind = tantivy.FieldType.Unsigned if name == ID_ORDER else tantivy.FieldType.Integer
    return Query.range_query(schema, name, kind, low, high)


def _by_full_id(searcher: tantivy.Searcher, rows: list[Row], offset: int, want: int) -> list[Row]:
    """Settle the order of records sharing rank and id_order by their full id; only groups that reach
    into the page are read, so this costs nothing when keys differ."""
    start = 0
    out: list[Row] = []
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
