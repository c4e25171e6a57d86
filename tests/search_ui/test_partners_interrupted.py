"""A harvest killed mid-run shows "interrupted" on the partners page (and its JSON twin), not "running"
forever (issue 19, item 7); a harvest that is really running still says so."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from starlette.testclient import TestClient

from harvester.lock import harvest_lock
from harvester.run import harvest_sources
from harvester.settings import Settings, load_settings
from harvester.store import RecordStore
from indexer.catalog import Catalog
from search_ui.app import create_app
from tests.search_ui.html import texts, tree

GOOD = Path(__file__).resolve().parents[1] / "data" / "harvest" / "lib-c" / "goldfinch_5.jsonl"


def _killed_run(tmp_path: Path) -> Settings:
    """A source harvested once, then a run that started and never finished (its process was killed)."""
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "a.jsonl").write_bytes(GOOD.read_bytes())
    (tmp_path / "unioncat.toml").write_text('data_dir = "var"\n[[sources]]\nid = "feed"\npath = "feed"\n')
    settings = load_settings(tmp_path / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
        store.start_run(settings.sources[0].id)  # status "running", no process behind it any more
    return settings


@contextlib.contextmanager
def _client(settings: Settings) -> Iterator[TestClient]:
    catalog = Catalog.open(settings)
    try:
        with TestClient(create_app(settings, catalog)) as client:
            yield client
    finally:
        catalog.close()


def _last_run_cell(client: TestClient) -> str:
    doc = tree(client.get("/partners"))
    [row] = [texts(tr, "./th|./td") for tr in doc.xpath("//table[@class='partners']/tbody/tr")]
    return row[6]


def test_a_killed_harvest_shows_interrupted_on_the_partners_page(tmp_path: Path) -> None:
    settings = _killed_run(tmp_path)
    with _client(settings) as client:
        assert _last_run_cell(client).startswith("interrupted")
        [source] = client.get("/partners.json").json()["sources"]
        assert source["last_run"]["status"] == "interrupted"


def test_a_harvest_holding_the_lock_still_shows_running(tmp_path: Path) -> None:
    settings = _killed_run(tmp_path)
    with harvest_lock(settings.data_dir), _client(settings) as client:
        assert _last_run_cell(client).startswith("running")
