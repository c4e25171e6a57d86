"""Fault injection between the harvester and a real `oaipmh` provider: every fault has a test that fails
when the behaviour that handles it is removed.

The scripted server (oai_servers.LocalServer) wraps the real provider and, per request, drops the
connection, cuts the body short, answers 5xx/429 with or without Retry-After, stalls past the timeout,
repeats a token, sends endless empty pages, garbles a page once, or poisons one record so that any
page holding it fails with 500. Waits are recorded by an injected sleep, never slept.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harvester.errors import SourceUnavailable
from harvester.oai.client import HarvestClient, ServerFailure
from harvester.oai.harvest import oai_status
from harvester.oai.pages import StuckFeed
from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from tests.harvester.conftest import Sleeps, live_records, oai_source, run_harvest
from tests.harvester.oai_servers import (
    Catalog,
    Reply,
    marc_catalog,
    oai_repo_handler,
    oaipmh_handler,
    read_data,
    serving,
)

EMPTY_PAGE = (
    b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    b"<responseDate>2024-01-01T00:00:00Z</responseDate><request>x</request>"
    b'<ListRecords><resumptionToken>%s</resumptionToken></ListRecords></OAI-PMH>'
)

NO_RECORDS = b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="noRecordsMatch"/></OAI-PMH>'


def faulty(catalog: Catalog, fault: object, page_size: int = 5) -> object:
    """The real provider, with ``fault(params, count)`` given the first say (None: answer normally)."""
    inner = oaipmh_handler(catalog, page_size=page_size)
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def handle(params: dict[str, str]) -> Reply:
        key = params.get("resumptionToken") or params.get("verb", "")
        with lock:
            counts[key] = counts.get(key, 0) + 1
            seen = counts[key]
        reply = fault(params, seen)  # type: ignore[operator]
        return reply if reply is not None else inner(params)

    return handle


def test_dropped_connections_and_truncated_bodies_are_retried(store: RecordStore) -> None:
    catalog = marc_catalog(20)

    def fault(params: dict[str, str], seen: int) -> Reply | None:
        if "resumptionToken" in params and seen == 1:
            return Reply(drop=True)
        if "resumptionToken" in params and seen == 2:
            return Reply(b"x" * 4000, truncate=True)
        return None

    sleeps = Sleeps()
    with serving(faulty(catalog, fault)) as server:  # type: ignore[arg-type]
        counts = run_harvest(store, oai_source(server.url, max_retries=3), sleep=sleeps)
    assert counts["new"] == 20
    assert counts["retries"] == 6 and len(sleeps) == 6  # three token pages, two faults each
    assert oai_status(store, "repo")["retries"] == 6


def test_503_retry_after_is_honoured_and_capped(store: RecordStore) -> None:
    catalog = marc_catalog(10)

    def fault(params: dict[str, str], seen: int) -> Reply | None:
        if params.get("verb") == "ListRecords" and "resumptionToken" not in params and seen == 1:
            return Reply(b"busy", status=503, headers={"Retry-After": "7"})
        if "resumptionToken" in params and seen == 1:
            return Reply(b"busy", status=503, headers={"Retry-After": "3600"})
        return None

    sleeps = Sleeps()
    with serving(faulty(catalog, fault)) as server:  # type: ignore[arg-type]
        counts = run_harvest(store, oai_source(server.url, max_wait=120), sleep=sleeps)
    assert counts["new"] == 10
    assert sleeps == [7.0, 120.0]  # the server's hint, then the cap


def test_backoff_is_exponential_with_jitter_and_gives_up(tmp_path: Path) -> None:
    statuses = iter([500, 502, 429, 408, 504, 500, 500])

    def fault(params: dict[str, str], seen: int) -> Reply | None:
        return Reply(b"no", status=next(statuses))

    sleeps = Sleeps()
    with serving(faulty(marc_catalog(1), fault)) as server:  # type: ignore[arg-type]
        source = oai_source(server.url, max_retries=5, backoff_base=1.0, backoff_cap=8.0, max_wait=100)
        client = HarvestClient(source, sleep=sleeps, jitter=lambda: 0.5)
        with pytest.raises(ServerFailure, match="gave up after 5 retries"):
            client.harvest(verb="Identify")
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 8.0]
    jittered = Sleeps()
    client = HarvestClient(source, sleep=jittered, jitter=lambda: 0.0)
    assert client._backoff(3) == 4.0  # 8 * (0.5 + 0.0): jitter spreads retries over [0.5, 1.5) x


def test_a_stalled_server_times_out_and_is_retried(store: RecordStore) -> None:
    catalog = marc_catalog(6)

    def fault(params: dict[str, str], seen: int) -> Reply | None:
        if "resumptionToken" in params and seen == 1:
            time.sleep(1.5)
        return None

    with serving(faulty(catalog, fault)) as server:  # type: ignore[arg-type]
        source = oai_source(server.url)
        source = type(source)(**{**{f: getattr(source, f) for f in source.__slots__}, "timeout": 0.5})
        counts = run_harvest(store, source)
    assert counts["new"] == 6 and counts["retries"] >= 1


def test_rate_limit_spaces_requests(tmp_path: Path) -> None:
    sleeps = Sleeps()
    now = [100.0]

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        now[0] += seconds

    with serving(oaipmh_handler(marc_catalog(1))) as server:
        source = oai_source(server.url)
        source = type(source)(**{**{f: getattr(source, f) for f in source.__slots__}, "rate_limit": 4.0})
        client = HarvestClient(source, sleep=sleep, clock=lambda: now[0])
        for _ in range(3):
            client.harvest(verb="Identify")
        now[0] += 1.0  # a pause longer than the interval: no wait
        client.harvest(verb="Identify")
    assert sleeps == [0.25, 0.25]


def test_a_token_repeated_without_progress_stops_the_source(store: RecordStore) -> None:
    catalog = marc_catalog(15)
    inner = oaipmh_handler(catalog, page_size=5)
    first_token: list[str] = []

    def handler(params: dict[str, str]) -> Reply:
        if "resumptionToken" in params:
            first_token.append(params["resumptionToken"])
            if len(first_token) > 30:  # keeps a broken guard from looping forever
                return Reply(NO_RECORDS)
            return inner({"verb": "ListRecords", "resumptionToken": first_token[0]})
        return inner(params)

    with serving(handler) as server:
        with pytest.raises(StuckFeed, match="repeated resumption token"):
            run_harvest(store, oai_source(server.url))
    assert len(first_token) == 2
    assert len(live_records(store)) == 10  # pages 1 and 2 committed; the checkpoint waits at page 2's token
    assert oai_status(store, "repo")["checkpoint"] is not None


def test_a_run_of_empty_pages_stops_the_source(store: RecordStore) -> None:
    served = {"pages": 0}

    def fault(params: dict[str, str], seen: int) -> Reply | None:
        if params.get("verb") == "ListRecords":
            served["pages"] += 1
            if served["pages"] > 50:
                return Reply(EMPTY_PAGE.replace(b"<resumptionToken>%s</resumptionToken>", b""))
            return Reply(EMPTY_PAGE % str(served["pages"]).encode())
        return None

    with serving(faulty(marc_catalog(1), fault)) as server:  # type: ignore[arg-type]
        with pytest.raises(StuckFeed, match="4 empty pages"):
            run_harvest(store, oai_source(server.url, prefix="marc21", max_empty_pages=4))
    assert served["pages"] == 4


def test_a_page_garbled_once_is_fetched_again_not_recovered(store: RecordStore) -> None:
    catalog = marc_catalog(10)
    inner = oaipmh_handler(catalog, page_size=5)

    def fault(params: dict[str, str], seen: int) -> Reply | None:
        if "resumptionToken" in params and seen == 1:
            body = inner(params).body
            return Reply(body.replace(b"</ListRecords>", b"</ListRecord>"))
        return None

    with serving(faulty(catalog, fault)) as server:  # type: ignore[arg-type]
        counts = run_harvest(store, oai_source(server.url))
    assert counts["new"] == 10 and counts["recovered_pages"] == 0 and counts["retries"] == 1
    assert not store.quarantined("repo")


def test_a_window_failing_with_500_is_split_until_the_bad_record_is_quarantined(store: RecordStore) -> None:
    catalog = marc_catalog(30)
    poisoned = sorted(catalog.items)[7]
    inner = oaipmh_handler(catalog, page_size=5)

    def handler(params: dict[str, str]) -> Reply:
        reply = inner(params)
        if params.get("verb") in ("ListRecords", "GetRecord") and poisoned.encode() in reply.body:
            return Reply(b"Internal Server Error", status=500)
        return reply

    with serving(handler) as server:
        counts = run_harvest(store, oai_source(server.url, min_window_seconds=3600, max_retries=1))
        get_records = server.list_requests("GetRecord")
    assert counts["windows_split"] >= 3 and counts["new"] == 29  # groups halved around the bad record
    assert set(live_records(store)) == {f"repo:{i}" for i in catalog.items} - {f"repo:{poisoned}"}
    [entry] = store.quarantined("repo")
    assert entry.position == poisoned and "GetRecord failed" in entry.reason
    fetched = {r["identifier"] for r in get_records}  # one by one: only the bad record's last group
    assert poisoned in fetched and len(fetched) <= 2
    status = oai_status(store, "repo")
    assert status["last_run_status"] == "ok" and status["watermark"]
    with serving(inner) as fixed:  # the next run, with the server mended, fetches the isolated record again
        again = run_harvest(store, oai_source(fixed.url))
    assert again["new"] == 1 and not store.quarantined("repo")
    assert set(live_records(store)) == {f"repo:{i}" for i in catalog.items}


def test_a_server_that_is_down_fails_without_splitting(store: RecordStore) -> None:
    def fault(params: dict[str, str], seen: int) -> Reply | None:
        return Reply(b"down", status=503) if params.get("verb") == "ListRecords" or seen > 1 else None

    with serving(faulty(marc_catalog(3), fault)) as server:  # type: ignore[arg-type]
        with pytest.raises(SourceUnavailable, match="HTTP 503"):
            run_harvest(store, oai_source(server.url, max_retries=1))
    assert "windows_split" not in str(oai_status(store, "repo")["errors"])


def test_sources_harvest_concurrently_and_a_failing_one_stops_no_other(tmp_path: Path) -> None:
    def down(params: dict[str, str]) -> Reply:
        return Reply(b"down", status=500)

    with serving(oaipmh_handler(marc_catalog(12), page_size=4)) as good, \
            serving(oaipmh_handler(marc_catalog(8), page_size=3)) as other, serving(down) as bad:
        fast = 'options = { max_retries = 1, backoff_base = 0.001, max_wait = 0.01 }\nrate_limit = 0\n'
        config = "data_dir = 'var'\n" + "".join(
            f'[[sources]]\nid = "{name}"\ntype = "oai-pmh"\nurl = "{url}"\n{fast}'
            for name, url in (("good", good.url), ("bad", bad.url), ("other", other.url))
        )
        (tmp_path / "unioncat.toml").write_text(config)
        settings = load_settings(tmp_path / "unioncat.toml")
        with RecordStore(settings.store_path) as store:
            results = {r.source_id: r for r in harvest_sources(settings, store, settings.sources,
                                                                 show_progress=False)}
            assert len(live_records(store, "good")) == 12 and len(live_records(store, "other")) == 8
    assert results["good"].status == "ok" and results["other"].status == "ok"
    assert results["bad"].status == "failed" and "HTTP 500" in (results["bad"].error or "")


def test_oai_repo_day_windows_split_around_a_bad_record_lose_no_boundary_day(store: RecordStore) -> None:
    """oai-repo reads until=YYYY-MM-DD as midnight: split windows share their boundary day."""
    catalog = marc_catalog(20)
    poisoned = sorted(catalog.items, key=lambda i: catalog.items[i].datestamp)[9]
    inner = oai_repo_handler(catalog, page_size=4)

    def handler(params: dict[str, str]) -> Reply:
        reply = inner(params)
        if params.get("verb") in ("ListRecords", "GetRecord") and poisoned.encode() in reply.body:
            return Reply(b"Internal Server Error", status=500)
        return reply

    with serving(handler) as server:
        counts = run_harvest(store, oai_source(server.url, max_retries=0))
        untils = [r["until"] for r in server.list_requests() if "until" in r]
    assert counts["windows_split"] > 3 and all(len(u) == 10 for u in untils)
    assert set(live_records(store)) == {f"repo:{i}" for i in catalog.items} - {f"repo:{poisoned}"}
    assert [q.position for q in store.quarantined("repo")] == [poisoned]


def test_an_expired_saved_token_restarts_the_window(store: RecordStore) -> None:
    expiring = read_data("sickle/ListRecords.xml").replace(
        b'cursor="0">', b'cursor="0" expirationDate="2001-01-01T00:00:00Z">')
    broken = {"on": True}

    def handler(params: dict[str, str]) -> Reply:
        if params.get("verb") == "Identify":
            return Reply(read_data("sickle/Identify.xml"))
        if params.get("resumptionToken") == "ListRecords2.xml" and broken["on"]:
            return Reply(b"gone", status=404)
        token = params.get("resumptionToken")
        return Reply(expiring if token is None else read_data(f"sickle/{token}"))

    with serving(handler) as server:
        source = oai_source(server.url, prefix="oai_dc")
        with pytest.raises(SourceUnavailable, match="HTTP 404"):
            run_harvest(store, source)
        assert oai_status(store, "repo")["checkpoint"] is not None
        broken["on"] = False
        before = len(server.list_requests())
        run_harvest(store, source)
        rerun = server.list_requests()[before:]
    assert "resumptionToken" not in rerun[0], "an expired token is not sent; the window starts again"
    assert any("expired" in e for e in oai_status(store, "repo")["errors"])


def test_retry_after_as_an_http_date() -> None:
    from email.utils import format_datetime

    from harvester.oai.client import _retry_after

    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (_retry_after(soon) or 0) <= 30
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert _retry_after("soon") is None and _retry_after("12") == 12.0


def test_a_server_refusing_the_seconds_it_promised_is_asked_in_days(store: RecordStore) -> None:
    catalog = marc_catalog(8)
    inner = oaipmh_handler(catalog, page_size=5)
    refusal = (b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
               b"<responseDate>2024-01-01T00:00:00Z</responseDate><request>x</request>"
               b'<error code="badArgument">from: illegal granularity</error></OAI-PMH>')

    def handler(params: dict[str, str]) -> Reply:
        if "T" in params.get("from", ""):
            return Reply(refusal)
        return inner(params)

    with serving(handler) as server:
        source = oai_source(server.url)
        run_harvest(store, source)
        catalog.put("oai:loc:added", next(iter(catalog.live().values())))
        counts = run_harvest(store, source)
        run_harvest(store, source)
        froms = [r["from"] for r in server.list_requests() if "from" in r]
    assert counts["new"] == 1
    assert len(froms[0]) == 20 and all(len(f) == 10 for f in froms[1:])  # refused once, then days only
    assert len(oai_status(store, "repo")["watermark"]["*"]) == 10


def test_worker_mapped_pages_are_committed_before_a_later_page_fails(store: RecordStore) -> None:
    """With big pages mapped in worker processes, page N is committed even when fetching N+1 fails."""
    catalog = marc_catalog(30)

    def fault(params: dict[str, str], seen: int) -> Reply | None:
        return Reply(b"gone", status=404) if "resumptionToken" in params and "cursor%3D20" in params[
            "resumptionToken"] else None

    with serving(faulty(catalog, fault, page_size=10)) as server:  # type: ignore[arg-type]
        source = oai_source(server.url, workers=2, parallel_threshold=5)
        with pytest.raises(SourceUnavailable, match="HTTP 404"):
            run_harvest(store, source)
    assert len(live_records(store)) == 20  # pages 1 and 2 stored, with the token that follows page 2
    assert "token yes" in (oai_status(store, "repo")["checkpoint"] or "")
