"""Keep the search index in step with the record store: cluster, merge, build documents, index.

After a harvest only what changed moves: `ClusterStore.update` re-clusters the changed records and
queues the clusters whose content or membership changed; those are rebuilt and sent to the backend,
retired clusters are deleted from it, and the queue entries are cleared only after the backend
committed (a failed run is redone by the next one). The first run, a change of matcher, a lost index
and ``rebuild=True`` instead re-cluster everything and stream every document into a fresh index that
the backend swaps in atomically (`SearchBackend.rebuild`), so searches keep working throughout.
Every merged record built on the way is also shown to the collection analytics
(`indexer.analytics.refresh.AnalyticsPass`), which store their figures once the backend committed.

    report = update_index(settings, store, backend)
    print(report.summary())
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester.lock import exclusive_lock
from harvester.progress import Progress
from harvester.settings import Settings
from harvester.store import RecordStore
from indexer.analytics.refresh import AnalyticsPass
from indexer.dedup.clusters import ClusterChanges, ClusterStore
from indexer.dedup.matchers import matcher_for
from indexer.dedup.matching import Matcher
from indexer.errors import BackendError, IndexRunning
from indexer.merge import MergedRecord, load_merged, source_libraries
from indexer.search.backends.base import SearchBackend
from indexer.search.documents import FACET_THESAURI, build_document

REBUILD_STATE = "index.rebuild_pending"
"""Store state set while a full rebuild runs, so that a failed one is redone by the next run."""
THESAURI_STATE = "index.facet_thesauri"
"""The ``[search] facet_thesauri`` the documents were built with: a change means a full rebuild."""
LOCK_FILE = "index.lock"
BATCH = 500
"""Clusters merged and sent to the backend at a time: bounded memory on any corpus size."""


def _exclusive(data_dir: Path) -> contextlib.AbstractContextManager[None]:
    path = data_dir / LOCK_FILE
    message = f"another `unioncat index` is running on {data_dir} (lock {path})"
    return exclusive_lock(path, lambda: IndexRunning(message))


@dataclass(slots=True)
class IndexReport:
    """What one `update_index` run did."""

    full: bool
    matcher: str
    records: int  # bib records (re)clustered
    clusters: int  # clusters in the catalog afterwards
    indexed: int  # documents sent to the backend
    deleted: int  # documents removed from the backend
    multi_library: int  # of the documents indexed: items held by 2+ libraries
    seconds: float
    analytics: str = ""  # what the collection analytics pass did (`indexer.analytics.refresh`)

    def summary(self) -> str:
        mode = "full rebuild" if self.full else "incremental"
        return (
            f"index ({mode}, matcher {self.matcher}): {self.records:,} records clustered, "
            f"{self.clusters:,} clusters; {self.indexed:,} documents indexed "
            f"({self.multi_library:,} held by 2+ libraries), {self.deleted:,} deleted; {self.seconds:.1f}s"
            + (f"; {self.analytics}" if self.analytics else "")
        )


def update_index(settings: Settings, store: RecordStore, backend: SearchBackend,
                 matcher: Matcher | None = None, rebuild: bool = False,
                 show_progress: bool = True) -> IndexReport:
    """Bring ``backend`` up to date with ``store`` (incrementally unless a full pass is needed).

    Raises `IndexRunning` when another run holds this data folder's lock.
    """
    with _exclusive(settings.data_dir):
        return _update(settings, store, backend, matcher, rebuild, show_progress)


def _update(settings: Settings, store: RecordStore, backend: SearchBackend, matcher: Matcher | None,
            rebuild: bool, show_progress: bool) -> IndexReport:
    started = time.monotonic()
    matcher = matcher or matcher_for(settings)
    clusters = ClusterStore(store)
    full = rebuild or clusters.needs_full(matcher)
    loading = _Stages(show_progress, store.count_changed_bibs(0, store.max_seq()))
    try:
        if full:
            changes: ClusterChanges = clusters.recluster_all(matcher, loading.reading, loading.stage)
        else:
            changes = clusters.update(matcher, loading.reading)
    finally:
        loading.close()
    full = full or changes.full or bool(store.get_state(REBUILD_STATE))
    full = full or (_index_lost(backend) and clusters.count() > 0)
    analytics = AnalyticsPass(store, settings)
    full = full or analytics.config_changed  # held_by_count in every document depends on it
    thesauri = frozenset(settings.search.facet_thesauri)
    full = full or _thesauri_changed(store, thesauri)  # every document's subject facet depends on it
    analytics.begin(full)
    counter = _Counter()
    progress = Progress("index", enabled=show_progress, unit="clusters", total=clusters.count() if full else 0)
    removals: list[str] = []
    try:
        if full:
            store.set_state(REBUILD_STATE, True)  # a failed rebuild is redone by the next run
            indexed = backend.rebuild(counter.watch(_all_documents(store, clusters, progress, analytics, thesauri)))
            clusters.clear_index_queue()
            store.delete_state(REBUILD_STATE)
            deleted = changes.retired
        else:
            indexed, removals = _incremental(store, clusters, backend, counter, progress, analytics, thesauri)
            deleted = len(removals)
    finally:
        progress.close()
    store.set_state(THESAURI_STATE, sorted(thesauri))
    summary = analytics.finish(removals).summary()
    return IndexReport(full=full, matcher=matcher.name, records=changes.records, clusters=clusters.count(),
                       indexed=indexed, deleted=deleted, multi_library=counter.multi,
                       seconds=time.monotonic() - started, analytics=summary)


def _index_lost(backend: SearchBackend) -> bool:
    """An empty or unreadable index (deleted folder, built by another version): rebuild it whole."""
    try:
        return backend.count() == 0
    except BackendError:
        return True


def _thesauri_changed(store: RecordStore, thesauri: frozenset[str]) -> bool:
    """The Subject facet's thesauri differ from those the index was built with (none recorded: the default)."""
    built = store.get_state(THESAURI_STATE)
    return frozenset(FACET_THESAURI if built is None else built) != thesauri


