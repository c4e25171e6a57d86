"""The analytics pages over the web UI's test catalog: HTML with charts beside tables, JSON, CSV.

The catalog (`tests/search_ui/dataset.py`) was built by the real index run, which also computed the
figures; these tests read them through the app the way a collection librarian or a script would.
"""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

from harvester.settings import parse_settings
from indexer.catalog import Catalog
from search_ui.app import create_app
from tests.search_ui.html import texts, tree

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def test_overview_page_charts_tables_and_links(client: TestClient) -> None:
    response = client.get("/analytics")
    assert response.status_code == 200
    doc = tree(response)
    data = client.get("/analytics.json").json()
    assert data["titles"] > 40 and data["members"] == 4
    charts = doc.xpath("//svg[@role='img']")
    assert len(charts) >= 4 and all(c.xpath("./title") and c.xpath("./desc") for c in charts)
    assert doc.xpath("//svg//rect") and not doc.xpath("//script")
    held = {row["name"]: row["held"] for row in data["libraries"]}
    cells = texts(doc, "//section[@aria-labelledby='members-h']//tbody/tr/td[1]")
    assert sorted(int(c.replace(",", "")) for c in cells) == sorted(held.values())
    links = doc.xpath("//section[@aria-labelledby='members-h']//tbody/tr/td[2]/a/@href")
    assert links and all(link.startswith("/search?") and "held_by_count=1" in link for link in links)
    assert doc.xpath("//nav[@aria-label='Main']//a[@href='/analytics'][@aria-current='page']")


def test_each_linked_number_on_the_page_is_its_search_total(client: TestClient) -> None:
    doc = tree(client.get("/analytics"))
    anchors = [a for a in doc.xpath("//main//td/a") if a.get("href", "").startswith("/search?")]
    assert len(anchors) > 20
    for anchor in anchors[:60]:
        total = client.get(anchor.get("href").replace("/search?", "/search.json?", 1)).json()["total"]
        assert total == int(anchor.text_content().replace(",", "")), anchor.get("href")


def test_json_and_csv_twins_agree(client: TestClient) -> None:
    data = client.get("/analytics.json").json()
    response = client.get("/analytics.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    held = {r["library"]: int(r["count"]) for r in rows if r["table"] == "member" and r["measure"] == "held"}
    assert held == {m["code"]: m["held"] for m in data["libraries"]}


def test_library_page_and_titles_csv(client: TestClient) -> None:
    data = client.get("/analytics/library/NOR.json").json()
    assert data["name"] == "North University" and data["held"] >= data["unique"] > 0
    doc = tree(client.get("/analytics/library/NOR"))
    assert "North University" in texts(doc, "//h1")[0]
    assert doc.xpath("//section[@aria-labelledby='overlap-h']//svg[@role='img']")
    listing = client.get("/analytics/titles.csv", params={"library": "NOR", "held_by": "1"})
    rows = list(csv.DictReader(io.StringIO(listing.text)))
    assert len(rows) == data["unique"] and all(r["libraries"] == "NOR" for r in rows)
    assert client.get("/analytics/library/NOR.csv").text.startswith("table,library,name")
    assert client.get("/analytics/library/NOPE").status_code == 404
    assert client.get("/analytics/library/NOPE.json").json()["error"]["status"] == 404
    assert client.get("/analytics/titles.csv", params={"dimension": "colour"}).status_code == 400


def test_retention_view(client: TestClient) -> None:
    one = client.get("/analytics/retention.json", params={"at_most": "1"}).json()
    two = client.get("/analytics/retention.json", params={"at_most": "2"}).json()
    overview = client.get("/analytics.json").json()
    by_k = {r["held_by"]: r["titles"] for r in overview["distribution"]}
    assert one["titles"] == by_k[1] and two["titles"] == by_k[1] + by_k.get(2, 0)
    assert one["online"] is False and one["digital"] == []  # no digital collection in this catalog
    doc = tree(client.get("/analytics/retention", params={"at_most": "2", "online": "1"}))
    assert doc.xpath("//select[@id='at_most']/option[@selected]/@value") == ["2"]
    assert "No digital collection is configured" in doc.text_content()
    assert client.get("/analytics/retention.csv", params={"at_most": "abc"}).status_code == 200


def test_feed_health(client: TestClient) -> None:
    data = client.get("/analytics/feeds.json").json()
    east = next(s for s in data["sources"] if s["id"] == "east")
    assert east["last_run"]["status"] == "failed" and east["failed_since_success"] == 1
    assert east["last_success"] is not None
    assert east["quarantine_by_reason"] == [
        {"kind": "unreadable", "reason": "leader length N does not match … data", "count": 1}
    ]
    doc = tree(client.get("/analytics/feeds"))
    assert doc.xpath("//section[@class='feed']//svg[@role='img']")
    assert "feed truncated at byte 4096" in doc.text_content()
    assert client.get("/analytics/feeds.csv").text.startswith("source,run,status")


def test_pages_say_when_nothing_was_computed_yet(tmp_path: Path) -> None:
    settings = parse_settings({"data_dir": "var", "sources": []}, tmp_path / "unioncat.toml")
    catalog = Catalog.open(settings)
    try:
        with TestClient(create_app(settings, catalog)) as client:
            page = client.get("/analytics")
            assert page.status_code == 503 and "run `unioncat index`" in page.text
            assert client.get("/analytics.json").json()["error"]["status"] == 503
            assert client.get("/analytics/feeds").status_code == 200
    finally:
        catalog.close()

