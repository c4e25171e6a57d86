"""Shared fixtures for the index pipeline: a real SQLite record store written the way the harvester does.

`Catalogue.put` stores `harvester.record.Record`s through `RecordStore.write_batch` (one harvest run
per call, raw bytes = the record's JSON, so a changed record is a changed raw record), and
`Catalogue.delete` marks records deleted as a harvest would. Libraries: three sources, each its own
library, registered in the store's sources table like a harvest registers them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from harvester.record import Holding, Record
from harvester.settings import Settings, parse_settings
from harvester.store import IncomingRecord, RecordStore

LIBRARIES = {
    "lib-a": ("LA", "Library A"),
    "lib-b": ("LB", "Library B"),
    "lib-c": ("LC", "Library C"),
}


def make_record(record_id: str, title: str = "A title", holdings: Sequence[Holding] | None = None,
                **fields: Any) -> Record:
    """A normalized bib record; by default one holding of its source's library, as the harvester gives."""
    source_id, _, local_id = record_id.partition(":")
    code, name = LIBRARIES.get(source_id, (source_id, source_id))
    if holdings is None:
        holdings = (Holding(library_code=code, library_name=name, call_number=f"CN {local_id}"),)
    fields.setdefault("publisher", "A publisher")
    fields.setdefault("format", "book")
    return Record(id=record_id, source_id=source_id, local_id=local_id, title=title,
                  holdings=tuple(holdings), **fields)


def make_mfhd(record_id: str, parent_id: str, holdings: Sequence[Holding]) -> Record:
    source_id, _, local_id = record_id.partition(":")
    return Record(id=record_id, source_id=source_id, local_id=local_id, kind="holdings",
                  parent_local_id=parent_id.partition(":")[2], holdings=tuple(holdings))


class Catalogue:
    """Writes records into a real store the way `harvester.run` does."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        for source_id, (code, name) in LIBRARIES.items():
            store.upsert_source(source_id, source_id, "marc", code, name)

    def put(self, *records: Record) -> None:
        """One harvest run per source touched, one transaction per run."""
        by_source: dict[str, list[Record]] = {}
        for record in records:
            by_source.setdefault(record.source_id, []).append(record)
        for source_id, batch in by_source.items():
            run = self.store.start_run(source_id)
            incoming = [_incoming(record) for record in batch]
            self.store.write_batch(run, incoming)
            self.store.finish_run(run, "ok", {})

    def delete(self, *record_ids: str) -> None:
        self.store.mark_deleted(record_ids)


def _incoming(record: Record) -> IncomingRecord:
    data = json.dumps(record.to_dict(), sort_keys=True)
    parent = f"{record.source_id}:{record.parent_local_id}" if record.kind == "holdings" else None
    return IncomingRecord(id=record.id, source_id=record.source_id, local_id=record.local_id,
                          raw=data.encode("utf-8"), raw_format="marcjson", normalized_json=data,
                          kind=record.kind, parent_id=parent)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    with RecordStore(tmp_path / "var" / "unioncat.sqlite") as opened:
        yield opened


@pytest.fixture
def catalogue(store: RecordStore) -> Catalogue:
    return Catalogue(store)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings naming the three test libraries, data in tmp_path/var, the embedded backend."""
    sources = [
        {"id": source_id, "path": "unused", "library": {"code": code, "name": name}}
        for source_id, (code, name) in LIBRARIES.items()
    ]
    return parse_settings({"data_dir": "var", "sources": sources}, tmp_path / "unioncat.toml")
