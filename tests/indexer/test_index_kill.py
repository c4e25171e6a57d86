"""`kill -9` during clustering, the key tables' move or indexing, then `unioncat index` again: the same
clusters, ids and search index as a run that was never interrupted (the bounded clusterer forced on, so
its spill files and the key tables' staging file are what a killed run leaves behind)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from harvester.settings import Settings, parse_settings
from harvester.store import RecordStore
from indexer.dedup import bounded, cluster_keys
from indexer.dedup.clusters import ClusterStore
from indexer.run import update_index
from indexer.search.backends import open_backend
from indexer.search.backends.base import SearchRequest
from tests.indexer.conftest import LIBRARIES, Catalogue

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dedup_data import synthetic_records  # noqa: E402

CHILD = """
import json, sys, time
from pathlib import Path
from harvester.settings import parse_settings
from harvester.store import RecordStore
from indexer.dedup import bounded, cluster_keys
from indexer.search.backends import open_backend
import indexer.run as run
bounded.BOUNDED_FROM = 0
config, where, stage, flag = json.loads(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
def stall():
    flag.write_text("stalled")
    time.sleep(120)
if stage == "cluster":
    bounded._Bounded.unite = lambda self: stall()  # after reading, blocking and deciding, before joining
elif stage == "key move":
    import indexer.dedup.cluster_keys as keys
    keys.SLICE_ROWS, move = 50, keys.KeyTables._move
    def slow(self, staging, table, columns):
        move(self, staging, table, columns)
        if table == "record_identifiers":
            stall()  # two of the three new tables built, committed in slices; the old ones untouched
    keys.KeyTables._move = slow
else:
    import indexer.build_pool as pool
    build, seen = pool.build, []
    def slow(store, spec, batch):
        seen.extend(batch)
        if len(seen) >= 120:
            stall()
        return build(store, spec, batch)
    pool.build = slow
settings = parse_settings(config, where)
with RecordStore(settings.store_path) as store:
    run.update_index(settings, store, open_backend(settings), show_progress=False)
"""


def config() -> dict[str, object]:
    sources = [{"id": s, "path": "unused", "library": {"code": c, "name": n}} for s, (c, n) in LIBRARIES.items()]
    return {"data_dir": "var", "sources": sources}


def filled(root: Path) -> Settings:
    settings = parse_settings(config(), root / "unioncat.toml")
    records, _ = synthetic_records(400, seed=21)
    names = {f"lib{n:02d}": tuple(LIBRARIES)[n % 3] for n in range(10)}
    with RecordStore(settings.store_path) as store:
        Catalogue(store).put(*[replace(r, source_id=names[r.source_id], id=f"{names[r.source_id]}:{r.local_id}")
                               for r in records])
    return settings


def outcome(settings: Settings) -> tuple[object, ...]:
    """Clusters with their ids, and what the index answers: total, facets, a page of hits with members."""
    with RecordStore(settings.store_path) as store:
        clusters = dict(ClusterStore(store).iter_clusters())
    backend = open_backend(settings)
    try:
        found = backend.search(SearchRequest(text="", sort="title", per_page=100))
        hits = sorted((h.id, tuple(h.doc.get("members", []))) for h in found.hits)
        return clusters, found.total, found.facets, hits
    finally:
        backend.close()


def new_tables(settings: Settings) -> list[str]:
    """The key tables a full pass was building (`indexer.dedup.cluster_keys.KeyTables`)."""
    with RecordStore(settings.store_path) as store:
        rows = store.query("SELECT name FROM sqlite_master WHERE name LIKE '%\\_new' ESCAPE '\\'")
    return sorted(row[0] for row in rows)


def index(settings: Settings) -> None:
    with RecordStore(settings.store_path) as store:
        update_index(settings, store, open_backend(settings), show_progress=False)


@pytest.mark.parametrize("stage", ["cluster", "key move", "index"])
def test_kill_minus_nine_then_resume_gives_the_uninterrupted_result(tmp_path: Path, stage: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    reference, killed = filled(tmp_path / "reference"), filled(tmp_path / "killed")
    index(reference)
    flag = tmp_path / "stalled"
    root = Path(__file__).resolve().parents[2]
    where = str(tmp_path / "killed" / "unioncat.toml")
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(config()), where, stage, str(flag)],
                             cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        deadline = time.monotonic() + 120
        while not flag.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), "the child never reached the stage it was to be killed in"
        if stage == "cluster":
            assert (killed.data_dir / bounded.SPILL_DIR).exists()  # it was mid-run, files on disk
        if stage == "key move":
            assert (killed.data_dir / cluster_keys.STAGING_FILE).exists()
            assert new_tables(killed) == ["cluster_keys_new", "record_identifiers_new"]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    index(killed)
    expected = outcome(reference)
    assert any(len(members) > 1 for members in expected[0].values())  # type: ignore[attr-defined]
    assert outcome(killed) == expected
    assert not (killed.data_dir / bounded.SPILL_DIR).exists()
    assert not (killed.data_dir / cluster_keys.STAGING_FILE).exists() and new_tables(killed) == []
    shutil.rmtree(tmp_path / "killed")
