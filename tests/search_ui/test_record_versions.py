""""Other editions / versions" and the host item on the record page, on demo data (real MARC samples).

Faguet's "Dix-huitième siècle" is in the Laurentian catalog twice: an 1890 printing and the 25th edition
of 1910. The deduplicator keeps them apart (different editions are different items, each with its
own holdings), and the work key (`indexer.dedup.works`) relates them, so each record page links the other.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from harvester.settings import load_settings
from harvester.store import RecordStore
from indexer.catalog import Catalog
from indexer.dedup.clusters import ClusterStore
from search_ui.app import create_app
from search_ui.cli import cli
from tests.search_ui.html import texts, tree

ROOT = Path(__file__).resolve().parents[2]
FIRST, TWENTY_FIFTH = "laurentian:01-0011586", "laurentian:01-0139564"
IN_HOST = "ncsu:ocn521064822"  # 773 $t College of Humanities and Social Science Records (UA 120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("laurentian")
    config = folder / "unioncat.toml"
    config.write_text(
        'data_dir = "var"\n[[sources]]\nid = "laurentian"\nname = "Laurentian University Library"\n'
        f'type = "marc"\npath = "{ROOT / "samples" / "laurentian"}"\nformat = "auto"\n'
        'library = { code = "OSUL", name = "Laurentian University" }\n'
        'holdings = { profile = "symphony", tag = "949" }\n'
        f'[[sources]]\nid = "ncsu"\nname = "NC State University Libraries"\npath = "{ROOT / "samples" / "ncsu"}"\n'
        'library = { code = "NRC", name = "NC State University" }\nholdings = "symphony"\n',
        encoding="utf-8",
    )
    for args in (["harvest", "-q", "--workers", "1"], ["index", "-q"]):
        result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    settings = load_settings(config)
    store = RecordStore(settings.store_path)
    clusters = {rid: ClusterStore(store).cluster_of(rid) or "" for rid in (FIRST, TWENTY_FIFTH, IN_HOST)}
    store.close()
    catalog = Catalog.open(settings)
    with TestClient(create_app(settings, catalog)) as client:
        yield client, clusters
    catalog.close()


def test_two_editions_stay_two_items_and_link_each_other(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, clusters = demo
    assert clusters[FIRST] and clusters[TWENTY_FIFTH] and clusters[FIRST] != clusters[TWENTY_FIFTH]
    doc = tree(client.get(f"/record/{clusters[FIRST]}"))
    assert texts(doc, "//section[@id='versions']/h2") == ["Other editions / versions"]
    links = doc.xpath("//section[@id='versions']//a")
    assert [a.get("href") for a in links] == [f"/record/{clusters[TWENTY_FIFTH]}"]
    assert "25. éd." in texts(doc, "//section[@id='versions']//li")[0]
    back = tree(client.get(f"/record/{clusters[TWENTY_FIFTH]}"))
    assert [a.get("href") for a in back.xpath("//section[@id='versions']//a")] == [f"/record/{clusters[FIRST]}"]


def test_the_host_item_is_shown_in_the_details(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, clusters = demo
    doc = tree(client.get(f"/record/{clusters[IN_HOST]}"))
    meta = dict(zip(texts(doc, "//dl[@class='meta']/dt"), texts(doc, "//dl[@class='meta']/dd"), strict=True))
    assert meta["Published in"] == "College of Humanities and Social Science Records (UA 120)"
