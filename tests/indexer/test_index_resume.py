"""A full index rebuild killed with `kill -9` after some of its steps were committed is continued by
the next run after the last recorded step (not redone whole), and ends with exactly the index and
analytics of an uninterrupted run; documents built in worker processes equal those built in process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import tantivy

from harvester.settings import Settings
from harvester.store import RecordStore
from indexer import build_pool, rebuild_checkpoint
from indexer import run as index_run
from indexer.analytics.store import AnalyticsStore, encode
from indexer.dedup import bounded
from indexer.dedup.clusters import ClusterStore
from indexer.search.backends import open_backend
from indexer.search.backends.embedded import tantivy_schema
from tests.indexer.conftest import Catalogue, make_record
from tests.indexer.test_index_kill import config, filled, index

CHILD = """
import json, sys, time
from pathlib import Path
from harvester.settings import parse_settings
from harvester.store import RecordStore
from indexer import build_pool, rebuild_checkpoint
from indexer.search.backends import open_backend
import indexer.run as run
run.BATCH, run.CHECKPOINT = 20, 40
config, where, where_stall, flag = json.loads(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
if len(sys.argv) > 5:  # build in worker processes
    run.PARALLEL_FROM = 0
def stall():
    flag.write_text("stalled")
    time.sleep(120)
def stall_on(module, name, nth):
    real, calls = getattr(module, name), []
    def wrapper(*args):
        calls.append(1)
        if len(calls) == nth:
            stall()
        return real(*args)
    setattr(module, name, wrapper)
if where_stall == "building":  # in the 5th batch: steps of 40 clusters up to the 80th are committed
    stall_on(build_pool, "build", 5)
else:  # the index committed its 2nd step, but the run has not recorded it yet
    stall_on(rebuild_checkpoint, "save", 2)
settings = parse_settings(config, where)
with RecordStore(settings.store_path) as store:
    run.update_index(settings, store, open_backend(settings), show_progress=False)
"""


def everything(settings: Settings) -> tuple[Any, ...]:
    """Every stored document (sorted), the clusters, the analytics cells and profiles."""
    backend = open_backend(settings)
    try:
        searcher = backend._open().searcher()  # type: ignore[attr-defined]
        hits = searcher.search(tantivy.Query.all_query(), 10_000).hits
        docs = sorted(json.dumps(tantivy_schema.from_tantivy(searcher.doc(a).to_dict()), sort_keys=True)
                      for _, a in hits)
        total = backend.count()
    finally:
        backend.close()
    with RecordStore(settings.store_path) as store:
        clusters = dict(ClusterStore(store).iter_clusters())
        tables = AnalyticsStore(store)
        cells = dict(tables.cells())
        profiles = [(p.cluster_id, encode(p)) for p in tables.iter_profiles()]
        leftovers = (store.get_state(index_run.REBUILD_STATE), store.get_state(rebuild_checkpoint.STATE),
                     bool(tables.state().get("complete")))
    return total, docs, clusters, cells, profiles, leftovers


def kill_child(settings_root: Path, flag: Path, where_stall: str, *pool: str) -> list[int]:
    """Run the CHILD until it stalls, kill it with SIGKILL; the processes it had started."""
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(config()),
                              str(settings_root / "unioncat.toml"), where_stall, str(flag), *pool],
                             cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        deadline = time.monotonic() + 120
        while not flag.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), "the child never reached the point it was to be killed at"
        below = _descendants(child.pid)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    return below


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        try:
            parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (ValueError, OSError, IndexError):
            continue
    found = []
    for pid in parents:
        walk = pid
        while walk in parents and walk not in (root, 0, 1):
            walk = parents[walk]
        if walk == root and pid != root:
            found.append(pid)
    return found


def test_worker_processes_of_a_killed_run_do_not_stay_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    filled(tmp_path / "killed")
    below = kill_child(tmp_path / "killed", tmp_path / "stalled", "recording", "pool")
    assert len(below) >= 3  # the fork server and two workers (one per core, at least 2 here)
    deadline = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{pid}") for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in below if os.path.exists(f"/proc/{pid}")]
    for pid in left:  # do not leave them to the rest of the suite either
        os.kill(pid, signal.SIGKILL)
    assert not left


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    """`everything` of the test catalog indexed by one run that nobody killed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bounded, "BOUNDED_FROM", 0)
        reference = filled(tmp_path_factory.mktemp("reference"))
        index(reference)
    return everything(reference)


@pytest.mark.parametrize("where_stall", ["building", "recording"])
def test_a_killed_rebuild_resumes_after_its_last_step_with_the_uninterrupted_result(
        tmp_path: Path, where_stall: str, monkeypatch: pytest.MonkeyPatch, uninterrupted: tuple[Any, ...]) -> None:
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    killed = filled(tmp_path / "killed")
    kill_child(tmp_path / "killed", tmp_path / "stalled", where_stall)
    with RecordStore(killed.store_path) as store:
        saved = store.get_state(rebuild_checkpoint.STATE)
        total = ClusterStore(store).count()
    assert saved is not None and saved["clusters"] == (80 if where_stall == "building" else 40)
    monkeypatch.setattr(index_run, "BATCH", 20)
    monkeypatch.setattr(index_run, "CHECKPOINT", 40)
    built = _count_builds(monkeypatch)
    index(killed)
    assert len(built) == total - saved["clusters"]  # only what the last recorded step did not cover
    assert min(built) > saved["after"]
    expected = uninterrupted
    assert expected[0] == total > 100 and expected[5] == (None, None, True)
    assert everything(killed) == expected


def test_a_catalog_changed_since_the_kill_is_rebuilt_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    reference, killed = filled(tmp_path / "reference"), filled(tmp_path / "killed")
    kill_child(tmp_path / "killed", tmp_path / "stalled", "building")
    for settings in (reference, killed):
        with RecordStore(settings.store_path) as store:
            Catalogue(store).put(make_record("lib-a:new-1", title="Walden revisited", year=1854))
    index(reference)
    built = _count_builds(monkeypatch)
    index(killed)
    expected = everything(reference)
    assert len(built) == len(expected[2])  # every cluster built again: the checkpoint no longer fits
    assert everything(killed) == expected


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []
    build = build_pool.build

    def counted(store: RecordStore, spec: build_pool.BuildSpec, batch: Any) -> Any:
        built.extend(cluster_id for cluster_id, _ in batch)
        return build(store, spec, batch)

    monkeypatch.setattr(build_pool, "build", counted)
    return built


def test_documents_built_in_worker_processes_equal_those_built_in_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uninterrupted: tuple[Any, ...]) -> None:
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    pooled = filled(tmp_path / "pooled")
    monkeypatch.setattr(index_run, "PARALLEL_FROM", 0)
    monkeypatch.setattr(index_run, "BATCH", 30)
    monkeypatch.setattr(index_run, "CHECKPOINT", 100)
    started: list[str] = []

    def context(method: str) -> Any:
        started.append(method)
        return _context(method)

    monkeypatch.setattr(build_pool, "get_context", context)
    index(pooled)
    assert started == ["forkserver"]  # the documents really were built by worker processes
    assert everything(pooled) == uninterrupted


def _context(method: str) -> Any:
    from multiprocessing import get_context

    return get_context(method)
