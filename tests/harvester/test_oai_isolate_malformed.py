"""The last-resort isolation (`OAIHarvest._isolate`: the window cannot be split any further and its
ListIdentifiers failed once) treats a malformed answer like a server failure: a GetRecord whose body
is not OAI-PMH quarantines that one record and the other records of the window are stored, instead of
failing the whole source (a real `oaipmh` provider behind a handler that breaks a few answers)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from harvester.marc.profiles import PROFILES
from harvester.oai.checkpoint import oai_status
from harvester.settings import Library, OAIOptions, SourceConfig
from harvester.store import RecordStore
from tests.harvester.conftest import live_records, run_harvest
from tests.harvester.oai_servers import Reply, marc_catalog, oaipmh_handler, serving

# ListIdentifiers answers 503 this many times: the datestamp search's listing (`isolate_window`) and its
# retries give up, so the window goes to `_isolate`, whose own listing then succeeds. The reason text
# asserted below ("isolated by splitting window") is `_isolate`'s: the test fails if the path changes.
FAILING_LISTS = 6


def _source(url: str) -> SourceConfig:
    return SourceConfig(id="repo", name="Repository", type="oai-pmh", library=Library("REPO", "Repository"),
                        holdings=PROFILES["marc21"], url=url, rate_limit=0, timeout=10.0,
                        options=OAIOptions(workers=1, max_splits=0))


def test_a_malformed_getrecord_in_the_last_resort_isolation_quarantines_one_record() -> None:
    catalog = marc_catalog(8, sets=False)
    inner = oaipmh_handler(catalog, page_size=100)
    broken = sorted(catalog.live())[3]
    calls = {"ListIdentifiers": 0}

    def breaking(params: dict[str, str]) -> Reply:
        verb = params.get("verb")
        if verb == "ListRecords":
            return Reply(b"Internal Server Error", status=500)
        if verb == "ListIdentifiers":
            calls["ListIdentifiers"] += 1
            if calls["ListIdentifiers"] <= FAILING_LISTS:  # the datestamp search gives up: _isolate is left
                return Reply(b"Service Unavailable", status=503)
        if verb == "GetRecord" and params.get("identifier") == broken:
            return Reply(b"<html><body>Proxy error</body></html>", headers={"Content-Type": "text/html"})
        return inner(params)

    with tempfile.TemporaryDirectory() as tmp, RecordStore(Path(tmp) / "store.sqlite") as store:
        with serving(breaking) as server:
            run_harvest(store, _source(server.url))
        live = set(live_records(store))
        assert live == {f"repo:{identifier}" for identifier in catalog.live()} - {f"repo:{broken}"}
        quarantined = store.quarantined("repo")
        assert [q.position for q in quarantined] == [broken]
        assert "GetRecord failed" in quarantined[0].reason
        assert "isolated by splitting window" in quarantined[0].reason
        assert oai_status(store, "repo")["last_run_status"] == "ok"
