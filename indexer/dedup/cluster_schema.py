"""The clustering tables, kept in the record store's SQLite file through ``store.migrate("clusters", ...)``.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE clusters (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE cluster_members (
        record_id TEXT PRIMARY KEY,
        cluster_id TEXT NOT NULL
    );
    CREATE INDEX cluster_members_cluster ON cluster_members (cluster_id, record_id);
    CREATE TABLE cluster_keys (
        key TEXT NOT NULL,
        record_id TEXT NOT NULL,
        PRIMARY KEY (key, record_id)
    ) WITHOUT ROWID;
    CREATE INDEX cluster_keys_record ON cluster_keys (record_id);
    CREATE TABLE record_identifiers (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        record_id TEXT NOT NULL,
        PRIMARY KEY (kind, value, record_id)
    ) WITHOUT ROWID;
    CREATE INDEX record_identifiers_record ON record_identifiers (record_id);
    CREATE TABLE cluster_overrides (
        kind TEXT NOT NULL,
        a TEXT NOT NULL,
        b TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        PRIMARY KEY (kind, a, b)
    );
    CREATE TABLE cluster_redirects (
        old_id TEXT PRIMARY KEY,
        new_id TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE cluster_pending (record_id TEXT PRIMARY KEY);
    CREATE TABLE index_queue (cluster_id TEXT PRIMARY KEY, action TEXT NOT NULL);
    """,
    # 2: tombstones of retired clusters, for the OAI-PMH provider's persistent deletions
    # (indexer.dedup.cluster_changes); ids retired before this migration keep their redirect's time
    """
    CREATE TABLE cluster_retired (
        id TEXT PRIMARY KEY,
        retired_at REAL NOT NULL,
        libraries TEXT NOT NULL DEFAULT '[]',
        formats TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX cluster_retired_at ON cluster_retired (retired_at, id);
    CREATE INDEX clusters_updated ON clusters (updated_at, id);
    INSERT OR IGNORE INTO cluster_retired (id, retired_at) SELECT old_id, created_at FROM cluster_redirects;
    """,
    # 3: work keys of every live record, for "other editions / versions" (indexer.dedup.works)
    """
    CREATE TABLE work_keys (
        key TEXT NOT NULL,
        record_id TEXT NOT NULL,
        PRIMARY KEY (key, record_id)
    ) WITHOUT ROWID;
    CREATE INDEX work_keys_record ON work_keys (record_id);
    """,
)
