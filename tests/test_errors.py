"""Failures are types: one base per package, the named errors under it (callers catch the base)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.errors import (
    BadFeed,
    ConfigError,
    HarvestError,
    RecordRejected,
    RecordSkipped,
    RuleError,
    SourceUnavailable,
)
from harvester.oai.pages import OAIProtocolError
from harvester.settings import load_settings
from indexer.errors import BackendError, IndexerError, IndexRunning, QueryError
from indexer.search.backends.opensearch.bulk import IndexingError


@pytest.mark.parametrize(
    "error", [ConfigError, RuleError, RecordRejected, RecordSkipped, SourceUnavailable, BadFeed, OAIProtocolError]
)
def test_every_harvester_error_is_a_harvest_error(error: type[Exception]) -> None:
    assert issubclass(error, HarvestError) and not issubclass(error, IndexerError)


@pytest.mark.parametrize("error", [BackendError, QueryError, IndexRunning, IndexingError])
def test_every_indexer_error_is_an_indexer_error(error: type[Exception]) -> None:
    assert issubclass(error, IndexerError) and not issubclass(error, HarvestError)


def test_a_bad_config_is_caught_as_a_harvest_error_naming_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('workers = "many"\n', encoding="utf-8")
    with pytest.raises(HarvestError) as caught:
        load_settings(config)
    assert isinstance(caught.value, ConfigError)
    assert caught.value.key == "workers" and str(config) in str(caught.value)
