"""The record store's tables, as numbered migrations (applied once each by `Database.migrate`)."""

from __future__ import annotations

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
    # 2: quarantine rows carry a machine-readable kind (what went wrong), not only a message
    """
    ALTER TABLE quarantine ADD COLUMN kind TEXT NOT NULL DEFAULT 'unreadable';
    UPDATE quarantine SET kind = 'server_failure' WHERE reason LIKE 'GetRecord failed%';
    UPDATE quarantine SET kind = 'broken_page' WHERE file = 'oai-page';
    UPDATE quarantine SET kind = 'duplicate' WHERE reason LIKE 'duplicate record id%';
    CREATE INDEX quarantine_kind ON quarantine (source_id, kind);
    """,
    # 3: a quarantine row keeps a bounded excerpt of a large input and the input's full size (NULL: the
    # raw bytes are the whole input, as in every row written before)
    """
    ALTER TABLE quarantine ADD COLUMN raw_size INTEGER;
    """,
    # 4: blobs quarantined whole before there was a cap (a 420 MB page once) shrink to the default excerpt
    # (limits.quarantine_excerpt_bytes, 1 MiB) and keep their size; VACUUM gives the disk space back
    """
    UPDATE quarantine SET raw_size = length(raw), raw = substr(raw, 1, 1048576)
    WHERE raw IS NOT NULL AND length(raw) > 1048576;
    """,
    # 5: counting the bibs changed since a sequence number (every `unioncat index`, for its progress line
    # and to choose between an incremental and a full pass) reads this index alone; with the seq index it
    # fetched every row to see its kind, 27 GB of pages at 10M records, twice per full pass (~10 minutes)
    """
    CREATE INDEX records_kind_seq ON records (kind, seq);
    """,
    # 6: a source's live, deleted and holdings counts (`unioncat status`, the partners page, every view)
    # read the source index alone once it holds the kind; without it each count fetched every record of
    # the source to see its kind: at 10M records one status call read the whole 27 GB table
    """
    DROP INDEX records_source;
    CREATE INDEX records_source ON records (source_id, deleted, kind);
    """,
    # 7: migration 5's (kind, seq) index made SQLite read every live bib in kind order and sort them by
    # id for each 5,000-record batch of `iter_live_bib_json` (WHERE kind = 'bib' ... ORDER BY id LIMIT):
    # a full pass stalled at 10M. (seq, kind) answers the same counts from the index alone, serves every
    # query the seq index served, and offers nothing to a query that does not bound seq.
    """
    DROP INDEX records_kind_seq;
    DROP INDEX records_seq;
    CREATE INDEX records_seq ON records (seq, kind);
    """,
    # 8: the feed-health counts of `source_status` (records a permissive reader repaired, ids derived
    # from content) looked inside every record's JSON of the source on each call: `unioncat status` and
    # the partners page read the whole store (27 GB at 10M records). These partial indexes hold only the
    # few records that carry the flag, so the counts read those alone.
    """
    CREATE INDEX records_repaired ON records (source_id, deleted)
        WHERE json_extract(normalized, '$.repairs') IS NOT NULL;
    CREATE INDEX records_id_origin ON records (source_id, deleted, json_extract(normalized, '$.id_origin'))
        WHERE json_extract(normalized, '$.id_origin') IS NOT NULL;
    """,
)
