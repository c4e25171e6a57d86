"""The bounded clusterer on worker processes (`indexer.dedup.cluster_pool`) gives exactly the groups of
one process and of the in-memory clusterer, and a failing worker stops the pass with a clear error.

Spill thresholds are forced tiny (as in test_bounded_clustering.py) so that the workers' reads of the
shared profile file go through their own small caches and the main process files many chunks; the
chunk sizes are shrunk so that even these small inputs are spread over several chunks per worker.
"""

from __future__ import annotations

import csv
import gc
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from harvester.record import Record
from harvester.record_json import record_json
from harvester.store import RecordStore
from indexer.dedup import bounded, cluster_keys, cluster_pool
from indexer.dedup import clusters as clusters_module
from indexer.dedup.bounded import Counts, Limits, cluster_all, cluster_stream
from indexer.dedup.cluster_pool import ClusterWorkerError, default_workers
from indexer.dedup.clustering import BLOCK_CAP, cluster_records
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.decide import Decision, DedupMatcher
from indexer.dedup.matching import NO_OVERRIDES, Overrides
from indexer.dedup.profiles import Profile
from indexer.dedup.spill import KeyBlocks, ProfileFile, ProfileReader, partition_of

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dedup_data import synthetic_records  # noqa: E402
from dedup_sets import article_record  # noqa: E402

from tests.indexer.conftest import Catalogue  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "dedup"
TINY = Limits(run_size=37, cache_size=5, decisions=11)
MATCHER = DedupMatcher()
LIB = {f"lib{n:02d}": ("lib-a", "lib-b", "lib-c")[n % 3] for n in range(10)}


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_pool, "RECORD_CHUNK", 97)
    monkeypatch.setattr(cluster_pool, "PAIR_CHUNK", 41)


def streamed(records: list[Record], workers: int, overrides: Overrides = NO_OVERRIDES,
             matcher: DedupMatcher = MATCHER, as_json: bool = False) -> tuple[list[list[str]], Counts]:
    counts = Counts()
    items: list[Record | str] = [record_json(r) if as_json else r for r in records]
    groups = list(cluster_stream(matcher, iter(items), overrides, None, TINY, counts=counts, workers=workers))
    return groups, counts


def test_two_workers_same_groups_as_one_and_in_memory_from_records_or_their_json() -> None:
    records, _ = synthetic_records(1500, seed=3)
    expected = cluster_records(MATCHER, records, Overrides())
    one, counts_one = streamed(records, 1)
    two, counts_two = streamed(records, 2)
    from_json, counts_json = streamed(records, 2, as_json=True)
    assert one == two == from_json == expected
    assert any(len(g) > 2 for g in two)
    assert counts_one == counts_two == counts_json  # same records, keys, pairs, decisions and edges
    assert counts_two.pairs > counts_two.edges > 0


def test_real_sample_rows_same_groups_on_two_workers() -> None:
    with open(DATA / "dblp_acm_sample.csv", encoding="utf-8", newline="") as handle:
        records = [article_record(r["source"], r["id"], r["title"], r["authors"], r["venue"], r["year"])
                   for r in csv.DictReader(handle)]
    got, _ = streamed(records, 2)
    assert got == cluster_records(MATCHER, records, NO_OVERRIDES)
    assert sum(len(g) == 2 for g in got) >= 20


def test_overrides_within_source_and_big_blocks_same_groups_on_two_workers() -> None:
    records, truth = synthetic_records(800, seed=5)
    records = [replace(r, isbns=("9780306406157",)) if k % 5 == 0 else r for k, r in enumerate(records)]
    assert sum("9780306406157" in r.isbns for r in records) > BLOCK_CAP  # sorted neighbourhood
    (a, b), x, y = truth[0], records[10].id, records[500].id
    overrides = Overrides(merge=frozenset({frozenset((x, y))}), split=frozenset({frozenset((a, b))}),
                          blocked_identifiers=frozenset(f"isbn:{r.isbns[0]}" for r in records[:200:7] if r.isbns))
    for matcher in (MATCHER, DedupMatcher(within_source=frozenset({"lib01", "lib02"}))):
        expected = cluster_records(matcher, records, overrides)
        one, counts_one = streamed(records, 1, overrides, matcher)
        two, counts_two = streamed(records, 2, overrides, matcher)
        assert one == two == expected and counts_one == counts_two
        where = {rid: k for k, g in enumerate(two) for rid in g}
        assert where[x] == where[y] and where[a] != where[b]


