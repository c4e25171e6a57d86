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
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from harvester.lock import exclusive_lock
from harvester.progress import Progress
from harvester.settings import Settings
from harvester.store import RecordStore
from indexer import rebuild_checkpoint as checkpoint
from indexer.analytics.refresh import AnalyticsPass
from indexer.build_pool import Batch, BuildSpec, Built, build_batches
from indexer.dedup.clusters import ClusterChanges, ClusterStore
from indexer.dedup.matchers import matcher_for
from indexer.dedup.matching import Matcher
from indexer.errors import BackendError, IndexRunning
from indexer.merge import MergedRecord, load_merged, source_libraries
from indexer.rebuild_checkpoint import Checkpoint
from indexer.search.backends.base import Encoded, SearchBackend, StepwiseRebuild
from indexer.search.documents import FACET_THESAURI, build_document

REBUILD_STATE = "index.rebuild_pending"
"""Store state set while a full rebuild runs, so that a failed one is redone by the next run."""
THESAURI_STATE = "index.facet_thesauri"
"""The ``[search] facet_thesauri`` the documents were built with: a change means a full rebuild."""
LOCK_FILE = "index.lock"
BATCH = 500
"""Clusters merged and sent to the backend at a time: bounded memory on any corpus size."""
CHECKPOINT = 50_000
"""Clusters per step of a full rebuild: each step is committed and recorded, so that a run killed
half-way is continued by the next one after the last step (`rebuild_checkpoint`)."""
PARALLEL_FROM = 20_000
"""A full rebuild of at least this many clusters builds its documents in worker processes
(``workers`` of them; the setting's 0 = one per core); smaller ones in this process."""


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
            changes: ClusterChanges = clusters.recluster_all(matcher, loading.reading, loading.stage,
                                                             workers=settings.workers or None)
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
    counter = _Counter()
    progress = Progress("index", enabled=show_progress, unit="clusters", total=clusters.count() if full else 0,
                        log=True)
    removals: list[str] = []
    try:
        if full:
            fingerprint = checkpoint.fingerprint(store, clusters.count(), matcher.name, thesauri,
                                                 analytics.config.key())
            resume = _resumable(store, backend, fingerprint) if not (rebuild or changes.records) else None
            store.set_state(REBUILD_STATE, True)  # a failed rebuild is redone (or resumed) by the next run
            build = _FullBuild(store, settings, analytics, counter, progress, thesauri, fingerprint)
            indexed = build.run(clusters, backend, resume)
            clusters.clear_index_queue()
            checkpoint.clear(store)
            store.delete_state(REBUILD_STATE)
            deleted = changes.retired
        else:
            analytics.begin(full)
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


def _resumable(store: RecordStore, backend: SearchBackend, fingerprint: dict[str, Any]) -> Checkpoint | None:
    """The checkpoint of a killed full rebuild this run can continue, if there is one (nothing changed
    since, and the backend still has that partial index)."""
    if not store.get_state(REBUILD_STATE) or not isinstance(backend, StepwiseRebuild):
        return None
    found = checkpoint.load(store, fingerprint)
    return found if found is not None and backend.resumable(found.version) else None


def _document(merged: MergedRecord, analytics: AnalyticsPass, thesauri: frozenset[str]) -> dict[str, Any]:
    """One cluster's search document; the analytics see the same merged record (one pass for both)."""
    analytics.see(merged)
    return build_document(merged, analytics.digital_sources, thesauri)


