"""Writing a full clustering pass in bounded memory: the new groups go to temporary tables, and the
id assignment, retirements and redirects are worked out in SQL against the old clusters.

`ClusterStore` used to hold the whole result of a full pass at once — every group, the old and the new
membership of every record as dicts, the claims of the id rule — about 2.5 GB at ten million records
before writing a row. Here the groups stream from the clusterer into ``temp`` tables (SQLite keeps
them in a temporary file, with a small page cache) in batches, and what is held in Python is one batch,
one byte per group (has it an id yet) and one byte per old cluster (is its id taken), whatever the
size. The rules are `indexer.dedup.cluster_ids`'s, applied in the same order, so the ids, redirects
and tombstones are exactly those of the in-memory rule (tests/indexer/test_cluster_write.py checks
it against `assign_ids` and `_redirect_target` with tiny batches):

1. claims: every (new group, old cluster) pair with the number of records they share, sorted as
   `assign_ids` sorts them (most shared first, then the older cluster, then the group's smallest
   record id); greedily, each group takes the first old id no other group took;
2. a group left without one gets ``make_cluster_id(smallest record)``, salted while the id is taken
   (by an old cluster, or by an id given earlier in group order);
3. old ids no group kept are retired: a tombstone (`indexer.dedup.cluster_changes.retire`) and a
   redirect to the new cluster holding most of their records (ties: the smaller id);
4. ``clusters`` and ``cluster_members`` are rewritten from the temporary tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from harvester.store import RecordStore
from indexer.dedup import cluster_changes
from indexer.dedup.cluster_ids import make_cluster_id

BATCH = 50_000
"""Rows written or read at a time (the memory of a full pass's write is about one batch)."""
_CHUNK = 900
_NO_BORN = 1 << 62
"""The age `assign_ids` gives an old id missing from ``clusters`` (its claims lose ties)."""

_TABLES = (
    "CREATE TEMP TABLE new_members (record_id TEXT PRIMARY KEY, grp INTEGER NOT NULL)",
    "CREATE TEMP TABLE new_groups (grp INTEGER PRIMARY KEY, smallest TEXT NOT NULL, size INTEGER NOT NULL)",
    "CREATE TEMP TABLE new_ids (grp INTEGER PRIMARY KEY, cluster_id TEXT NOT NULL UNIQUE)",
)


@dataclass(slots=True)
class Written:
    """What a full write did: groups written, how many got a new id, the ids retired (sorted)."""

    groups: int = 0
    new: int = 0
    retired: list[str] | None = None


def write_full(store: RecordStore, db: sqlite3.Connection, groups: Iterable[list[str]], now: float,
               batch: int = BATCH) -> Written:
    """Replace every cluster by ``groups`` (each a sorted list of record ids), inside ``db``'s
    transaction; see the module docstring."""
    batch = max(1, batch)
    for name in ("new_members", "new_groups", "new_ids"):
        db.execute(f"DROP TABLE IF EXISTS temp.{name}")
    for statement in _TABLES:
        db.execute(statement)
    try:
        written = Written(groups=_load_groups(db, groups, batch))
        _claim_old_ids(db, written.groups, batch)
        _new_ids(db, batch)
        written.new = int(db.execute(
            "SELECT COUNT(*) FROM new_ids n WHERE NOT EXISTS "
            "(SELECT 1 FROM cluster_members m WHERE m.cluster_id = n.cluster_id)").fetchone()[0])
        written.retired = [row[0] for row in db.execute(
            "SELECT DISTINCT cluster_id FROM cluster_members WHERE cluster_id NOT IN "
            "(SELECT cluster_id FROM new_ids) ORDER BY cluster_id")]
        _retire(store, db, written.retired, now)
        _rewrite(db, now)
        return written
    finally:
        for name in ("new_members", "new_groups", "new_ids"):
            db.execute(f"DROP TABLE IF EXISTS temp.{name}")


def _load_groups(db: sqlite3.Connection, groups: Iterable[list[str]], batch: int) -> int:
    members: list[tuple[str, int]] = []
    heads: list[tuple[int, str, int]] = []
    count = 0
    for group in groups:
        heads.append((count, min(group), len(group)))
        members.extend((record_id, count) for record_id in group)
        count += 1
        if len(members) >= batch or len(heads) >= batch:
            _flush(db, members, heads)
    _flush(db, members, heads)
    return count


def _flush(db: sqlite3.Connection, members: list[tuple[str, int]], heads: list[tuple[int, str, int]]) -> None:
    db.executemany("INSERT INTO new_members VALUES (?, ?)", members)
    db.executemany("INSERT INTO new_groups VALUES (?, ?, ?)", heads)
    members.clear()
    heads.clear()


def _claim_old_ids(db: sqlite3.Connection, groups: int, batch: int) -> None:
    """Step 1: `assign_ids`' greedy contest, over claims sorted by SQLite (same keys, same order:
    UTF-8 byte order is code point order, as Python compares strings)."""
    top = db.execute("SELECT COALESCE(MAX(n), 0) FROM clusters").fetchone()[0]
    has_id = bytearray(groups)
    taken_n = bytearray(int(top) + 1)
    taken_unborn: set[str] = set()  # old ids missing from ``clusters`` (only in a damaged store)
    cursor = db.execute(
        f"SELECT g.grp, m.cluster_id, k.n, -COUNT(*) AS shared, COALESCE(k.n, {_NO_BORN}) AS born, g.smallest"
        " FROM new_members nm JOIN cluster_members m ON m.record_id = nm.record_id"
        " JOIN new_groups g ON g.grp = nm.grp LEFT JOIN clusters k ON k.id = m.cluster_id"
        " GROUP BY nm.grp, m.cluster_id ORDER BY shared, born, g.smallest, g.grp, m.cluster_id")
    while rows := cursor.fetchmany(batch):
        chosen: list[tuple[int, str]] = []
        for grp, old_id, n, _, _, _ in rows:
            if has_id[grp] or (taken_n[n] if n is not None else old_id in taken_unborn):
                continue
            has_id[grp] = 1
            if n is None:
                taken_unborn.add(old_id)
            else:
                taken_n[n] = 1
            chosen.append((grp, old_id))
        # the claims query does not read new_ids, so writing it while the cursor is open is safe
        db.executemany("INSERT INTO new_ids VALUES (?, ?)", chosen)


def _new_ids(db: sqlite3.Connection, batch: int) -> None:
    """Step 2, in group order: the hash of the smallest record id, salted while it is taken."""
    last = -1
    while True:
        rows = db.execute(
            "SELECT grp, smallest FROM new_groups WHERE grp > ? AND grp NOT IN (SELECT grp FROM new_ids) "
            "ORDER BY grp LIMIT ?", (last, batch)).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        wanted = [(grp, smallest, make_cluster_id(smallest)) for grp, smallest in rows]
        busy = _taken(db, [candidate for _, _, candidate in wanted])
        given: list[tuple[int, str]] = []
        mine: set[str] = set()
        for grp, smallest, candidate in wanted:
            salt = 0
            while candidate in mine or candidate in busy or (salt and _taken(db, [candidate])):
                salt += 1
                candidate = make_cluster_id(smallest, salt)
            mine.add(candidate)
            given.append((grp, candidate))
        db.executemany("INSERT INTO new_ids VALUES (?, ?)", given)


def _taken(db: sqlite3.Connection, candidates: list[str]) -> set[str]:
    """Which ids are in use: an old cluster's (live or with members) or one given already."""
    found: set[str] = set()
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for table, column in (("clusters", "id"), ("cluster_members", "cluster_id"), ("new_ids", "cluster_id")):
            found.update(row[0] for row in db.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE {column} IN ({marks})", chunk))
    return found


def _retire(store: RecordStore, db: sqlite3.Connection, retired: list[str], now: float) -> None:
    """Step 3, as `ClusterStore._retire`: drop each retired id, redirect it (and ids that pointed to
    it) to where most of its records went, and keep its tombstone."""
    for start in range(0, len(retired), _CHUNK):
        chunk = retired[start : start + _CHUNK]
        members: dict[str, set[str]] = {cluster_id: set() for cluster_id in chunk}
        for cluster_id, record_id in _members_of(db, chunk):
            members[cluster_id].add(record_id)
        for cluster_id in chunk:
            target = db.execute(
                "SELECT n.cluster_id, COUNT(*) AS c FROM cluster_members m"
                " JOIN new_members nm ON nm.record_id = m.record_id JOIN new_ids n ON n.grp = nm.grp"
                " WHERE m.cluster_id = ? GROUP BY n.cluster_id ORDER BY c DESC, n.cluster_id LIMIT 1",
                (cluster_id,)).fetchone()
            db.execute("DELETE FROM clusters WHERE id = ?", (cluster_id,))
            if target:
                db.execute("INSERT OR REPLACE INTO cluster_redirects VALUES (?, ?, ?)", (cluster_id, target[0], now))
                db.execute("UPDATE cluster_redirects SET new_id = ? WHERE new_id = ?", (target[0], cluster_id))
            else:
                db.execute("DELETE FROM cluster_redirects WHERE new_id = ?", (cluster_id,))
        cluster_changes.retire(store, db, chunk, members, now)


def _members_of(db: sqlite3.Connection, cluster_ids: list[str]) -> Iterator[tuple[str, str]]:
    marks = ",".join("?" * len(cluster_ids))
    yield from db.execute(f"SELECT cluster_id, record_id FROM cluster_members WHERE cluster_id IN ({marks})",
                          cluster_ids)


def _rewrite(db: sqlite3.Connection, now: float) -> None:
    """Step 4: the clusters (new ones numbered in group order, as the in-memory write numbered them),
    the members, and the redirects and tombstones of ids that are live again."""
    db.execute(
        "INSERT INTO clusters (id, size, updated_at) SELECT n.cluster_id, g.size, ? FROM new_ids n"
        " JOIN new_groups g ON g.grp = n.grp WHERE true ORDER BY n.grp"
        " ON CONFLICT (id) DO UPDATE SET size = excluded.size, updated_at = excluded.updated_at", (now,))
    db.execute("DELETE FROM cluster_redirects WHERE old_id IN (SELECT cluster_id FROM new_ids)")
    db.execute("DELETE FROM cluster_retired WHERE id IN (SELECT cluster_id FROM new_ids)")
    db.execute("DELETE FROM cluster_members")
    db.execute("INSERT INTO cluster_members SELECT nm.record_id, n.cluster_id FROM new_members nm"
               " JOIN new_ids n ON n.grp = nm.grp ORDER BY nm.grp, nm.record_id")
    db.execute("DELETE FROM clusters WHERE id NOT IN (SELECT cluster_id FROM cluster_members)")
