"""What the web pages read: the stored figures with the member names, and the title lists.

Pages never compute figures: they load the cells the last `unioncat index` stored (`load_figures`),
or learn that there are none yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harvester.settings import Settings
from harvester.store import RecordStore
from indexer.analytics.config import load_analytics_config
from indexer.analytics.export import TITLE_COLUMNS, TitleFilter, csv_lines, title_rows
from indexer.analytics.report import Figures
from indexer.analytics.store import AnalyticsStore


def member_names(store: RecordStore) -> dict[str, str]:
    """Library code → name, from the store's sources (the names the ``library`` facet shows)."""
    from indexer.merge import source_libraries

    return {code: name for code, name in source_libraries(store).values() if code}


def load_figures(store: RecordStore, settings: Settings) -> tuple[Figures | None, dict[str, Any]]:
    """The stored figures (None before the first `unioncat index`) and the analytics state."""
    tables = AnalyticsStore(store)
    state = tables.state()
    if not state.get("version"):
        return None, state
    config = load_analytics_config(settings)
    digital = config.digital_libraries(settings)
    return Figures.of(tables.cells(), member_names(store), digital), state


def titles_csv(store: RecordStore, where: TitleFilter) -> Iterator[str]:
    """The CSV list of the titles a count covers, streamed from the stored profiles."""
    return csv_lines(TITLE_COLUMNS, title_rows(AnalyticsStore(store).iter_profiles(), where))
