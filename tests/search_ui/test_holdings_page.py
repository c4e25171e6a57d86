"""The ILL holdings check page and its JSON and CSV twins."""

from __future__ import annotations

import csv
import io

from starlette.testclient import TestClient

from tests.search_ui.dataset import Dataset
from tests.search_ui.html import texts, tree

PASTED = "0-14-243724-7 (pbk.)\n0317-8471\nnot-a-number\n\n(OCoLC)ocm01234567"


def test_form_has_a_labelled_textarea_and_posts(client: TestClient) -> None:
    doc = tree(client.get("/holdings"))
    assert doc.xpath("//label[@for='ids']") and doc.xpath("//textarea[@id='ids' and @name='ids']")
    assert doc.xpath("//form[@action='/holdings' and @method='post']")
    assert not doc.xpath("//section[@class='answer']")


def test_post_a_pasted_list_answers_every_identifier(client: TestClient, dataset: Dataset) -> None:
    doc = tree(client.post("/holdings", data={"ids": PASTED}))
    answers = doc.xpath("//section[@class='answer']")
    assert [a.xpath("./h3")[0].text_content().split(" (")[0] for a in answers] == [
        "0-14-243724-7",
        "0317-8471",
        "not-a-number",
        "(OCoLC)ocm01234567",
    ]
    assert texts(doc, "//h2[@id='answers-heading']") == ["3 of 4 identifiers found"]
    moby = answers[0]
    assert "ISBN 9780142437247" in moby.xpath("./h3")[0].text_content()
    assert moby.xpath(".//a")[0].get("href") == f"/record/{dataset.moby}"
    rows = [texts(tr, "./th|./td") for tr in moby.xpath(".//tbody/tr")]
    assert [(r[0], r[2], r[5].split(" (")[0]) for r in rows] == [
        ("East Public Library", "813.3 MEL", "Not lendable"),
        ("North University", "CALL M1", "Lendable"),
        ("South College", "PS2384 .M6", "Lendable"),
    ]
    journal = answers[1]
    assert [(r[0], r[5].split(" (")[0]) for r in (texts(tr, "./th|./td") for tr in journal.xpath(".//tbody/tr"))] == [
        ("North University", "Lendable"),
        ("West Institute", "Not lendable"),
    ]
    assert "not an ISBN, ISSN, OCLC number or LCCN" in answers[2].text_content()
    assert "Whales of the north" in answers[3].text_content()
    assert doc.xpath("//textarea[@id='ids']")[0].text_content() == PASTED  # kept for editing


def test_get_with_ids_is_bookmarkable_and_links_csv_and_json(client: TestClient) -> None:
    doc = tree(client.get("/holdings", params={"ids": "9780142437247"}))
    assert texts(doc, "//h2[@id='answers-heading']") == ["1 of 1 identifiers found"]
    csv_link = doc.xpath("//a[starts-with(@href, '/holdings.csv?') and not(contains(@href, 'rows='))]")[0].get("href")
    response = client.get(csv_link)
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="holdings.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["library"], r["call_number"], r["lendable"]) for r in rows] == [
        ("East Public Library", "813.3 MEL", "no"),
        ("North University", "CALL M1", "yes"),
        ("South College", "PS2384 .M6", "yes"),
    ]
    json_link = doc.xpath("//a[starts-with(@href, '/holdings.json?')]")[0].get("href")
    assert client.get(json_link).json()["answers"][0]["kind"] == "isbn"


def test_json_twin(client: TestClient, dataset: Dataset) -> None:
    data = client.post("/holdings.json", data={"ids": "0317-8471\nxyz"}).json()["answers"]
    assert data[0]["normalized"] == "0317-8471" and data[0]["items"][0]["url"] == f"/record/{dataset.journal}"
    assert {h["library_name"]: h["lendable"] for h in data[0]["items"][0]["holdings"]} == {
        "North University": True,
        "West Institute": False,
    }
    assert data[1]["error"] and data[1]["items"] == []


def test_unheld_identifier_and_too_long_list(client: TestClient) -> None:
    doc = tree(client.get("/holdings", params={"ids": "9780306406158"}))  # bad checksum is not an ISBN
    assert doc.xpath("//section[@class='answer']//p[contains(@class,'notice')]")
    unheld = tree(client.get("/holdings", params={"ids": "978-0-262-03384-8"}))
    assert "not held by any library" in unheld.text_content().lower()
    assert texts(unheld, "//h2[@id='answers-heading']") == ["0 of 1 identifiers found"]
    many = "\n".join(str(n) for n in range(1000, 1600))
    response = client.post("/holdings", data={"ids": many})
    assert response.status_code == 400 and "Too many identifiers (600)" in response.text
    assert client.post("/holdings.json", data={"ids": many}).json()["error"]["status"] == 400
