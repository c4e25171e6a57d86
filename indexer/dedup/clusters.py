"""Cluster bookkeeping: which records form one item, under an id that stays put.

The matcher (`indexer.dedup.matchers.matcher_for`) only decides groups; this module keeps them in the record
store's SQLite file (tables owned through ``store.migrate("clusters", …)``) so that:

- clustering is incremental: records changed since the last run (the store's ``seq``), plus the live
  records sharing a blocking key with them, plus the current cluster-mates of all of those, are handed
  to the matcher, and nothing else is touched;
- cluster ids are permalinks: a re-clustered group keeps the id of the old cluster that gives it most
  members (ties: the older cluster); an id that no group keeps is retired and redirects to the cluster
  now holding most of its records; a brand-new group gets ``"c" + 16 hex`` of a hash of its smallest
  record id, so the same data gives the same ids even in a fresh store;
- staff overrides (merge / split / block an identifier) live here, survive re-harvests and rebuilds,
  and mark the records they touch for re-clustering;
- every cluster whose content or membership changed is queued for the search index (`index_queue`),
  in the same transaction, so an indexing run that fails is simply redone by the next one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from harvester.record import Record
from harvester.store import RecordStore
from harvester.types import ClusterId, RecordId
from indexer.dedup import cluster_changes
from indexer.dedup.bounded import cluster_all
from indexer.dedup.cluster_ids import _redirect_target, assign_ids
from indexer.dedup.cluster_keys import KeyTables, insert_keys, key_rows
from indexer.dedup.cluster_pool import matching_record
from indexer.dedup.cluster_schema import MIGRATIONS
from indexer.dedup.cluster_write import BATCH, write_full
from indexer.dedup.clustering import WORD_KEY_CAP, window_of
from indexer.dedup.keys import CAPPED_KEYS
from indexer.dedup.matching import Matcher, Overrides
from indexer.dedup.overrides import OverrideStore

MAX_VERSIONS = 20
"""Other editions / versions listed for one cluster."""

MAX_BLOCK = 1000
"""Records taken from one blocking key per changed record; a bigger block is a misused identifier or a
very common key, and its records' cluster-mates are pulled in anyway, so the cap loses little."""
BULK_CACHE_MIB = 512
"""SQLite's page cache (main and temporary databases, each) during a full pass: its bulk writes of the
key tables and the clusters go 2-4x faster at millions of records (`RecordStore.page_cache`)."""
SEQ_STATE = "clusters.seq"
MATCHER_STATE = "clusters.matcher"
_CHUNK = 900


@dataclass(slots=True)
class ClusterChanges:
    """What one clustering pass did."""

    full: bool = False
    records: int = 0  # records (re)considered
    groups: int = 0  # groups the matcher returned
    new: int = 0
    retired: int = 0
    queued: list[str] = field(default_factory=list)  # cluster ids to (re)index (a full pass: all, not listed)
    deleted: list[str] = field(default_factory=list)  # cluster ids to remove from the index


