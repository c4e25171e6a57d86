"""Feed status for partners: counts per source, the last run with its error, the quarantine with reasons."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.search_ui.html import texts, tree


def test_feed_status_per_source(client: TestClient) -> None:
    doc = tree(client.get("/partners"))
    rows = {
        r[0].split(" (")[0]: r
        for r in (texts(tr, "./th|./td") for tr in doc.xpath("//table[@class='partners']/tbody/tr"))
    }
    assert set(rows) == {
        "North University catalog",
        "South College catalog",
        "East Public Library catalog",
        "West Institute catalog",
        "Consortium OAI feed",
    }
    feed = rows["Consortium OAI feed"]  # configured, never harvested
    assert feed[0] == "Consortium OAI feed (feed, oai-pmh)" and feed[2] == "0" and feed[6].startswith("never")
    north = rows["North University catalog"]
    assert north[1:6] == ["North University", "15", "0", "0", "0"]
    east = rows["East Public Library catalog"]
    assert east[5] == "1"  # quarantined
    assert east[6].startswith("failed") and "feed truncated at byte 4096" in east[6]
    assert rows["South College catalog"][6].startswith("ok")


def test_quarantine_list_with_reasons(client: TestClient) -> None:
    doc = tree(client.get("/partners"))
    link = doc.xpath("//a[@href='#quarantine-east']")[0]
    assert link.text_content() == "1"
    section = doc.get_element_by_id("quarantine-east")
    rows = [texts(tr, "./td") for tr in section.xpath(".//tbody/tr")]
    assert [r[:4] for r in rows] == [
        ["east.mrc", "record 7", "", "leader length 99999 does not match <bad> data"]
    ]


def test_partners_json_twin(client: TestClient) -> None:
    sources = {s["id"]: s for s in client.get("/partners.json").json()["sources"]}
    assert sources["east"]["quarantine"][0]["reason"].startswith("leader length")
    assert sources["east"]["last_run"]["status"] == "failed"
    assert sources["north"]["records"] == 15 and sources["north"]["quarantine"] == []


def test_nested_status_reads_as_one_line() -> None:
    from search_ui.templating import plain

    status = {
        "watermark": {"2026": "2026-11-24T10:00:00Z"},
        "errors": ["timeout", ""],
        "retries": 0,
        "checkpoint": None,
        "last_run_status": "ok",
    }
    assert plain(status) == "errors: timeout; last run status: ok; watermark: 2026: 2026-11-24T10:00:00Z"


def test_how_each_feed_was_read(client: TestClient) -> None:
    doc = tree(client.get("/partners"))
    rows = {r[0]: r for r in (texts(tr, "./th|./td") for tr in doc.xpath("//table[@class='partners-ingest']/tbody/tr"))}
    assert rows["North University catalog"][1:7] == ["15", "0", "0", "0", "0", "none"]
    assert rows["East Public Library catalog"][6].startswith("1 × leader length 99999 does not match <bad> data")
    assert rows["Consortium OAI feed"][1:3] == ["0", "0"]  # configured, never harvested
    sources = {s["id"]: s for s in client.get("/partners.json").json()["sources"]}
    assert sources["east"]["quarantined_by_reason"][0]["count"] == 1
    assert sources["north"]["repaired"] == 0 and sources["north"]["derived_ids"] == 0


def test_unmapped_codes_are_listed_per_source_with_counts(client: TestClient) -> None:
    doc = tree(client.get("/partners"))
    section = doc.xpath("//section[@id='unmapped-east']")[0]
    assert texts(section, ".//h2") == ["Unmapped codes from East Public Library catalog (2)"]
    rows = [texts(tr, "./td") for tr in section.xpath(".//tbody/tr")]
    assert rows == [["item type", "7", "1"], ["location", "Reference", "1"]]
    assert not doc.xpath("//section[@id='unmapped-north']")  # nothing unmapped, nothing listed
    data = client.get("/partners.json").json()["sources"]
    east = next(s for s in data if s["id"] == "east")
    assert east["unmapped"] == [{"code": "item_type:7", "holdings": 1}, {"code": "location:Reference", "holdings": 1}]
    assert east["unmapped_total"] == 2
