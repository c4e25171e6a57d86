"""The analytics' own tables in the record store: per-title profiles and the counts built from them.

Pages read only `analytics_cells` (a few thousand rows, whatever the catalog size), so a page view
never walks the catalog. The index run stages the profiles of the clusters it (re)built in short
transactions (a harvest is never held up for the whole run), and `finish_full` / `finish_incremental`
turn the staging table into profiles and cells in one transaction, so readers see the old figures or
the new ones, never a mix. A run that dies leaves only staging rows, cleared by the next run.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from harvester.store import RecordStore
from indexer.analytics.profile import TitleProfile
from indexer.analytics.tally import Cell, Tally

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE analytics_profiles (cluster_id TEXT PRIMARY KEY, profile TEXT NOT NULL);
    CREATE TABLE analytics_staging (cluster_id TEXT PRIMARY KEY, profile TEXT NOT NULL);
    CREATE TABLE analytics_cells (cell TEXT PRIMARY KEY, n INTEGER NOT NULL);
    """,
)
STATE = "analytics.state"
"""Store state: {"complete": bool, "version": int, "updated_at": float, "config": …}."""
_CHUNK = 900


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(profile: TitleProfile) -> str:
    """A profile as a compact JSON array (one row per title: the store grows ~100 bytes a title)."""
    return _ENCODER.encode([profile.libraries, int(profile.online), profile.format, profile.decade,
                            profile.languages, profile.lc, profile.ddc, profile.items, profile.title])


def decode(cluster_id: str, text: str) -> TitleProfile:
    libs, online, fmt, decade, langs, lc, ddc, items, title = json.loads(text)
    return TitleProfile(cluster_id, tuple(libs), bool(online), fmt, decade, tuple(langs), lc, ddc,
                        tuple((lib, n) for lib, n in items), title)


class AnalyticsStore:
    """Profiles, staging and cells; the only module of the analytics that speaks SQL."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        store.migrate("analytics", MIGRATIONS)

    # --- state -----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        value = self.store.get_state(STATE)
        return dict(value) if isinstance(value, dict) else {"complete": False, "version": 0}

    def _set_state(self, **changes: Any) -> None:
        state = {**self.state(), **changes, "updated_at": time.time()}
        self.store.set_state(STATE, state)

    def mark_incomplete(self) -> None:
        """The next run must recompute everything (a failed pass, changed analytics settings)."""
        self._set_state(complete=False)

    # --- staging (during an index run) -----------------------------------------------------------

    def clear_staging(self) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM analytics_staging")

    def stage(self, profiles: Sequence[TitleProfile]) -> None:
        with self.store.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO analytics_staging VALUES (?, ?)",
                           [(p.cluster_id, encode(p)) for p in profiles])

    def drop_staged_after(self, cluster_id: str) -> None:
        """Forget the staged profiles of clusters after ``cluster_id`` (a resumed run stages them again)."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM analytics_staging WHERE cluster_id > ?", (cluster_id,))

    def staged_ids(self) -> list[str]:
        return [row[0] for row in self.store.query("SELECT cluster_id FROM analytics_staging")]

    # --- finishing a run -------------------------------------------------------------------------

    def finish_full(self, tally: Tally, config: Any) -> None:
        """The staged profiles are the whole catalog: they replace profiles and cells."""
        cells = tally.cells()
        with self.store.transaction() as db:
            db.execute("DELETE FROM analytics_profiles")
            db.execute("INSERT INTO analytics_profiles SELECT cluster_id, profile FROM analytics_staging")
            db.execute("DELETE FROM analytics_staging")
            db.execute("DELETE FROM analytics_cells")
            db.executemany("INSERT INTO analytics_cells VALUES (?, ?)", _cell_rows(cells))
            self._bump(db, complete=True, config=config)

    def finish_incremental(self, new: Sequence[TitleProfile], removed: Iterable[str], config: Any) -> Tally:
        """Replace the profiles of re-built clusters, drop removed ones, and move the cells by the difference."""
        gone = set(removed) - {p.cluster_id for p in new}
        old = self.profiles([p.cluster_id for p in new] + sorted(gone))
        delta = Tally()
        for profile in old.values():
            delta.remove(profile)
        delta.add_all(new)
        with self.store.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO analytics_profiles VALUES (?, ?)",
                           [(p.cluster_id, encode(p)) for p in new])
            db.executemany("DELETE FROM analytics_profiles WHERE cluster_id = ?", [(c,) for c in gone])
            db.executemany(
                "INSERT INTO analytics_cells VALUES (?, ?) ON CONFLICT (cell) DO UPDATE SET n = n + excluded.n",
                _cell_rows(delta.cells()),
            )
            db.execute("DELETE FROM analytics_cells WHERE n = 0")
            db.execute("DELETE FROM analytics_staging")
            self._bump(db, complete=True, config=config)
        return delta

    def _bump(self, db: sqlite3.Connection, **changes: Any) -> None:
        state = self.state()
        self._set_state(**changes, version=int(state.get("version", 0)) + 1)

    # --- reading ---------------------------------------------------------------------------------

    def profiles(self, cluster_ids: Sequence[str]) -> dict[str, TitleProfile]:
        found: dict[str, TitleProfile] = {}
        for start in range(0, len(cluster_ids), _CHUNK):
            chunk = list(cluster_ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            for cluster_id, text in self.store.query(
                f"SELECT cluster_id, profile FROM analytics_profiles WHERE cluster_id IN ({marks})", chunk
            ):
                found[cluster_id] = decode(cluster_id, text)
        return found

    def staged(self, batch: int = 5000) -> Iterator[TitleProfile]:
        yield from self._scan("analytics_staging", batch)

    def iter_profiles(self, batch: int = 5000) -> Iterator[TitleProfile]:
        """Every title's profile in cluster id order (CSV lists; tests)."""
        yield from self._scan("analytics_profiles", batch)

    def _scan(self, table: str, batch: int) -> Iterator[TitleProfile]:
        last = ""
        while True:
            rows = self.store.query(
                f"SELECT cluster_id, profile FROM {table} WHERE cluster_id > ? ORDER BY cluster_id LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            for cluster_id, text in rows:
                yield decode(cluster_id, text)
            last = rows[-1][0]

    def cells(self) -> Counter[Cell]:
        """Every stored count (decoded in one JSON call: a page view reads them all)."""
        rows = self.store.query("SELECT cell, n FROM analytics_cells")
        keys = json.loads("[" + ",".join(row[0] for row in rows) + "]")
        return Counter({tuple(key): row[1] for key, row in zip(keys, rows, strict=True)})


def _cell_rows(cells: Counter[Cell]) -> list[tuple[str, int]]:
    return [(json.dumps(list(cell), ensure_ascii=False, separators=(",", ":")), n) for cell, n in cells.items()]
