"""A full clustering pass's rows of the key tables (``cluster_keys``, ``record_identifiers``,
``work_keys``), worked out by the clusterer's worker processes and written here.

`ClusterStore.recluster_all` replaces these tables while the records stream past; on several cores the
records are decoded in the workers only (`indexer.dedup.cluster_pool`), so the rows are made there too
(`key_rows`, from the blocking keys the worker computed for clustering anyway) and come back with
each chunk, in stream order, to `KeyTables`.

A full pass writes tens of millions of rows at 10M records, in no order of the tables' keys: inserted
straight into the tables (and their ``record_id`` indexes), every row landed on a random page of a
B-tree far larger than SQLite's page cache, and at 10M the main process spent two thirds of its time in
those inserts while the clustering workers waited. So the rows are appended to unindexed staging
tables while the records stream past and moved into new tables in key order when the pass is done, the
``record_id`` indexes built by one sort each. The move was one transaction at first, and at 10M it
wrote 15.4 GB into the WAL beside the store's own growth and stopped the run on a full disk: it is now
committed in slices from a staging file of its own (see `KeyTables`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from harvester.record import Record
from harvester.store import RecordStore
from indexer.dedup.cluster_pool import KeySink
from indexer.dedup.idmatch import identifier_keys
from indexer.dedup.works import work_key

KeyRows = tuple[list[tuple[str, str]], list[tuple[str, str, str]], list[tuple[str, str]], int]


def key_rows(records: list[Record], keys: list[list[str]]) -> KeyRows:
    """The rows of ``cluster_keys``, ``record_identifiers`` and ``work_keys`` for these records (with
    their blocking keys) and how many records they are: module-level, so a clustering worker runs it."""
    rows: list[tuple[str, str]] = []
    works: list[tuple[str, str]] = []
    idents: list[tuple[str, str, str]] = []
    for record, blocking in zip(records, keys, strict=True):
        rows.extend((key, record.id) for key in dict.fromkeys(blocking))
        if work := work_key(record):
            works.append((work, record.id))
        for key in identifier_keys(record):
            kind, _, value = key.partition(":")
            idents.append((kind, value, record.id))
    return rows, idents, works, len(records)


def insert_keys(db: sqlite3.Connection, rows: KeyRows) -> None:
    """Add the rows to the key tables of ``db``: the store's, or a full pass's staging file."""
    keys, idents, works, _ = rows
    db.executemany("INSERT OR IGNORE INTO cluster_keys VALUES (?, ?)", keys)
    db.executemany("INSERT OR IGNORE INTO record_identifiers VALUES (?, ?, ?)", idents)
    db.executemany("INSERT OR IGNORE INTO work_keys VALUES (?, ?)", works)


STAGING_FILE = "cluster-keys.staging.sqlite"
"""The staging file beside the store (a killed run's is deleted by the next pass)."""
SLICE_ROWS = 100_000
"""Rows moved from the staging file into a new table per transaction: each commit lets the WAL restart,
so it stays a few megabytes where the one transaction of the move wrote 15.4 GB into it at 10M."""
STAGING_CACHE_MIB = 128
"""The staging file's page cache, which SQLite's sorter also takes for its in-memory runs."""
NEW = "_new"
TABLES = (  # table, its columns in primary-key order, their declarations, its record_id index
    ("cluster_keys", "key, record_id", "key TEXT NOT NULL, record_id TEXT NOT NULL", "cluster_keys_record"),
    ("record_identifiers", "kind, value, record_id",
     "kind TEXT NOT NULL, value TEXT NOT NULL, record_id TEXT NOT NULL", "record_identifiers_record"),
    ("work_keys", "key, record_id", "key TEXT NOT NULL, record_id TEXT NOT NULL", "work_keys_record"),
)


class KeyTables:
    """A full pass's key tables: staged while the records are read, then built as new tables and
    swapped in for the old ones when the clusterer says every record is in (`KeySink.done`).

    The staged rows go to a file of their own (`STAGING_FILE`, no journal), not to the store: reading
    them back in key order there holds no read transaction on the store, so the move into the new
    tables (``cluster_keys_new``…) can commit every `SLICE_ROWS` rows and the store's WAL restarts after
    each commit. The old tables stay untouched until one short transaction drops them, renames the new
    ones into their place and builds the ``record_id`` indexes (one sort each, written whole into the
    WAL: 5.7 GB at 10M). The staging file is deleted before that transaction, not after it: at 10M
    it held 8.3 GB of disk that the WAL then needed, and the run stopped on a full disk. A pass that stops before
    that transaction (an error: `close`; a kill) leaves the old keys in place; the next pass deletes the
    staging file and any new tables a killed one left half-built."""

    def __init__(self, store: RecordStore, on_progress: Callable[[int], None] | None) -> None:
        self.store = store
        self.on_progress = on_progress
        self.path = store.path.parent / STAGING_FILE
        self.staging: sqlite3.Connection | None = None
        self.begun = False  # the pass has staged rows (and may have begun new tables)
        self.swapped = False

    def sink(self) -> KeySink:
        return KeySink(key_rows, self.write, self.done)

    def _begin(self) -> sqlite3.Connection:
        if self.staging is None:
            self.begun = True
            self._drop_new_tables()
            self.path.unlink(missing_ok=True)
            self.staging = sqlite3.connect(self.path, isolation_level=None)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = {-1024 * STAGING_CACHE_MIB}"):
                self.staging.execute(f"PRAGMA {pragma}")
            for table, columns, _, _ in TABLES:  # appended: no key, no index (fixed names: noqa S608)
                self.staging.execute(f"CREATE TABLE {table} ({columns})")
            self.staging.execute("BEGIN")
        return self.staging

    def write(self, rows: KeyRows) -> None:
        insert_keys(self._begin(), rows)
        if self.on_progress is not None:
            self.on_progress(rows[3])

    def done(self) -> None:
        """Every record is in: build the new tables from the staged rows, in key order, and swap them in."""
        staging = self._begin()
        staging.execute("COMMIT")
        for table, columns, declared, _ in TABLES:  # fixed names (noqa: S608)
            with self.store.transaction() as db:
                db.execute(f"CREATE TABLE {table}{NEW} ({declared}, PRIMARY KEY ({columns})) WITHOUT ROWID")
            self._move(staging, table, columns)
        self._release_staging()  # every row is moved: its disk back before the swap writes the indexes
        with self.store.transaction() as db:
            for table, _, _, index in TABLES:
                db.execute(f"DROP TABLE {table}")
                db.execute(f"ALTER TABLE {table}{NEW} RENAME TO {table}")
                db.execute(f"CREATE INDEX {index} ON {table} (record_id)")
        self.swapped = True
        self.close()

    def _move(self, staging: sqlite3.Connection, table: str, columns: str) -> None:
        marks = ", ".join("?" * len(columns.split(",")))
        cursor = staging.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}")  # noqa: S608
        while rows := cursor.fetchmany(SLICE_ROWS):
            with self.store.transaction() as db:
                db.executemany(f"INSERT OR IGNORE INTO {table}{NEW} VALUES ({marks})", rows)  # noqa: S608

    def _drop_new_tables(self) -> None:
        with self.store.transaction() as db:
            for table, _, _, _ in TABLES:
                db.execute(f"DROP TABLE IF EXISTS {table}{NEW}")

    def _release_staging(self) -> None:
        if self.staging is not None:
            self.staging.close()
            self.staging = None
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Delete the staging file and, unless `done` swapped them in, the new tables: the old stay."""
        begun, self.begun = self.begun, False
        self._release_staging()
        if begun and not self.swapped:
            self._drop_new_tables()
