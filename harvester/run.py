"""Run harvests: fetch → parse → normalize → store, record by record accounted for, source by source isolated.

For MARC file sources the work splits in two: this process streams each file and cuts it into raw
records (cheap), a pool of worker processes parses and normalizes batches of them (the CPU-heavy part,
so a harvest uses every core), and this process writes the results in batched transactions (SQLite
wants a single writer). Order is preserved: files in the source's ``order`` (name, or mtime), records
in file order, and a later record with the same id replaces the earlier one ("superseded", see
`harvester.marc.supersede`), so a full export followed by delta files ends with the deltas' versions,
and a second run over unchanged files changes nothing.

Every record read ends in exactly one bucket: new, updated, unchanged, superseded (a later copy
replaced it), duplicates (the same bytes again, not stored twice), quarantined (with its reason and raw
bytes), or skipped (authority records), so ``read == new + updated + unchanged + superseded +
duplicates + quarantined + skipped``. A record without an id gets one derived from its content
(`harvester.marc.ids`); a record a permissive reader had to repair is stored with what was repaired.
Only what no reader can get anything from is quarantined. A failing source is recorded as failed and
the others go on.

    results = harvest_sources(settings, store, settings.sources)
"""

from __future__ import annotations

import os
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any, NamedTuple

from harvester.errors import BadFeed, HarvestError, RecordRejected, RecordSkipped, SourceUnavailable
from harvester.lock import harvest_lock
from harvester.marc.chunk import RawChunk
from harvester.marc.files import iter_raw_records, list_files, read_record, sniff_format
from harvester.marc.ids import first_local_id, with_derived_id
from harvester.marc.mapping import normalize_marc
from harvester.marc.supersede import LaterWins
from harvester.progress import Progress
from harvester.record_json import record_json
from harvester.settings import Settings, SourceConfig
from harvester.store import IncomingRecord, QuarantineKind, RecordStore, raw_hash
from harvester.types import SourceId, make_record_id
from harvester.valid_text import storable, valid_text


@dataclass(slots=True)
class SourceResult:
    """How one source's harvest went."""

    source_id: SourceId
    status: str = "ok"  # ok | failed
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        c = self.counts
        rate = c.get("read", 0) / self.seconds if self.seconds > 0 else 0.0
        text = (
            f"{self.source_id}: {self.status} — read {c.get('read', 0)} "
            f"(new {c.get('new', 0)}, updated {c.get('updated', 0)}, unchanged {c.get('unchanged', 0)}, "
            f"superseded {c.get('superseded', 0)}, duplicates {c.get('duplicates', 0)}, "
            f"quarantined {c.get('quarantined', 0)}, skipped {c.get('skipped', 0)}), "
            f"deleted {c.get('deleted', 0)}; {self.seconds:.1f}s, {rate:,.0f} records/s"
        )
        return text + (f"\n  error: {self.error}" if self.error else "")


# --- outcomes of processing one raw record (built in worker processes) ---------------------------

class Stored(NamedTuple):
    """Read and normalized: to be written. Crossing the worker pipe, `record` is the packed tuple form
    (`_packed_task`); ``salvaged`` marks a record cut out of a file that is broken past it."""

    record: IncomingRecord | tuple[Any, ...]
    salvaged: bool = False


class Rejected(NamedTuple):
    """Parsed but refused, or the normalizer failed on it: to the quarantine, with its evidence."""

    position: str
    reason: str
    raw: bytes
    local_id: str


class Skipped(NamedTuple):
    """Not a catalog item (an authority record): counted, not stored."""

    position: str
    reason: str


class Unreadable(NamedTuple):
    """The reader could not even cut this record out; ``fatal``: nothing after it in the file is readable.
    ``size``: the input's full size when ``raw`` is only an excerpt (over a `harvester.limits` cap)."""

    position: str
    reason: str
    raw: bytes
    fatal: bool
    size: int | None = None


Outcome = Stored | Rejected | Skipped | Unreadable
"""What became of one raw record (built in worker processes; plain named tuples, cheap to pickle)."""

Chunk = tuple[str, bytes, "str | None", bool, "int | None"]  # position, raw, reader error, fatal, size

_WORKER_SOURCES: dict[str, SourceConfig] = {}


def _init_worker(sources: Sequence[SourceConfig]) -> None:
    _WORKER_SOURCES.clear()
    _WORKER_SOURCES.update({s.id: s for s in sources})


