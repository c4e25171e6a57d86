"""Replaying real recorded OAI-PMH responses, good and broken, through a local server.

Files come from sickle, pyoai (Erasmus DSpace), mod-reservoir (Stanford POD, Penn State), traject
(Science History Institute), DPLA (Harvard LibraryCloud MODS) and VuFindHarvest (Alma); see
tests/data/oai/README.md. Resumption tokens in the recordings name the next page, so a page map keyed
by token replays each chain exactly as the server sent it.
"""

from __future__ import annotations

import pytest

from harvester.errors import BadFeed
from harvester.oai.harvest import oai_status
from harvester.store import RecordStore
from tests.harvester.conftest import live_records, oai_source, run_harvest
from tests.harvester.oai_servers import Reply, read_data, replay_handler, serving

SICKLE_CHAIN = {
    "": "sickle/ListRecords.xml",
    "ListRecords2.xml": "sickle/ListRecords2.xml",
    "ListRecords3.xml": "sickle/ListRecords3.xml",
    "ListRecords4.xml": "sickle/ListRecords4.xml",
}


def token_of(name: str) -> str:
    """The resumption token a recorded page hands out (the key of the next page to replay)."""
    return read_data(name).split(b"<resumptionToken")[1].split(b">")[1].split(b"<")[0].decode()


def test_sickle_chain_follows_tokens_and_applies_deleted_headers(store: RecordStore) -> None:
    with serving(replay_handler(SICKLE_CHAIN)) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="oai_dc"))
        tokens = [r.get("resumptionToken") for r in server.list_requests()]
    assert tokens == [None, "ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"]
    assert set(live_records(store)) == {"repo:oai:test.example.com:1585322"}
    assert counts["pages"] == 4 and counts["deleted_headers"] == 3 and counts["shortfall"] == 0
    # ListRecords4.xml's deleted header has no identifier: kept in the quarantine, not silently dropped
    assert [q.reason for q in store.quarantined("repo")] == ["OAI header without an identifier"]
    record = store.get("repo:oai:test.example.com:1585322")
    assert record is not None and record.raw_format == "oai_dc" and record.normalized.title == "Sample Title"
    # Identify says day granularity: the watermark is the first page's responseDate cut to the day
    assert oai_status(store, "repo")["watermark"] == {"*": "2013-02-27"}


def test_no_records_match_is_zero_records_not_a_failure(store: RecordStore) -> None:
    with serving(replay_handler({"": "sickle/noRecordsMatch.xml"})) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="oai_dc"))
    assert counts["read"] == 0 and counts["pages"] == 1
    assert oai_status(store, "repo")["last_run_status"] == "ok"


def test_folio_no_records_match_after_a_token_ends_the_list(store: RecordStore) -> None:
    pages = {"": "folio/oai-response-1.xml", "MzM5OzE7Ozt2MS4w": "folio/oai-response-2.xml"}
    with serving(replay_handler(pages)) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="marc21", sets=("339",)))
    assert counts["new"] == 3 and counts["deleted_headers"] == 1 and counts["pages"] == 2
    assert all(store.get(i).raw_format == "marcxml" for i in live_records(store))


def test_completelistsize_shortfall_is_reported(store: RecordStore) -> None:
    pages = {"": "sickle/ListRecords.xml", "ListRecords2.xml": "sickle/ListRecords4.xml"}
    with serving(replay_handler(pages)) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="oai_dc"))
    assert counts["shortfall"] == 4  # completeListSize=8, four headers listed
    assert any("completeListSize shortfall" in e for e in oai_status(store, "repo")["errors"])


def test_empty_final_token_ends_the_chain(store: RecordStore) -> None:
    pages = {"": "traject/oai-pmh-one-record-first.xml",
             "dummy_resumption": "traject/oai-pmh-one-record-2.xml"}
    with serving(replay_handler(pages)) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="oai_dc"))
        assert len(server.list_requests()) == 2
    assert counts["new"] == 2 and counts["shortfall"] == 0