class ClusterStore:
    """Clusters, members, blocking keys, identifiers, overrides and redirects, kept in the record store."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.write_batch = BATCH  # rows per batch when a full pass is written (tests force it tiny)
        self.staff = OverrideStore(store)
        store.migrate("clusters", MIGRATIONS)

    # --- reading ---------------------------------------------------------------------------------

    def cluster_of(self, record_id: RecordId) -> str | None:
        rows = self.store.query("SELECT cluster_id FROM cluster_members WHERE record_id = ?", (record_id,))
        return rows[0][0] if rows else None

    def members(self, cluster_id: ClusterId) -> list[str]:
        rows = self.store.query(
            "SELECT record_id FROM cluster_members WHERE cluster_id = ? ORDER BY record_id", (cluster_id,)
        )
        return [row[0] for row in rows]

    def iter_clusters(self, batch: int = 5000, after: str = "") -> Iterator[tuple[str, list[str]]]:
        """Every cluster with its members (clusters of one included), streamed in id order; with
        ``after``, only the clusters whose id sorts after it (a resumed rebuild starts there, rather
        than reading every cluster before it to skip them)."""
        last = (after, "")  # the index seeks there; the ``cluster_id > ?`` drops ``after``'s own rows
        current: tuple[str, list[str]] | None = None
        while True:
            rows = self.store.query(
                "SELECT cluster_id, record_id FROM cluster_members WHERE (cluster_id, record_id) > (?, ?) "
                "AND cluster_id > ? ORDER BY cluster_id, record_id LIMIT ?",
                (*last, after, batch),
            )
            if not rows:
                break
            for cluster_id, record_id in rows:
                if current is None or current[0] != cluster_id:
                    if current is not None:
                        yield current
                    current = (cluster_id, [])
                current[1].append(record_id)
            last = (rows[-1][0], rows[-1][1])
        if current is not None:
            yield current

    def count(self) -> int:
        return int(self.store.query("SELECT COUNT(*) FROM clusters")[0][0])

    def listing(self, offset: int, limit: int) -> list[tuple[str, float]]:
        """(cluster id, updated_at) of live clusters in id order, ``limit`` from ``offset`` (sitemaps)."""
        rows = self.store.query("SELECT id, updated_at FROM clusters ORDER BY id LIMIT ? OFFSET ?", (limit, offset))
        return [(str(row[0]), float(row[1])) for row in rows]

    def stamps(self, cluster_ids: Iterable[str]) -> dict[str, float]:
        """Last change (updated_at) of each live cluster among ``cluster_ids`` (a feed's entries)."""
        sql = "SELECT id, updated_at FROM clusters WHERE id IN ({})"
        return {str(row[0]): float(row[1]) for row in self._rows_in(sql, cluster_ids)}

    def exists(self, cluster_id: ClusterId) -> bool:
        return bool(self.store.query("SELECT 1 FROM clusters WHERE id = ?", (cluster_id,)))

    def redirect(self, cluster_id: ClusterId) -> str | None:
        """Where a retired cluster id now points (following chains to a live cluster), or None."""
        current = cluster_id
        for _ in range(32):
            rows = self.store.query("SELECT new_id FROM cluster_redirects WHERE old_id = ?", (current,))
            if not rows:
                return None
            current = rows[0][0]
            if self.exists(current):
                return current
        return None

    def versions(self, cluster_id: ClusterId, limit: int = MAX_VERSIONS) -> list[str]:
        """Other clusters holding a version of the same work (a record sharing a work key with one of
        this cluster's records: `indexer.dedup.works`), most shared records first."""
        rows = self.store.query(
            "SELECT m2.cluster_id, COUNT(*) AS n FROM cluster_members m"
            " JOIN work_keys w ON w.record_id = m.record_id"
            " JOIN work_keys w2 ON w2.key = w.key AND w2.record_id != w.record_id"
            " JOIN cluster_members m2 ON m2.record_id = w2.record_id"
            " WHERE m.cluster_id = ? AND m2.cluster_id != ?"
            " GROUP BY m2.cluster_id ORDER BY n DESC, m2.cluster_id LIMIT ?",
            (cluster_id, cluster_id, limit),
        )
        return [row[0] for row in rows]

    def block_size(self, key: str) -> int:
        """How many stored records carry a blocking key (for `unioncat explain`)."""
        rows = self.store.query("SELECT COUNT(*) FROM cluster_keys WHERE key = ?", (key,))
        return int(rows[0][0]) if rows else 0

    def records_with_identifier(self, kind: str, value: str) -> list[str]:
        """Live bib records carrying a normalized identifier (blocked ones too): the holdings check."""
        rows = self.store.query(
            "SELECT record_id FROM record_identifiers WHERE kind = ? AND value = ? ORDER BY record_id",
            (kind, value),
        )
        return [row[0] for row in rows]

    # --- overrides (kept by `OverrideStore`; here because changing one marks records for re-clustering) --

    def overrides(self) -> Overrides:
        return self.staff.overrides()

    def add_override(self, kind: str, a: str, b: str = "") -> None:
        """Record a staff decision; the records it touches are re-clustered by the next index run.

        ``merge``/``split`` take two record ids; ``block`` takes one identifier key ("isbn:978…").
        """
        self.staff.add(kind, a, b)

    def remove_override(self, kind: str, a: str, b: str = "") -> bool:
        return self.staff.remove(kind, a, b)

    def list_overrides(self) -> list[dict[str, object]]:
        return self.staff.all()

    # --- the index queue -------------------------------------------------------------------------

    def index_queue(self) -> tuple[list[str], list[str]]:
        """Cluster ids waiting to be (re)indexed and to be deleted from the index."""
        rows = self.store.query("SELECT cluster_id, action FROM index_queue ORDER BY cluster_id")
        return [r[0] for r in rows if r[1] == "index"], [r[0] for r in rows if r[1] == "delete"]

    def mark_indexed(self, cluster_ids: Sequence[str], action: str) -> None:
        with self.store.transaction() as db:
            for chunk in _chunks(list(cluster_ids)):
                marks = ",".join("?" * len(chunk))
                db.execute(
                    f"DELETE FROM index_queue WHERE action = ? AND cluster_id IN ({marks})", (action, *chunk)
                )

    def clear_index_queue(self) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM index_queue")

    # --- clustering ------------------------------------------------------------------------------

    def needs_full(self, matcher: Matcher) -> bool:
        """First run, or the matcher changed since the clusters were made: re-cluster everything."""
        return self.store.get_state(MATCHER_STATE) != matcher.name or self.store.get_state(SEQ_STATE) is None

    def update(self, matcher: Matcher, on_progress: Callable[[int], None] | None = None) -> ClusterChanges:
        """Re-cluster what changed since the last pass (or everything, when `needs_full`)."""
        if self.needs_full(matcher):
            return self.recluster_all(matcher, on_progress)
        since = int(self.store.get_state(SEQ_STATE) or 0)
        top = self.store.max_seq()
        changed_count = self.store.count_changed_bibs(since, top)
        if changed_count > max(200_000, self.count() // 2):
            return self.recluster_all(matcher, on_progress)  # cheaper than a huge incremental pass
        overrides = self.overrides()
        changed: dict[str, Record | None] = {}
        rows = self.store.changed_between(since, top)
        for record_id, kind, deleted, normalized in rows:
            changed[record_id] = matching_record(normalized) if kind == "bib" and not deleted else None
        del rows
        pending = [r[0] for r in self.store.query("SELECT record_id FROM cluster_pending")]
        for record_id, record in self._load_live([r for r in pending if r not in changed]).items():
            changed[record_id] = record
        for record_id in pending:
            changed.setdefault(record_id, None)
        with self.store.transaction() as db:
            self._write_keys(db, changed, matcher, overrides)
        candidates = self._gather(set(changed))
        records = self._load_live(sorted(candidates))
        # the matcher runs outside any write transaction, so harvests are not held up meanwhile
        groups = matcher.cluster(list(records.values()), overrides) if records else []
        with self.store.transaction() as db:
            old_of = self._old_membership(candidates)
            result = self._apply(db, groups, old_of, set(changed))
            result.records = len(records)
            self._finish(db, top, matcher, pending)
        return result

    def recluster_all(
        self, matcher: Matcher, on_progress: Callable[[int], None] | None = None,
        on_stage: Callable[[str, int], None] | None = None, workers: int | None = None,
    ) -> ClusterChanges:
        """Cluster every live bib record (first run, `index --rebuild`, new matcher), in bounded memory
        on big stores (`indexer.dedup.bounded`): records stream from the store once, prepared and decided
        in `workers` processes (None: one per core).

        Keys and identifiers are replaced in one transaction while the records stream past (readers see
        the old ones until it commits; the clusterer's workers work the rows out, `key_rows`), the
        matcher's work runs outside any transaction, and the result is written in a second one: a run
        killed at any point leaves the previous clusters in place.
        """
        with self.store.page_cache(BULK_CACHE_MIB):
            changes = self._recluster_all(matcher, on_progress, on_stage, workers)
        self.store.checkpoint()  # the pass wrote gigabytes through the WAL at 10M: give the disk back now
        return changes

    def _recluster_all(self, matcher: Matcher, on_progress: Callable[[int], None] | None,
                       on_stage: Callable[[str, int], None] | None, workers: int | None) -> ClusterChanges:
        overrides = self.overrides()
        top = self.store.max_seq()
        pending = [r[0] for r in self.store.query("SELECT record_id FROM cluster_pending")]

        def live() -> Iterator[str]:  # the stored JSON: the clusterer's workers decode it
            for rows in self.store.iter_live_bib_json():
                yield from (normalized for _, normalized in rows)

        tables = KeyTables(self.store, on_progress)
        expected = self.store.count_changed_bibs(0, top)
        try:
            groups, count = cluster_all(matcher, live(), overrides, self.store.path.parent, expected, on_stage,
                                        workers=workers, sink=tables.sink())
        finally:
            tables.close()  # the old key tables stay unless every record's keys were written (see `KeyTables`)
        try:
            with self.store.transaction() as db:  # the groups stream in: memory stays flat (cluster_write)
                written = write_full(self.store, db, groups, time.time(), self.write_batch)
                db.execute("DELETE FROM index_queue")
                self._finish(db, top, matcher, pending)
        finally:
            close = getattr(groups, "close", None)
            if close is not None:
                close()  # a bounded stream's files go with it
        retired = written.retired or []
        return ClusterChanges(full=True, records=count, groups=written.groups, new=written.new,
                              retired=len(retired), deleted=retired)

    # --- clustering internals --------------------------------------------------------------------

    def _finish(self, db: sqlite3.Connection, top: int, matcher: Matcher, pending: list[str]) -> None:
        """Record how far clustering got; pending records marked meanwhile stay pending."""
        db.executemany("DELETE FROM cluster_pending WHERE record_id = ?", [(r,) for r in pending])
        self.store.set_state(SEQ_STATE, top)
        self.store.set_state(MATCHER_STATE, matcher.name)

    def _rows_in(self, sql: str, values: Iterable[str]) -> Iterator[sqlite3.Row]:
        """Rows of ``sql`` (one ``IN ({})``) for every value, asked in chunks SQLite accepts."""
        for chunk in _chunks(sorted(set(values))):
            yield from self.store.query(sql.format(",".join("?" * len(chunk))), chunk)

    def _load_live(self, record_ids: Sequence[str]) -> dict[str, Record]:
        rows = self.store.live_bib_json(record_ids)
        return {record_id: matching_record(normalized) for record_id, normalized in rows}

    @staticmethod
    def _write_keys(db: sqlite3.Connection, changed: dict[str, Record | None], matcher: Matcher,
                    overrides: Overrides) -> None:
        """Replace the blocking keys and identifiers of changed records (none for deleted ones)."""
        for chunk in _chunks(list(changed)):
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM cluster_keys WHERE record_id IN ({marks})", chunk)
            db.execute(f"DELETE FROM record_identifiers WHERE record_id IN ({marks})", chunk)
            db.execute(f"DELETE FROM work_keys WHERE record_id IN ({marks})", chunk)
        live = [record for record in changed.values() if record is not None]
        insert_keys(db, key_rows(live, [matcher.blocking_keys(record, overrides) for record in live]))

    def _gather(self, seeds: set[str]) -> set[str]:
        """Changed records + records sharing a key with them + merge partners + all their cluster-mates."""
        found = set(seeds)
        for chunk in _chunks(sorted(seeds)):
            keys = {r[0] for r in self._rows_in("SELECT DISTINCT key FROM cluster_keys WHERE record_id IN ({})", chunk)}
            for key in keys:
                capped = key.startswith(CAPPED_KEYS)  # over its cap it links nothing: no need to read it whole
                limit = WORD_KEY_CAP + 1 if capped else MAX_BLOCK
                rows = self.store.query("SELECT record_id FROM cluster_keys WHERE key = ? LIMIT ?", (key, limit))
                if window_of(key, len(rows)) >= 0:  # the full pass's rule for the block (`clustering.window_of`)
                    found.update(r[0] for r in rows)
        for pair in self.overrides().merge:
            if pair & found:
                found.update(pair)
        clusters_sql = "SELECT DISTINCT cluster_id FROM cluster_members WHERE record_id IN ({})"
        clusters = {r[0] for r in self._rows_in(clusters_sql, found)}
        mates_sql = "SELECT record_id FROM cluster_members WHERE cluster_id IN ({})"
        found.update(r[0] for r in self._rows_in(mates_sql, clusters))
        return found

    def _old_membership(self, record_ids: Iterable[str]) -> dict[str, str]:
        sql = "SELECT record_id, cluster_id FROM cluster_members WHERE record_id IN ({})"
        return {row[0]: row[1] for row in self._rows_in(sql, record_ids)}

    def _apply(
        self,
        db: sqlite3.Connection,
        groups: list[list[str]],
        old_of: dict[str, str],
        changed: set[str],
    ) -> ClusterChanges:
        """An incremental pass's groups (a full pass is written by `cluster_write.write_full`): give
        them their ids (stability rule), retire the rest with redirects, write and queue."""
        old_ids = set(old_of.values())
        born = self._born(old_ids)
        ids = assign_ids(groups, old_of, born, taken=self.exists)
        old_members: dict[str, set[str]] = {}
        for record_id, cluster_id in old_of.items():
            old_members.setdefault(cluster_id, set()).add(record_id)
        result = ClusterChanges(full=False, groups=len(groups))
        now = time.time()
        pairs = zip(groups, ids, strict=True)
        new_of = {record_id: cluster_id for group, cluster_id in pairs for record_id in group}
        for chunk in _chunks(sorted(set(old_of) | changed)):
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM cluster_members WHERE record_id IN ({marks})", chunk)
        retired = sorted(old_ids - set(ids))
        self._retire(db, retired, old_members, new_of, now)
        cluster_changes.retire(self.store, db, retired, old_members, now)
        queue: list[tuple[str, str]] = [(cluster_id, "delete") for cluster_id in retired]
        for group, cluster_id in zip(groups, ids, strict=True):
            if cluster_id not in old_ids:
                result.new += 1
            if old_members.get(cluster_id) != set(group) or changed.intersection(group):
                queue.append((cluster_id, "index"))
        db.executemany(
            "INSERT INTO clusters (id, size, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "size = excluded.size, updated_at = excluded.updated_at",
            [(cluster_id, len(group), now) for group, cluster_id in zip(groups, ids, strict=True)],
        )
        db.executemany("DELETE FROM cluster_redirects WHERE old_id = ?", [(i,) for i in ids])
        cluster_changes.revive(db, ids)
        db.executemany("INSERT INTO cluster_members VALUES (?, ?)", list(new_of.items()))
        db.executemany(
            "INSERT INTO index_queue VALUES (?, ?) "
            "ON CONFLICT (cluster_id) DO UPDATE SET action = excluded.action",
            queue,
        )
        result.retired = len(retired)
        result.deleted = retired
        result.queued = [c for c, action in queue if action == "index"]
        return result

    @staticmethod
    def _retire(db: sqlite3.Connection, retired: list[str], old_members: dict[str, set[str]],
                new_of: dict[str, str], now: float) -> None:
        """Drop retired ids; each redirects (and so do ids that pointed to it) where its records went."""
        for cluster_id in retired:
            target = _redirect_target(old_members[cluster_id], new_of)
            db.execute("DELETE FROM clusters WHERE id = ?", (cluster_id,))
            if target:
                db.execute("INSERT OR REPLACE INTO cluster_redirects VALUES (?, ?, ?)",
                           (cluster_id, target, now))
                db.execute("UPDATE cluster_redirects SET new_id = ? WHERE new_id = ?", (target, cluster_id))
            else:
                db.execute("DELETE FROM cluster_redirects WHERE new_id = ?", (cluster_id,))

    def _born(self, cluster_ids: set[str]) -> dict[str, int]:
        return {r[0]: r[1] for r in self._rows_in("SELECT id, n FROM clusters WHERE id IN ({})", cluster_ids)}


def _chunks(items: list[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