def process_batch(source_id: SourceId, file: str, fmt: str, chunks: list[Chunk]) -> list[Outcome]:
    """Parse and normalize a batch of raw records of one file (runs in a worker process)."""
    source = _WORKER_SOURCES[source_id]
    return [
        _process_one(source, file, fmt, position, raw) if error is None
        else _salvage(source, file, fmt, position, raw, error, fatal, size)
        for position, raw, error, fatal, size in chunks
    ]


def _salvage(source: SourceConfig, file: str, fmt: str, position: str, raw: bytes, error: str,
             fatal: bool, size: int | None = None) -> Outcome:
    """A record element cut out of a broken XML file: stored (marked repaired) when it can be read
    leniently; the file still counts as broken (``fatal``), so none of its old records is deleted.
    An excerpt (``size`` set: the input was over a size limit) is never read as a record."""
    if size is None and fmt == "marcxml" and raw.lstrip().startswith(b"<") and b"record" in raw[:200]:
        outcome = _process_one(source, file, fmt, position, raw, f"read from a broken file ({error})")
        if isinstance(outcome, Stored):
            return Stored(outcome.record, fatal)
    return Unreadable(position, valid_text(error), raw, fatal, size)


def _process_one(source: SourceConfig, file: str, fmt: str, position: str, raw: bytes,
                 note: str = "") -> Outcome:
    local_id = ""
    try:
        marc, repairs = read_record(raw, fmt, source.encoding)
        if note:
            repairs.insert(0, note)
        local_id = first_local_id(marc, source.id_fields) or ""
        record = normalize_marc(marc, source, local_id=local_id)
        if not local_id:
            record = with_derived_id(record, marc, source.id_fields)
        if repairs:
            record = replace(record, repairs=tuple(repairs))
        record, normalized = storable(record, record_json, raw)
    except RecordSkipped as exc:
        return Skipped(position, exc.reason)
    except RecordRejected as exc:
        return Rejected(position, valid_text(exc.reason), raw, valid_text(exc.local_id or local_id))
    except Exception as exc:  # noqa: BLE001 - one record's surprise must not stop the batch; kept with evidence
        reason = f"normalization failed: {type(exc).__name__}: {exc}"
        return Rejected(position, valid_text(reason), raw, valid_text(local_id))
    parent = make_record_id(source.id, record.parent_local_id) if record.parent_local_id else None
    incoming = IncomingRecord(
        id=record.id,
        source_id=source.id,
        local_id=record.local_id,
        raw=raw,
        raw_format=fmt,
        normalized_json=normalized,
        kind=record.kind,
        parent_id=parent,
        file=file,
        position=position,
        digest=raw_hash(raw),
    )
    return Stored(incoming)


# --- harvesting -----------------------------------------------------------------------------------


def harvest_sources(
    settings: Settings,
    store: RecordStore,
    sources: Sequence[SourceConfig],
    full: bool = False,
    workers: int | None = None,
    show_progress: bool = True,
) -> list[SourceResult]:
    """Harvest several sources; file sources share one worker pool, OAI-PMH sources run concurrently.

    Holds the data folder's harvest lock throughout (`HarvestRunning` when another run holds it): two
    overlapping runs would each mark the other's records deleted. Runs left "running" by a killed
    harvest are marked "interrupted" once the lock is ours."""
    with harvest_lock(settings.data_dir):
        store.interrupt_unfinished_runs()
        return _harvest_locked(settings, store, sources, full, workers, show_progress)


def _harvest_locked(settings: Settings, store: RecordStore, sources: Sequence[SourceConfig], full: bool,
                    workers: int | None, show_progress: bool) -> list[SourceResult]:
    for source in sources:
        store.upsert_source(source.id, source.name, source.type, source.library.code, source.library.name)
    file_sources = [s for s in sources if s.type == "marc"]
    oai_sources = [s for s in sources if s.type == "oai-pmh"]
    results: dict[str, SourceResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(4, len(oai_sources)))) as threads:
        futures = {s.id: threads.submit(_harvest_oai_source, store, s, full) for s in oai_sources}
        if file_sources:
            count = workers if workers is not None else (settings.workers or os.cpu_count() or 1)
            with _worker_pool(file_sources, count) as pool:
                for source in file_sources:
                    results[source.id] = _harvest_file_source(settings, store, source, pool, show_progress)
        for source_id, future in futures.items():
            results[source_id] = future.result()
    return [results[s.id] for s in sources]


