"""The bounded clusterer's worker processes: the per-record and per-pair work on every core.

Almost all of a full pass's CPU is in two places that need nothing from the rest of the pass
(cProfile, 100k harvested records: decoding records and building their profiles and blocking keys,
and deciding the candidate pairs), so `indexer.dedup.bounded` hands them to ``workers`` processes
(forkserver, like `indexer.build_pool`) and keeps everything with an order in the main process:

- **preparing records**: a chunk of records (or their normalized JSON, as the store keeps it, so the
  main process does not even decode them) becomes, for each record, its id, source, the marshal bytes
  of its profile and title sort key (exactly what `spill.ProfileFile` stores) and its blocking keys,
  already spread over the `spill.KeyBlocks` partitions with the record numbers the main process gave
  the chunk (numbers are stream order, so they are known when the chunk is sent);
- **deciding pairs**: a chunk of candidate pairs (``i * SHIFT + j`` codes) becomes one value per pair
  (the encoding of `bounded._Bounded._probability`), each worker reading the profiles it needs from the
  run's profile file itself (`spill.ProfileReader`), so no profile crosses a pipe.

Results come back in the order the chunks went out, at most `AHEAD` chunks per worker in flight
(memory bounded on any corpus), and the main process applies them exactly as the one-process path
does, so the groups are the same whatever the number of workers. A worker that raises or dies
surfaces as `ClusterWorkerError` in the main process (not a hang).
"""

from __future__ import annotations

import gc
import marshal
import os
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, fields
from itertools import islice
from multiprocessing import get_context
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

from harvester.record import Record
from harvester.record_json import record_from_json
from indexer.dedup.clustering import VETOED, PairDecider
from indexer.dedup.keys import blocking_keys
from indexer.dedup.profiles import Profile, profile
from indexer.dedup.spill import ProfileReader, partition_of
from indexer.errors import IndexerError
from indexer.run_watch import watch_run

AHEAD = 2
"""Chunks queued per worker beyond the one it works on: keeps workers busy, memory bounded."""
RECORD_CHUNK = 2_000
"""Records per chunk sent to a worker (a few MB of results at most)."""
PAIR_CHUNK = 10_000
"""Candidate pairs per chunk sent to a worker."""

SHIFT = 1 << 32
PROFILE_FIELDS = tuple(f.name for f in fields(Profile))
profile_values = attrgetter(*PROFILE_FIELDS)
"""A `Profile`'s fields as a tuple, in declaration order (what `Profile(*values)` takes back)."""
UNUSED_FOR_MATCHING = ("holdings", "links", "notes", "summary")
"""Fields dropped from the records handed to the matcher: no matcher decides on them, and holdings
(one per item in many exports) are most of a record's size, so a full pass over millions of records
fits in far less memory. `Catalog.explain` gives matchers full records; the decision is the same."""


def matching_record(normalized_json: str) -> Record:
    """A stored record's normalized JSON as the `Record` matchers see (see `UNUSED_FOR_MATCHING`)."""
    return record_from_json(normalized_json, drop=UNUSED_FOR_MATCHING)


def title_key(record: Record) -> str:
    """What a block over `BLOCK_CAP` sorts its records by (as `clustering._pair_codes` does)."""
    return (record.title_sort or record.title).casefold()


class ClusterWorkerError(IndexerError):
    """A clustering worker process failed (raised, or died): the pass stops with what it said."""


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Prepared:
    """One chunk of records, ready for the main process to file (see the module docstring)."""

    ids: list[str]
    sources: list[str]
    blobs: list[bytes]
    parts: list[tuple[int, list[tuple[str, int]]]]  # (partition, [(key, number), ...]) for non-empty ones
    keys: int
    rows: Any  # what the `KeySink`'s ``rows`` made of the chunk, None without a sink


Rows = Callable[[list[Record], list[list[str]]], Any]


@dataclass(frozen=True, slots=True)
class KeySink:
    """What a caller wants done with every record besides clustering it (`ClusterStore`: the rows of
    its key tables): ``rows`` (a module-level function, so that a worker can run it) turns a chunk of
    records and their blocking keys into a marshal-able value, ``write`` takes each chunk's value in
    the main process, in stream order, and ``done`` is called once all are written (before any pair
    is decided), also when there were no records."""

    rows: Rows
    write: Callable[[Any], None]
    done: Callable[[], None]


class Chunked:
    """A `KeySink` (or none) fed one record at a time (the one-process paths), written by chunks."""

    def __init__(self, sink: KeySink | None) -> None:
        self.sink = sink
        self.records: list[Record] = []
        self.keys: list[list[str]] = []

    def write_all(self, records: Iterable[Record], keys_of: Callable[[Record], list[str]]) -> None:
        if self.sink is not None:
            for record in records:
                self.add(record, keys_of(record))
            self.close()

    def add(self, record: Record, keys: list[str]) -> None:
        if self.sink is None:
            return
        self.records.append(record)
        self.keys.append(keys)
        if len(self.records) >= RECORD_CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.sink is not None and self.records:
            self.sink.write(self.sink.rows(self.records, self.keys))
        self.records, self.keys = [], []

    def close(self) -> None:
        self._flush()
        if self.sink is not None:
            self.sink.done()


T = TypeVar("T")


