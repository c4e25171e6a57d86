"""Analytics settings: which sources are digital collections, and the retention view's default.

They live in ``analytics.toml`` beside the main config file (optional; all keys have defaults), so
the main config's strict key check is untouched:

    # config/analytics.toml
    digital_collections = ["hathitrust"]   # source ids: online copies, not a member's holdings
    retention_max = 1                      # the retention view's default "held by at most N"

A digital collection's records still cluster and show in search; in the analytics they never count
as a member holding, they only mark a title "also online" for the retention view.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester.settings import ConfigError, Settings

FILE_NAME = "analytics.toml"
KEYS = {"digital_collections", "retention_max"}


@dataclass(frozen=True, slots=True)
class AnalyticsConfig:
    """The analytics' settings (defaults: no digital collection, retention N = 1)."""

    digital_sources: tuple[str, ...] = ()
    retention_max: int = 1

    def key(self) -> list[str]:
        """What the stored figures depend on: a change means a full recompute."""
        return sorted(self.digital_sources)

    def digital_libraries(self, settings: Settings) -> tuple[str, ...]:
        """Library codes of the digital collections (the ``held_by:`` values that mean "online")."""
        return tuple(dict.fromkeys(s.library.code for s in settings.sources if s.id in self.digital_sources))


def load_analytics_config(settings: Settings) -> AnalyticsConfig:
    """Read ``analytics.toml`` next to ``settings.config_file``; no file means the defaults."""
    path = Path(settings.config_file).parent / FILE_NAME
    if not path.is_file():
        return AnalyticsConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from exc
    return parse_analytics_config(data, path, {s.id for s in settings.sources})


def parse_analytics_config(data: dict[str, Any], path: Path, source_ids: set[str]) -> AnalyticsConfig:
    for key in data:
        if key not in KEYS:
            raise ConfigError(path, key, f"unknown setting; known: {', '.join(sorted(KEYS))}")
    digital = data.get("digital_collections", [])
    if not isinstance(digital, list) or not all(isinstance(s, str) for s in digital):
        raise ConfigError(path, "digital_collections", "expected a list of source ids")
    unknown = [s for s in digital if s not in source_ids]
    if unknown:
        raise ConfigError(path, "digital_collections",
                          f"no such source: {', '.join(unknown)} (configured: {', '.join(sorted(source_ids))})")
    retention = data.get("retention_max", 1)
    if not isinstance(retention, int) or isinstance(retention, bool) or retention < 1:
        raise ConfigError(path, "retention_max", "expected a whole number of libraries, 1 or more")
    return AnalyticsConfig(tuple(digital), retention)
