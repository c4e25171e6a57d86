"""The clusters' change log as harvesters need it: when each cluster last changed, and which died.

The OAI-PMH provider (`search_ui.interop.oai_provider`) publishes every cluster with a datestamp and
must report retired clusters (merged into another, or all of their records deleted) as deleted for
good (``deletedRecord=persistent``). `ClusterStore` drops a retired id from ``clusters`` and keeps a
redirect only when the records went somewhere, so it calls `retire` here to keep a tombstone in
``cluster_retired`` (when, and which member libraries and formats it had, so that a selective
harvest of a library's set is told too), and `revive` when an id comes back. The tables come from
`indexer.dedup.cluster_schema`; this module is the only place that reads them for the change log.

    log = ClusterLog(store)
    page = log.changes(start, end, after=(0.0, ""), limit=100, library="NOR")
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harvester.store import RecordStore

_CHUNK = 900
_LIBRARY_MEMBER = (
    "EXISTS (SELECT 1 FROM cluster_members m JOIN records r ON r.id = m.record_id "
    "JOIN sources s ON s.id = r.source_id WHERE m.cluster_id = c.id AND r.deleted = 0 AND s.library_code = ?)"
)
_FORMAT_MEMBER = (
    "EXISTS (SELECT 1 FROM cluster_members m JOIN records r ON r.id = m.record_id "
    "WHERE m.cluster_id = c.id AND r.deleted = 0 AND json_extract(r.normalized, '$.format') = ?)"
)


@dataclass(frozen=True, slots=True)
class ClusterChange:
    """A cluster's last change: live (``updated_at``) or retired (``deleted``, at its retirement)."""

    id: str
    stamp: float
    deleted: bool
    libraries: tuple[str, ...] = ()  # a retired cluster's member libraries and formats when it retired
    formats: tuple[str, ...] = ()