def test_pennstate_page_with_invalid_utf8_is_retried_then_recovered_without_loss(store: RecordStore) -> None:
    pages = {"": "folio/pennstate-bad-rec-20221216.xml.gz"}
    pages[token_of(pages[""])] = "folio/oai-response-2.xml"
    with serving(replay_handler(pages)) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="marc21"))
        first_page_fetches = [r for r in server.list_requests() if "resumptionToken" not in r]
    assert len(first_page_fetches) == 2, "a page that is not well-formed is fetched again before recovery"
    assert counts["recovered_pages"] == 1
    assert counts["read"] == 300 and counts["new"] + counts["quarantined"] == 300
    assert counts["new"] >= 299
    assert counts["shortfall"] == 3659107 - 300
    assert any("recovered a page" in e for e in oai_status(store, "repo")["errors"])


def test_folio_tag_mismatch_page_is_recovered_with_every_header(store: RecordStore) -> None:
    pages = {"": "folio/oai-response-5.xml", "MzM5OzE7Ozt2MS4w": "folio/oai-response-2.xml"}
    with serving(replay_handler(pages)) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="marc21"))
    assert counts["recovered_pages"] == 1
    assert counts["deleted_headers"] == 2 and counts["new"] == 1


@pytest.mark.parametrize(
    "page", ["pyoai/fake3-identify-tag-mismatch.xml", "pyoai/fake4-identify-undefined-entity.xml",
             "sickle/ListRecordsBroken.xml"],
)
def test_unrecoverable_page_is_quarantined_with_its_url_and_the_source_stops(
    store: RecordStore, page: str
) -> None:
    broken = {"on": True}
    good = replay_handler(SICKLE_CHAIN)
    bad = replay_handler({**SICKLE_CHAIN, "ListRecords2.xml": page})

    def handler(params: dict[str, str]) -> Reply:
        return bad(params) if broken["on"] else good(params)

    with serving(handler) as server:
        source = oai_source(server.url, prefix="oai_dc")
        with pytest.raises(BadFeed, match="not well-formed"):
            run_harvest(store, source)
        broken_fetches = [r for r in server.list_requests() if r.get("resumptionToken") == "ListRecords2.xml"]
        assert len(broken_fetches) == 2
        entries = [q for q in store.quarantined("repo") if q.file == "oai-page"]
        assert len(entries) == 1 and "resumptionToken=ListRecords2.xml" in entries[0].position
        assert entries[0].raw == read_data(page)
        status = oai_status(store, "repo")
        assert status["quarantined_pages"] == 1 and status["last_run_status"] == "failed"
        # the first page is stored and the checkpoint still points at the broken page: nothing skipped
        assert "repo:oai:test.example.com:1585322" in live_records(store)
        assert status["checkpoint"] is not None and "token yes" in status["checkpoint"]

        broken["on"] = False  # the server is mended: the rerun resumes at the page that was broken
        before = len(server.list_requests())
        counts = run_harvest(store, source)
        assert server.list_requests()[before].get("resumptionToken") == "ListRecords2.xml"
    assert counts["pages"] == 3 and oai_status(store, "repo")["quarantined_pages"] == 0


@pytest.mark.parametrize("answer, code", [("sickle/badArgument.xml", "badArgument"),
                                          ("sickle/cannotDisseminateFormat.xml", "cannotDisseminateFormat")])
def test_oai_error_answers_fail_the_source_with_the_code(store: RecordStore, answer: str, code: str) -> None:
    with serving(replay_handler({"": answer})) as server:
        with pytest.raises(BadFeed, match=code):
            run_harvest(store, oai_source(server.url, prefix="oai_dc"))


