"""Real harvesters we did not write against /oai served by uvicorn on 127.0.0.1: sickle and pyoai.

Each test module builds its own catalog (tests/search_ui/dataset.py) because the incremental tests
change it: a record is corrected (its cluster changes) and another is deleted (its cluster retires),
after the first harvest. The round trip has unioncat's own OAI-PMH harvester read the provider into a
second store and compares record by record with the merged catalog.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry, oai_dc_reader
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from harvester.settings import load_settings
from harvester.store import RecordStore
from indexer.catalog import Catalog
from indexer.run import update_index
from search_ui.interop.oai_provider import ID_PREFIX
from tests.search_ui.dataset import Dataset, build, make, write

PAGE = 10


@dataclass
class Served:
    url: str
    dataset: Dataset
    catalog: Catalog

    def live(self) -> set[str]:
        return {cluster_id for cluster_id, _ in self.catalog.clusters.iter_clusters()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """uvicorn serving ``app`` on a free 127.0.0.1 port in a thread; yields the base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-interop", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from search_ui.app import create_app
    from search_ui.views.oai import OAIOptions

    dataset = build(tmp_path_factory.mktemp("oai_catalog"))
    catalog = Catalog.open(dataset.settings)
    app = create_app(dataset.settings, catalog)
    app.state.oai = OAIOptions(page_size=PAGE)
    try:
        with serve(app) as base:
            yield Served(f"{base}/oai", dataset, catalog)
    finally:
        catalog.close()


def _pyoai(url: str) -> Client:
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = Client(url, registry)
    client.updateGranularity()
    return client


def _sickle_ids(url: str, **params: str) -> dict[str, bool]:
    """identifier → deleted?, over every page (sickle follows the tokens)."""
    try:
        headers = Sickle(url, max_retries=1).ListIdentifiers(ignore_deleted=False, **params)
        return {h.identifier: h.deleted for h in headers}
    except NoRecordsMatch:
        return {}