class _FailingMatcher(DedupMatcher):
    """Raises (or, with ``die``, kills its process) on the first pair it is asked to decide."""

    def __init__(self, die: bool) -> None:
        super().__init__()
        self.die = die

    def decide(self, a: Profile, b: Profile, blocked: frozenset[str] = frozenset()) -> Decision:
        if self.die:
            os._exit(3)
        raise ValueError(f"cannot decide {a.id} / {b.id}")


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("die", "message"), [(False, "worker failed: ValueError: cannot decide"),
                                              (True, "worker process died")])
def test_a_failing_or_dying_worker_is_a_clear_error_not_a_hang(tmp_path: Path, die: bool, message: str) -> None:
    records, _ = synthetic_records(300, seed=9)
    with pytest.raises(ClusterWorkerError, match=message):
        list(cluster_stream(_FailingMatcher(die), iter(records), NO_OVERRIDES, tmp_path, TINY, workers=2))
    assert list(tmp_path.iterdir()) == []  # the run's files are gone with it


def test_the_collector_pause_covers_the_parallel_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[bool] = []
    real = bounded._Bounded.decide_with

    def watched(self: bounded._Bounded, pool: cluster_pool.ClusterPool) -> None:
        seen.append(gc.isenabled())
        real(self, pool)

    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    monkeypatch.setattr(bounded._Bounded, "decide_with", watched)
    records, _ = synthetic_records(400, seed=2)
    groups, count = cluster_all(MATCHER, iter(records), NO_OVERRIDES, tmp_path, expected=400, workers=2)
    assert seen == [False] and gc.isenabled()
    assert list(groups) == cluster_records(MATCHER, records, NO_OVERRIDES) and count == len(records)


def test_default_is_one_worker_per_usable_core() -> None:
    assert default_workers() == len(os.sched_getaffinity(0))


def test_profile_reader_in_another_process_reads_what_the_file_holds(tmp_path: Path) -> None:
    import marshal

    profiles = ProfileFile(tmp_path, cache_size=2)
    items = [("id", k, frozenset({k}), "x" * k) for k in range(60)]
    profiles.append(items[0])
    profiles.extend([marshal.dumps(item) for item in items[1:]])
    profiles.share()
    reader = ProfileReader(tmp_path, cache_size=3)
    order = [59, 0, 17, 17, 3, 58, 0]
    assert [reader.get(k) for k in order] == [items[k] for k in order] == [profiles.get(k) for k in order]
    reader.close()
    profiles.close()
    assert list(tmp_path.iterdir()) == []


def test_key_blocks_filled_by_partition_equal_key_by_key(tmp_path: Path) -> None:
    pairs = [(key, n) for n in range(200) for key in (f"a{n % 13}", f"b{(n * 7) % 61}", f"solo{n}")]
    one = KeyBlocks(tmp_path / "one", "k", run_size=50, partitions=8) if (tmp_path / "one").mkdir() is None else None
    two = KeyBlocks(tmp_path / "two", "k", run_size=50, partitions=8) if (tmp_path / "two").mkdir() is None else None
    assert one is not None and two is not None
    for key, n in pairs:
        one.add(key, n)
    for start in range(0, len(pairs), 45):
        parts: dict[int, list[tuple[str, int]]] = {}
        for key, n in pairs[start : start + 45]:
            parts.setdefault(partition_of(key, 8), []).append((key, n))
        two.add_parts(sorted(parts.items()), len(pairs[start : start + 45]))
    assert dict(one.blocks()) == dict(two.blocks()) != {}
    assert one.count == two.count == len(pairs)


def _key_tables(store: RecordStore) -> dict[str, list[tuple[str, ...]]]:
    return {table: sorted(tuple(row) for row in store.query(f"SELECT * FROM {table}"))  # noqa: S608
            for table in ("cluster_keys", "record_identifiers", "work_keys")}


