"""Harvesting two real OAI-PMH data providers we did not write: PyPI `oaipmh` 4.0.0 and `oai-repo` 0.5.2.

Both run on 127.0.0.1 (see oai_servers.py) over real records: 30 Library of Congress MARCXML records and
81 Dublin Core records recorded from Erasmus University's DSpace. After each harvest the store must hold
exactly what the server serves — by id and by raw payload — in full, incremental (after adding,
changing and deleting records on the server), set-restricted and deleted-record runs.
"""

from __future__ import annotations

import threading

from harvester.oai.harvest import oai_status
from harvester.store import RecordStore
from tests.harvester.conftest import canonical_hash, live_records, oai_source, run_harvest
from tests.harvester.oai_servers import (
    Catalog,
    Reply,
    dc_catalog,
    marc_catalog,
    oai_repo_handler,
    oaipmh_handler,
    serving,
)

NOTE = b'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">Changed.</subfield></datafield></record>'


def served(catalog: Catalog, source_id: str = "repo", only_set: str | None = None) -> dict[str, str]:
    """What the server holds, as the store should hold it: record id → hash of the payload bytes."""
    expected = {}
    for item in catalog.ordered():
        if item.payload is None or (only_set and only_set not in item.sets):
            continue
        expected[f"{source_id}:{item.identifier}"] = canonical_hash(item.payload)
    return expected


def test_oaipmh_full_then_incremental_after_add_change_delete(store: RecordStore) -> None:
    catalog = marc_catalog()
    with serving(oaipmh_handler(catalog, page_size=7)) as server:
        source = oai_source(server.url)
        first = run_harvest(store, source)
        assert first["new"] == 30 and first["pages"] == 5 and first["quarantined"] == 0
        assert live_records(store) == served(catalog)
        record = store.get("repo:oai:loc:00282214")
        assert record is not None and record.raw_format == "marcxml" and record.normalized.year == 1998

        payloads = [item.payload for item in catalog.ordered()]
        catalog.put("oai:loc:new-1", payloads[0].replace(b"00282214", b"new-1"))  # added now
        changed = catalog.items["oai:loc:00282214"]
        catalog.put(changed.identifier, changed.payload.replace(b"</record>", NOTE), sets=changed.sets)
        catalog.delete("oai:loc:00313831")
        second = run_harvest(store, source)

        incremental = server.list_requests()[-1]
        assert "from" in incremental, "the second run must ask only for changes since the watermark"
        assert second["read"] == 2 and second["new"] == 1 and second["updated"] == 1
        assert second["deleted"] == 1
        assert live_records(store) == served(catalog)
        assert store.get("repo:oai:loc:00313831").deleted
    status = oai_status(store, "repo")
    assert status["watermark"]["*"].endswith("Z") and status["checkpoint"] is None
    assert status["last_run_records"] == 2


def test_oaipmh_set_restricted_harvest_keeps_a_watermark_per_set(store: RecordStore) -> None:
    catalog = dc_catalog()
    with serving(oaipmh_handler(catalog, page_size=20)) as server:
        source = oai_source(server.url, sets=("odd",))
        run_harvest(store, source)
        assert live_records(store) == served(catalog, only_set="odd")
        assert all(r.get("set") == "odd" for r in server.list_requests() if "resumptionToken" not in r)
        both = oai_source(server.url, sets=("odd", "even"))
        run_harvest(store, both)
        assert live_records(store) == served(catalog)
    assert set(oai_status(store, "repo")["watermark"]) == {"odd", "even"}


def test_oaipmh_reports_deleted_records_and_they_are_marked_deleted(store: RecordStore) -> None:
    catalog = dc_catalog(12)
    with serving(oaipmh_handler(catalog, page_size=5)) as server:
        source = oai_source(server.url)
        run_harvest(store, source)
        gone = sorted(catalog.items)[:3]
        for identifier in gone:
            catalog.delete(identifier)
        counts = run_harvest(store, source)
        assert counts["deleted_headers"] == 3 and counts["deleted"] == 3
        assert live_records(store) == served(catalog)
        assert all(store.get(f"repo:{identifier}").deleted for identifier in gone)