class ClusterLog:
    """Read side of the change log over one record store (the clustering tables must exist)."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def earliest(self) -> float | None:
        rows = self.store.query(
            "SELECT MIN(t) FROM (SELECT MIN(updated_at) AS t FROM clusters "
            "UNION ALL SELECT MIN(retired_at) FROM cluster_retired)"
        )
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def stamp(self, cluster_id: str) -> float | None:
        """When a live cluster last changed (None if it is not live)."""
        rows = self.store.query("SELECT updated_at FROM clusters WHERE id = ?", (cluster_id,))
        return float(rows[0][0]) if rows else None

    def retired(self, cluster_id: str) -> ClusterChange | None:
        """The tombstone of a retired cluster id, or None."""
        rows = self.store.query(
            "SELECT id, retired_at, 1, libraries, formats FROM cluster_retired WHERE id = ?", (cluster_id,)
        )
        return _change(rows[0]) if rows else None

    def members_of(self, cluster_ids: Sequence[str]) -> dict[str, list[str]]:
        """Members of many live clusters at once, each list in record id order."""
        found: dict[str, list[str]] = {}
        ids = sorted(set(cluster_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = self.store.query(
                f"SELECT cluster_id, record_id FROM cluster_members WHERE cluster_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY cluster_id, record_id",
                chunk,
            )
            for cluster_id, record_id in rows:
                found.setdefault(cluster_id, []).append(record_id)
        return found

    def changes(self, start: float | None, end: float | None, after: tuple[float, str], limit: int,
                library: str = "", fmt: str = "") -> list[ClusterChange]:
        """Live and retired clusters changed in [start, end) after ``after``, by (time, id).

        ``library`` keeps clusters with a live member from that library; ``fmt`` those with a live
        member of that format (the caller checks the merged record's own format).
        """
        live, live_params, dead, dead_params = _conditions(start, end, library, fmt)
        keyset = "(c.updated_at, c.id) > (?, ?)", "(t.retired_at, t.id) > (?, ?)"
        sql = (
            "SELECT * FROM (SELECT c.id AS id, c.updated_at AS stamp, 0 AS deleted, '[]' AS libraries, "
            f"'[]' AS formats FROM clusters c WHERE {' AND '.join([*live, keyset[0]])} "
            "ORDER BY c.updated_at, c.id LIMIT ?) UNION ALL "
            "SELECT * FROM (SELECT t.id, t.retired_at, 1, t.libraries, t.formats FROM cluster_retired t "
            f"WHERE {' AND '.join([*dead, keyset[1]])} ORDER BY t.retired_at, t.id LIMIT ?) "
            "ORDER BY stamp, id LIMIT ?"
        )
        params = [*live_params, *after, limit, *dead_params, *after, limit, limit]
        return [_change(row) for row in self.store.query(sql, params)]

    def count(self, start: float | None, end: float | None, library: str = "") -> int:
        """How many live and retired clusters `changes` would list in all."""
        live, live_params, dead, dead_params = _conditions(start, end, library, "")
        sql = (f"SELECT (SELECT COUNT(*) FROM clusters c WHERE {' AND '.join(live)}) + "
               f"(SELECT COUNT(*) FROM cluster_retired t WHERE {' AND '.join(dead)})")
        return int(self.store.query(sql, [*live_params, *dead_params])[0][0])

    def identifier_terms(self, kind: str, term: str, position: int, count: int) -> list[tuple[str, int]]:
        """SRU scan: identifier values from ``term`` on (``position - 1`` before it), with item counts."""
        sql = ("SELECT i.value, COUNT(DISTINCT m.cluster_id) FROM record_identifiers i "
               "JOIN cluster_members m ON m.record_id = i.record_id WHERE i.kind = ? AND i.value {} ? "
               "GROUP BY i.value ORDER BY i.value {} LIMIT ?")
        before = self.store.query(sql.format("<", "DESC"), (kind, term, max(position - 1, 0)))
        after = self.store.query(sql.format(">=", "ASC"), (kind, term, max(count - len(before), 0)))
        return [(row[0], int(row[1])) for row in [*reversed(before), *after]]


def retire(db: sqlite3.Connection, cluster_id: str, members: Iterable[str], now: float) -> None:
    """Keep a tombstone for a retired cluster: when, and its member libraries and formats."""
    ids = sorted(members)
    libraries: set[str] = set()
    formats: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = db.execute(
            "SELECT s.library_code, json_extract(r.normalized, '$.format') FROM records r "
            f"LEFT JOIN sources s ON s.id = r.source_id WHERE r.id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for code, fmt in rows:
            libraries.update([code] if code else [])
            formats.update([fmt] if fmt else [])
    db.execute("INSERT OR REPLACE INTO cluster_retired VALUES (?, ?, ?, ?)",
               (cluster_id, now, json.dumps(sorted(libraries)), json.dumps(sorted(formats))))


def revive(db: sqlite3.Connection, cluster_ids: Iterable[str]) -> None:
    """An id that is live again (a group got it back) is no longer deleted."""
    db.executemany("DELETE FROM cluster_retired WHERE id = ?", [(i,) for i in cluster_ids])


def _conditions(start: float | None, end: float | None, library: str,
                fmt: str) -> tuple[list[str], list[object], list[str], list[object]]:
    live, dead = ["1"], ["1"]
    live_params: list[object] = []
    dead_params: list[object] = []
    for bound, op in ((start, ">="), (end, "<")):
        if bound is not None:
            live.append(f"c.updated_at {op} ?")
            dead.append(f"t.retired_at {op} ?")
            live_params.append(bound)
            dead_params.append(bound)
    for value, member, column in ((library, _LIBRARY_MEMBER, "libraries"), (fmt, _FORMAT_MEMBER, "formats")):
        if value:
            live.append(member)
            dead.append(f"EXISTS (SELECT 1 FROM json_each(t.{column}) WHERE value = ?)")
            live_params.append(value)
            dead_params.append(value)
    return live, live_params, dead, dead_params


def _change(row: Sequence[object]) -> ClusterChange:
    return ClusterChange(str(row[0]), float(row[1]), bool(row[2]),  # type: ignore[arg-type]
                         tuple(json.loads(str(row[3]))), tuple(json.loads(str(row[4]))))
