"""The clusters' change log as harvesters need it: when each cluster last changed, and which died.

The OAI-PMH provider (`search_ui.interop.oai_provider`) publishes every cluster with a datestamp and
must report retired clusters (merged into another, or all of their records deleted) as deleted for
good (``deletedRecord=persistent``). `ClusterStore` drops a retired id from ``clusters`` and keeps a
redirect only when the records went somewhere, so it calls `retire` here to keep a tombstone in
``cluster_retired`` (when, and which member libraries and formats it had, so that a selective
harvest of a library's set is told too), and `revive` when an id comes back. The tables come from
`indexer.dedup.cluster_schema`; this module is the only place that reads them for the change log, and
it learns about records and sources only through `RecordStore` methods (record ids are
``source:localid``, so a library's clusters are found by the record-id ranges of its sources).

    log = ClusterLog(store)
    page = log.changes(start, end, after=(0.0, ""), limit=100, library="NOR")
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harvester.store import RecordStore
from harvester.types import split_record_id

_CHUNK = 900


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
                library: str = "") -> list[ClusterChange]:
        """Live and retired clusters changed in [start, end) after ``after``, by (time, id).

        ``library`` keeps clusters with a member from one of that library's sources (retired ones: a
        member when they retired).
        """
        live, live_params, dead, dead_params = self._conditions(start, end, library)
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
        live, live_params, dead, dead_params = self._conditions(start, end, library)
        sql = (f"SELECT (SELECT COUNT(*) FROM clusters c WHERE {' AND '.join(live)}) + "
               f"(SELECT COUNT(*) FROM cluster_retired t WHERE {' AND '.join(dead)})")
        return int(self.store.query(sql, [*live_params, *dead_params])[0][0])

    def _conditions(self, start: float | None, end: float | None,
                    library: str) -> tuple[list[str], list[object], list[str], list[object]]:
        """WHERE parts (and parameters) for live clusters (``c``) and tombstones (``t``)."""
        live, dead = ["1"], ["1"]
        live_params: list[object] = []
        dead_params: list[object] = []
        for bound, op in ((start, ">="), (end, "<")):
            if bound is not None:
                live.append(f"c.updated_at {op} ?")
                dead.append(f"t.retired_at {op} ?")
                live_params.append(bound)
                dead_params.append(bound)
        if library:
            sources = sorted(s for s, (code, _name) in self.store.libraries().items() if code == library)
            ranges = " OR ".join("(m.record_id >= ? AND m.record_id < ?)" for _ in sources) or "0"
            live.append(f"EXISTS (SELECT 1 FROM cluster_members m WHERE m.cluster_id = c.id AND ({ranges}))")
            live_params += [bound for source in sources for bound in (f"{source}:", f"{source};")]
            dead.append("EXISTS (SELECT 1 FROM json_each(t.libraries) WHERE value = ?)")
            dead_params.append(library)
        return live, live_params, dead, dead_params

    def identifier_terms(self, kind: str, term: str, position: int, count: int) -> list[tuple[str, int]]:
        """SRU scan: identifier values from ``term`` on (``position - 1`` before it), with item counts."""
        sql = ("SELECT i.value, COUNT(DISTINCT m.cluster_id) FROM record_identifiers i "
               "JOIN cluster_members m ON m.record_id = i.record_id WHERE i.kind = ? AND i.value {} ? "
               "GROUP BY i.value ORDER BY i.value {} LIMIT ?")
        before = self.store.query(sql.format("<", "DESC"), (kind, term, max(position - 1, 0)))
        after = self.store.query(sql.format(">=", "ASC"), (kind, term, max(count - len(before), 0)))
        return [(row[0], int(row[1])) for row in [*reversed(before), *after]]


def retire(store: RecordStore, db: sqlite3.Connection, retired: Iterable[str],
           members: dict[str, set[str]], now: float) -> None:
    """Keep a tombstone per retired cluster: when, and its members' libraries and formats.

    Runs inside `ClusterStore`'s write transaction (``db``); the store's reads share its connection.
    """
    libraries = store.libraries()
    for cluster_id in retired:
        ids = sorted(members.get(cluster_id, ()))
        codes = {libraries.get(split_record_id(i)[0], ("", ""))[0] for i in ids}
        formats = {stored.normalized.format for stored in store.get_many(ids)}
        db.execute("INSERT OR REPLACE INTO cluster_retired VALUES (?, ?, ?, ?)",
                   (cluster_id, now, json.dumps(sorted(c for c in codes if c)),
                    json.dumps(sorted(f for f in formats if f))))


def revive(db: sqlite3.Connection, cluster_ids: Iterable[str]) -> None:
    """An id that is live again (a group got it back) is no longer deleted."""
    db.executemany("DELETE FROM cluster_retired WHERE id = ?", [(i,) for i in cluster_ids])


def _change(row: Sequence[object]) -> ClusterChange:
    return ClusterChange(str(row[0]), float(row[1]), bool(row[2]),  # type: ignore[arg-type]
                         tuple(json.loads(str(row[3]))), tuple(json.loads(str(row[4]))))
