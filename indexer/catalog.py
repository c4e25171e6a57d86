"""The catalog as the web interface sees it: one object over the record store, clusters and search engine.

`search_ui` talks to nothing else, so the patron interface never learns SQL, cluster tables or which
search backend runs; tests hand it a store and backend they built (constructor injection), the
application uses `Catalog.open(settings)`.

    catalog = Catalog.open(settings)
    results = catalog.search(SearchRequest(text="moby dick"))
    item = catalog.record(results.hits[0].id)          # MergedRecord, every library's holdings
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from harvester.lock import show_interrupted
from harvester.settings import Settings
from harvester.store import QuarantineEntry, RecordStore, StoredRecord
from harvester.types import ClusterId, RecordId, SourceId
from indexer.dedup.cluster_changes import ClusterLog
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.matchers import matcher_for
from indexer.dedup.matching import Explanation, Matcher
from indexer.holdings_check import HoldingsAnswer, check_holdings, unmapped_codes
from indexer.lenders import Directory, LenderList, directory_from_settings, rank_lenders
from indexer.merge import MergedRecord, load_merged
from indexer.search.backends.base import (
    Generational,
    SearchBackend,
    SearchHit,
    SearchRequest,
    SearchResults,
    TermLister,
)
from indexer.search.similar import similar_query


class Catalog:
    """Search, records, redirects, explanations and holdings checks over one store and one index."""

    def __init__(self, settings: Settings, store: RecordStore, backend: SearchBackend) -> None:
        self.settings = settings
        self.store = store
        self.backend = backend
        self.clusters = ClusterStore(store)
        self._matcher: Matcher | None = None
        self._directory: Directory | None = None
        self._owned = False

    @classmethod
    def open(cls, settings: Settings) -> Catalog:
        """The catalog of a config: its record store and its configured search backend (closed by `close`)."""
        from indexer.search.backends import open_backend

        store = RecordStore(settings.store_path)
        try:
            backend = open_backend(settings)
        except BaseException:
            store.close()
            raise
        catalog = cls(settings, store, backend)
        catalog._owned = True
        return catalog

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self._matcher = matcher_for(self.settings)
        return self._matcher

    def search(self, request: SearchRequest) -> SearchResults:
        return self.backend.search(request)

    def generation(self) -> str | None:
        """The index state token (`Generational`), or None when the backend cannot name one (no caching)."""
        if not isinstance(self.backend, Generational):
            return None
        return self.backend.generation()

    def cache_counts(self) -> None:
        """Let the backend keep facet counts per index generation for queries too (if it can): for a
        long-running server, where paging through or re-sorting a result should not count it again."""
        if hasattr(self.backend, "cache_query_facets"):
            self.backend.cache_query_facets = True

    def terms(self, field: str, prefix: str = "", limit: int = 10) -> list[tuple[str, int]] | None:
        """Index terms with document counts (see `TermLister`); None when the backend cannot list them."""
        if not isinstance(self.backend, TermLister):
            return None
        return self.backend.terms(field, prefix, limit)

    def similar(self, merged: MergedRecord, limit: int = 5) -> list[SearchHit]:
        """Items sharing this one's subjects, authors or title words (`similar_query`), best first."""
        text = similar_query(merged.record)
        if not text:
            return []
        found = self.backend.search(SearchRequest(text=text, facets=(), per_page=limit + 1))
        return [hit for hit in found.hits if hit.id != merged.id][:limit]

    def record(self, cluster_id: ClusterId) -> MergedRecord | None:
        """The merged record of a live cluster, or None (see `redirect` for retired ids)."""
        members = self.clusters.members(cluster_id)
        if not members:
            return None
        merged = load_merged(self.store, [(cluster_id, members)])
        return merged[0] if merged else None

    def versions(self, cluster_id: ClusterId) -> list[MergedRecord]:
        """Other editions / versions of the same work: clusters sharing a work key (`indexer.dedup.works`)."""
        others = [(other, self.clusters.members(other)) for other in self.clusters.versions(cluster_id)]
        return load_merged(self.store, [(other, members) for other, members in others if members])

    def redirect(self, cluster_id: ClusterId) -> str | None:
        """A retired cluster id → the cluster now holding its records (None if unknown or gone)."""
        return self.clusters.redirect(cluster_id)

    def cluster_count(self) -> int:
        """How many live clusters (items) the catalog has."""
        return self.clusters.count()

    def cluster_page(self, offset: int, limit: int) -> list[tuple[str, float]]:
        """Live cluster ids with their last change (Unix time), in id order: the sitemap's pages."""
        return self.clusters.listing(offset, limit)

    def cluster_stamps(self, cluster_ids: Sequence[str]) -> dict[str, float]:
        """cluster id → its last change (Unix time), for the live ones among ``cluster_ids``."""
        return self.clusters.stamps(cluster_ids)

    def merged(self, clusters: Sequence[tuple[str, Sequence[str]]]) -> list[MergedRecord]:
        """Merged records of many (cluster id, member ids) at once; clusters whose members are gone are left out."""
        return load_merged(self.store, clusters)

    def cluster_of(self, record_id: RecordId) -> str | None:
        """The live cluster a member record (``source:localid``) belongs to."""
        return self.clusters.cluster_of(record_id)

    def changes(self) -> ClusterLog:
        """The clusters' change log (change times, retired ids, identifier terms): OAI-PMH and SRU scan."""
        return ClusterLog(self.store)

    def libraries(self) -> dict[str, tuple[str, str]]:
        """source id → (library code, library name) of every harvested source."""
        return self.store.libraries()

    def secret(self, name: str) -> bytes:
        """A random 32-byte key kept in the store under ``name`` (made on first use), e.g. to sign tokens
        so that every server over this store, before and after a restart, accepts them."""
        key = f"secret.{name}"
        value = self.store.get_state(key)
        if not isinstance(value, str) or len(value) != 64:
            value = secrets.token_hex(32)
            self.store.set_state(key, value)
        return bytes.fromhex(value)

    def stored(self, record_id: RecordId) -> StoredRecord | None:
        return self.store.get(record_id)

    def explain(self, a: str, b: str) -> Explanation:
        """Why records ``a`` and ``b`` are (not) one item, by the configured matcher and staff overrides.

        Raises KeyError naming the record id that is not in the store.
        """
        records = []
        for record_id in (a, b):
            stored = self.store.get(record_id)
            if stored is None:
                raise KeyError(f"no record {record_id!r} (ids look like source:localid)")
            records.append(stored.normalized)
        return self.matcher.explain(records[0], records[1], self.clusters.overrides())

    @property
    def directory(self) -> Directory:
        """The libraries the lender ranking knows (sources' coordinates + config/maps/lending.toml)."""
        if self._directory is None:
            self._directory = directory_from_settings(self.settings)
        return self._directory

    def holdings_check(self, identifiers: Sequence[str], requester: str = "") -> list[HoldingsAnswer]:
        return check_holdings(self.store, identifiers, self.clusters, self.directory, requester)

    def lenders(self, merged: MergedRecord, requester: str = "") -> LenderList:
        """The ranked lender list for one merged record, as library `requester` would send it."""
        return rank_lenders(merged.record.holdings, self.directory, requester, request_key=merged.id)

    def requesters(self) -> list[tuple[str, str]]:
        """(code, name) of every library that can request: the configured sources' libraries."""
        seen: dict[str, str] = {}
        for source in self.settings.sources:
            seen.setdefault(source.library.code, source.library.name or source.library.code)
        return sorted(seen.items(), key=lambda item: item[1].casefold())

    def unmapped_codes(self, source_id: str) -> list[tuple[str, int]]:
        """Holdings codes of a source that its translation map does not name (partners page)."""
        return unmapped_codes(self.store, source_id)

    def sources(self) -> list[dict[str, Any]]:
        """Per configured source: record counts and last run (plus OAI state when it has one)."""
        status = {row["id"]: row for row in self.store.source_status()}
        show_interrupted(status.values(), self.settings.data_dir)
        rows: list[dict[str, Any]] = []
        for source in self.settings.sources:
            row = status.pop(source.id, None) or {
                "id": source.id,
                "name": source.name,
                "type": source.type,
                "library": {"code": source.library.code, "name": source.library.name},
                "records": 0,
                "holdings_records": 0,
                "deleted": 0,
                "quarantined": 0,
                "last_run": None,
            }
            if source.type == "oai-pmh":
                row["oai"] = _oai_status(self.store, source.id)
            rows.append(row)
        rows.extend(status.values())  # harvested earlier, no longer configured
        return rows

    def quarantined(self, source_id: SourceId) -> list[QuarantineEntry]:
        """What was rejected from a source, where and why (for the partners page)."""
        return self.store.quarantined(source_id)

    def close(self) -> None:
        """Close the backend and store if this catalog opened them (`Catalog.open`)."""
        if self._owned:
            self.backend.close()
            self.store.close()


def _oai_status(store: RecordStore, source_id: SourceId) -> dict[str, Any]:
    try:
        from harvester.oai.harvest import oai_status
    except ImportError:  # OAI support not present in this checkout
        return {}
    return dict(oai_status(store, source_id))