def test_store_full_pass_on_workers_same_ids_and_key_tables_and_a_failed_read_keeps_the_old(
        catalogue: Catalogue, store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = synthetic_records(600, seed=11)
    catalogue.put(*[replace(r, source_id=LIB[r.source_id], id=f"{LIB[r.source_id]}:{r.local_id}") for r in records])
    clusters = ClusterStore(store)
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 10**9)
    clusters.recluster_all(MATCHER)  # in memory, in this process
    expected, tables = dict(clusters.iter_clusters()), _key_tables(store)
    assert all(tables.values())
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    read: list[int] = []
    changes = clusters.recluster_all(MATCHER, on_progress=read.append)  # bounded, one worker per core
    assert dict(clusters.iter_clusters()) == expected and _key_tables(store) == tables
    assert sum(read) == changes.records == len(records) and changes.new == changes.retired == 0
    with store.transaction() as db:
        db.execute("INSERT INTO cluster_keys VALUES ('old:key', 'lib-a:gone')")
    monkeypatch.setattr(bounded, "default_workers", lambda: 1)  # so that the failure can be planted here
    real, calls = bounded.blocking_keys, []

    def failing(record: Record, blocked: frozenset[str]) -> list[str]:
        calls.append(1)
        if len(calls) > 300:  # three chunks of keys are written by now
            raise ValueError("stop")
        return real(record, blocked)

    monkeypatch.setattr(bounded, "blocking_keys", failing)
    with pytest.raises(ValueError, match="stop"):
        clusters.recluster_all(MATCHER)
    assert ("old:key", "lib-a:gone") in _key_tables(store)["cluster_keys"]  # rolled back: the old rows stay
    assert len(_record_id_indexes(store)) == 3  # and the indexes the pass would have dropped
    assert dict(clusters.iter_clusters()) == expected


def _record_id_indexes(store: RecordStore) -> set[str]:
    rows = store.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_record'")
    return {row[0] for row in rows}