class _FullBuild:
    """Every cluster's document into a fresh index, built in worker processes on large catalogs
    (`build_pool`), handed to the backend in steps of `CHECKPOINT` clusters when it can commit part-way
    (`StepwiseRebuild`): after each step the run records how far it got (`rebuild_checkpoint`), and a
    run killed half-way is continued by the next one after the last recorded step."""

    def __init__(self, store: RecordStore, settings: Settings, analytics: AnalyticsPass, counter: _Counter,
                 progress: Progress, thesauri: frozenset[str], fingerprint: dict[str, Any]) -> None:
        self.store, self.settings, self.analytics = store, settings, analytics
        self.counter, self.progress, self.thesauri, self.fingerprint = counter, progress, thesauri, fingerprint
        self.after = ""  # the last cluster handed over
        self.clusters = self.indexed = 0
        self.finished = False

    def run(self, clusters: ClusterStore, backend: SearchBackend, resume: Checkpoint | None) -> int:
        if resume is not None:
            self.analytics.resume(resume.after, resume.analytics)
            self.after, self.clusters, self.indexed = resume.after, resume.clusters, resume.indexed
            self.counter.multi = resume.multi
            # percent and ETA of what is left: this run's rate would be wrong with the skipped part in it
            self.progress.total = max(0, self.progress.total - resume.clusters)
            self.progress.label += f" (resumed after {resume.clusters:,} clusters)"
        else:
            self.analytics.begin(True)
            checkpoint.clear(self.store)
        if not isinstance(backend, StepwiseRebuild):
            return backend.rebuild(_plain(self._docs(self._built(clusters, None))))
        built = self._built(clusters, backend.encoder)
        written = backend.rebuild_steps(self._steps(built), resume.version if resume else "", self._committed)
        return written + (resume.indexed if resume else 0)

    def _built(self, clusters: ClusterStore, encoder: Any) -> Iterator[tuple[Batch, list[Built]]]:
        spec = BuildSpec(str(self.store.path), source_libraries(self.store), self.analytics.digital_sources,
                         self.thesauri, encoder)
        left = clusters.count() - self.clusters
        workers = (self.settings.workers or os.cpu_count() or 1) if left >= PARALLEL_FROM else 1
        return build_batches(spec, _batches(clusters, self.after), workers, self.store)

    def _steps(self, built: Iterator[tuple[Batch, list[Built]]]) -> Iterator[Iterator[dict[str, Any] | Encoded]]:
        while not self.finished:
            yield self._step(built)

    def _step(self, built: Iterator[tuple[Batch, list[Built]]]) -> Iterator[dict[str, Any] | Encoded]:
        done = 0
        while done < CHECKPOINT:
            item = next(built, None)
            if item is None:
                self.finished = True
                return
            batch, results = item
            yield from self._seen(batch, results)
            done += len(batch)

    def _docs(self, built: Iterator[tuple[Batch, list[Built]]]) -> Iterator[dict[str, Any] | Encoded]:
        for batch, results in built:
            yield from self._seen(batch, results)

    def _seen(self, batch: Batch, results: list[Built]) -> Iterator[dict[str, Any] | Encoded]:
        for item in results:
            self.analytics.see_profile(item.profile)
            self.counter.multi += item.library_count >= 2
            yield item.doc
        self.indexed += len(results)
        self.after = batch[-1][0]
        self.clusters += len(batch)
        self.progress.update(len(batch))

    def _committed(self, version: str) -> None:
        saved = self.analytics.checkpoint()
        checkpoint.save(self.store, Checkpoint(version, self.after, self.clusters, self.indexed, self.counter.multi,
                                               saved, self.fingerprint))


def _plain(docs: Iterable[dict[str, Any] | Encoded]) -> Iterator[dict[str, Any]]:
    """Documents built without an encoder are plain dicts (for a backend without `StepwiseRebuild`)."""
    for doc in docs:
        assert isinstance(doc, dict)
        yield doc


def _batches(clusters: ClusterStore, after: str) -> Iterator[Batch]:
    """Every cluster after ``after`` (all with ""), in id order, `BATCH` at a time."""
    items = clusters.iter_clusters(after=after)
    while batch := list(islice(items, BATCH)):
        yield batch


class _Stages:
    """One progress line per clustering stage (reading, blocking, deciding pairs, joining), each with
    its rate; reading records also with percent and ETA, since the store knows how many there are."""

    READING = "cluster: reading records"
    # what each stage counts: a log line saying "7,607,729 records" for blocking would mislead
    UNITS = {"cluster: blocking": "block entries", "cluster: deciding pairs": "pairs",
             "cluster: joining": "matching pairs"}

    def __init__(self, enabled: bool, records: int) -> None:
        self.enabled = enabled
        self.records = records
        self.current: Progress | None = None

    def stage(self, label: str, done: int) -> None:
        if self.current is None or self.current.label != label:
            self.close()
            self.current = Progress(label, enabled=self.enabled, unit=self.UNITS.get(label, "records"),
                                    total=self.records if label == self.READING else 0, log=True)
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
