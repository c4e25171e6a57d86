"""A three-node OpenSearch cluster that loses a node under search load, then rebuilds under load.

Real engine, real failure: `tests/opensearch_node/ctl.py cluster` starts three OpenSearch 2.19 nodes on
loopback (one JVM each), the index has 3 shards and 1 replica, and a data node is stopped (SIGTERM, as
an operator or the OS would) while a bounded search load (200 searches) runs through `Catalog`. Every search must
answer, in full (the same total as before the loss): the client knows all three nodes and retries on
the others, and each shard still has a copy. `unioncat status` must then report the degraded cluster.
With the node back, `unioncat index --rebuild` swaps the alias under the same load: no search may fail
or see a half-built index.

Runs only with ``UNIONCAT_OPENSEARCH_CLUSTER=1`` (it needs Java 17 and Maven, and ~45 s); `.ci/run`
sets it together with ``UNIONCAT_REQUIRE_OPENSEARCH=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from harvester.settings import load_settings
from harvester.store import RecordStore
from indexer.catalog import Catalog
from indexer.search.backends.base import SearchRequest
from search_ui.cli import cli
from tests.indexer.conftest import LIBRARIES, Catalogue, make_record
from tests.indexer.opensearch_live import require_opensearch

pytestmark = [pytest.mark.opensearch, pytest.mark.slow]

CTL = Path(__file__).resolve().parents[1] / "opensearch_node" / "ctl.py"
RECORDS = 150
LOAD_QUERIES = 200
LOAD_SECONDS = 120.0
"""Upper bound on one load run, whatever happens (the loop is bounded in count and in time)."""
QUERIES = [
    SearchRequest(text="whale"),
    SearchRequest(text="voyage"),
    SearchRequest(text="title:whale voyage"),
    SearchRequest(text="", filters={"library": ("Library B",)}),
    SearchRequest(text="whale", sort="oldest", page=2),
]


@dataclass
class Cluster:
    home: Path
    urls: list[str]

    def ctl(self, *args: str) -> str:
        env = {**os.environ, "UNIONCAT_OPENSEARCH_HOME": str(self.home), "UNIONCAT_OPENSEARCH_HEAP": "512m"}
        done = subprocess.run([sys.executable, str(CTL), *args], env=env, capture_output=True, text=True,
                              timeout=400, check=False)
        assert done.returncode == 0, f"ctl {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def health(self, url: str, **params: str) -> dict[str, object]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        with urllib.request.urlopen(f"{url}/_cluster/health?{query}", timeout=60) as response:
            return dict(json.load(response))

    def manager(self) -> str:
        with urllib.request.urlopen(f"{self.urls[0]}/_cat/cluster_manager?h=node", timeout=30) as response:
            return response.read().decode().strip()


@dataclass
class Load:
    """A bounded search load through `Catalog` in a thread: every answer is checked against `expected`."""

    settings_path: Path
    expected: dict[int, int]
    runs: int = 0
    failures: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, queries: int = LOAD_QUERIES, pause: float = 0.03) -> None:
        catalog = Catalog.open(load_settings(self.settings_path))
        deadline = time.monotonic() + LOAD_SECONDS
        try:
            while self.runs < queries and time.monotonic() < deadline and not self.stop.is_set():
                n = self.runs % len(QUERIES)
                try:
                    total = catalog.search(QUERIES[n]).total
                    if total != self.expected[n]:
                        self.failures.append(f"query {n}: {total} results, expected {self.expected[n]}")
                except Exception as exc:  # noqa: BLE001 - every kind of failure is what we count
                    self.failures.append(f"query {n}: {type(exc).__name__}: {exc}")
                self.runs += 1
                time.sleep(pause)
        finally:
            catalog.close()
            self.done.set()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require_opensearch("UNIONCAT_OPENSEARCH_CLUSTER", "the three-node cluster test")
    running = Cluster(tmp_path_factory.mktemp("opensearch-cluster"), [])
    try:
        running.urls = [line for line in running.ctl("cluster").split() if line.startswith("http://")]
        assert len(running.urls) == 3, running.urls
        yield running
    finally:
        running.ctl("stop")


@pytest.fixture
def config(tmp_path: Path, store: RecordStore, catalogue: Catalogue, cluster: Cluster) -> Path:
    """A catalog of RECORDS distinct records on the cluster: 3 shards, 1 replica, every node's URL."""
    lines = ['data_dir = "var"', "[search]", 'backend = "opensearch"', f'url = "{",".join(cluster.urls)}"',
             f'index_prefix = "unioncat-cluster-{uuid.uuid4().hex[:8]}"', "shards = 3", "replicas = 1"]
    for source_id, (code, name) in LIBRARIES.items():
        lines += ["[[sources]]", f'id = "{source_id}"', 'path = "unused"',
                  f'library = {{ code = "{code}", name = "{name}" }}']
    path = tmp_path / "unioncat.toml"
    path.write_text("\n".join(lines) + "\n")
    sources = list(LIBRARIES)
    catalogue.put(*(
        make_record(f"{sources[n % 3]}:{n}", title=f"Whale voyage number {n} of {_word(n)}", year=1800 + n)
        for n in range(RECORDS)
    ))
    return path


