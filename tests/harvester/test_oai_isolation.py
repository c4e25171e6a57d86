"""A real `oaipmh` provider (PyPI oaipmh 4.0.0) serving 300 MARC records, failing with HTTP 500 on every
ListRecords page and GetRecord answer that holds one of 3 broken records (as DSpace does for one bad
item): the other 297 are stored, the 3 quarantined under their identifiers, and the next run fetches
them again — with the harvester's *default* retry policy and real sleeping (only the request-rate cap
is off, as the server is on 127.0.0.1).

What makes it fast is asserted, not timed: the seconds the client spent backing off and the number of
requests stay small (the wall time is printed; `pytest -s` shows it).
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

from harvester.marc.profiles import PROFILES
from harvester.oai.checkpoint import oai_status, stats_key
from harvester.settings import Library, OAIOptions, SourceConfig
from harvester.store import QuarantineKind, RecordStore
from tests.harvester.conftest import live_records, run_harvest
from tests.harvester.oai_servers import BASE, Catalog, Reply, marc_payloads, oaipmh_handler, serving

BROKEN = ("oai:test:0042", "oai:test:0150", "oai:test:0251")


def _catalog() -> Catalog:
    """300 items: the 30 real LoC MARCXML records ten times over, an hour apart, each its own identifier."""
    catalog = Catalog("marc21")
    payloads = [payload for _, payload in marc_payloads()]
    for n in range(300):
        catalog.put(f"oai:test:{n:04d}", payloads[n % len(payloads)], BASE + timedelta(hours=n))
    return catalog


def _source(url: str) -> SourceConfig:
    return SourceConfig(id="repo", name="Repository", type="oai-pmh", library=Library("REPO", "Repository"),
                        holdings=PROFILES["marc21"], url=url, rate_limit=0, timeout=10.0,
                        options=OAIOptions(workers=1))


def test_three_broken_records_of_300_are_isolated_without_paying_the_backoff_at_every_level() -> None:
    catalog = _catalog()
    inner = oaipmh_handler(catalog, page_size=10)

    def failing(params: dict[str, str]) -> Reply:
        reply = inner(params)
        if params.get("verb") in ("ListRecords", "GetRecord") and any(b.encode() in reply.body for b in BROKEN):
            return Reply(b"Internal Server Error", status=500)
        return reply

    with tempfile.TemporaryDirectory() as tmp, RecordStore(Path(tmp) / "store.sqlite") as store:
        started = time.monotonic()
        with serving(failing) as server:
            counts = run_harvest(store, _source(server.url), sleep=time.sleep)  # type: ignore[arg-type]
            requests = len(server.requests)
        seconds = time.monotonic() - started
        status = oai_status(store, "repo")
        waited = store.get_state(stats_key("repo"))["waited"]
        print(f"\n300 records, 3 broken: {seconds:.1f}s wall, {requests} requests, "
              f"{waited}s backing off, {counts['windows_split']} groups halved")
        assert set(live_records(store)) == {f"repo:oai:test:{n:04d}" for n in range(300)} - {
            f"repo:{b}" for b in BROKEN}
        quarantined = store.quarantined("repo")
        assert sorted(q.position for q in quarantined) == sorted(BROKEN)
        assert all(q.kind == QuarantineKind.SERVER_FAILURE and "GetRecord failed" in q.reason for q in quarantined)
        assert counts["new"] == 297 and counts["quarantined"] == 3
        # the default policy would wait ~31 s per failing request (5 retries, doubling from 1 s); here a
        # failing list page gets one retry and every probe none: a few seconds in all
        assert waited < 12, waited
        assert status["last_run_status"] == "ok"
        assert requests < 200, requests
        with serving(inner) as mended:  # the next run, the server mended: the 3 are fetched again
            again = run_harvest(store, _source(mended.url), sleep=time.sleep)  # type: ignore[arg-type]
        assert again["new"] == 3 and store.quarantined("repo") == []
        assert len(live_records(store)) == 300
