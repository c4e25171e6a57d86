"""Index runs against the real embedded (tantivy) backend: full, incremental, deletes, rebuilds, recovery."""

from __future__ import annotations

import fcntl
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.run import harvest_sources
from harvester.settings import Settings, load_settings
from harvester.store import RecordStore
from indexer.catalog import Catalog
from indexer.dedup.cluster_ids import make_cluster_id
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.idmatch import IdentifierMatcher
from indexer.errors import IndexRunning
from indexer.run import update_index
from indexer.search.backends.base import SearchRequest
from indexer.search.backends.embedded import EmbeddedBackend
from tests.indexer.conftest import Catalogue, make_record

ISBN = "9780306406157"
MATCHER = IdentifierMatcher()


@pytest.fixture
def backend(settings: Settings) -> Iterator[EmbeddedBackend]:
    opened = EmbeddedBackend(settings.index_dir)
    yield opened
    opened.close()


def seed(catalogue: Catalogue) -> None:
    catalogue.put(
        make_record("lib-a:1", title="Moby Dick", isbns=(ISBN,), year=1851),
        make_record("lib-b:1", title="Moby-Dick, or, The whale", isbns=(ISBN,), year=1851),
        make_record("lib-c:1", title="Moby Dick", isbns=(ISBN,), year=1851),
        make_record("lib-a:2", title="Walden", year=1854),
        make_record("lib-b:2", title="Whale songs", year=1990, format="music-recording"),
    )


def run(settings: Settings, store: RecordStore, backend: EmbeddedBackend, **kwargs: object):  # type: ignore[no-untyped-def]
    return update_index(settings, store, backend, matcher=MATCHER, show_progress=False, **kwargs)  # type: ignore[arg-type]


def ids(backend: EmbeddedBackend, text: str = "") -> set[str]:
    return {hit.id for hit in backend.search(SearchRequest(text=text, per_page=100)).hits}


def test_first_run_indexes_one_document_per_cluster(settings: Settings, store: RecordStore,
                                                     catalogue: Catalogue, backend: EmbeddedBackend) -> None:
    seed(catalogue)
    report = run(settings, store, backend)
    assert report.full and report.records == 5 and report.clusters == 3
    assert report.indexed == 3 and report.multi_library == 1 and backend.count() == 3
    moby = make_cluster_id("lib-a:1")
    doc = backend.get(moby)
    assert doc is not None and doc["library_count"] == 3
    assert doc["members"] == ["lib-a:1", "lib-b:1", "lib-c:1"]
    results = backend.search(SearchRequest(text="moby"))
    assert [hit.id for hit in results.hits] == [moby]
    counts = {f.value: f.count for f in results.facets["library"]}
    assert counts == {"Library A": 1, "Library B": 1, "Library C": 1}
    assert "held by 2+ libraries" in report.summary()


def test_incremental_run_reindexes_only_changed_clusters(
    settings: Settings, store: RecordStore, catalogue: Catalogue, backend: EmbeddedBackend
) -> None:
    seed(catalogue)
    run(settings, store, backend)
    catalogue.put(make_record("lib-a:2", title="Walden, or, Life in the woods", year=1854))
    report = run(settings, store, backend)
    assert not report.full and report.records == 1 and report.indexed == 1 and report.deleted == 0
    assert ids(backend, "woods") == {make_cluster_id("lib-a:2")}
    assert backend.count() == 3
    assert run(settings, store, backend).indexed == 0  # nothing changed: nothing sent


def test_deletes_leave_clusters_and_the_index(settings: Settings, store: RecordStore, catalogue: Catalogue,
                                              backend: EmbeddedBackend) -> None:
    seed(catalogue)
    run(settings, store, backend)
    catalogue.delete("lib-b:1", "lib-b:2")
    report = run(settings, store, backend)
    assert report.deleted == 1 and backend.count() == 2
    assert ids(backend, "whale songs") == set()
    doc = backend.get(make_cluster_id("lib-a:1"))
    assert doc is not None and doc["library"] == ["Library A", "Library C"]


def test_rebuild_keeps_ids_and_overrides(settings: Settings, store: RecordStore, catalogue: Catalogue,
                                         backend: EmbeddedBackend) -> None:
    seed(catalogue)
    run(settings, store, backend)
    before = ids(backend)
    ClusterStore(store).add_override("split", "lib-a:1", "lib-c:1")
    ClusterStore(store).add_override("split", "lib-b:1", "lib-c:1")
    report = run(settings, store, backend)
    assert not report.full and backend.count() == 4
    c_alone = ClusterStore(store).cluster_of("lib-c:1")
    assert c_alone == make_cluster_id("lib-c:1")
    report = run(settings, store, backend, rebuild=True)
    assert report.full and backend.count() == 4
    assert ids(backend) == before | {c_alone}
    assert ClusterStore(store).cluster_of("lib-c:1") == c_alone


