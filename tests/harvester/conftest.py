"""Fixtures for the OAI-PMH harvester tests: a real SQLite store, source configs, and one-call harvests.

Waits are injected: every test source uses tiny backoffs and no rate cap, and `run_harvest` passes a
sleep that records what the harvester asked for instead of sleeping (so Retry-After and backoff are
asserted, not waited for).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from harvester.errors import HarvestError
from harvester.marc.profiles import PROFILES
from harvester.oai.harvest import harvest_oai
from harvester.settings import Library, OAIOptions, SourceConfig
from harvester.store import RecordStore, raw_hash

FAST = {"max_retries": 2, "backoff_base": 0.001, "backoff_cap": 0.01, "max_wait": 0.05,
        "malformed_retries": 1, "workers": 1}


def oai_source(url: str, source_id: str = "repo", prefix: str = "", sets: tuple[str, ...] = (),
               **options: Any) -> SourceConfig:
    """An oai-pmh source pointed at a local server, with test-speed politeness."""
    return SourceConfig(
        id=source_id, name=f"Test repository {source_id}", type="oai-pmh",
        library=Library(code=source_id.upper(), name=f"Library {source_id}"),
        holdings=PROFILES["marc21"], url=url, metadata_prefix=prefix, sets=sets, rate_limit=0,
        timeout=5.0, options=OAIOptions(**{**FAST, **options}),
    )


class Sleeps(list[float]):
    """A sleep that records the requested seconds instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run_harvest(store: RecordStore, source: SourceConfig, full: bool = False,
                sleep: Sleeps | None = None) -> dict[str, int]:
    """One run as `harvester.run` does it (start_run, harvest_oai, finish_run); raises on failure."""
    store.upsert_source(source.id, source.name, source.type, source.library.code, source.library.name)
    run_id = store.start_run(source.id)
    try:
        counts = harvest_oai(source, store, run_id, full=full, sleep=sleep if sleep is not None else Sleeps())
    except HarvestError as exc:
        store.finish_run(run_id, "failed", {}, str(exc))
        raise
    store.finish_run(run_id, "ok", counts)
    return counts


def canonical_hash(payload: bytes) -> str:
    """A hash of an XML payload that ignores indentation and namespace-declaration placement."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    return raw_hash(etree.tostring(etree.fromstring(payload, parser), method="c14n", exclusive=True))


def live_records(store: RecordStore, source_id: str = "repo") -> dict[str, str]:
    """Live record id → canonical payload hash, the store's view of what a source currently holds."""
    rows = store.query("SELECT id, raw FROM records WHERE source_id = ? AND deleted = 0", (source_id,))
    return {row["id"]: canonical_hash(bytes(row["raw"])) for row in rows}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    with RecordStore(tmp_path / "store.sqlite") as opened:
        yield opened
