"""Browse lists, autocomplete, heading links, and what the record page adds: similar items, a
permalink, "back to results" and links into the browse lists."""

from __future__ import annotations

from starlette.testclient import TestClient

from indexer.labels import format_label, language_name
from indexer.search.analysis import heading_key
from tests.search_ui.dataset import Dataset
from tests.search_ui.html import params, texts, tree


def test_author_browse_is_alphabetical_with_counts_and_links(client: TestClient) -> None:
    doc = tree(client.get("/browse/author"))
    headings = texts(doc, "//table[@class='browse-list']//td[1]")
    assert headings[:3] == ["Abbott, Pat", "Archer, Pat", "Baker, Pat"]
    assert headings == sorted(headings, key=heading_key)
    assert len(headings) == 25 and texts(doc, "//table[@class='browse-list']//td[2]")[0] == "1"
    first = doc.xpath("//table[@class='browse-list']//td[1]/a")[0].get("href")
    found = client.get(first.replace("/search", "/search.json")).json()
    assert found["total"] == 1 and found["hits"][0]["authors"] == ["Abbott, Pat"]


def test_browse_pages_and_jumps(client: TestClient) -> None:
    first = tree(client.get("/browse/author"))
    nxt = first.xpath("//nav[@aria-label='Browse pages']//a[@rel='next']")[0].get("href")
    second = tree(client.get(nxt))
    assert texts(second, "//table//td[1]")[0] not in texts(first, "//table//td[1]")
    assert second.xpath("//a[@rel='prev']")
    jumped = tree(client.get("/browse/author", params={"from": "melville"}))
    rows = texts(jumped, "//table//td[1]")
    assert rows[0] == "Melville, Herman"
    near = tree(client.get("/browse/author", params={"from": "Melz"}))
    assert "the list continues with the nearest heading" in near.text_content()
    assert texts(near, "//table//td[1]")[0] > "Melz"
    data = client.get("/browse/subject.json", params={"from": "whaling"}).json()
    assert data["rows"][0]["heading"] == "Whaling -- Fiction" and data["exact"] is False


def test_a_jump_past_the_end_shows_the_last_page(client: TestClient) -> None:
    whole = client.get("/browse/author.json").json()["total_headings"]
    data = client.get("/browse/author.json", params={"from": "zzzz zzzz"}).json()
    assert data["rows"] and data["position"] == max(0, whole - 25) and not data["next"]
    assert data["exact"] is False


def test_call_number_browse_is_in_shelf_order(client: TestClient) -> None:
    data = client.get("/browse/callnumber.json").json()
    calls = [row["heading"] for row in data["rows"]]
    assert calls[0] == "813.3 MEL"  # class numbers before letters
    shelf = [row["heading"] for row in client.get("/browse/callnumber.json", params={"from": "CALL H8"}).json()["rows"]]
    assert shelf[:3] == ["CALL H8", "CALL H9", "CALL H10"]  # 9 before 10: shelf order, not text order
    found = client.get(data["rows"][0]["url"].replace("/search", "/search.json")).json()
    assert found["total"] == data["rows"][0]["count"]
    assert client.get("/browse/shelves").status_code == 404


def test_autocomplete_json_and_its_no_js_page(client: TestClient) -> None:
    data = client.get("/autocomplete.json", params={"q": "melv"}).json()
    values = [(s["kind"], s["value"]) for s in data["suggestions"]]
    assert ("author", "Melville, Herman") in values
    hist = client.get("/autocomplete.json", params={"q": "A hist", "field": "title"}).json()["suggestions"]
    assert hist and all(s["kind"] == "title" and s["value"].startswith("A history") for s in hist)
    assert client.get("/autocomplete.json", params={"q": "m"}).json()["suggestions"] == []
    page = tree(client.get("/autocomplete", params={"q": "melv"}))
    link = page.xpath("//ul[@class='suggestions']//a")[0]
    assert link.text_content() == "Melville, Herman"
    assert ("author_heading", "Melville, Herman") in params(link.get("href"))


def test_heading_filter_shows_as_a_removable_chip(client: TestClient) -> None:
    doc = tree(client.get("/search", params={"author_heading": "Melville, Herman"}))
    assert texts(doc, "//h1[@id='results-heading']")[0].startswith("1 result")
    chip = doc.xpath("//a[contains(@class, 'chip') and contains(., 'Melville, Herman')]")[0]
    assert params(chip.get("href")) == []


def test_record_page_has_similar_items_permalink_back_link_and_browse_links(
    client: TestClient, dataset: Dataset
) -> None:
    history = client.get("/search.json", params={"q": "history rivers"}).json()["hits"][0]["id"]
    doc = tree(client.get(f"/record/{history}", headers={"referer": "http://testserver/search?q=rivers"}))
    similar = texts(doc, "//section[@id='similar']//ul[@class='similar']/li/a")
    assert similar and all(title.startswith("A history of") for title in similar)  # shared subject "History"
    assert doc.xpath("//input[@id='permalink']")[0].get("value") == f"http://testserver/record/{history}"
    assert doc.xpath("//a[@id='back-to-results']")[0].get("href") == "/search?q=rivers"
    browse = [a.get("href") for a in doc.xpath("//ul[contains(@class, 'browse-links')]//a")]
    assert any(h.startswith("/browse/author?from=") for h in browse)
    assert any(h.startswith("/browse/callnumber?from=CALL") for h in browse)
    elsewhere = tree(client.get(f"/record/{history}", headers={"referer": "https://evil.example/search?q=x"}))
    assert not elsewhere.xpath("//a[@id='back-to-results']")


def test_labels_are_display_forms_and_made_once() -> None:
    assert language_name("fro") == "Old French" and language_name("grc") == "Ancient Greek"
    assert language_name("gmh") == "Middle High German" and language_name("fre") == "French"
    assert format_label("e-book") == "E-book" and format_label(format_label("e-book")) == "E-book"
