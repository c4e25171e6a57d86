"""The records and the quarantine: every record kept raw and normalized, stamped with the global change
sequence ``seq`` on every change, and input that could not be used kept with its kind and reason.

All SQL on these tables is here: the harvesters (files, OAI-PMH) and the indexer call methods."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from harvester.limits import DEFAULT_LIMITS
from harvester.record import Record
from harvester.store.database import Database
from harvester.store.ingest import IngestQueries, reason_classes
from harvester.store.rows import BatchCounts, IncomingRecord, QuarantineEntry, QuarantineKind, StoredRecord, raw_hash
from harvester.types import RecordId, SourceId

# Answered from the (seq, kind) index alone: a full pass at 10M records counts 10M index entries
# instead of reading every row's page (27 GB) to learn its kind.
CHANGED_BIBS_COUNT = "SELECT COUNT(*) FROM records WHERE kind = 'bib' AND seq > ? AND seq <= ?"
LIVE_BIBS_AFTER = "SELECT id, normalized FROM records WHERE kind = 'bib' AND deleted = 0 AND id > ? ORDER BY id LIMIT ?"
"""One batch of a full pass's read, walked along the primary key: an index that led with the kind once
made SQLite sort every live bib for each batch."""
SOURCE_COUNTS = "SELECT kind, deleted, COUNT(*) FROM records WHERE source_id = ? GROUP BY kind, deleted"
"""A source's records by kind and deletion, from the (source_id, deleted, kind) index alone."""


