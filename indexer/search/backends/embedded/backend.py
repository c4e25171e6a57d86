"""The embedded search engine: a tantivy index in a folder, searched in-process (no server to install).

`rebuild` writes a whole new version (folder layout: `versions`) next to the live one and only then
swaps ``CURRENT``, so searches in this and other processes keep answering from the old version
throughout; each search stats
``CURRENT`` (and the live version's ``meta.json``) and reopens/reloads when they changed, which is how
the web server notices ``unioncat index`` runs. The previous version is kept (a reader may be mid-search
in it); older ones are deleted.

Queries are built in code from the `indexer.search.query` tree (never by string concatenation): tantivy's own
parser rejects a lone ``foo*`` and would re-interpret patron punctuation.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import tantivy
from cachetools import LRUCache
from tantivy import Occur, Query

from indexer.errors import BackendError, QueryError
from indexer.search import analysis
from indexer.search.backends.base import MAX_PAGE, Encoded, FacetCount, SearchHit, SearchRequest, SearchResults
from indexer.search.backends.embedded import (
    building,
    facets,
    ranking,
    tantivy_query,
    tantivy_schema,
    terms,
    versions,
)
from indexer.search.backends.embedded.facet_tasks import FacetTask, discard, facet_groups, wanted_facets
from indexer.search.query import ParsedQuery
from indexer.search.query_parser import parse_query
from indexer.search.schema import SORTS

MAX_PER_PAGE = 100
FACET_THREADS = max(2, os.cpu_count() or 2)
FACET_CACHE_SIZE = 1024
"""Facet-count sets kept (least recently used dropped): a few KB each."""


class EmbeddedBackend:
    """`SearchBackend` over a versioned tantivy index folder (see the module docstring)."""

    name = "embedded"

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.schema = tantivy_schema.build_schema()
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._version = ""
        self._current_stamp: tuple[int, int] | None = None
        self._meta_stamp: tuple[int, int] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._facet_cache: LRUCache[tuple[Any, ...], dict[str, list[FacetCount]]] = LRUCache(FACET_CACHE_SIZE)
        self._terms = terms.TermLists()
        self._headings = terms.HeadingTables()
        self.cache_facets = True
        """Cache whole-index facet counts (the browse page) per index generation; False to always count."""
        self.cache_query_facets = False
        """Also cache the counts of queries and filters (`_start_facets`); the web server turns it on,
        benchmarks of the engine itself leave it off so that every round really counts."""

    # ------------------------------------------------------------ versions

    def _open(self) -> tantivy.Index:
        """The live index, (re)opened when CURRENT moved; creates an empty first version if none."""
        with self._lock:
            stamp = versions.stamp(self.index_dir / versions.CURRENT)
            if self._index is not None and stamp == self._current_stamp:
                self._reload_if_committed()
                return self._index
            name = versions.read_current(self.index_dir)
            if not name:
                with versions.dir_lock(self.index_dir):
                    name = versions.read_current(self.index_dir)
                    if not name:
                        name, _ = versions.new_version(self.index_dir, self.schema)
                        versions.publish(self.index_dir, name)
                stamp = versions.stamp(self.index_dir / versions.CURRENT)
            if name != self._version or self._index is None:
                self._switch(name)
            self._current_stamp = stamp
            assert self._index is not None
            return self._index

    def _switch(self, name: str) -> None:
        index = versions.open_version(self.index_dir, name)
        self._drop_writer()
        self._index, self._version = index, name
        self._meta_stamp = versions.stamp(self.index_dir / name / "meta.json")

    def _reload_if_committed(self) -> None:
        """Another process committed to the live version: reload so its changes become visible."""
        stamp = versions.stamp(self.index_dir / self._version / "meta.json")
        if stamp != self._meta_stamp and self._index is not None:
            self._index.reload()
            self._meta_stamp = stamp

    def _writer_for(self) -> tantivy.IndexWriter:
        index = self._open()
        if self._writer is None:
            try:
                self._writer = index.writer(building.WRITER_HEAP)
            except ValueError as exc:
                raise BackendError(f"the search index is being written by another process: {exc}") from exc
        return self._writer

    def _drop_writer(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(ValueError, RuntimeError):
                self._writer.rollback()
            self._writer = None

    # ------------------------------------------------------------ writing

    def index(self, docs: Iterable[dict[str, Any]]) -> int:
        with self._lock:
            writer = self._writer_for()
            sent = 0
            for doc in docs:
                converted = tantivy_schema.to_tantivy(doc)
                writer.delete_documents_by_term("id", doc["id"])
                writer.add_document(converted)
                sent += 1
            return sent

    def delete(self, doc_ids: Iterable[str]) -> int:
        with self._lock:
            writer = self._writer_for()
            sent = 0
            for doc_id in doc_ids:
                writer.delete_documents_by_term("id", doc_id)
                sent += 1
            return sent

    def commit(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.commit()
            index = self._open()
            index.reload()
            self._meta_stamp = versions.stamp(self.index_dir / self._version / "meta.json")
            building.write_tables(index, self.index_dir / self._version)

    def rebuild(self, docs: Iterable[dict[str, Any]]) -> int:
        return self.rebuild_steps([docs], "", None)

    encoder = staticmethod(tantivy_schema.to_json)
    """`StepwiseRebuild.encoder`: documents as the JSON the writer parses in Rust."""

    def resumable(self, token: str) -> bool:
        return building.resumable(self.index_dir, token)

    def rebuild_steps(self, steps: Iterable[Iterable[dict[str, Any] | Encoded]], resume: str = "",
                      committed: Callable[[str], None] | None = None) -> int:
        """`StepwiseRebuild.rebuild_steps` (`building`): a new version, published after the last step."""
        count = building.rebuild_steps(self.index_dir, self.schema, steps, resume, committed)
        with self._lock:
            self._current_stamp = None  # force _open to switch to the new version
            self._open()
        return count

    # ------------------------------------------------------------ reading

    def search(self, request: SearchRequest) -> SearchResults:
        index = self._open()
        if request.sort not in SORTS:
            raise QueryError(f"unknown sort {request.sort!r}; use one of {', '.join(SORTS)}")
        parsed = parse_query(request.text)
        filters = self._filters(request)
        searcher = index.searcher()
        result: tantivy.SearchResult | ranking.Page | None = None
        pending: list[FacetTask] = []
        relaxed = fuzzy = False
        for attempt, (tree, fuzzy_try, relaxed_try) in enumerate(_attempts(parsed)):
            base = tantivy_query.QueryBuilder(self.schema, fuzzy=fuzzy_try).build(tree.root)
            split = not fuzzy_try and tantivy_query.is_cheap(tree.root)
            variant = (fuzzy_try, relaxed_try)
            if attempt == 0:  # most searches match at once: count facets while the page is found
                pending = self._start_facets(searcher, base, request, filters, split, variant)
            result = self._page(searcher, self._combine(base, filters), request, scored=base is not None)
            if _count(result):
                relaxed, fuzzy = relaxed_try, fuzzy_try
                if attempt > 0:
                    pending = self._start_facets(searcher, base, request, filters, split, variant)
                break
            discard(pending)
            pending = []
        assert result is not None
        total = _count(result)
        hits = self._hits(searcher, result, request)
        counted = self._collect_facets(pending) if total else {}
        facets = {name: counted.get(name, []) for name in wanted_facets(request)}
        return SearchResults(
            total=total,
            hits=hits,
            facets=facets,
            page=_page(request),
            per_page=_per_page(request),
            relaxed=relaxed,
            fuzzy=fuzzy,
        )

    def _filters(self, request: SearchRequest) -> dict[str, Query]:
        filters = {
            name: tantivy_query.filter_query(self.schema, name, tuple(values))
            for name, values in request.filters.items()
            if values
        }
        if request.year_from is not None or request.year_to is not None:
            filters["year"] = Query.range_query(
                self.schema, "year", tantivy.FieldType.Integer, request.year_from, request.year_to
            )
        return filters

    @staticmethod
    def _combine(query: Query | None, filters: dict[str, Query], skip: str = "") -> Query:
        clauses = [(Occur.Must, query or Query.all_query())]
        clauses += [(Occur.Must, Query.const_score_query(q, 0.0)) for n, q in filters.items() if n != skip]
        return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)

    def _page(
        self, searcher: tantivy.Searcher, query: Query, request: SearchRequest, scored: bool = True
    ) -> tantivy.SearchResult | ranking.Page:
        """One page of hits, by relevance or a field, then by id: the shared tie-break (`ranking`)."""
        per_page = _per_page(request)
        offset = (_page(request) - 1) * per_page
        if request.sort not in _SORT_FIELDS:
            return ranking.relevance_page(searcher, self.schema, query, offset, per_page, scored)
        field_name, direction = _SORT_FIELDS[request.sort]
        order = ranking.Order(field_name, descending=direction == tantivy.Order.Desc, text=field_name == "title_sort")
        return ranking.ordered_page(searcher, self.schema, query, offset, per_page, order)

    @staticmethod
    def _hits(
        searcher: tantivy.Searcher, result: tantivy.SearchResult | ranking.Page, request: SearchRequest
    ) -> list[SearchHit]:
        hits = []
        for score, address in result.hits:
            doc = tantivy_schema.from_tantivy(searcher.doc(address).to_dict())
            relevance = float(score) if request.sort == "relevance" else 0.0
            hits.append(SearchHit(id=doc["id"], score=relevance, doc=doc))
        return hits

    def _start_facets(
        self,
        searcher: tantivy.Searcher,
        base: Query | None,
        request: SearchRequest,
        filters: dict[str, Query],
        split: bool = False,
        variant: tuple[bool, bool] = (False, False),
    ) -> list[FacetTask]:
        """Start counting facets over ALL matches, in worker threads (tantivy releases the GIL).

        A facet field that is itself filtered is counted without its own filter (multi-select).
        The counting runs beside the page search (one thread each). Counts are cached per index
        generation (version + last commit): over the whole index always, for queries when
        ``cache_query_facets``, keyed by what decides them — the query text and which
        attempt matched (``variant``: fuzzy, relaxed), the filters and years — and not by page or sort,
        so paging through or re-sorting a result counts its facets once.
        """
        size = max(1, min(request.facet_size, 1000))
        tasks: list[FacetTask] = []
        asked = (request.text, variant, tuple(sorted((n, tuple(v)) for n, v in request.filters.items() if v)),
                 request.year_from, request.year_to)
        for skip, names in facet_groups(wanted_facets(request), filters, split):
            whole_index = base is None and all(n == skip for n in filters)
            key = (self._version, self._meta_stamp, tuple(names), size, skip, None if whole_index else asked)
            query = self._combine(base, filters, skip=skip)
            cached = self.cache_facets and (whole_index or self.cache_query_facets)
            task = FacetTask(names, size, searcher, query, key if cached else None)
            with self._lock:
                task.counts = self._facet_cache.get(key) if cached else None
            if task.counts is None:
                aggs = facets.facet_aggs(names, size)
                task.future = self._executor().submit(searcher.aggregate, query, aggs)
                rest = facets.overflow_query(self.schema, query, names)
                if rest is not None:
                    more = facets.overflow_aggs(names, size)
                    task.overflow = self._executor().submit(searcher.aggregate, rest, more)
            tasks.append(task)
        return tasks

    def _collect_facets(self, tasks: list[FacetTask]) -> dict[str, list[FacetCount]]:
        out: dict[str, list[FacetCount]] = {}
        for task in tasks:
            if task.counts is None:
                task.counts = self._finish(task)
                if task.key is not None and self.cache_facets:
                    with self._lock:
                        self._facet_cache[task.key] = task.counts
            out.update(task.counts)
        return out

    @staticmethod
    def _finish(task: FacetTask) -> dict[str, list[FacetCount]]:
        try:
            assert task.future is not None
            overflow = task.overflow.result() if task.overflow is not None else None
            counted = facets.facet_counts(task.future.result(), task.names, task.size, overflow)
            rest = [name for name, counts in counted.items() if counts is None]
            if rest:  # more distinct values than the slot columns list: count the multi-valued fields
                answer = task.searcher.aggregate(task.query, facets.facet_aggs(rest, task.size, slotted=False))
                counted.update(facets.facet_counts(answer, rest, task.size))
        except ValueError as exc:
            raise BackendError(f"facet counting failed: {exc}") from exc
        return {name: counts or [] for name, counts in counted.items()}

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(FACET_THREADS, thread_name_prefix="unioncat-facets")
            return self._pool

    def get(self, doc_id: str) -> dict[str, Any] | None:
        searcher = self._open().searcher()
        result = searcher.search(Query.term_query(self.schema, "id", doc_id), 1, count=False)
        if not result.hits:
            return None
        return tantivy_schema.from_tantivy(searcher.doc(result.hits[0][1]).to_dict())

    def count(self) -> int:
        return int(self._open().searcher().num_docs)

    def terms(self, field: str, prefix: str = "", limit: int = 10) -> list[tuple[str, int]]:
        """Terms of an indexed field with their document counts (`TermLister`): with a prefix, the
        `limit` most frequent starting with it; without, the whole field in term order (cached)."""
        searcher = self._open().searcher()
        try:
            if field in terms.TABLE_FIELDS:  # heading fields: the table written at commit
                version_dir = self.index_dir / self._version
                if prefix:
                    return self._headings.table(searcher, version_dir, field).complete(prefix, limit)
                return self._headings.alphabetical(searcher, version_dir, field)
            if prefix:
                return terms.with_prefix(searcher, field, prefix, limit)
            return self._terms.alphabetical(searcher, (self._version, self._meta_stamp), field)
        except ValueError as exc:
            raise QueryError(f"cannot list the terms of {field!r}") from exc

    def generation(self) -> str:
        """The live version and its meta.json (inode, mtime): changes with every visible commit or rebuild.

        Costs two stats (the same check every search makes), so the web tier asks it on each request.
        """
        with self._lock:
            self._open()
            return f"{self._version}:{self._meta_stamp}"

    def info(self) -> dict[str, Any]:
        searcher = self._open().searcher()
        return {
            "backend": self.name,
            "index_dir": str(self.index_dir),
            "version": self._version,
            "path": str(self.index_dir / self._version),
            "documents": int(searcher.num_docs),
            "segments": int(searcher.num_segments),
        }

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            if self._writer is not None:
                writer, self._writer = self._writer, None
                writer.commit()
                writer.wait_merging_threads()
            self._index = None
            self._version = ""
            self._current_stamp = None


_SORT_FIELDS = {
    "newest": ("year", tantivy.Order.Desc),
    "oldest": (tantivy_schema.YEAR_ASC, tantivy.Order.Asc),
    "title": ("title_sort", tantivy.Order.Asc),
}


def _attempts(parsed: ParsedQuery) -> Iterator[tuple[ParsedQuery, bool, bool]]:
    """(query, fuzzy, relaxed) in the order tried until one matches: exact AND, typo-tolerant AND,
    then OR (exact, typo-tolerant). Typos before OR, because "moby dikc" means Moby Dick, not "moby"."""
    fuzzable = analysis.has_fuzzable_term(parsed.root)
    yield parsed, False, False
    if fuzzable:
        yield parsed, True, False
    if len(parsed.root.must) > 1:
        yield parsed.relaxed(), False, True
        if fuzzable:
            yield parsed.relaxed(), True, True


def _count(result: tantivy.SearchResult | ranking.Page) -> int:
    """Matches counted by a search made with count=True (missing from tantivy's type stubs)."""
    return int(result.count or 0)  # type: ignore[attr-defined,union-attr]


def _page(request: SearchRequest) -> int:
    return max(1, min(request.page, MAX_PAGE))


def _per_page(request: SearchRequest) -> int:
    return max(1, min(request.per_page, MAX_PER_PAGE))