def _incremental(store: RecordStore, clusters: ClusterStore, backend: SearchBackend, counter: _Counter,
                 progress: Progress, analytics: AnalyticsPass, thesauri: frozenset[str]) -> tuple[int, list[str]]:
    to_index, to_delete = clusters.index_queue()
    libraries = source_libraries(store)
    indexed = 0
    gone: list[str] = []
    for start in range(0, len(to_index), BATCH):
        batch = [(cluster_id, clusters.members(cluster_id)) for cluster_id in to_index[start : start + BATCH]]
        merged = load_merged(store, batch, libraries)
        found = {m.id for m in merged}
        gone.extend(cluster_id for cluster_id, _ in batch if cluster_id not in found)
        indexed += backend.index(counter.watch(_document(m, analytics, thesauri) for m in merged))
        progress.update(len(batch))
    removals = to_delete + gone
    if removals:
        backend.delete(removals)
    backend.commit()
    clusters.mark_indexed(to_index, "index")
    clusters.mark_indexed(to_delete, "delete")
    return indexed, removals


def _all_documents(store: RecordStore, clusters: ClusterStore, progress: Progress,
                   analytics: AnalyticsPass, thesauri: frozenset[str]) -> Iterator[dict[str, Any]]:
    """Every cluster's document, streamed batch by batch (never the whole catalog in memory)."""
    libraries = source_libraries(store)
    batch: list[tuple[str, list[str]]] = []
    for item in clusters.iter_clusters():
        batch.append(item)
        if len(batch) >= BATCH:
            yield from _documents(store, batch, libraries, progress, analytics, thesauri)
            batch = []
    if batch:
        yield from _documents(store, batch, libraries, progress, analytics, thesauri)


def _documents(store: RecordStore, batch: list[tuple[str, list[str]]], libraries: dict[str, tuple[str, str]],
               progress: Progress, analytics: AnalyticsPass, thesauri: frozenset[str]) -> Iterator[dict[str, Any]]:
    for merged in load_merged(store, batch, libraries):
        yield _document(merged, analytics, thesauri)
    progress.update(len(batch))


def _document(merged: MergedRecord, analytics: AnalyticsPass, thesauri: frozenset[str]) -> dict[str, Any]:
    """One cluster's search document; the analytics see the same merged record (one pass for both)."""
    analytics.see(merged)
    return build_document(merged, analytics.digital_sources, thesauri)


class _Stages:
    """One progress line per clustering stage (reading, blocking, deciding pairs, joining), each with
    its rate; reading records also with percent and ETA, since the store knows how many there are."""

    READING = "cluster: reading records"

    def __init__(self, enabled: bool, records: int) -> None:
        self.enabled = enabled
        self.records = records
        self.current: Progress | None = None

    def stage(self, label: str, done: int) -> None:
        if self.current is None or self.current.label != label:
            self.close()
            self.current = Progress(label, enabled=self.enabled,
                                    total=self.records if label == self.READING else 0)
        if done > self.current.records:
            self.current.update(done - self.current.records)

    def reading(self, count: int) -> None:
        done = self.current.records if self.current is not None and self.current.label == self.READING else 0
        self.stage(self.READING, done + count)

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


class _Counter:
    """Counts, as documents stream past, those held by two or more libraries (for the summary)."""

    def __init__(self) -> None:
        self.multi = 0

    def watch(self, docs: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for doc in docs:
            if doc.get("library_count", 0) >= 2:
                self.multi += 1
            yield doc
