"""``kill -9`` at random points of an OAI harvest, then rerun: the same store as an uninterrupted harvest.

The harvest runs in a subprocess (``harvester.run.harvest_sources``, as ``unioncat harvest`` does) against
the real `oaipmh` provider in this process. Each run is killed with SIGKILL once the server has seen a
random number of its page requests; the next run must continue from the last committed page (its first
ListRecords request carries the saved token) and the end result — live record ids and raw bytes — must
equal a harvest that was never interrupted. Nothing lost, nothing stored twice, nothing fetched again
beyond the one page each kill interrupted.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from harvester.store import RecordStore
from tests.harvester.conftest import live_records, oai_source, run_harvest
from tests.harvester.oai_servers import Catalog, Reply, marc_catalog, oaipmh_handler, serving

ROOT = Path(__file__).resolve().parents[2]
PAGE = 6
SCRIPT = """
import sys
from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
settings = load_settings(sys.argv[1])
with RecordStore(settings.store_path) as store:
    results = harvest_sources(settings, store, settings.sources, show_progress=False)
sys.exit(0 if all(r.status == "ok" for r in results) else 1)
"""


def big_catalog(copies: int = 6) -> Catalog:
    """180 distinct real records: the 30 LoC records, each in six copies with their own id and note."""
    base = marc_catalog()
    catalog = Catalog("marc21")
    for n in range(copies):
        for item in base.ordered():
            note = f'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">copy {n}</subfield>'
            note += "</datafield>"
            payload = (item.payload or b"").replace(b"</record>", note.encode() + b"</record>")
            catalog.put(f"{item.identifier}-{n}", payload, item.datestamp, item.sets)
    return catalog


def test_sigkill_at_random_points_then_rerun_equals_an_uninterrupted_harvest(tmp_path: Path) -> None:
    seed = int(time.time())
    rng = random.Random(seed)
    catalog = big_catalog()
    pages = len(catalog.items) // PAGE
    inner = oaipmh_handler(catalog, page_size=PAGE)

    def slow(params: dict[str, str]) -> Reply:
        if params.get("verb") == "ListRecords":
            time.sleep(0.005)
        return inner(params)

    with serving(slow) as server:
        (tmp_path / "unioncat.toml").write_text(
            f'data_dir = "var"\n[[sources]]\nid = "repo"\ntype = "oai-pmh"\nurl = "{server.url}"\n'
            'rate_limit = 0\noptions = { max_retries = 1, backoff_base = 0.001, max_wait = 0.01 }\n'
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-c", SCRIPT, str(tmp_path / "unioncat.toml")]
        kills, starts = 0, []
        for _ in range(4):
            before = len(server.list_requests())
            starts.append(before)
            target = before + rng.randint(2, pages // 4)
            process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
            while len(server.list_requests()) < target and process.poll() is None:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.01))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            process.wait()
        starts.append(len(server.list_requests()))
        final = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=60)
        requests = server.list_requests()

        with RecordStore(tmp_path / "baseline.sqlite") as baseline:
            run_harvest(baseline, oai_source(server.url))
            expected = live_records(baseline)

    assert final.returncode == 0, f"seed {seed}"
    assert kills == 4, f"seed {seed}: every run was to be killed mid-harvest"
    with RecordStore(tmp_path / "var" / "unioncat.sqlite") as store:
        assert live_records(store) == expected, f"seed {seed}"
        assert len(expected) == len(catalog.items)
        assert store.get_state("oai:repo:checkpoint") is None
    for start in starts[1:]:
        assert "resumptionToken" in requests[start], f"seed {seed}: a rerun must resume from the checkpoint"
    assert len(requests) <= pages + kills, f"seed {seed}: {len(requests)} page requests for {pages} pages"
