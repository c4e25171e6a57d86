"""The record permalink: merged metadata, every library's holdings, links, members, raw MARC, staff view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from harvester.store.staff import StaffStore
from indexer.catalog import Catalog
from search_ui.app import create_app
from search_ui.staff.passwords import hash_password
from tests.search_ui.dataset import Dataset
from tests.search_ui.html import texts, tree
from tests.search_ui.test_staff_session import PASSWORD, token_of


def test_record_page_shows_holdings_of_every_library(client: TestClient, dataset: Dataset) -> None:
    doc = tree(client.get(f"/record/{dataset.moby}"))
    assert texts(doc, "//h1") == ["Moby Dick"]
    rows = [texts(tr, "./th|./td") for tr in doc.xpath("//table[@class='holdings']/tbody/tr")]
    assert rows == [
        ["East Public Library", "Reference (codes not in the library's map)", "813.3 MEL", "1", "Library use only",
         "Not lendable (status Library use only)", ""],
        ["North University", "Main stacks", "CALL M1", "1", "Available", "Lendable (status Available)", ""],
        ["South College", "Annex", "PS2384 .M6", "2", "Checked out", "Lendable (status Checked out)", ""],
    ]
    assert [th.text_content() for th in doc.xpath("//table[@class='holdings']/thead//th")] == [
        "Library",
        "Location",
        "Call number",
        "Copies",
        "Status",
        "Lending",
        "Notes",
    ]
    summary = texts(doc, "//li[@class='lib-summary']")
    assert "South College: 2 copies in item records; 2 lendable" in summary
    assert "East Public Library: 1 copy in item records; 1 not lendable" in summary
    assert texts(doc, "//header//p[@class='held']")[0].startswith("Held by 3 libraries")


def test_record_page_shows_merged_metadata(client: TestClient, dataset: Dataset) -> None:
    doc = tree(client.get(f"/record/{dataset.moby}"))
    meta = dict(zip(texts(doc, "//dl[@class='meta']/dt"), texts(doc, "//dl[@class='meta']/dd"), strict=True))
    assert meta["ISBN"] == "9780142437247" and meta["Language"] == "English"
    assert meta["Edition"] == "Penguin classics ed." and meta["Published"] == "Penguin, 1851"
    assert meta["Subjects"] == "Whaling -- Fiction"
    author = doc.xpath("//dl[@class='meta']//a[text()='Melville, Herman']")[0]
    search = client.get(author.get("href").replace("/search", "/search.json")).json()
    assert search["query"] == 'author:"Melville, Herman"' and search["total"] == 1
    subject = doc.xpath("//dl[@class='meta']//a[text()='Whaling -- Fiction']")[0]
    search = client.get(subject.get("href").replace("/search", "/search.json")).json()
    assert search["query"] == 'subject:"Whaling -- Fiction"' and search["total"] == 1


def test_only_web_links_become_links(client: TestClient, dataset: Dataset) -> None:
    doc = tree(client.get(f"/record/{dataset.moby}"))
    hrefs = [a.get("href") for a in doc.xpath("//section[@aria-labelledby='links-heading']//a")]
    assert hrefs == ["https://example.org/moby"]  # the javascript: 856 is dropped
    assert not doc.xpath("//a[starts-with(@href, 'javascript')]")


@pytest.fixture
def staff_client(dataset: Dataset, catalog: Catalog) -> Iterator[TestClient]:
    """The app as a signed-in staff member sees it (signed in through the sign-in form)."""
    StaffStore(catalog.store).add("tester", hash_password(PASSWORD))
    app = create_app(dataset.settings, catalog)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=True) as test_client:
        form = {"csrf_token": token_of(test_client), "name": "tester", "password": PASSWORD}
        assert test_client.post("/staff/sign-in", data=form, follow_redirects=False).status_code == 303
        yield test_client


def test_members_with_raw_marc_inline_and_on_their_own_page(staff_client: TestClient, dataset: Dataset) -> None:
    client = staff_client
    doc = tree(client.get(f"/record/{dataset.moby}"))
    members = doc.xpath("//ul[@class='members']/li")
    assert len(members) == 3
    assert sorted(m.xpath(".//code")[0].text for m in members) == ["east:m3", "north:m1", "south:m2"]
    assert len(doc.xpath("//ul[@class='members']//span[@class='badge' and text()='base record']")) == 1
    raw = members[0].xpath(".//details/pre")[0].text_content()
    assert "=245  10$a" in raw and "=852" in raw
    link = members[0].xpath(".//a[starts-with(text(), 'Raw record page')]")[0].get("href")
    page = tree(client.get(link))
    assert "=001  " in page.xpath("//pre")[0].text_content()
    assert page.xpath(f"//a[@href='/record/{dataset.moby}']")


def test_raw_marc_is_for_staff_only(client: TestClient, dataset: Dataset) -> None:
    doc = tree(client.get(f"/record/{dataset.moby}"))
    assert not doc.xpath("//ul[@class='members']//details") and not doc.xpath("//a[contains(@href, '/raw/')]")
    assert client.get(f"/record/{dataset.moby}/raw/north:m1").status_code == 403


def test_raw_view_only_for_members_of_the_cluster(staff_client: TestClient, dataset: Dataset) -> None:
    client = staff_client
    assert client.get(f"/record/{dataset.moby}/raw/north:m1").status_code == 200
    assert client.get(f"/record/{dataset.moby}/raw/west:x1").status_code == 404  # not a member
    assert client.get(f"/record/{dataset.moby}/raw/nope:1").status_code == 404
    assert client.get("/record/cmissing/raw/north:m1").status_code == 404


def test_retired_cluster_id_redirects_permanently(client: TestClient, dataset: Dataset) -> None:
    response = client.get(f"/record/{dataset.retired}", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == f"/record/{dataset.survivor}"
    followed = client.get(f"/record/{dataset.retired}")
    assert texts(tree(followed), "//h1") == ["Whales of the north"]
    twin = client.get(f"/record/{dataset.retired}.json", follow_redirects=False)
    assert twin.status_code == 301 and twin.headers["location"] == f"/record/{dataset.survivor}.json"


def test_unknown_record_is_404_page_and_json(client: TestClient) -> None:
    page = client.get("/record/c0000000000000000")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert texts(tree(page), "//h1")[0].startswith("Not Found")
    data = client.get("/record/c0000000000000000.json")
    assert data.status_code == 404
    assert data.json() == {"error": {"status": 404, "message": "No record with id c0000000000000000."}}


def test_record_json_twin(client: TestClient, dataset: Dataset) -> None:
    data = client.get(f"/record/{dataset.moby}.json").json()
    assert data["id"] == dataset.moby and data["base_id"] in {"north:m1", "south:m2", "east:m3"}
    assert data["libraries"] == ["East Public Library", "North University", "South College"]
    assert {m["record_id"] for m in data["members"]} == {"north:m1", "south:m2", "east:m3"}
    assert {h["library_name"] for h in data["record"]["holdings"]} == set(data["libraries"])
    assert data["record"]["isbns"] == ["9780142437247"]


def test_staff_explanation_of_the_merge(client: TestClient, dataset: Dataset, catalog: Catalog) -> None:
    doc = tree(client.get(f"/record/{dataset.moby}"))
    link = doc.xpath("//section[@id='why']//a")[0].get("href")
    assert link == "?explain=1#why"
    explained = tree(client.get(f"/record/{dataset.moby}?explain=1"))
    headings = texts(explained, "//div[@class='explanation']/h3")
    assert len(headings) == 2 and all("same item" in h for h in headings)
    merged = catalog.record(dataset.moby)
    assert merged is not None
    other = next(m.record_id for m in merged.members if m.record_id != merged.base_id)
    expected = catalog.explain(merged.base_id, other)
    assert expected.reasons  # the matcher gives its evidence, and the page shows every reason
    shown = texts(explained, f"//div[@class='explanation'][h3/code[2]='{other}']//li")
    assert [s.split(":", 1)[0] for s in shown] == [r.rule for r in expected.reasons]
    assert all(r.detail in s for r, s in zip(expected.reasons, shown, strict=True))
    why = explained.get_element_by_id("why")
    provenance = dict(zip(texts(why, ".//dl/dt"), texts(why, ".//dl/dd"), strict=True))
    assert provenance == {name: ", ".join(ids) for name, ids in merged.provenance.items()}
    assert set(provenance["holdings"].split(", ")) == {"north:m1", "south:m2", "east:m3"}
    single = tree(client.get(f"/record/{dataset.xss}"))
    assert "nothing was merged" in single.xpath("//section[@id='why']")[0].text_content()
