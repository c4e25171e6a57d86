"""The analytics' part of an index run: profile each merged record as it streams past, then finish.

`update_index` hands every merged record it builds to `AnalyticsPass.see` (the same objects the
search documents are built from: one pass over the store serves both) and calls `finish` after the
search backend committed. A full index run rebuilds the figures from scratch; an incremental one
moves them by the difference between the old and new profiles of the clusters it re-built or removed.
When the stored figures cannot be trusted (never computed, a run died half-way, the digital
collections changed) an incremental index run is followed by a full analytics pass of its own.

    analytics = AnalyticsPass(store, settings).begin(full=True)
    for merged in merged_records:
        analytics.see(merged)
    analytics.finish(removed_ids)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harvester.settings import Settings
from harvester.store import RecordStore
from indexer.analytics.config import AnalyticsConfig, load_analytics_config
from indexer.analytics.profile import TitleProfile, profile_of
from indexer.analytics.store import AnalyticsStore
from indexer.analytics.tally import Tally
from indexer.merge import MergedRecord

STAGE_BATCH = 5000
"""Profiles written to the staging table per (short) transaction."""


@dataclass(slots=True)
class AnalyticsReport:
    """What one pass did (printed with the index summary)."""

    full: bool
    titles: int  # profiles (re)computed
    removed: int

    def summary(self) -> str:
        mode = "full" if self.full else "incremental"
        return f"analytics ({mode}): {self.titles:,} titles profiled, {self.removed:,} removed"


class AnalyticsPass:
    """Collects profiles during one index run and turns them into stored figures at the end."""

    def __init__(self, store: RecordStore, settings: Settings, config: AnalyticsConfig | None = None) -> None:
        self.store = store
        self.settings = settings
        self.config = config or load_analytics_config(settings)
        self.tables = AnalyticsStore(store)
        self.state = self.tables.state()
        self.index_full = self.full = True
        self.tally = Tally()
        self.buffer: list[TitleProfile] = []
        self.seen = 0

    @property
    def config_changed(self) -> bool:
        """The digital collections changed since the figures were made: documents' counts are stale too."""
        return "config" in self.state and self.state["config"] != self.config.key()

    def begin(self, full: bool) -> AnalyticsPass:
        """Start a pass alongside a full (or incremental) index run."""
        trusted = bool(self.state.get("complete")) and not self.config_changed
        self.index_full = full
        self.full = full or not trusted
        self.tables.mark_incomplete()  # set again by a successful finish: a crash means "recompute"
        self.tables.clear_staging()
        return self

    def resume(self, after: str, saved: dict[str, Any]) -> AnalyticsPass:
        """Continue the full pass of a killed full index run that had committed every cluster up to
        ``after``: its staged profiles up to there are kept, later ones dropped (they may be staged
        twice otherwise), and the tally and count are those it saved with that step (`checkpoint`)."""
        self.index_full = self.full = True
        self.tables.mark_incomplete()
        self.tables.drop_staged_after(after)
        self.tally = Tally.from_json(saved["tally"])
        self.seen = int(saved["seen"])
        return self

    def checkpoint(self) -> dict[str, Any]:
        """Stage what is buffered and return what `resume` needs (saved with an index step)."""
        self._flush()
        return {"tally": self.tally.to_json(), "seen": self.seen}

    @property
    def digital_sources(self) -> tuple[str, ...]:
        return self.config.digital_sources

    def see(self, merged: MergedRecord) -> None:
        self.see_profile(profile_of(merged, self.config.digital_sources))

    def see_profile(self, profile: TitleProfile) -> None:
        """A profile made elsewhere (a worker process of the index run) from the merged record."""
        self.seen += 1
        if self.full:
            self.tally.add(profile)
        self.buffer.append(profile)
        if len(self.buffer) >= STAGE_BATCH:
            self._flush()

    def finish(self, removed: Iterable[str] = ()) -> AnalyticsReport:
        """Store the figures of this run (after the search backend committed)."""
        self._flush()
        if self.full and not self.index_full:
            return recompute(self.store, self.settings, self.config)  # this run saw only the changes
        if self.full:
            self.tables.finish_full(self.tally, self.config.key())
            return AnalyticsReport(True, self.seen, 0)
        gone = list(removed)
        self.tables.finish_incremental(list(self.tables.staged()), gone, self.config.key())
        return AnalyticsReport(False, self.seen, len(gone))

    def _flush(self) -> None:
        if self.buffer:
            self.tables.stage(self.buffer)
            self.buffer = []


def recompute(store: RecordStore, settings: Settings, config: AnalyticsConfig | None = None,
              batch: int = 500) -> AnalyticsReport:
    """Every cluster's figures from the store (`unioncat analytics --rebuild`, or stale figures)."""
    from indexer.dedup.clusters import ClusterStore
    from indexer.merge import load_merged, source_libraries

    analytics = AnalyticsPass(store, settings, config).begin(full=True)
    libraries = source_libraries(store)
    pending: list[tuple[str, list[str]]] = []
    for item in ClusterStore(store).iter_clusters():
        pending.append(item)
        if len(pending) >= batch:
            for merged in load_merged(store, pending, libraries):
                analytics.see(merged)
            pending = []
    for merged in load_merged(store, pending, libraries) if pending else []:
        analytics.see(merged)
    return analytics.finish()
