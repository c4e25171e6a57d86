"""The analytics follow each `unioncat index` incrementally, and agree with a full recompute.

A small catalog (three libraries, `tests/indexer/conftest.py`) is indexed, then changed the way
harvests change it (a new record joining a cluster, a deletion, a record changing format, an MFHD
adding items); after each incremental index run the stored cells must equal those of a recompute
from scratch, and the profiles must equal an independent count from the clusters listing. A
configured digital collection leaves the member counts and only marks titles "also online".
"""

from __future__ import annotations

from collections import Counter

import pytest

from harvester.record import Holding
from harvester.settings import ConfigError, Settings
from harvester.store import RecordStore
from indexer.analytics.config import load_analytics_config
from indexer.analytics.reader import load_figures
from indexer.analytics.refresh import recompute
from indexer.analytics.report import overview, retention
from indexer.analytics.store import AnalyticsStore
from indexer.dedup.clusters import ClusterStore
from indexer.run import update_index
from indexer.search.backends import open_backend
from indexer.search.backends.base import SearchRequest
from tests.indexer.conftest import LIBRARIES, Catalogue, make_mfhd, make_record


def index(settings: Settings, store: RecordStore) -> str:
    backend = open_backend(settings)
    try:
        return update_index(settings, store, backend, show_progress=False).summary()
    finally:
        backend.close()


def cells(store: RecordStore) -> Counter[tuple[object, ...]]:
    return AnalyticsStore(store).cells()


def independent_held_by(store: RecordStore) -> dict[str, int]:
    """cluster id → member libraries, from the cluster listing and the sources."""
    code = {source: c for source, (c, _) in LIBRARIES.items()}
    listing = ClusterStore(store).iter_clusters()
    return {cid: len({code[m.partition(":")[0]] for m in members}) for cid, members in listing}


def seed(catalogue: Catalogue) -> None:
    whale = {"oclc_numbers": ("111",), "year": 1851, "languages": ("eng",), "classification": ("lcc:PS2384 .M6",)}
    catalogue.put(
        make_record("lib-a:1", "Moby Dick", **whale),
        make_record("lib-b:1", "Moby Dick", **whale),
        make_record("lib-a:2", "Rivers", oclc_numbers=("222",), year=1999, classification=("ddc:551.48",)),
        make_record("lib-c:3", "Deserts", oclc_numbers=("333",), year=2005, format="map"),
        make_record("lib-b:4", "Forests", oclc_numbers=("444",), year=2010, languages=("fre",)),
    )


def test_incremental_runs_match_a_full_recompute(settings: Settings, store: RecordStore, catalogue: Catalogue) -> None:
    seed(catalogue)
    assert "analytics (full)" in index(settings, store)
    first = cells(store)
    assert first[("t", "*", 2, 0)] == 1 and first[("t", "*", 1, 0)] == 3 and first[("p", "LA", "LB")] == 1
    assert first[("d", "*", "lc", "LC P – Language and literature", 2)] == 1
    assert first[("d", "LA", "ddc", "DDC 500 – Science", 1)] == 1

    catalogue.put(make_record("lib-c:9", "Moby Dick", oclc_numbers=("111",), year=1851))  # joins the whale
    catalogue.delete("lib-c:3")  # Deserts gone
    catalogue.put(make_record("lib-b:4", "Forests", oclc_numbers=("444",), year=2010, format="serial"))
    catalogue.put(make_mfhd("lib-a:m2", "lib-a:2", [Holding("LA", "Library A", barcode="b1", copies=2, kind="item")]))
    summary = index(settings, store)
    assert "analytics (incremental)" in summary and "removed" in summary
    after = cells(store)
    held = independent_held_by(store)
    assert after[("t", "*", 3, 0)] == sum(1 for k in held.values() if k == 3) == 1
    assert after[("t", "*", 1, 0)] == sum(1 for k in held.values() if k == 1) == 2
    assert after[("d", "*", "format", "Map", 1)] == 0 and after[("d", "LB", "format", "Serial", 1)] == 1
    assert after[("i", "LA")] == 2 and after[("it", "LA")] == 1
    recompute(store, settings)
    assert cells(store) == after


def test_a_failed_pass_is_recomputed_by_the_next_run(settings: Settings, store: RecordStore,
                                                     catalogue: Catalogue) -> None:
    seed(catalogue)
    index(settings, store)
    expected = cells(store)
    AnalyticsStore(store).mark_incomplete()  # as a crash between begin and finish leaves it
    assert "analytics (full)" in index(settings, store)  # incremental index, full analytics pass
    assert cells(store) == expected


def test_a_digital_collection_marks_titles_online_without_counting_as_a_member(
        settings: Settings, store: RecordStore, catalogue: Catalogue) -> None:
    seed(catalogue)
    index(settings, store)
    catalogue.put(make_record("lib-c:7", "Rivers", oclc_numbers=("222",), year=1999))
    (settings.config_file.parent / "analytics.toml").write_text('digital_collections = ["lib-c"]\n')
    summary = index(settings, store)
    assert "full rebuild" in summary  # held_by_count changes meaning: every document is rebuilt
    figures, _ = load_figures(store, settings)
    assert figures is not None and "LC" not in figures.libraries()
    report = overview(figures)
    assert {r["held_by"]: r["titles"] for r in report["distribution"]} == {1: 2, 2: 1}
    assert report["online_only"] == 1  # Deserts: only lib-c, now a digital collection, has it
    kept = retention(figures, 1, online=True)
    assert kept["titles"] == 1 and {r["code"]: r["titles"] for r in kept["libraries"]} == {"LA": 1, "LB": 0}
    backend = open_backend(settings)
    try:
        rivers = backend.search(SearchRequest(text="held_by:LA held_by:LC", filters={"held_by_count": ("1",)}))
        assert rivers.total == 1 and rivers.hits[0].doc["title"] == "Rivers"
    finally:
        backend.close()


def test_analytics_settings_are_checked(settings: Settings) -> None:
    path = settings.config_file.parent / "analytics.toml"
    path.write_text('digital_collections = ["nope"]\n')
    with pytest.raises(ConfigError, match="no such source: nope"):
        load_analytics_config(settings)
    path.write_text("retention = 2\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_analytics_config(settings)
    path.write_text("retention_max = 0\n")
    with pytest.raises(ConfigError, match="retention_max"):
        load_analytics_config(settings)
    path.unlink()
    assert load_analytics_config(settings).digital_sources == ()