def test_a_lost_index_is_rebuilt_whole(settings: Settings, store: RecordStore, catalogue: Catalogue,
                                       backend: EmbeddedBackend) -> None:
    seed(catalogue)
    run(settings, store, backend)
    fresh = EmbeddedBackend(settings.index_dir.parent / "elsewhere")
    try:
        report = run(settings, store, fresh)
        assert report.full and fresh.count() == 3
    finally:
        fresh.close()


class FailingCommit(EmbeddedBackend):
    """The real backend whose next commit fails, as a full disk or a killed process would make it."""

    fail = True

    def commit(self) -> None:
        if self.fail:
            self.fail = False
            raise OSError("disk full")
        super().commit()


def test_a_failed_run_is_redone_by_the_next(
    settings: Settings, store: RecordStore, catalogue: Catalogue
) -> None:
    seed(catalogue)
    backend = FailingCommit(settings.index_dir)
    try:
        run(settings, store, backend, rebuild=True)
        catalogue.put(make_record("lib-a:2", title="Walden revisited", year=1854))
        with pytest.raises(OSError):
            run(settings, store, backend)
        assert ClusterStore(store).index_queue()[0] == [make_cluster_id("lib-a:2")]
        report = run(settings, store, backend)
        assert report.indexed == 1 and ids(backend, "revisited") == {make_cluster_id("lib-a:2")}
        assert ClusterStore(store).index_queue() == ([], [])
    finally:
        backend.close()


REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """The bundled demo consortium (config/unioncat.toml, samples/) harvested and indexed into a tmp dir."""
    text = (REPO / "config" / "unioncat.toml").read_text(encoding="utf-8")
    text = text.replace('"../samples/', f'"{REPO / "samples"}/')
    text = text.replace('data_dir = "../var"', 'data_dir = "var"')
    config = tmp_path_factory.mktemp("demo") / "unioncat.toml"
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config)
    catalog = Catalog.open(settings)
    results = harvest_sources(settings, catalog.store, settings.sources, workers=1, show_progress=False)
    assert all(r.status == "ok" for r in results), [r.error for r in results]
    report = update_index(settings, catalog.store, catalog.backend, show_progress=False)
    assert report.full and report.indexed == report.clusters == catalog.backend.count()
    yield catalog
    catalog.close()


def test_demo_search_finds_items_of_several_libraries_some_held_by_two(demo: Catalog) -> None:
    results = demo.search(SearchRequest(text="history", per_page=50))
    libraries = {name for hit in results.hits for name in hit.doc["library"]}
    assert results.total > 20 and len(libraries) >= 4
    assert any(hit.doc["library_count"] >= 2 for hit in results.hits)
    for hit in results.hits[:5]:  # the record page shows every holding library of the result
        merged = demo.record(hit.id)
        assert merged is not None and list(merged.libraries) == hit.doc["library"]
        assert {m.record_id for m in merged.members} == set(hit.doc["members"])


def test_demo_facet_counts_equal_the_matching_items(demo: Catalog) -> None:
    results = demo.search(SearchRequest(text="history"))
    for name in ("library", "format", "decade"):
        for facet in results.facets[name][:6]:
            narrowed = demo.search(SearchRequest(text="history", filters={name: (facet.value,)}))
            assert narrowed.total == facet.count, (name, facet.value)
    assert sum(f.count for f in results.facets["format"]) == results.total  # one format per item


def test_catalog_facade(demo: Catalog) -> None:
    cluster_id, members = next((c, m) for c, m in demo.clusters.iter_clusters() if len(m) >= 2)
    assert demo.record(cluster_id) is not None and demo.record("cnope") is None
    assert demo.redirect(cluster_id) is None
    stored = demo.stored(members[0])
    assert stored is not None and stored.id == members[0]
    explanation = demo.explain(members[0], members[1])
    assert explanation.same and explanation.reasons
    with pytest.raises(KeyError):
        demo.explain(members[0], "nowhere:1")
    sources = demo.sources()
    assert [s["id"] for s in sources] == [s.id for s in demo.settings.sources]
    assert all(s["records"] > 0 for s in sources)
    # record 9 of lul_fre_100.mrc has no 001: stored under an id derived from its content, not quarantined
    assert demo.quarantined("laurentian") == []
    assert any(s["id"] == "laurentian" and s["records"] == 100 for s in sources)
    record = demo.stored("michigan:000004152")
    assert record is not None and record.normalized.oclc_numbers
    [answer] = demo.holdings_check([f"(OCoLC){record.normalized.oclc_numbers[0]}"])
    assert answer.items and answer.items[0].holdings[0].library_name == "University of Michigan"


