"""Clusters → search documents and analytics profiles, a batch at a time, in worker processes.

Merging a cluster's records and building its document is nearly all of a full index run after
clustering (reading and decoding the members' JSON, the merge, the document's derived fields, the
conversion to the engine's form), and it is independent per cluster. So a large run hands batches
of (cluster id, member ids) to worker processes, each reading the store itself (SQLite in WAL mode:
readers do not block one another or the writer), and the main process only passes the finished
documents to the single index writer and adds the profiles to the analytics' tally. Results come back
in the order the batches went out, so the index, the analytics and a checkpoint's "every cluster up
to X is in" are exactly those of a run in one process; at most `AHEAD` batches per worker are in flight
(bounded memory on any corpus size).

    spec = BuildSpec(str(store.path), libraries, digital_sources, thesauri, backend_encoder)
    for batch, built in build_batches(spec, batches, workers=2, store=store):
        ...
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, fields
from multiprocessing import get_context
from operator import attrgetter
from typing import Any

from harvester.store import RecordStore
from indexer.analytics.profile import TitleProfile, profile_of
from indexer.merge import load_merged
from indexer.run_watch import watch_run
from indexer.search.backends.base import Encoded
from indexer.search.documents import build_document

AHEAD = 3
"""Batches queued per worker beyond the one it works on: keeps workers busy, memory bounded."""

Batch = list[tuple[str, list[str]]]


@dataclass(frozen=True, slots=True)
class BuildSpec:
    """What a worker needs to build documents (picklable: sent once to each worker)."""

    store_path: str
    libraries: Mapping[str, tuple[str, str]]
    digital_sources: tuple[str, ...]
    thesauri: frozenset[str]
    encoder: Callable[[dict[str, Any]], Any] | None = None  # the backend's own form (`StepwiseRebuild`)


@dataclass(frozen=True, slots=True)
class Built:
    """One cluster's document (encoded when the backend has an encoder) and analytics profile."""

    doc: dict[str, Any] | Encoded
    library_count: int
    profile: TitleProfile


def build_batches(spec: BuildSpec, batches: Iterable[Batch], workers: int,
                  store: RecordStore) -> Iterator[tuple[Batch, list[Built]]]:
    """Each batch with what it built (clusters without live members build nothing), in order;
    ``workers`` <= 1 builds in this process from ``store``."""
    if workers <= 1:
        for batch in batches:
            yield batch, build(store, spec, batch)
        return
    context = get_context("forkserver" if os.name == "posix" else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(spec, os.getpid()))
    pending: deque[tuple[Batch, Future[list[Row]]]] = deque()
    try:
        for batch in batches:
            pending.append((batch, pool.submit(_work, batch)))
            if len(pending) > workers * (AHEAD + 1):
                done, future = pending.popleft()
                yield done, [_built(row) for row in future.result()]
        while pending:
            done, future = pending.popleft()
            yield done, [_built(row) for row in future.result()]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def build(store: RecordStore, spec: BuildSpec, batch: Batch) -> list[Built]:
    """The documents and profiles of one batch of clusters."""
    out: list[Built] = []
    for merged in load_merged(store, batch, spec.libraries):
        profile = profile_of(merged, spec.digital_sources)
        doc = build_document(merged, spec.digital_sources, spec.thesauri)
        payload = doc if spec.encoder is None else Encoded(merged.id, spec.encoder(doc))
        out.append(Built(payload, doc["library_count"], profile))
    return out


_PROFILE_FIELDS = attrgetter(*(f.name for f in fields(TitleProfile)))
_worker: tuple[RecordStore, BuildSpec] | None = None


def _start_worker(spec: BuildSpec, run_pid: int) -> None:
    global _worker
    _worker = (RecordStore(spec.store_path), spec)
    watch_run(run_pid, "unioncat-run-watch")


Row = tuple[Any, ...]
"""A `Built` as it crosses from a worker: plain tuples and strings pickle in a fraction of the time of
three (slotted, frozen) dataclasses, whose pickling goes field by field through `dataclasses.fields`."""


def _row(item: Built) -> Row:
    doc, profile = item.doc, item.profile
    encoded = (doc.id, doc.payload) if isinstance(doc, Encoded) else None
    return (encoded, doc if encoded is None else None, item.library_count, _PROFILE_FIELDS(profile))


def _built(row: Row) -> Built:
    encoded, plain, library_count, profile = row
    return Built(plain if encoded is None else Encoded(*encoded), library_count, TitleProfile(*profile))


def _work(batch: Batch) -> list[Row]:
    assert _worker is not None, "worker not started"
    store, spec = _worker
    return [_row(item) for item in build(store, spec, batch)]
