"""How the embedded engine plans its facet counting for one search: which fields share an aggregation
call, which get one of their own, and the bookkeeping of the calls running in the thread pool.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import tantivy
from tantivy import Query

from indexer.search.backends.base import FacetCount, SearchRequest
from indexer.search.schema import FIELDS_BY_NAME

PARALLEL_FACETS: tuple[str, ...] = ()
"""Facets counted in a call of their own (in parallel with the rest) for plain word queries. Empty since
facets are counted on single-valued slot columns (`facets.FACET_SLOTS`): counting no longer dominates,
and evaluating the query once more cost more than it saved (1M bench: filtered p50 15 -> 13 ms without;
broad unchanged). Before the slots, subject_facet alone cost as much as the other four together."""


@dataclass(slots=True)
class FacetTask:
    """One aggregation call: the fields it counts, how, and its (future) counts."""

    names: list[str]
    size: int
    searcher: tantivy.Searcher
    query: Query
    key: tuple[Any, ...] | None
    future: Future[dict[str, Any]] | None = None
    overflow: Future[dict[str, Any]] | None = None
    counts: dict[str, list[FacetCount]] | None = None


def facet_groups(wanted: list[str], filters: dict[str, Query], split: bool) -> list[tuple[str, list[str]]]:
    """(filter to leave out, fields) per aggregation call.

    Each call evaluates the query again: for phrase, prefix and typo-tolerant queries that costs more
    than it saves (a call per field took 2.5x longer on a phrase of two common words), so all unfiltered
    fields share one call. For plain word queries (``split``) counting dominates, and `PARALLEL_FACETS`
    get a call of their own, in parallel with the rest.
    """
    shared = [n for n in wanted if n not in filters]
    heavy = [n for n in shared if split and n in PARALLEL_FACETS]
    light = [n for n in shared if n not in heavy]
    groups = [("", names) for names in (light, heavy) if names]
    return groups + [(n, [n]) for n in wanted if n in filters]


def discard(tasks: list[FacetTask]) -> None:
    for task in tasks:
        for future in (task.future, task.overflow):
            if future is not None:
                future.cancel()


def wanted_facets(request: SearchRequest) -> list[str]:
    return [f for f in request.facets if f in FIELDS_BY_NAME and FIELDS_BY_NAME[f].facet]
