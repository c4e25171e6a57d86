"""The partners page says when a quarantine entry keeps only an excerpt of a large input, and its size."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient  # imported quietly by this folder's conftest first

from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from indexer.catalog import Catalog
from search_ui.app import create_app
from tests.harvester.test_limits import iso_record, write_config


def test_an_oversized_record_shows_as_an_excerpt_with_its_size(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[limits]\nmax_record_bytes = 100000\nquarantine_excerpt_bytes = 2000\n")
    big = iso_record("b", "n" * 300_000)
    (tmp_path / "lib" / "export.mrc").write_bytes(iso_record("a") + big)
    settings = load_settings(config)
    with RecordStore(settings.store_path) as store:
        harvest_sources(settings, store, settings.sources, show_progress=False)
    catalog = Catalog.open(settings)
    try:
        with TestClient(create_app(settings, catalog), raise_server_exceptions=True) as client:
            [shown] = client.get("/partners.json").json()["sources"][0]["quarantine"]
            page = client.get("/partners").text
    finally:
        catalog.close()
    assert (shown["size"], shown["kept"], shown["excerpt"]) == (len(big), 2000, True)
    assert "limits.max_record_bytes" in shown["reason"]
    assert f"excerpt kept: the first 2,000 of {len(big):,} bytes" in page
