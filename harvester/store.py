"""The record store: one SQLite file (WAL) that is the source of truth for everything harvested.

It keeps every record twice, raw exactly as received and normalized (JSON of `harvester.record.Record`),
plus sources, harvest runs, quarantined input and small pieces of harvest state (OAI checkpoints).
The search index is derived from it and can be rebuilt from it at any time.

Every change to a record (new, changed, deleted, restored) stamps it with the next value of a global
change sequence, ``seq``; the indexer remembers the last ``seq`` it processed and so re-indexes only
what changed. Downstream packages own their own tables in the same file through `RecordStore.migrate`.

    store = RecordStore(settings.store_path)
    with store.transaction():
        counts = store.write_batch(run_id, batch)
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester.record import Record
from harvester.types import RecordId, SourceId

MIGRATIONS: tuple[str, ...] = (
    # 1: the core tables
    """
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        library_code TEXT NOT NULL,
        library_name TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE records (
        id TEXT PRIMARY KEY,
        source_id TEXT NOT NULL,
        local_id TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'bib',
        parent_id TEXT,
        raw BLOB NOT NULL,
        raw_format TEXT NOT NULL,
        raw_hash TEXT NOT NULL,
        normalized TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        file TEXT NOT NULL DEFAULT '',
        position TEXT NOT NULL DEFAULT '',
        seen_run INTEGER,
        seq INTEGER NOT NULL,
        first_seen REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX records_source ON records (source_id, deleted);
    CREATE INDEX records_seq ON records (seq);
    CREATE INDEX records_parent ON records (parent_id) WHERE parent_id IS NOT NULL;
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        run_id INTEGER,
        file TEXT NOT NULL DEFAULT '',
        position TEXT NOT NULL DEFAULT '',
        local_id TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL,
        raw BLOB,
        created_at REAL NOT NULL,
        UNIQUE (source_id, file, position)
    );
    CREATE TABLE harvest_runs (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL DEFAULT 'running',
        counts TEXT NOT NULL DEFAULT '{}',
        error TEXT
    );
    CREATE INDEX harvest_runs_source ON harvest_runs (source_id, id);
    CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
)


@dataclass(frozen=True, slots=True)
class IncomingRecord:
    """A record read from a source, ready to store: raw bytes plus its normalized JSON."""

    id: RecordId
    source_id: SourceId
    local_id: str
    raw: bytes
    raw_format: str  # iso2709 | marcxml | marcjson | oai_dc | mods
    normalized_json: str
    kind: str = "bib"
    parent_id: RecordId | None = None
    file: str = ""
    position: str = ""
    digest: str = ""  # `raw_hash(raw)` when the producer already computed it (harvest workers do)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as kept in the store."""

    id: RecordId
    source_id: SourceId
    local_id: str
    kind: str
    parent_id: RecordId | None
    raw: bytes
    raw_format: str
    normalized: Record
    deleted: bool
    file: str
    position: str
    seq: int
    updated_at: float


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """Input that could not be read or normalized, kept with its evidence."""

    source_id: SourceId
    file: str
    position: str
    local_id: str
    reason: str
    raw: bytes | None
    created_at: float


