"""The SQLite connection under the record store: one WAL file, write transactions that nest, numbered
migrations per namespace (downstream packages own their tables in the same file through `migrate`),
sources, harvest runs and small pieces of state. `RecordStore` builds the record tables on it."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harvester.store.schema import MIGRATIONS
from harvester.types import SourceId

WAL_KEEP_BYTES = 64 * 1024 * 1024
"""What the WAL file is cut back to when a checkpoint lets it start over."""


class Database:
    """The connection, its lock and transactions, migrations, sources, runs and state."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # the WAL file keeps the size of the largest transaction ever written unless this caps it when a
        # checkpoint lets it start over: a full clustering pass at 10M records left 6.7 GB behind
        self._db.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_BYTES}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._in_transaction = False
        self.migrate("store", MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for downstream packages that own tables in this file (use `transaction`)."""
        return self._db

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it, after a transaction of gigabytes (a full
        clustering pass), so that its disk space is free for what comes next (the search index)."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def page_cache(self, mib: int) -> Iterator[None]:
        """A page cache of ``mib`` MiB for this connection's main and temporary databases while the block
        runs (SQLite's default is 2 MiB each), then the previous sizes again.

        For a full pass's bulk writes, which insert tens of millions of rows into B-trees in an order
        their keys do not follow: with the default cache every such row cost a page read from the OS,
        and at 3M records writing the clusters took 283 s; with 512 MiB, 74 s. The memory is taken only
        as pages are touched, and given back when the block ends."""
        with self._lock:
            before = [self._db.execute(f"PRAGMA {schema}.cache_size").fetchone()[0] for schema in ("main", "temp")]
            try:
                for schema in ("main", "temp"):
                    self._db.execute(f"PRAGMA {schema}.cache_size = {-1024 * int(mib)}")
                yield
            finally:
                for schema, size in zip(("main", "temp"), before, strict=True):
                    self._db.execute(f"PRAGMA {schema}.cache_size = {int(size)}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT); nested calls join the outer one."""
        with self._lock:
            if self._in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._in_transaction = False

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read query and return all rows (rows support access by column name)."""
        with self._lock:
            cursor = self._db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())

    def migrate(self, namespace: str, migrations: Sequence[str]) -> None:
        """Apply the not-yet-applied migrations of one namespace (the store's, or a downstream package's)."""
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (namespace TEXT, version INTEGER, "
                "applied_at REAL, PRIMARY KEY (namespace, version))"
            )
            row = self._db.execute(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE namespace = ?", (namespace,)
            ).fetchone()
            for version, script in enumerate(migrations, start=1):
                if version <= row[0]:
                    continue
                with self.transaction() as db:
                    for statement in _statements(script):
                        db.execute(statement)
                    db.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)", (namespace, version, time.time())
                    )

    def _next_seq(self) -> int:
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()
        return int(row[0]) + 1

    def upsert_source(self, source_id: SourceId, name: str, type_: str, library_code: str, library_name: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "name = excluded.name, type = excluded.type, library_code = excluded.library_code, "
                "library_name = excluded.library_name, updated_at = excluded.updated_at",
                (source_id, name, type_, library_code, library_name, time.time()),
            )

    def start_run(self, source_id: SourceId) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO harvest_runs (source_id, started_at) VALUES (?, ?)", (source_id, time.time())
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any], error: str | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE harvest_runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                (time.time(), status, json.dumps(counts, sort_keys=True), error, run_id),
            )

    def interrupt_unfinished_runs(self) -> int:
        """Mark runs still "running" as "interrupted": called by a harvest holding the data folder's
        lock, so no live run can own them; they were left by a killed process."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE harvest_runs SET status = 'interrupted', "
                "error = COALESCE(error, 'the harvest stopped before finishing (killed?)') "
                "WHERE status = 'running'"
            )
            return cursor.rowcount

    def runs(self, source_id: SourceId, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM harvest_runs WHERE source_id = ? ORDER BY id DESC LIMIT ?", (source_id, limit)
        )
        return [{**dict(row), "counts": json.loads(row["counts"])} for row in rows]

    def get_state(self, key: str) -> Any:
        rows = self.query("SELECT value FROM state WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def set_state(self, key: str, value: Any) -> None:
        """Save a piece of harvest state; inside `transaction()` it commits with the records."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO state VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, json.dumps(value), time.time()),
            )

    def delete_state(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM state WHERE key = ?", (key,))

    def libraries(self) -> dict[SourceId, tuple[str, str]]:
        """source id → (library code, library name) of every source ever harvested."""
        rows = self.query("SELECT id, library_code, library_name FROM sources")
        return {row[0]: (row[1], row[2]) for row in rows}


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
