"""The search-backend interface: what the indexer and the web interface need from a search engine.

Two implementations: `indexer.search.backends.embedded.EmbeddedBackend` (tantivy, in-process, the default)
and `indexer.search.backends.opensearch.backend.OpenSearchBackend` (a cluster). Both take index documents as plain
dicts keyed by `indexer.search.schema.FIELDS`, both understand the same query language
(`indexer.search.query.parse_query`), and both compute facets over *all* matching documents.

    backend = open_backend(settings)
    backend.index(docs); backend.commit()
    results = backend.search(SearchRequest(text="moby dick", filters={"format": ("book",)}))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from indexer.errors import BackendError as BackendError  # re-exported: the backends' own error names
from indexer.errors import QueryError as QueryError
from indexer.search.schema import FACET_FIELDS

MAX_PAGE = 50
"""Deepest page a patron may ask for: deeper paging costs the engine and helps nobody."""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A patron's search: query text, facet filters, sort and page.

    ``filters`` maps a facet field to the values chosen: values of one field are OR-ed (multi-select),
    fields are AND-ed. ``year_from``/``year_to`` bound the year (inclusive).
    """

    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    facets: tuple[str, ...] = FACET_FIELDS
    facet_size: int = 30
    sort: str = "relevance"  # one of indexer.search.schema.SORTS
    page: int = 1
    per_page: int = 20

    @property
    def offset(self) -> int:
        return (max(1, min(self.page, MAX_PAGE)) - 1) * self.per_page


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str
    score: float
    doc: dict[str, Any]  # the stored fields: at least id, title, authors, year, format, library, members, display


@dataclass(frozen=True, slots=True)
class SearchResults:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]]
    page: int = 1
    per_page: int = 20
    relaxed: bool = False  # True when AND found nothing and the engine fell back to OR
    fuzzy: bool = False  # True when exact terms found nothing and typo-tolerant matching was used

    def to_json(self) -> dict[str, Any]:
        """The shape of `unioncat search --json` and the `/search.json` API."""
        return {
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "relaxed": self.relaxed,
            "fuzzy": self.fuzzy,
            "hits": [_hit_json(hit) for hit in self.hits],
            "facets": {
                name: [{"value": f.value, "count": f.count} for f in values]
                for name, values in self.facets.items()
            },
        }


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    doc = hit.doc
    display = doc.get("display") or {}
    return {
        "id": hit.id,
        "score": round(hit.score, 4),
        "title": display.get("title") or doc.get("title", ""),
        "authors": list(doc.get("authors", [])),
        "year": doc.get("year"),
        "format": display.get("format") or (doc.get("format") or [""])[0],
        "edition": display.get("edition", ""),
        "members": list(doc.get("members", [])),
        "libraries": list(doc.get("library", [])),
        "availability": display.get("availability") or {},
    }


@runtime_checkable
class SearchBackend(Protocol):
    """What every search engine behind unioncat provides."""

    name: str

    def index(self, docs: Iterable[dict[str, Any]]) -> int:
        """Add or replace documents (by ``id``); returns how many were sent. Visible after `commit`."""
        ...

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove documents by id; returns how many ids were sent. Visible after `commit`."""
        ...

    def commit(self) -> None:
        """Make indexed and deleted documents visible to searches."""
        ...

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a search with facets over all matches; AND by default, OR/fuzzy fallback when empty."""
        ...

    def get(self, doc_id: str) -> dict[str, Any] | None:
        """One document by id, or None."""
        ...

    def count(self) -> int:
        """How many documents are searchable."""
        ...

    def rebuild(self, docs: Iterable[dict[str, Any]]) -> int:
        """Build a fresh index from ``docs`` and swap it in atomically; searches keep working throughout."""
        ...

    def info(self) -> dict[str, Any]:
        """Backend name, index name/location and document count (for `unioncat status`)."""
        ...

    def close(self) -> None:
        ...


@runtime_checkable
class TermLister(Protocol):
    """A backend that can list its index terms (browse, autocomplete, "did you mean"); optional.

    The embedded engine reads its term dictionary; a backend without this capability still searches,
    and the interface says that browse and suggestions are not available with it.
    """

    def terms(self, field: str, prefix: str = "", limit: int = 10) -> list[tuple[str, int]]:
        """With a prefix, the `limit` most frequent terms starting with it ((term, documents), count
        descending); without, every term of the field in term order."""
        ...


@runtime_checkable
class Generational(Protocol):
    """A backend that can name the state of its index cheaply; optional.

    The web tier keys its page cache on this token, so a commit or rebuild by any process (another
    server worker, `unioncat index`) invalidates every worker's cached pages without messages between
    them. A backend without it is never cached.
    """

    def generation(self) -> str:
        """A short token that changes whenever a commit or rebuild becomes visible to searches."""
        ...


@dataclass(frozen=True, slots=True)
class Encoded:
    """An index document already in its engine's own form (`StepwiseRebuild.encoder`'s output), made in a
    worker process of a full index run so that the writing process only hands it to the engine."""

    id: str
    payload: Any


@runtime_checkable
class StepwiseRebuild(Protocol):
    """A backend whose full rebuild can commit part-way and continue after a crash; optional.

    A full index run at millions of documents takes long enough that a crash (``kill -9``, power) must
    not mean starting over: the run hands the documents over in steps, the backend makes each step
    durable in the unpublished new index and reports it (`committed`), the run records how far it
    got, and the next run passes that ``resume`` token to continue in the same new index. Searches
    keep answering from the old index until the last step is in and the new one is swapped in.
    """

    encoder: Any
    """A picklable module-level function: index document (dict) → the payload of an `Encoded`."""

    def resumable(self, token: str) -> bool:
        """Whether the partial index ``token`` names is still there to be continued."""
        ...

    def rebuild_steps(self, steps: Iterable[Iterable[dict[str, Any] | Encoded]], resume: str,
                      committed: Any) -> int:
        """Fill a new index (``resume`` "": a fresh one; else the partial one that token names), one
        step at a time, calling ``committed(token)`` after each step is durable; then swap it in.
        Documents of the first step after a resume replace any copy already there (it may have been
        committed just before the crash, without being reported). Returns the documents written."""
        ...
