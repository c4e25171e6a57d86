"""A full clustering pass's rows of the key tables (``cluster_keys``, ``record_identifiers``,
``work_keys``), worked out by the clusterer's worker processes and written here.

`ClusterStore.recluster_all` replaces these tables while the records stream past; on several cores the
records are decoded in the workers only (`indexer.dedup.cluster_pool`), so the rows are made there too
(`key_rows`, from the blocking keys the worker computed for clustering anyway) and come back with
each chunk, in stream order; `KeyTables` writes them in one transaction that is open only while the
records are read.

A full pass writes tens of millions of rows at 10M records, in no order of the tables' keys: inserted
straight into the tables (and their ``record_id`` indexes), every row landed on a random page of a
B-tree far larger than SQLite's page cache, and at 10M the main process spent two thirds of its time in
those inserts while the clustering workers waited. So the rows are appended to unindexed temporary
tables while the records stream past, and moved into the emptied tables in key order when the pass is
done, with the ``record_id`` indexes dropped meanwhile and built again by one sort each.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import ExitStack

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


def insert_keys(db: sqlite3.Connection, rows: KeyRows, into: str = "") -> None:
    """Add the rows to the key tables (``into=STAGED``: to a full pass's staging tables)."""
    keys, idents, works, _ = rows
    db.executemany(f"INSERT OR IGNORE INTO {into}cluster_keys VALUES (?, ?)", keys)  # noqa: S608
    db.executemany(f"INSERT OR IGNORE INTO {into}record_identifiers VALUES (?, ?, ?)", idents)  # noqa: S608
    db.executemany(f"INSERT OR IGNORE INTO {into}work_keys VALUES (?, ?)", works)  # noqa: S608


STAGED = "temp.staged_"
TABLES = (  # table, its columns in primary-key order, its record_id index
    ("cluster_keys", "key, record_id", "cluster_keys_record"),
    ("record_identifiers", "kind, value, record_id", "record_identifiers_record"),
    ("work_keys", "key, record_id", "work_keys_record"),
)


class KeyTables:
    """A full pass's key tables, replaced in one transaction that is open only while the records are
    read: begun (the old rows deleted) at the first chunk, committed when the clusterer says every
    record is in (`KeySink.done`), rolled back by `close` if the pass failed before that."""

    def __init__(self, store: RecordStore, on_progress: Callable[[int], None] | None) -> None:
        self.store = store
        self.on_progress = on_progress
        self.open: ExitStack | None = None
        self.db: sqlite3.Connection | None = None

    def sink(self) -> KeySink:
        return KeySink(key_rows, self.write, self.done)

    def _begin(self) -> sqlite3.Connection:
        if self.db is None:
            self.open = ExitStack()
            self.db = self.open.enter_context(self.store.transaction())
            for table, columns, _ in TABLES:  # fixed names below (noqa: S608)
                self.db.execute(f"DROP TABLE IF EXISTS {STAGED}{table}")
                self.db.execute(f"CREATE TEMP TABLE staged_{table} ({columns})")
        return self.db

    def write(self, rows: KeyRows) -> None:
        insert_keys(self._begin(), rows, into=STAGED)  # appended: the staging tables have no key
        if self.on_progress is not None:
            self.on_progress(rows[3])

    def done(self) -> None:
        """Every record is in: replace the tables' rows by the staged ones, in key order, and commit."""
        db = self._begin()
        for table, columns, index in TABLES:  # fixed names (noqa: S608)
            db.execute(f"DROP INDEX {index}")
            db.execute(f"DELETE FROM {table}")
            db.execute(f"INSERT OR IGNORE INTO {table} SELECT {columns} FROM {STAGED}{table} "  # noqa: S608
                       f"ORDER BY {columns}")
            db.execute(f"DROP TABLE {STAGED}{table}")
            db.execute(f"CREATE INDEX {index} ON {table} (record_id)")
        assert self.open is not None
        self.open.close()  # COMMIT
        self.open = None

    def close(self) -> None:
        if self.open is not None:  # the pass stopped before every record was read: keep the old keys
            error = RuntimeError("clustering stopped before every record was read")
            self.open.__exit__(type(error), error, None)
            self.open = None