def _word(n: int) -> str:
    """A distinct word per record, so no two records look like the same item to the deduplicator."""
    letters = "bcdfghjklmnprstvz"
    return letters[n % 17] + "a" + letters[(n // 17) % 17] + "o" + letters[(n // 289) % 17]


def invoke(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def expected_totals(config: Path) -> dict[int, int]:
    catalog = Catalog.open(load_settings(config))
    try:
        return {n: catalog.search(query).total for n, query in enumerate(QUERIES)}
    finally:
        catalog.close()


def test_losing_a_node_and_rebuilding_lose_no_search(cluster: Cluster, config: Path) -> None:
    began = time.monotonic()

    def mark(what: str) -> None:
        print(f"cluster: {time.monotonic() - began:6.1f}s {what}", flush=True)

    invoke(config, "index", "-q")
    assert cluster.health(cluster.urls[0], wait_for_status="green", timeout="120s")["status"] == "green"
    mark("indexed, green")
    expected = expected_totals(config)
    assert expected[0] == RECORDS and expected[3] == RECORDS // 3  # every record is found before the loss

    # Stop a data node (not the elected cluster manager) a few dozen queries into the load.
    victim = next(name for name in ("opensearch-3", "opensearch-2") if name != cluster.manager())
    survivor = cluster.urls[0] if victim != "opensearch-1" else cluster.urls[1]
    load = Load(config, expected)
    thread = threading.Thread(target=load.run, daemon=True)
    thread.start()
    while load.runs < 40 and not load.done.is_set():
        time.sleep(0.05)
    stopping = time.monotonic()
    cluster.ctl("stop-node", victim)  # SIGTERM, returns when the process has exited
    stopped = time.monotonic()
    health = cluster.health(survivor, wait_for_nodes="2", wait_for_status="yellow", timeout="120s")
    recovered = time.monotonic() - stopped
    after_failover = load.runs
    # Asked at once: a minute after the node left, the cluster copies the lost replicas onto the two
    # nodes left (index.unassigned.node_left.delayed_timeout) and is green again, with 2 nodes.
    status = invoke(config, "status")
    thread.join(LOAD_SECONDS + 30)
    print(f"\ncluster: {load.runs} searches during the loss of {victim}, {len(load.failures)} failed; "
          f"the node took {stopped - stopping:.1f}s to stop, the cluster was yellow with 2 nodes "
          f"{recovered:.1f}s after it exited")
    assert not load.failures, load.failures[:5]
    assert load.runs == LOAD_QUERIES and after_failover < LOAD_QUERIES, "searches ran after the failover too"
    assert health["number_of_nodes"] == 2 and health["status"] in ("yellow", "green")

    mark("load done")
    assert "cluster health: yellow (degraded: 2 node(s) up" in status, status

    # The node comes back; a full rebuild swaps the alias while the same load runs.
    mark("status checked")
    cluster.ctl("start-node", victim)
    mark("node back")
    assert cluster.health(survivor, wait_for_nodes="3", wait_for_status="green", timeout="180s")["status"] == "green"
    mark("green again")
    load = Load(config, expected)
    thread = threading.Thread(target=load.run, kwargs={"queries": 2000, "pause": 0.02}, daemon=True)
    thread.start()
    while load.runs < 10 and not load.done.is_set():
        time.sleep(0.05)
    before = load.runs
    output = invoke(config, "index", "--rebuild")
    mark("rebuilt")
    during = load.runs - before
    time.sleep(1.0)  # and a little after the swap, on the new index
    load.stop.set()
    thread.join(LOAD_SECONDS + 30)
    print(f"cluster: {load.runs} searches around the rebuild ({during} while it ran), "
          f"{len(load.failures)} failed")
    assert "full rebuild" in output
    assert not load.failures, load.failures[:5]
    assert during > 0 and load.runs > before + during, "the load ran across the whole rebuild and after"
    assert cluster.health(survivor, wait_for_status="green", timeout="120s")["status"] == "green"
    assert "cluster health" not in invoke(config, "status")  # green again: no warning line