@dataclass(slots=True)
class BatchCounts:
    """What `RecordStore.write_batch` did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0

    def add_to(self, totals: dict[str, int]) -> None:
        for name in ("new", "updated", "unchanged", "duplicates"):
            totals[name] = totals.get(name, 0) + getattr(self, name)


def raw_hash(raw: bytes) -> str:
    """The fingerprint that decides whether a re-harvested record changed."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class RecordStore:
    """SQLite-backed store of sources, raw + normalized records, quarantine, runs and state."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._in_transaction = False
        self.migrate("store", MIGRATIONS)

    # --- plumbing -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for downstream packages that own tables in this file (use `transaction`)."""
        return self._db

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

    # --- sources and runs ------------------------------------------------------------------------

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

    def runs(self, source_id: SourceId, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM harvest_runs WHERE source_id = ? ORDER BY id DESC LIMIT ?", (source_id, limit)
        )
        return [{**dict(row), "counts": json.loads(row["counts"])} for row in rows]

    # --- records -------------------------------------------------------------------------------

    def write_batch(self, run_id: int, batch: Sequence[IncomingRecord]) -> tuple[BatchCounts, list[IncomingRecord]]:
        """Store a batch in one transaction: insert new, update changed, leave unchanged alone.

        Returns the counts and the records refused as duplicates (the same id read twice in one run:
        the caller quarantines them, so that every record read is accounted for).
        """
        counts = BatchCounts()
        duplicates: list[IncomingRecord] = []
        if not batch:
            return counts, duplicates
        now = time.time()
        with self.transaction() as db:
            existing = self._existing(db, [r.id for r in batch])
            seq = self._next_seq()
            inserts: list[tuple[Any, ...]] = []
            updates: list[tuple[Any, ...]] = []
            touches: list[tuple[Any, ...]] = []
            parents: set[str] = set()
            for record in batch:
                digest = record.digest or raw_hash(record.raw)
                old = existing.get(record.id)
                if old is not None and old[2] == run_id:
                    duplicates.append(record)
                    counts.duplicates += 1
                    continue
                existing[record.id] = (digest, 0, run_id)
                if old is None:
                    inserts.append(
                        (record.id, record.source_id, record.local_id, record.kind, record.parent_id,
                         record.raw, record.raw_format, digest, record.normalized_json, record.file,
                         record.position, run_id, seq, now, now)
                    )
                    counts.new += 1
                elif old[0] != digest or old[1]:
                    updates.append(
                        (record.kind, record.parent_id, record.raw, record.raw_format, digest,
                         record.normalized_json, record.file, record.position, run_id, seq, now, record.id)
                    )
                    counts.updated += 1
                else:
                    touches.append((run_id, record.file, record.position, record.id))
                    counts.unchanged += 1
                    continue
                seq += 1
                if record.parent_id:
                    parents.add(record.parent_id)
            db.executemany(
                "INSERT INTO records (id, source_id, local_id, kind, parent_id, raw, raw_format, raw_hash, "
                "normalized, file, position, seen_run, seq, first_seen, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            db.executemany(
                "UPDATE records SET kind = ?, parent_id = ?, raw = ?, raw_format = ?, raw_hash = ?, "
                "normalized = ?, deleted = 0, file = ?, position = ?, seen_run = ?, seq = ?, updated_at = ? "
                "WHERE id = ?",
                updates,
            )
            db.executemany("UPDATE records SET seen_run = ?, file = ?, position = ? WHERE id = ?", touches)
            self._bump(db, parents, seq)
        return counts, duplicates

    def _existing(self, db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[str, int, int | None]]:
        found: dict[str, tuple[str, int, int | None]] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for row in db.execute(
                f"SELECT id, raw_hash, deleted, seen_run FROM records WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = (row[1], row[2], row[3])
        return found

    def _bump(self, db: sqlite3.Connection, ids: Iterable[str], seq: int) -> None:
        """Give records a new seq (a bib whose MFHD changed must be re-indexed)."""
        for record_id in ids:
            db.execute("UPDATE records SET seq = ? WHERE id = ?", (seq, record_id))
            seq += 1

    def mark_deleted(self, record_ids: Iterable[RecordId]) -> int:
        """Mark records deleted (kept, never erased); returns how many were live before."""
        count = 0
        with self.transaction() as db:
            seq = self._next_seq()
            for record_id in record_ids:
                cursor = db.execute(
                    "UPDATE records SET deleted = 1, seq = ?, updated_at = ? WHERE id = ? AND deleted = 0",
                    (seq, time.time(), record_id),
                )
                if cursor.rowcount:
                    count += 1
                    seq += 1
                    parent = db.execute("SELECT parent_id FROM records WHERE id = ?", (record_id,)).fetchone()
                    if parent and parent[0]:
                        self._bump(db, [parent[0]], seq)
                        seq += 1
        return count

    def mark_unseen_deleted(self, source_id: SourceId, run_id: int, keep_files: Iterable[str] = ()) -> int:
        """After a complete re-read, mark the source's live records this run did not see as deleted.

        Records that came from a file in ``keep_files`` (one that could not be read to its end) are
        left alone: a partial read proves nothing about what the rest of the file holds.
        """
        keep = list(keep_files)
        marks = ",".join("?" * len(keep))
        extra = f" AND file NOT IN ({marks})" if keep else ""
        rows = self.query(
            "SELECT id FROM records WHERE source_id = ? AND deleted = 0 "
            f"AND (seen_run IS NULL OR seen_run != ?){extra}",
            (source_id, run_id, *keep),
        )
        return self.mark_deleted(row[0] for row in rows)

    def get(self, record_id: RecordId) -> StoredRecord | None:
        rows = self.query("SELECT * FROM records WHERE id = ?", (record_id,))
        return _stored(rows[0]) if rows else None

    def get_many(self, record_ids: Sequence[RecordId]) -> list[StoredRecord]:
        found: list[StoredRecord] = []
        for start in range(0, len(record_ids), 900):
            chunk = list(record_ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            found.extend(_stored(r) for r in self.query(f"SELECT * FROM records WHERE id IN ({marks})", chunk))
        return found

    def holdings_records(self, parent_id: RecordId) -> list[StoredRecord]:
        """The live MFHD holdings records attached to a bibliographic record through 004."""
        rows = self.query(
            "SELECT * FROM records WHERE parent_id = ? AND deleted = 0 ORDER BY id", (parent_id,)
        )
        return [_stored(row) for row in rows]

    def iter_records(
        self, since_seq: int = 0, source_id: SourceId | None = None, kind: str | None = None, batch: int = 1000
    ) -> Iterator[StoredRecord]:
        """Stream records changed after ``since_seq`` (deleted ones included), in seq order."""
        last = since_seq
        while True:
            sql = "SELECT * FROM records WHERE seq > ?"
            params: list[Any] = [last]
            if source_id:
                sql += " AND source_id = ?"
                params.append(source_id)
            if kind:
                sql += " AND kind = ?"
                params.append(kind)
            rows = self.query(sql + " ORDER BY seq LIMIT ?", (*params, batch))
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            last = rows[-1]["seq"]

    def max_seq(self) -> int:
        return int(self.query("SELECT COALESCE(MAX(seq), 0) FROM records")[0][0])

    # --- quarantine ----------------------------------------------------------------------------

    def quarantine(
        self,
        source_id: SourceId,
        run_id: int | None,
        file: str,
        position: str,
        reason: str,
        raw: bytes | None,
        local_id: str = "",
    ) -> None:
        """Keep input that could not be read or normalized, with why; the same spot is kept once."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO quarantine (source_id, run_id, file, position, local_id, reason, raw, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, file, position) DO UPDATE SET "
                "run_id = excluded.run_id, local_id = excluded.local_id, reason = excluded.reason, "
                "raw = excluded.raw",
                (source_id, run_id, file, position, local_id, reason, raw, time.time()),
            )

    def clear_stale_quarantine(self, source_id: SourceId, run_id: int, files: Iterable[str]) -> int:
        """Forget quarantine entries of fully re-read files that this run no longer rejected."""
        removed = 0
        with self.transaction() as db:
            for file in files:
                cursor = db.execute(
                    "DELETE FROM quarantine WHERE source_id = ? AND file = ? AND (run_id IS NULL OR run_id != ?)",
                    (source_id, file, run_id),
                )
                removed += cursor.rowcount
        return removed

    def quarantined(self, source_id: SourceId) -> list[QuarantineEntry]:
        rows = self.query(
            "SELECT source_id, file, position, local_id, reason, raw, created_at FROM quarantine "
            "WHERE source_id = ? ORDER BY file, id",
            (source_id,),
        )
        return [QuarantineEntry(*row) for row in rows]

    # --- state and status ----------------------------------------------------------------------

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

    def source_status(self) -> list[dict[str, Any]]:
        """Per source: live, deleted and quarantined records, and the last run (for `unioncat status`)."""
        status: list[dict[str, Any]] = []
        for source in self.query("SELECT * FROM sources ORDER BY id"):
            source_id = source["id"]
            counts = self.query(
                "SELECT kind, deleted, COUNT(*) FROM records WHERE source_id = ? GROUP BY kind, deleted",
                (source_id,),
            )
            live = sum(n for kind, deleted, n in counts if not deleted and kind == "bib")
            holdings = sum(n for kind, deleted, n in counts if not deleted and kind != "bib")
            deleted = sum(n for _, d, n in counts if d)
            quarantined = self.query("SELECT COUNT(*) FROM quarantine WHERE source_id = ?", (source_id,))[0][0]
            runs = self.runs(source_id, limit=1)
            status.append(
                {
                    "id": source_id,
                    "name": source["name"],
                    "type": source["type"],
                    "library": {"code": source["library_code"], "name": source["library_name"]},
                    "records": live,
                    "holdings_records": holdings,
                    "deleted": deleted,
                    "quarantined": quarantined,
                    "last_run": runs[0] if runs else None,
                }
            )
        return status


def _stored(row: sqlite3.Row) -> StoredRecord:
    return StoredRecord(
        id=row["id"],
        source_id=row["source_id"],
        local_id=row["local_id"],
        kind=row["kind"],
        parent_id=row["parent_id"],
        raw=bytes(row["raw"]),
        raw_format=row["raw_format"],
        normalized=Record.from_dict(json.loads(row["normalized"])),
        deleted=bool(row["deleted"]),
        file=row["file"],
        position=row["position"],
        seq=row["seq"],
        updated_at=row["updated_at"],
    )


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