def _next_second() -> str:
    """Wait for the next whole second and return it as a datestamp (changes from now on are after it)."""
    time.sleep(1.05 - (time.time() % 1.0))
    return datetime.fromtimestamp(int(time.time()), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change_catalog(served: Served) -> tuple[str, str]:
    """Correct the journal's West record and delete the hostile record; (changed, retired) cluster ids."""
    catalog, dataset = served.catalog, served.dataset
    corrected = make("west", "j2", "Journal of testing", issns=("0317-8471",), format="serial", year=1991,
                     languages=("eng",))
    write(catalog.store, [corrected])
    catalog.store.mark_deleted(["west:x1"])
    update_index(dataset.settings, catalog.store, catalog.backend, show_progress=False)
    assert catalog.clusters.exists(dataset.journal) and not catalog.clusters.exists(dataset.xss)
    return dataset.journal, dataset.xss


# The tests run in file order: full harvests, then the change, then incremental ones and the round trip.


def test_sickle_full_harvest(served: Served) -> None:
    records = list(Sickle(served.url).ListRecords(metadataPrefix="marcxml", ignore_deleted=False))
    ids = [r.header.identifier for r in records]
    assert len(ids) == len(set(ids)) > PAGE, "expected several pages without repeats"
    live = {i for i, r in zip(ids, records, strict=True) if not r.header.deleted}
    assert live == {ID_PREFIX + c for c in served.live()}
    assert {i for i, r in zip(ids, records, strict=True) if r.header.deleted} == {ID_PREFIX + served.dataset.retired}
    moby = next(r for r in records if r.header.identifier == ID_PREFIX + served.dataset.moby)
    assert moby.xml.findall(".//{http://www.loc.gov/MARC21/slim}datafield[@tag='999']").__len__() == 3


def test_pyoai_full_harvest_identify_sets_and_get_record(served: Served) -> None:
    client = _pyoai(served.url)
    assert client.identify().deletedRecord() == "persistent"
    specs = {spec for spec, _name, _description in client.listSets()}
    assert {"library:NOR", "library:SOU", "library:EAS", "library:WES", "format:book"} <= specs
    records = list(client.listRecords(metadataPrefix="oai_dc"))
    live = {h.identifier() for h, _m, _a in records if not h.isDeleted()}
    assert live == {ID_PREFIX + c for c in served.live()}
    header, metadata, _ = client.getRecord(identifier=ID_PREFIX + served.dataset.journal, metadataPrefix="oai_dc")
    assert metadata.getField("title") == ["Journal of testing"]
    north = {h.identifier() for h in client.listIdentifiers(metadataPrefix="oai_dc", set="library:NOR")}
    assert ID_PREFIX + served.dataset.moby in north and ID_PREFIX + served.dataset.xss not in north


ROUND_TRIP_CONFIG = """
data_dir = "data"
[[sources]]
id = "union"
name = "unioncat itself"
type = "oai-pmh"
url = "{url}"
metadata_prefix = "marcxml"
holdings = "marc21"
rate_limit = 50
"""


def test_round_trip_unioncat_harvests_its_own_provider(served: Served, tmp_path: Path,
                                                       request: pytest.FixtureRequest) -> None:
    """Full harvest, compare; then the catalog changes, an incremental harvest, compare again."""
    from harvester.run import harvest_sources

    (tmp_path / "unioncat.toml").write_text(ROUND_TRIP_CONFIG.format(url=served.url), encoding="utf-8")
    settings = load_settings(tmp_path / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
        assert result.status == "ok", result.error
        _same_records(served, store)
        _since, journal, xss = request.getfixturevalue("changed")
        [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
        assert result.status == "ok", result.error
        harvested = _same_records(served, store)
        assert harvested[xss].deleted, "the retired cluster must be deleted downstream too"
        assert not harvested[journal].deleted


def _same_records(served: Served, store: RecordStore) -> dict[str, Any]:
    """Every live cluster arrived as one live record with the merged record's fields and holdings."""
    harvested = {r.local_id.removeprefix(ID_PREFIX): r for r in store.iter_records(source_id="union")}
    live = sorted(served.live())
    merged = {m.id: m for m in served.catalog.merged(list(served.catalog.clusters.iter_clusters()))}
    assert sorted(k for k, r in harvested.items() if not r.deleted) == live
    for cluster_id in live:
        ours, theirs = merged[cluster_id].record, harvested[cluster_id].normalized
        assert (theirs.title, theirs.subtitle, theirs.year, theirs.publisher, theirs.format) == \
            (ours.title, ours.subtitle, ours.year, ours.publisher, ours.format), cluster_id
        assert (theirs.isbns, theirs.issns, theirs.oclc_numbers) == (ours.isbns, ours.issns, ours.oclc_numbers)
        assert [a.name for a in theirs.authors] == [a.name for a in ours.authors]
        assert (theirs.edition, theirs.extent, theirs.languages, theirs.series, theirs.notes) == \
            (ours.edition, ours.extent, ours.languages, ours.series, ours.notes), cluster_id
        assert [s.parts for s in theirs.subjects] == [s.parts for s in ours.subjects], cluster_id
        assert [(link.url, link.label) for link in theirs.links] == [(link.url, link.label) for link in ours.links]
        # one source holds everything now, so each member library comes back as the 852 $a branch
        assert sorted((h.location, h.call_number) for h in theirs.holdings) == \
            sorted((_branch_location(h), h.call_number) for h in ours.holdings), cluster_id
    return harvested


@pytest.fixture(scope="module")
def changed(served: Served) -> tuple[str, str, str]:
    since = _next_second()
    journal, xss = _change_catalog(served)
    return since, journal, xss


def test_sickle_incremental_harvest(served: Served, changed: tuple[str, str, str]) -> None:
    since, journal, xss = changed
    found = _sickle_ids(served.url, metadataPrefix="marcxml", **{"from": since})
    assert found.get(ID_PREFIX + journal) is False, "the corrected record's cluster must be re-sent"
    assert found.get(ID_PREFIX + xss) is True, "the deleted record's cluster must be reported deleted"
    assert ID_PREFIX + served.dataset.moby not in found, "unchanged clusters must not be re-sent"
    assert _sickle_ids(served.url, metadataPrefix="marcxml", until="2001-01-01T00:00:00Z") == {}


def test_pyoai_incremental_harvest(served: Served, changed: tuple[str, str, str]) -> None:
    since, journal, xss = changed
    client = _pyoai(served.url)
    start = datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ")
    headers = {h.identifier(): h.isDeleted() for h, _m, _a in client.listRecords(metadataPrefix="oai_dc", from_=start)}
    assert headers.get(ID_PREFIX + journal) is False and headers.get(ID_PREFIX + xss) is True
    assert ID_PREFIX + served.dataset.moby not in headers
    west = {h.identifier(): h.isDeleted() for h in client.listIdentifiers(metadataPrefix="oai_dc", set="library:WES",
                                                                         from_=start)}
    assert west.get(ID_PREFIX + xss) is True, "a selective harvest must hear of the deletion too"


def _branch_location(holding: Any) -> str:
    """What the marc21 holdings profile makes of our 852 $a (library) and $b (location)."""
    from harvester.marc.holdings import BRANCH_SEPARATOR

    code, shelf = holding.library_code, holding.location
    return f"{code}{BRANCH_SEPARATOR}{shelf}" if code and shelf else code or shelf
