"""Staff decisions that beat the deduplicator: merge two records, split two records, block an
identifier from matching. Kept in the clustering tables, they survive re-harvests and `index --rebuild`;
adding or removing one marks the records it touches for re-clustering by the next index run.

Every addition and removal is audited in ``override_audit`` (who, when, what, why), from the CLI
(``cli:<os user>``) and from the web staff pages (the signed-in account), in the same transaction as
the change, so the trail cannot miss one."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

from harvester.store import RecordStore
from indexer.dedup.matching import Overrides

OVERRIDE_KINDS = ("merge", "split", "block")
AUDIT_MIGRATIONS = (
    """
    CREATE TABLE override_audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        kind TEXT NOT NULL,
        a TEXT NOT NULL,
        b TEXT NOT NULL DEFAULT '',
        why TEXT NOT NULL DEFAULT ''
    );
    """,
)


class OverrideStore:
    """The ``cluster_overrides`` table (created by `indexer.dedup.cluster_schema`)."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        store.migrate("override_audit", AUDIT_MIGRATIONS)

    def overrides(self) -> Overrides:
        merge: set[frozenset[str]] = set()
        split: set[frozenset[str]] = set()
        block: set[str] = set()
        for kind, a, b in self.store.query("SELECT kind, a, b FROM cluster_overrides"):
            if kind == "block":
                block.add(a)
            else:
                (merge if kind == "merge" else split).add(frozenset((a, b)))
        return Overrides(frozenset(merge), frozenset(split), frozenset(block))

    def add(self, kind: str, a: str, b: str = "", who: str = "", why: str = "") -> None:
        a, b = _check_override(kind, a, b)
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO cluster_overrides VALUES (?, ?, ?, ?)", (kind, a, b, time.time())
            )
            _mark_pending(db, self._records(kind, a, b))
            _audit(db, who, "add", kind, a, b, why)

    def remove(self, kind: str, a: str, b: str = "", who: str = "", why: str = "") -> bool:
        a, b = _check_override(kind, a, b)
        with self.store.transaction() as db:
            cursor = db.execute(
                "DELETE FROM cluster_overrides WHERE kind = ? AND a = ? AND b = ?", (kind, a, b)
            )
            if cursor.rowcount:
                _mark_pending(db, self._records(kind, a, b))
                _audit(db, who, "remove", kind, a, b, why)
            return bool(cursor.rowcount)

    def audit(self, limit: int = 500) -> list[dict[str, object]]:
        """The audit trail, newest first: at (Unix time), who, action (add/remove), kind, a, b, why."""
        rows = self.store.query(
            "SELECT at, who, action, kind, a, b, why FROM override_audit ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [dict(row) for row in rows]

    def all(self) -> list[dict[str, object]]:
        rows = self.store.query(
            "SELECT kind, a, b, created_at FROM cluster_overrides ORDER BY created_at, kind"
        )
        return [dict(row) for row in rows]

    def _records(self, kind: str, a: str, b: str) -> list[str]:
        if kind != "block":
            return [a, b]
        prefix, _, value = a.partition(":")
        rows = self.store.query("SELECT record_id FROM cluster_keys WHERE key = ?", (a,))
        rows += self.store.query(
            "SELECT record_id FROM record_identifiers WHERE kind = ? AND value = ?", (prefix, value)
        )
        return [row[0] for row in rows]


def _audit(db: sqlite3.Connection, who: str, action: str, kind: str, a: str, b: str, why: str) -> None:
    db.execute(
        "INSERT INTO override_audit (at, who, action, kind, a, b, why) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (time.time(), who or "unknown", action, kind, a, b, why.strip()),
    )


def _mark_pending(db: sqlite3.Connection, record_ids: Iterable[str]) -> None:
    db.executemany("INSERT OR IGNORE INTO cluster_pending VALUES (?)", [(r,) for r in record_ids])


def _check_override(kind: str, a: str, b: str) -> tuple[str, str]:
    if kind not in OVERRIDE_KINDS:
        raise ValueError(f"unknown override {kind!r}; use one of {', '.join(OVERRIDE_KINDS)}")
    a, b = a.strip(), b.strip()
    if kind == "block":
        if not a or ":" not in a:
            raise ValueError("block takes an identifier key such as isbn:9780306406157")
        return a, ""
    if not a or not b or a == b:
        raise ValueError(f"{kind} takes two different record ids (source:localid)")
    return (a, b) if a < b else (b, a)