class _InlinePool:
    """A stand-in for a process pool when one process is asked for: no pickling, same code path."""

    def __init__(self, sources: Sequence[SourceConfig]) -> None:
        _init_worker(sources)

    def imap(self, func: Any, tasks: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        return (func(task) for task in tasks)

    def __enter__(self) -> _InlinePool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _worker_pool(sources: Sequence[SourceConfig], count: int) -> Any:
    if count <= 1:
        return _InlinePool(sources)
    return get_context("fork" if os.name == "posix" else "spawn").Pool(
        processes=count, initializer=_init_worker, initargs=(tuple(sources),)
    )


def _starmap_task(task: tuple[str, str, str, list[Chunk]]) -> tuple[str, list[Outcome]]:
    return task[1], process_batch(*task)


def _packed_task(task: tuple[str, str, str, list[Chunk]]) -> tuple[str, list[Outcome]]:
    """`_starmap_task` for a worker process: stored records travel back as plain tuples and without
    their raw bytes (the harvesting process still has them), which halves what crosses the pipe and
    makes unpickling in the harvesting process, the busiest one, cheap (`_unpack` rebuilds them)."""
    name, outcomes = _starmap_task(task)
    return name, [
        Stored((r.id, r.source_id, r.local_id, r.raw_format, r.normalized_json, r.kind, r.parent_id, r.file,
                r.position, r.digest), outcome.salvaged)
        if isinstance(outcome, Stored) and isinstance(r := outcome.record, IncomingRecord) and r.raw is raw
        else outcome
        for outcome, (_, raw, _, _, _) in zip(outcomes, task[3], strict=True)
    ]


def _unpack(outcomes: list[Outcome], chunks: list[Chunk]) -> list[Outcome]:
    return [
        Stored(IncomingRecord(t[0], t[1], t[2], raw, t[3], t[4], t[5], t[6], t[7], t[8], t[9]), outcome.salvaged)
        if isinstance(outcome, Stored) and not isinstance(t := outcome.record, IncomingRecord) else outcome
        for outcome, (_, raw, _, _, _) in zip(outcomes, chunks, strict=True)
    ]


def _harvest_file_source(
    settings: Settings,
    store: RecordStore,
    source: SourceConfig,
    pool: Pool | _InlinePool,
    show_progress: bool,
) -> SourceResult:
    result = SourceResult(source.id)
    started = time.monotonic()
    run_id = store.start_run(source.id)
    counts: dict[str, int] = {k: 0 for k in ("read", "new", "updated", "unchanged", "superseded", "quarantined",
                                              "skipped", "duplicates", "deleted", "files")}
    try:
        assert source.path is not None
        files = list_files(source.path, source.order)
        if not files:
            raise SourceUnavailable(f"no files found at {source.path}")
        base = source.path if source.path.is_dir() else source.path.parent
        later = LaterWins(store, run_id, [_relative(path, base) for path in files])
        progress = Progress(source.id, sum(f.stat().st_size for f in files), enabled=show_progress)
        # One ordered stream of batches over ALL files of the source, so the pool keeps every core busy
        # across file boundaries (a source of many small files used to run one file at a time).
        readable: dict[str, bool] = {}
        tasks = _source_tasks(source, files, base, settings.batch_size)
        packed = not isinstance(pool, _InlinePool)
        sent: deque[list[Chunk]] = deque()  # the raw records of the batches in the workers, in order
        if packed:
            tasks = _remember(tasks, sent)
        for name, outcomes in pool.imap(_packed_task if packed else _starmap_task, tasks):
            if packed:
                outcomes = _unpack(outcomes, sent.popleft())
            ok = _store_outcomes(store, source, run_id, name, outcomes, counts, progress, later)
            readable[name] = readable.get(name, True) and ok
        with store.transaction():
            store.write_batch(run_id, later.leftovers(), supersede=True)[0].add_to(counts)
        progress.close()
        counts["files"] = len(readable)
        complete = [name for name, ok in readable.items() if ok]
        incomplete = [name for name, ok in readable.items() if not ok]
        store.clear_stale_quarantine(source.id, run_id, complete)
        counts["deleted"] = store.mark_unseen_deleted(source.id, run_id, keep_files=incomplete)
        result.status = "ok"
    except HarvestError as exc:
        result.status, result.error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - a failing source never stops the others; the error is recorded
        result.status = "failed"
        result.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    result.counts = counts
    result.seconds = time.monotonic() - started
    store.finish_run(run_id, result.status, counts, result.error)
    return result


def _source_tasks(
    source: SourceConfig, files: Sequence[Path], base: Path, batch_size: int
) -> Iterator[tuple[str, str, str, list[Chunk]]]:
    """Batches of raw records of every file in order; every file yields at least one task (an empty
    file an empty batch, a file that is not MARC one unreadable "whole file" chunk), so every file is
    accounted for. Runs in the pool's feeder thread: it only reads files, it never writes the store."""
    for path in files:
        name = _relative(path, base)
        try:
            fmt = source.format if source.format != "auto" else sniff_format(path)
        except BadFeed as exc:
            yield (source.id, name, "", [("whole file", _head(path), f"not a MARC file: {exc}", True, None)])
            continue
        empty = True
        for batch in _batches(iter_raw_records(path, fmt, source.limits), batch_size):
            empty = False
            yield (source.id, name, fmt, [(c.position, c.raw, c.error, c.fatal, c.size) for c in batch])
        if empty:
            yield (source.id, name, fmt, [])


def _remember(
    tasks: Iterator[tuple[str, str, str, list[Chunk]]], sent: deque[list[Chunk]]
) -> Iterator[tuple[str, str, str, list[Chunk]]]:
    for task in tasks:
        sent.append(task[3])
        yield task


def _store_outcomes(
    store: RecordStore, source: SourceConfig, run_id: int, name: str, outcomes: list[Outcome],
    counts: dict[str, int], progress: Progress, later: LaterWins,
) -> bool:
    """Write one batch's outcomes in one transaction; False when the file broke off in this batch."""
    source_id, excerpt = source.id, source.limits.quarantine_excerpt_bytes
    incoming: list[IncomingRecord] = []
    size = 0
    readable = True
    with store.transaction():
        for outcome in outcomes:
            counts["read"] += 1
            if isinstance(outcome, Stored):
                assert isinstance(outcome.record, IncomingRecord)  # unpacked by `_unpack`
                incoming.append(outcome.record)
                size += len(outcome.record.raw)
                readable = readable and not outcome.salvaged  # salvaged from a broken file
            elif isinstance(outcome, Rejected):
                store.quarantine(source_id, run_id, name, outcome.position, outcome.reason, outcome.raw or None,
                                 outcome.local_id, QuarantineKind.REJECTED, excerpt_bytes=excerpt)
                counts["quarantined"] += 1
                size += len(outcome.raw)
            elif isinstance(outcome, Unreadable):
                readable = readable and not outcome.fatal
                store.quarantine(source_id, run_id, name, outcome.position, outcome.reason, outcome.raw or None,
                                 "", QuarantineKind.UNREADABLE, outcome.size, excerpt)
                counts["quarantined"] += 1
                size += outcome.size or len(outcome.raw)
            else:
                counts["skipped"] += 1
        now = later.sift(incoming, counts)
        batch_counts, _ = store.write_batch(run_id, now, supersede=True, known=later.known)
        batch_counts.add_to(counts)
    progress.update(len(outcomes), size)
    return readable


def _batches(chunks: Iterable[RawChunk], size: int) -> Iterator[list[RawChunk]]:
    batch: list[RawChunk] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _relative(path: Path, base: Path) -> str:
    """The file's name as stored (a label: a name that is not UTF-8 shows U+FFFD, SQLite refuses it as is)."""
    try:
        return valid_text(str(path.relative_to(base)))
    except ValueError:
        return valid_text(str(path))


def _head(path: Path, limit: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit)


def _harvest_oai_source(store: RecordStore, source: SourceConfig, full: bool) -> SourceResult:
    from harvester.oai.harvest import harvest_oai

    result = SourceResult(source.id)
    started = time.monotonic()
    run_id = store.start_run(source.id)
    try:
        result.counts = harvest_oai(source, store, run_id, full=full)
    except HarvestError as exc:
        result.status, result.error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - a failing source never stops the others; the error is recorded
        result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    result.seconds = time.monotonic() - started
    store.finish_run(run_id, result.status, result.counts, result.error)
    return result