def test_a_full_pass_writes_the_key_tables_the_per_record_path_writes_with_their_indexes(
        catalogue: Catalogue, store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = synthetic_records(400, seed=12)
    catalogue.put(*[replace(r, source_id=LIB[r.source_id], id=f"{LIB[r.source_id]}:{r.local_id}") for r in records])
    clusters = ClusterStore(store)
    indexes = _record_id_indexes(store)
    assert indexes == {"cluster_keys_record", "record_identifiers_record", "work_keys_record"}
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    real_write, caches = clusters_module.write_full, []

    def write_full(*args: object, **kwargs: object) -> object:  # the pass's bulk write sees the big cache
        caches.append([store.query(f"PRAGMA {db}.cache_size")[0][0] for db in ("main", "temp")])
        return real_write(*args, **kwargs)

    monkeypatch.setattr(clusters_module, "write_full", write_full)
    before = [store.query(f"PRAGMA {db}.cache_size")[0][0] for db in ("main", "temp")]
    clusters.recluster_all(MATCHER)  # staged, then moved into the tables in key order
    assert caches == [[-1024 * clusters_module.BULK_CACHE_MIB] * 2]
    wal = store.path.with_name(store.path.name + "-wal")
    assert wal.stat().st_size == 0  # the pass's pages are in the database file, the WAL's space given back
    assert [store.query(f"PRAGMA {db}.cache_size")[0][0] for db in ("main", "temp")] == before != caches[0]
    staged = _key_tables(store)
    assert all(staged.values()) and _record_id_indexes(store) == indexes
    assert not (store.path.parent / cluster_keys.STAGING_FILE).exists()
    assert not store.query("SELECT name FROM sqlite_master WHERE name LIKE '%_new'")

    class Undo(Exception):
        pass

    with pytest.raises(Undo), store.transaction() as db:  # the incremental path, row by row, then undone
        for table in staged:
            db.execute(f"DELETE FROM {table}")  # noqa: S608
        ids = [row[0] for row in store.query("SELECT id FROM records WHERE kind = 'bib' AND deleted = 0")]
        clusters._write_keys(db, dict(clusters._load_live(ids)), MATCHER, clusters.overrides())
        assert _key_tables(store) == staged
        raise Undo
    plan = " ".join(str(r[3]) for r in store.query(
        "EXPLAIN QUERY PLAN SELECT key FROM cluster_keys WHERE record_id = 'x'"))
    assert "cluster_keys_record" in plan


def test_the_key_tables_move_commits_in_slices_so_the_wal_stays_small_and_a_failed_move_keeps_the_old(
        catalogue: Catalogue, store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = synthetic_records(1500, seed=13)
    catalogue.put(*[replace(r, source_id=LIB[r.source_id], id=f"{LIB[r.source_id]}:{r.local_id}") for r in records])
    clusters = ClusterStore(store)
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    clusters.recluster_all(MATCHER)
    tables = _key_tables(store)
    rows = sum(map(len, tables.values()))
    assert rows > 20_000
    store.query("PRAGMA wal_autocheckpoint = 8")  # a WAL of a few pages restarts, as 1,000 pages do at 10M
    wal, sizes, moving = store.path.with_name(store.path.name + "-wal"), [], []
    real_move, real_transaction = cluster_keys.KeyTables._move, store.transaction

    def move(self: cluster_keys.KeyTables, staging: sqlite3.Connection, table: str, columns: str) -> None:
        moving.append(table)
        try:
            real_move(self, staging, table, columns)
        finally:
            moving.remove(table)

    @contextmanager
    def measured() -> Iterator[sqlite3.Connection]:
        with real_transaction() as db:
            yield db
        if moving:
            sizes.append(wal.stat().st_size)  # after each slice's commit

    monkeypatch.setattr(store, "transaction", measured)
    monkeypatch.setattr(cluster_keys.KeyTables, "_move", move)
    monkeypatch.setattr(cluster_keys, "SLICE_ROWS", 500)
    clusters.recluster_all(MATCHER)
    assert _key_tables(store) == tables and _record_id_indexes(store) == {
        "cluster_keys_record", "record_identifiers_record", "work_keys_record"}
    pages = store.query("PRAGMA page_size")[0][0] * store.query("PRAGMA page_count")[0][0]
    assert max(sizes) < 200 * 1024 < pages // 4  # the whole move in one transaction: all its pages
    assert len(sizes) >= rows // 500

    with store.transaction() as db:
        db.execute("INSERT INTO cluster_keys VALUES ('old:key', 'lib-a:gone')")

    def failing(self: cluster_keys.KeyTables, staging: sqlite3.Connection, table: str, columns: str) -> None:
        real_move(self, staging, table, columns)
        if table == "record_identifiers":
            raise OSError("disk full")

    monkeypatch.setattr(cluster_keys.KeyTables, "_move", failing)
    with pytest.raises(OSError, match="disk full"):
        clusters.recluster_all(MATCHER)
    assert ("old:key", "lib-a:gone") in _key_tables(store)["cluster_keys"]  # the old tables, untouched
    assert len(_record_id_indexes(store)) == 3
    assert not store.query("SELECT name FROM sqlite_master WHERE name LIKE '%\\_new' ESCAPE '\\'")
    assert not (store.path.parent / cluster_keys.STAGING_FILE).exists()


def test_the_staging_file_is_deleted_before_the_swap_writes_the_record_id_indexes(
        catalogue: Catalogue, store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The swap writes each index whole into the WAL; at 10M the staging file's 8.3 GB still on disk
    beside that WAL filled it."""
    records, _ = synthetic_records(400, seed=14)
    catalogue.put(*[replace(r, source_id=LIB[r.source_id], id=f"{LIB[r.source_id]}:{r.local_id}") for r in records])
    clusters = ClusterStore(store)
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    staging = store.path.parent / cluster_keys.STAGING_FILE
    seen: list[tuple[str, bool]] = []
    real_transaction = store.transaction

    def note(sql: str) -> None:
        if sql.startswith("CREATE INDEX") or (sql.startswith("INSERT OR IGNORE") and "_new" in sql):
            seen.append((sql.split()[0], staging.exists()))

    @contextmanager
    def traced() -> Iterator[sqlite3.Connection]:
        with real_transaction() as db:
            db.set_trace_callback(note)
            try:
                yield db
            finally:
                db.set_trace_callback(None)

    monkeypatch.setattr(store, "transaction", traced)
    clusters.recluster_all(MATCHER)
    moved = [there for verb, there in seen if verb == "INSERT"]
    indexed = [there for verb, there in seen if verb == "CREATE"]
    assert moved and all(moved)  # the rows came from the staging file
    assert len(indexed) == 3 and not any(indexed)  # which was gone when the indexes were built
    assert len(_record_id_indexes(store)) == 3 and _key_tables(store)["cluster_keys"]