def test_oai_repo_full_incremental_and_day_granularity(store: RecordStore) -> None:
    catalog = dc_catalog()
    with serving(oai_repo_handler(catalog, page_size=9)) as server:
        source = oai_source(server.url, "repo")
        run_harvest(store, source)
        assert live_records(store) == served(catalog)
        some = sorted(catalog.items)[5]
        item = catalog.items[some]
        added = b"<dc:subject>Added</dc:subject></oai_dc:dc>"
        catalog.put(some, item.payload.replace(b"</oai_dc:dc>", added), sets=item.sets)
        catalog.put("oai:new:1", item.payload, sets=("odd",))
        counts = run_harvest(store, source)
        since = server.list_requests()[-1]["from"]
        assert len(since) == 10, "oai-repo declares day granularity; from must be YYYY-MM-DD"
        assert counts["new"] == 1 and counts["updated"] == 1
        assert live_records(store) == served(catalog)
        assert "Added" in [s.heading for s in store.get(f"repo:{some}").normalized.subjects]


def test_oai_repo_never_reports_deletions_so_full_harvest_marks_unlisted_deleted(store: RecordStore) -> None:
    catalog = marc_catalog(12)
    with serving(oai_repo_handler(catalog, page_size=5)) as server:
        source = oai_source(server.url)
        run_harvest(store, source)
        removed = sorted(catalog.items)[0]
        catalog.delete(removed)
        incremental = run_harvest(store, source)
        assert incremental["deleted"] == 0 and not store.get(f"repo:{removed}").deleted  # nothing says so
        full = run_harvest(store, source, full=True)
        assert full["deleted"] == 1 and store.get(f"repo:{removed}").deleted
        assert live_records(store) == served(catalog)


def test_full_harvest_that_lists_nothing_deletes_nothing(store: RecordStore) -> None:
    catalog = marc_catalog(6)
    with serving(oai_repo_handler(catalog, page_size=5)) as server:
        source = oai_source(server.url)
        run_harvest(store, source)
        for identifier in list(catalog.items):
            catalog.delete(identifier)  # the server now answers noRecordsMatch
        counts = run_harvest(store, source, full=True)
    assert counts["read"] == 0 and counts["deleted"] == 0
    assert len(live_records(store)) == 6
    assert any("listed no records" in e for e in oai_status(store, "repo")["errors"])


def test_oai_repo_bad_resumption_token_when_list_shrinks_restarts_the_window(store: RecordStore) -> None:
    """oai-repo invalidates tokens when the list shrinks: a deletion mid-harvest → badResumptionToken."""
    catalog = marc_catalog(20)
    inner = oai_repo_handler(catalog, page_size=5)
    deleted = threading.Event()

    def handler(params: dict[str, str]) -> Reply:
        if "resumptionToken" in params and not deleted.is_set():
            deleted.set()
            catalog.delete(sorted(catalog.items)[-1])
        return inner(params)

    with serving(handler) as server:
        counts = run_harvest(store, oai_source(server.url))
        tokens = [r for r in server.list_requests() if "resumptionToken" in r]
    assert any("badResumptionToken" in e for e in oai_status(store, "repo")["errors"])
    assert len(tokens) > 3 and counts["pages"] >= 5
    assert live_records(store) == served(catalog)


def test_configured_headers_are_sent_with_every_request(store: RecordStore) -> None:
    with serving(oaipmh_handler(marc_catalog(3))) as server:
        source = oai_source(server.url)
        source = type(source)(**{**{f: getattr(source, f) for f in source.__slots__},
                                 "headers": {"X-Api-Key": "s3cret"}})
        run_harvest(store, source)
        assert server.headers and all(h.get("X-Api-Key") == "s3cret" for h in server.headers)
        assert all(h.get("User-Agent", "").startswith("unioncat-harvester") for h in server.headers)


def test_full_harvest_interrupted_and_resumed_counts_every_runs_records_as_listed(store: RecordStore) -> None:
    """A --full harvest that failed half-way and was resumed must not delete what the first run listed."""
    catalog = marc_catalog(20)
    inner = oai_repo_handler(catalog, page_size=5)
    failing = {"on": False}

    def handler(params: dict[str, str]) -> Reply:
        if failing["on"] and "resumptionToken" in params and len(server.list_requests()) > 3:
            return Reply(b"gone", status=404)
        return inner(params)

    with serving(handler) as server:
        source = oai_source(server.url)
        run_harvest(store, source)
        removed = sorted(catalog.items)[-1]
        catalog.delete(removed)
        failing["on"] = True
        try:
            run_harvest(store, source, full=True)
        except Exception:  # noqa: BLE001 - the interruption under test
            pass
        assert oai_status(store, "repo")["checkpoint"] is not None
        failing["on"] = False
        resumed = run_harvest(store, source)  # an ordinary run resumes the unfinished full harvest
    assert resumed["deleted"] == 1 and store.get(f"repo:{removed}").deleted
    assert live_records(store) == served(catalog)