class ClusterPool:
    """Worker processes for one bounded pass (use as a context manager: shut down however it ends)."""

    def __init__(self, matcher: PairDecider, blocked: frozenset[str], partitions: int, workers: int,
                 rows: Rows | None = None) -> None:
        self.workers = workers
        context = get_context("forkserver" if os.name == "posix" else "spawn")
        self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                        initargs=(_Worker(matcher, blocked, partitions, rows), os.getpid()))

    def __enter__(self) -> ClusterPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def prepare(self, records: Iterable[Record | str]) -> Iterator[tuple[int, Prepared]]:
        """The records in chunks, each prepared, in order, with the number of its first record."""
        def chunks() -> Iterator[tuple[int, list[Record | str]]]:
            start, stream = 0, iter(records)
            while chunk := list(islice(stream, RECORD_CHUNK)):
                yield start, chunk
                start += len(chunk)

        start = 0
        for data in self._ordered(_prepare, chunks()):
            ids, sources, blobs, parts, keys, rows = marshal.loads(data)
            yield start, Prepared(ids, sources, blobs, parts, keys, rows)
            start += len(ids)

    def decide(self, folder: Path, cache_size: int, pairs: Iterable[int]) -> Iterator[tuple[array[int], list[float]]]:
        """The pair codes (``i * SHIFT + j``) in chunks, each with one value per pair, in order; the
        workers read the profiles from ``folder``'s shared `spill.ProfileFile`."""
        sent: deque[array[int]] = deque()

        def chunks() -> Iterator[tuple[str, int, bytes]]:
            chunk = array("q")
            for pair in pairs:
                chunk.append(pair)
                if len(chunk) >= PAIR_CHUNK:
                    sent.append(chunk)
                    yield str(folder), cache_size, chunk.tobytes()
                    chunk = array("q")
            if chunk:
                sent.append(chunk)
                yield str(folder), cache_size, chunk.tobytes()

        for values in self._ordered(_decide, chunks()):
            yield sent.popleft(), values

    def _ordered(self, work: Callable[[Any], T], items: Iterable[Any]) -> Iterator[T]:
        pending: deque[Future[T]] = deque()
        try:
            for item in items:
                pending.append(self._submit(work, item))
                if len(pending) > self.workers * (AHEAD + 1):
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())
        finally:
            for future in pending:
                future.cancel()


    def _submit(self, work: Callable[[Any], T], item: Any) -> Future[T]:
        try:
            return self.pool.submit(work, item)
        except BrokenProcessPool as error:  # a worker died before its result was asked for
            raise ClusterWorkerError(f"a clustering worker process died ({error})") from error


def _result(future: Future[T]) -> T:
    try:
        return future.result()
    except BrokenProcessPool as error:
        raise ClusterWorkerError(f"a clustering worker process died ({error})") from error
    except Exception as error:  # the worker's own exception, re-raised here with its traceback as cause
        raise ClusterWorkerError(f"a clustering worker failed: {type(error).__name__}: {error}") from error


# --- in the worker --------------------------------------------------------------------------------

@dataclass(slots=True)
class _Worker:
    matcher: PairDecider
    blocked: frozenset[str]
    partitions: int
    rows: Rows | None = None
    reader: ProfileReader | None = None


_worker: _Worker | None = None


def _start_worker(worker: _Worker, run_pid: int) -> None:
    global _worker
    _worker = worker
    gc.disable()  # as in the main process (indexer.dedup.gc_pause): no cycles are made, the heap is small
    watch_run(run_pid, "unioncat-cluster-watch")



def _prepare(item: tuple[int, list[Record | str]]) -> bytes:
    assert _worker is not None, "worker not started"
    start, items = item
    return prepare_chunk(start, items, _worker)


def prepare_chunk(start: int, items: list[Record | str], worker: _Worker) -> bytes:
    """A chunk's `Prepared` fields, marshalled (one ``bytes`` crosses the pipe: cheaper than pickle)."""
    ids: list[str] = []
    sources: list[str] = []
    blobs: list[bytes] = []
    parts: dict[int, list[tuple[str, int]]] = {}
    records = [matching_record(item) if isinstance(item, str) else item for item in items]
    every: list[list[str]] = []
    for n, record in enumerate(records, start):
        ids.append(record.id)
        sources.append(record.source_id)
        blobs.append(marshal.dumps((profile_values(profile(record)), title_key(record))))
        keys = blocking_keys(record, worker.blocked)
        every.append(keys)
        for key in keys:
            parts.setdefault(partition_of(key, worker.partitions), []).append((key, n))
    rows = worker.rows(records, every) if worker.rows is not None else None
    return marshal.dumps((ids, sources, blobs, sorted(parts.items()), sum(map(len, every)), rows))


def _decide(item: tuple[str, int, bytes]) -> list[float]:
    assert _worker is not None, "worker not started"
    folder, cache_size, codes = item
    worker = _worker
    if worker.reader is None or worker.reader.folder != Path(folder):
        if worker.reader is not None:
            worker.reader.close()
        worker.reader = ProfileReader(Path(folder), cache_size)
    return decide_chunk(worker.matcher, worker.blocked, worker.reader, codes)


def decide_chunk(matcher: PairDecider, blocked: frozenset[str], reader: ProfileReader, codes: bytes) -> list[float]:
    """One value per pair: `VETOED`, the probability of a match, or ``probability - 2`` of a non-match."""
    out: list[float] = []
    get = reader.get
    for pair in memoryview(codes).cast("q"):
        i, j = divmod(pair, SHIFT)
        decision = matcher.decide(Profile(*get(i)[0]), Profile(*get(j)[0]), blocked)
        out.append(VETOED if decision.vetoed else decision.probability - (0.0 if decision.same else 2.0))
    return out