class RecordStore(IngestQueries, Database):
    """SQLite-backed store of sources, raw + normalized records, quarantine, runs and state."""

    def write_batch(self, run_id: int, batch: Sequence[IncomingRecord], supersede: bool = False,
                    known: dict[str, tuple[str, str, int | None, str, int]] | None = None,
                    ) -> tuple[BatchCounts, list[IncomingRecord]]:
        """Store a batch in one transaction: insert new, update changed, leave unchanged alone.

        Returns the counts and the records refused as duplicates (the same id read twice in one run:
        the caller quarantines them, so that every record read is accounted for). With ``supersede``
        (file sources: a full export, then delta files) nothing is refused: a later copy with other
        bytes replaces the earlier one (counted ``superseded``), one with the same bytes is counted
        ``duplicates`` and not stored twice. ``known``: `record_locations` of (at least) the batch's ids,
        read in the transaction this call joins (so still true), instead of reading them again.
        """
        counts = BatchCounts()
        duplicates: list[IncomingRecord] = []
        if not batch:
            return counts, duplicates
        now = time.time()
        with self.transaction() as db:
            existing = self._existing(db, [r.id for r in batch]) if known is None else {
                r.id: (k[3], k[4], k[2]) for r in batch if (k := known.get(r.id)) is not None}
            seq = self._next_seq()
            inserts: list[tuple[Any, ...]] = []
            updates: list[tuple[Any, ...]] = []
            touches: list[tuple[Any, ...]] = []
            parents: set[str] = set()
            for record in batch:
                digest = record.digest or raw_hash(record.raw)
                old = existing.get(record.id)
                if old is not None and old[2] == run_id:
                    if supersede and old[0] != digest:
                        counts.superseded += 1
                        counts.updated -= 1  # counted again just below; a supersede is not an update
                    else:
                        if not supersede:
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
                "normalized = ?, deleted = 0, file = ?, position = ?, seen_run = MAX(COALESCE(seen_run, 0), ?), "
                "seq = ?, updated_at = ? WHERE id = ?",
                updates,
            )
            db.executemany("UPDATE records SET seen_run = MAX(COALESCE(seen_run, 0), ?), file = ?, position = ? "
                           "WHERE id = ?", touches)
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

    def mark_deleted(self, record_ids: Iterable[RecordId], last_seen_by: int | None = None) -> int:
        """Mark records deleted (kept, never erased); returns how many were live before. With
        ``last_seen_by`` (a run id) only those no run after that one has seen, checked in the same
        statement, so a record an overlapping newer run reads meanwhile is never deleted."""
        count = 0
        unseen = " AND (seen_run IS NULL OR seen_run <= ?)" if last_seen_by is not None else ""
        with self.transaction() as db:
            seq = self._next_seq()
            for record_id in record_ids:
                cursor = db.execute(
                    f"UPDATE records SET deleted = 1, seq = ?, updated_at = ? WHERE id = ? AND deleted = 0{unseen}",
                    (seq, time.time(), record_id, *((last_seen_by,) if last_seen_by is not None else ())),
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
        left alone: a partial read proves nothing about what the rest of the file holds. Decided from
        this run's own read only: every write keeps the *latest* run that saw a record
        (``seen_run = MAX(seen_run, run)``), and only records last seen before this run began are
        deleted, so a record that an overlapping later run wrote or read is never deleted by this one
        (issue 19: two overlapping harvests used to delete ~95% of a source).
        """
        keep = list(keep_files)
        marks = ",".join("?" * len(keep))
        extra = f" AND file NOT IN ({marks})" if keep else ""
        rows = self.query(
            "SELECT id FROM records WHERE source_id = ? AND deleted = 0 "
            f"AND (seen_run IS NULL OR seen_run < ?){extra}",
            (source_id, run_id, *keep),
        )
        return self.mark_deleted((row[0] for row in rows), last_seen_by=run_id - 1)

    def rewrite_record(self, run_id: int, record: IncomingRecord) -> str:
        """Store a record already written earlier in this run (an OAI-PMH server listing it twice): the
        newer copy wins. Returns "updated" or "unchanged"; a changed MFHD re-stamps its bib too, as in
        `write_batch`."""
        digest = record.digest or raw_hash(record.raw)
        with self.transaction() as db:
            row = db.execute("SELECT raw_hash, deleted FROM records WHERE id = ?", (record.id,)).fetchone()
            if row is not None and row[0] == digest and not row[1]:
                return "unchanged"
            seq = self._next_seq()
            db.execute(
                "UPDATE records SET kind = ?, parent_id = ?, raw = ?, raw_format = ?, raw_hash = ?, normalized = ?, "
                "deleted = 0, file = ?, position = ?, seen_run = MAX(COALESCE(seen_run, 0), ?), seq = ?, "
                "updated_at = ? WHERE id = ?",
                (record.kind, record.parent_id, record.raw, record.raw_format, digest, record.normalized_json,
                 record.file, record.position, run_id, seq, time.time(), record.id),
            )
            if record.parent_id:
                self._bump(db, [record.parent_id], seq + 1)
        return "updated"

    def mark_unlisted_deleted(self, source_id: SourceId, runs: Sequence[int]) -> int:
        """After a complete re-listing spread over ``runs`` (a resumed ``--full`` OAI-PMH harvest), mark
        the source's live records that none of those runs (nor a later one) saw as deleted."""
        if not runs:
            return 0
        marks = ",".join("?" * len(runs))
        rows = self.query(
            "SELECT id FROM records WHERE source_id = ? AND deleted = 0 "
            f"AND (seen_run IS NULL OR (seen_run NOT IN ({marks}) AND seen_run < ?))",
            (source_id, *runs, max(runs)),
        )
        return self.mark_deleted((row[0] for row in rows), last_seen_by=max(runs))

    def live_count(self) -> int:
        """Live records of every kind (bibs and holdings)."""
        return int(self.query("SELECT COUNT(*) FROM records WHERE deleted = 0")[0][0])

    # --- reads for the indexer: normalized JSON, no raw bytes ---------------------------------------

    def count_changed_bibs(self, since_seq: int, top_seq: int) -> int:
        """Bib records changed in (since_seq, top_seq]."""
        return int(self.query(CHANGED_BIBS_COUNT, (since_seq, top_seq))[0][0])

    def changed_between(self, since_seq: int, top_seq: int) -> list[tuple[RecordId, str, bool, str]]:
        """(id, kind, deleted, normalized JSON) of every record changed in (since_seq, top_seq]."""
        rows = self.query(
            "SELECT id, kind, deleted, normalized FROM records WHERE seq > ? AND seq <= ?", (since_seq, top_seq)
        )
        return [(row[0], row[1], bool(row[2]), row[3]) for row in rows]

    def iter_live_bib_json(self, batch: int = 5000) -> Iterator[list[tuple[RecordId, str]]]:
        """Every live bib as (id, normalized JSON), in id order, a batch at a time."""
        last = ""
        while True:
            rows = self.query(LIVE_BIBS_AFTER, (last, batch))
            if not rows:
                return
            yield [(row[0], row[1]) for row in rows]
            last = rows[-1][0]

    def live_bib_json(self, record_ids: Iterable[RecordId]) -> list[tuple[RecordId, str]]:
        """(id, normalized JSON) of those of these records that are live bibs, in id order."""
        return self._normalized_where("id", "kind = 'bib' AND deleted = 0", record_ids)

    def live_children_json(self, parent_ids: Iterable[RecordId]) -> list[tuple[RecordId, str]]:
        """(parent id, normalized JSON) of the live holdings records (MFHD) attached to these bibs."""
        return self._normalized_where("parent_id", "deleted = 0", parent_ids)

    def _normalized_where(self, key: str, where: str, ids: Iterable[RecordId]) -> list[tuple[RecordId, str]]:
        found: list[tuple[RecordId, str]] = []
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {key}, normalized FROM records WHERE {key} IN ({marks}) AND {where} ORDER BY id"
            found.extend((row[0], row[1]) for row in self.query(sql, chunk))
        return found

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
        """Stream records changed after ``since_seq`` (deleted ones included), in seq order.

        Each batch walks the seq index from where the last one stopped; the source and kind are only
        filters (the unary ``+`` keeps SQLite from choosing the source index instead and sorting the
        whole source for every batch, a million full rows per batch at 10M records)."""
        last = since_seq
        while True:
            sql = "SELECT * FROM records WHERE seq > ?"
            params: list[Any] = [last]
            if source_id:
                sql += " AND +source_id = ?"
                params.append(source_id)
            if kind:
                sql += " AND +kind = ?"
                params.append(kind)
            rows = self.query(sql + " ORDER BY seq LIMIT ?", (*params, batch))
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            last = rows[-1]["seq"]

    def max_seq(self) -> int:
        return int(self.query("SELECT COALESCE(MAX(seq), 0) FROM records")[0][0])

    def quarantine(
        self,
        source_id: SourceId,
        run_id: int | None,
        file: str,
        position: str,
        reason: str,
        raw: bytes | None,
        local_id: str = "",
        kind: QuarantineKind = QuarantineKind.UNREADABLE,
        raw_size: int | None = None,
        excerpt_bytes: int = DEFAULT_LIMITS.quarantine_excerpt_bytes,
    ) -> None:
        """Keep input that could not be read or normalized, with why; the same spot is kept once.

        At most ``excerpt_bytes`` of ``raw`` are written, with the input's full size (``raw_size`` when
        ``raw`` is already an excerpt of a larger input, else its length): a 420 MB blob becomes its
        first megabyte and "420 MB", never a 420 MB row."""
        size = raw_size if raw_size is not None else (len(raw) if raw is not None else None)
        kept = raw[:excerpt_bytes] if raw is not None and len(raw) > excerpt_bytes else raw
        with self.transaction() as db:
            db.execute(
                "INSERT INTO quarantine (source_id, run_id, file, position, local_id, reason, raw, created_at, kind, "
                "raw_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, file, position) DO UPDATE "
                "SET run_id = excluded.run_id, local_id = excluded.local_id, reason = excluded.reason, "
                "raw = excluded.raw, kind = excluded.kind, raw_size = excluded.raw_size",
                (source_id, run_id, file, position, local_id, reason, kept, time.time(), str(kind), size),
            )

    def clear_quarantine(self, source_id: SourceId, file: str, positions: Iterable[str]) -> None:
        """Forget the quarantine entries at these spots (their input has since been read fine)."""
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM quarantine WHERE source_id = ? AND file = ? AND position = ?",
                [(source_id, file, position) for position in positions],
            )

    def quarantined_positions(self, source_id: SourceId, file: str, kind: QuarantineKind, limit: int) -> list[str]:
        """The positions (OAI identifiers, byte offsets …) of one kind of quarantine entry, oldest first."""
        rows = self.query(
            "SELECT position FROM quarantine WHERE source_id = ? AND file = ? AND kind = ? ORDER BY id LIMIT ?",
            (source_id, file, str(kind), limit),
        )
        return [row[0] for row in rows]

    def quarantine_count(self, source_id: SourceId, kind: QuarantineKind | None = None) -> int:
        """How many entries the source has in the quarantine (of one kind, if given)."""
        if kind is None:
            rows = self.query("SELECT COUNT(*) FROM quarantine WHERE source_id = ?", (source_id,))
        else:
            rows = self.query(
                "SELECT COUNT(*) FROM quarantine WHERE source_id = ? AND kind = ?", (source_id, str(kind))
            )
        return int(rows[0][0])

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
            "SELECT source_id, file, position, local_id, reason, raw, created_at, kind, raw_size FROM quarantine "
            "WHERE source_id = ? ORDER BY file, id",
            (source_id,),
        )
        return [
            QuarantineEntry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], QuarantineKind(row[7]), row[8])
            for row in rows
        ]

    def quarantine_by_run(self, source_id: SourceId) -> list[tuple[int | None, QuarantineKind, str, int]]:
        """(run id, kind, reason, entries) of a source's quarantine: feed-health counts without the raw bytes."""
        rows = self.query(
            "SELECT run_id, kind, reason, COUNT(*) FROM quarantine WHERE source_id = ? "
            "GROUP BY run_id, kind, reason ORDER BY run_id, kind, reason",
            (source_id,),
        )
        return [(row[0], QuarantineKind(row[1]), row[2], int(row[3])) for row in rows]

    def source_status(self) -> list[dict[str, Any]]:
        """Per source: live, deleted and quarantined records, and the last run (for `unioncat status`)."""
        status: list[dict[str, Any]] = []
        for source in self.query("SELECT * FROM sources ORDER BY id"):
            source_id = source["id"]
            counts = self.query(SOURCE_COUNTS, (source_id,))
            live = sum(n for kind, deleted, n in counts if not deleted and kind == "bib")
            holdings = sum(n for kind, deleted, n in counts if not deleted and kind != "bib")
            deleted = sum(n for _, d, n in counts if d)
            quarantined = self.quarantine_count(source_id)
            runs = self.runs(source_id, limit=1)
            last_counts = runs[0]["counts"] if runs else {}
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
                    "superseded": int(last_counts.get("superseded", 0)),  # in the last run
                    "duplicates": int(last_counts.get("duplicates", 0)),
                    **self.ingest_counts(source_id),
                    "quarantined_by_reason": reason_classes(self.quarantine_reasons(source_id)),
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