class FailingRebuild(EmbeddedBackend):
    """The real backend whose next rebuild fails half-way through the documents."""

    fail = False

    def rebuild_steps(self, steps, resume="", committed=None):  # type: ignore[no-untyped-def]
        if self.fail:
            self.fail = False
            next(iter(next(iter(steps))))
            raise OSError("disk full")
        return super().rebuild_steps(steps, resume, committed)


def test_a_failed_rebuild_is_redone_by_the_next_run(
    settings: Settings, store: RecordStore, catalogue: Catalogue
) -> None:
    seed(catalogue)
    backend = FailingRebuild(settings.index_dir)
    try:
        run(settings, store, backend)
        catalogue.put(make_record("lib-a:2", title="Walden revisited", year=1854))
        backend.fail = True
        with pytest.raises(OSError):
            run(settings, store, backend, rebuild=True)
        assert backend.count() == 3 and ids(backend, "revisited") == set()  # the old index still serves
        report = run(settings, store, backend)  # clusters are up to date, yet the index is rebuilt
        assert report.full and report.records == 0
        assert ids(backend, "revisited") == {make_cluster_id("lib-a:2")}
        assert not run(settings, store, backend).full
    finally:
        backend.close()


def test_after_every_incremental_run_the_index_mirrors_the_clusters(
    settings: Settings, store: RecordStore, catalogue: Catalogue, backend: EmbeddedBackend
) -> None:
    rng = random.Random(11)
    isbns = [f"97803064061{n:02d}" for n in range(8)]
    live: set[str] = set()
    for round_ in range(6):
        batch = {}
        for _ in range(10):
            record_id = f"lib-{rng.choice('abc')}:{rng.randrange(30)}"
            ids_ = tuple(rng.sample(isbns, rng.choice((0, 1, 2))))
            batch[record_id] = make_record(record_id, title=f"round {round_}", isbns=ids_)
        catalogue.put(*batch.values())
        live.update(batch)
        gone = set(rng.sample(sorted(live), 2))
        catalogue.delete(*gone)
        live -= gone
        run(settings, store, backend)
        clusters = dict(ClusterStore(store).iter_clusters())
        hits = backend.search(SearchRequest(per_page=100)).hits
        assert {hit.id: sorted(hit.doc["members"]) for hit in hits} == clusters, round_


def test_two_index_runs_on_one_data_folder_do_not_interleave(
    settings: Settings, store: RecordStore, catalogue: Catalogue, backend: EmbeddedBackend
) -> None:
    seed(catalogue)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "index.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process's run, as far as flock can tell
        with pytest.raises(IndexRunning, match="another `unioncat index` is running"):
            run(settings, store, backend)
        fcntl.flock(held, fcntl.LOCK_UN)
    assert run(settings, store, backend).indexed == 3


@pytest.mark.parametrize("setting, expected", [(1, 1), (3, 3), (0, None)])
def test_the_workers_setting_reaches_a_full_clustering_pass(
        settings: Settings, store: RecordStore, catalogue: Catalogue, backend: EmbeddedBackend,
        monkeypatch: pytest.MonkeyPatch, setting: int, expected: int | None) -> None:
    """``workers`` (0 = one per core) sizes the clusterer's pool as it sizes the document builders'."""
    import dataclasses

    from indexer.dedup import clusters as clusters_module

    seen: list[object] = []
    real = clusters_module.cluster_all

    def spy(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        seen.append(kwargs.get("workers"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(clusters_module, "cluster_all", spy)
    seed(catalogue)
    report = run(dataclasses.replace(settings, workers=setting), store, backend)
    assert report.full and report.clusters == 3 and seen == [expected]


def test_clusters_after_an_id_start_there_whatever_the_page_size(
        settings: Settings, store: RecordStore, catalogue: Catalogue, backend: EmbeddedBackend) -> None:
    """A resumed rebuild reads the clusters after its checkpoint: none skipped, none repeated."""
    seed(catalogue)
    run(settings, store, backend)
    clusters = ClusterStore(store)
    every = list(clusters.iter_clusters())
    for page in (1, 2, 5000):
        for i, (cluster_id, _) in enumerate(every):
            assert list(clusters.iter_clusters(batch=page, after=cluster_id)) == every[i + 1:]
        assert list(clusters.iter_clusters(batch=page)) == every
