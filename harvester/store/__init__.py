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

from harvester.store.database import Database
from harvester.store.records import RecordStore
from harvester.store.rows import BatchCounts, IncomingRecord, QuarantineEntry, QuarantineKind, StoredRecord, raw_hash

__all__ = [
    "BatchCounts",
    "Database",
    "IncomingRecord",
    "QuarantineEntry",
    "QuarantineKind",
    "RecordStore",
    "StoredRecord",
    "raw_hash",
]