def test_bad_resumption_token_restarts_the_window_not_the_harvest(store: RecordStore) -> None:
    answered = {"bad": 0}
    inner = replay_handler(SICKLE_CHAIN)

    def handler(params: dict[str, str]) -> Reply:
        if params.get("resumptionToken") == "ListRecords3.xml" and answered["bad"] == 0:
            answered["bad"] += 1
            return Reply(read_data("sickle/badResumptionToken.xml"))
        return inner(params)

    with serving(handler) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="oai_dc"))
        tokens = [r.get("resumptionToken") for r in server.list_requests()]
    assert tokens == [None, "ListRecords2.xml", "ListRecords3.xml",
                      None, "ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"]
    assert counts["pages"] == 6
    assert any("badResumptionToken" in e for e in oai_status(store, "repo")["errors"])


def test_a_token_that_is_always_bad_gives_up_with_a_clear_error(store: RecordStore) -> None:
    with serving(replay_handler({"": "sickle/ListRecords.xml"})) as server:
        with pytest.raises(BadFeed, match="restarted 3 times"):
            run_harvest(store, oai_source(server.url, prefix="oai_dc"))
        assert len(server.list_requests()) == 8


def test_mods_page_maps_titles_names_and_links(store: RecordStore) -> None:
    pages = {"": "dpla/oai-page.xml"}
    token = token_of("dpla/oai-page.xml")
    pages[token] = "folio/oai-response-2.xml"
    with serving(replay_handler(pages)) as server:
        counts = run_harvest(store, oai_source(server.url, prefix="mods", sets=("botanicals",)))
    assert counts["new"] == 10
    record = store.get("repo:" + sorted(i.split(":", 1)[1] for i in live_records(store))[0])
    assert record is not None and record.raw_format == "mods" and record.normalized.title
    links = [link for i in live_records(store) for link in store.get(i).normalized.links]
    assert any(link.resource for link in links) and any(not link.resource for link in links)


@pytest.mark.parametrize("workers", [1, 2])
def test_alma_marc21_page_goes_through_the_marc_rules(store: RecordStore, workers: int) -> None:
    """Inline and in worker processes (pages of ≥ parallel_threshold records): the same result."""
    pages = {"": "vufind/marc.xml.gz", "fakeresumptiontoken": "folio/oai-response-2.xml"}
    with serving(replay_handler(pages)) as server:
        source = oai_source(server.url, prefix="marc21", workers=workers, parallel_threshold=50)
        counts = run_harvest(store, source)
    assert counts["read"] == 100 and counts["new"] + counts["quarantined"] == 100 and counts["new"] >= 95
    records = [store.get(i) for i in live_records(store)]
    assert all(r.raw_format == "marcxml" and r.normalized.title for r in records)
    assert all(r.normalized.holdings and r.normalized.holdings[0].library_code == "REPO" for r in records)


def test_a_well_formed_page_that_is_not_oai_pmh_is_not_read_as_an_empty_list(store: RecordStore) -> None:
    """A proxy's HTML error page (HTTP 200) must not end the harvest as if the list were complete."""
    login = b"<html><head><title>Sign in</title></head><body><p>Session expired</p></body></html>"

    def handler(params: dict[str, str]) -> Reply:
        if params.get("resumptionToken") == "ListRecords2.xml":
            return Reply(login)
        return replay_handler(SICKLE_CHAIN)(params)

    with serving(handler) as server:
        with pytest.raises(BadFeed, match="not an OAI-PMH"):
            run_harvest(store, oai_source(server.url, prefix="oai_dc"))
    [page] = [q for q in store.quarantined("repo") if q.file == "oai-page"]
    assert page.raw == login and oai_status(store, "repo")["checkpoint"] is not None


def test_an_answer_without_the_verb_element_is_an_error_not_an_empty_list(store: RecordStore) -> None:
    hollow = (b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
              b"<responseDate>2024-01-01T00:00:00Z</responseDate><request>x</request></OAI-PMH>")

    def handler(params: dict[str, str]) -> Reply:
        if params.get("resumptionToken") == "ListRecords2.xml":
            return Reply(hollow)
        return replay_handler(SICKLE_CHAIN)(params)

    with serving(handler) as server:
        with pytest.raises(BadFeed, match="neither <ListRecords> nor <error>"):
            run_harvest(store, oai_source(server.url, prefix="oai_dc"))
