"""A full clustering pass's rows of the key tables (``cluster_keys``, ``record_identifiers``,
``work_keys``), worked out by the clusterer's worker processes and written here.

`ClusterStore.recluster_all` replaces these tables while the records stream past; on several cores the
records are decoded in the workers only (`indexer.dedup.cluster_pool`), so the rows are made there too
(`key_rows`, from the blocking keys the worker computed for clustering anyway) and come back with
each chunk, in stream order; `KeyTables` writes them in one transaction that is open only while the
records are read.
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


def insert_keys(db: sqlite3.Connection, rows: KeyRows) -> None:
    keys, idents, works, _ = rows
    db.executemany("INSERT OR IGNORE INTO cluster_keys VALUES (?, ?)", keys)
    db.executemany("INSERT OR IGNORE INTO record_identifiers VALUES (?, ?, ?)", idents)
    db.executemany("INSERT OR IGNORE INTO work_keys VALUES (?, ?)", works)


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
            for table in ("cluster_keys", "record_identifiers", "work_keys"):
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
        return self.db

    def write(self, rows: KeyRows) -> None:
        insert_keys(self._begin(), rows)
        if self.on_progress is not None:
            self.on_progress(rows[3])

    def done(self) -> None:
        self._begin()
        assert self.open is not None
        self.open.close()  # COMMIT
        self.open = None

    def close(self) -> None:
        if self.open is not None:  # the pass stopped before every record was read: keep the old keys
            error = RuntimeError("clustering stopped before every record was read")
            self.open.__exit__(type(error), error, None)
            self.open = None
