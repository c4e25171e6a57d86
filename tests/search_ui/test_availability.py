"""Availability in result lists and /search.json, and the Availability facet ("Online access").

From the dataset: Moby Dick is lendable and on the shelf at North (and lendable at South, checked out),
the Journal lendable at North only; West's copy is not lendable, so it never counts.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from harvester.record import Holding
from indexer.lenders import BORROW_FACET, ONLINE_FACET, availability
from tests.search_ui.html import texts, tree


def test_availability_counts_libraries_that_lend_a_copy_not_known_to_be_out() -> None:
    on_shelf = Holding("A", lendable=True, available=True)
    unknown_shelf = Holding("B", lendable=True)
    out = Holding("C", lendable=True, available=False)
    reference = Holding("D", lendable=False, available=True)
    bare = Holding("E", kind="held")
    assert availability([on_shelf, unknown_shelf, out, reference, bare]).libraries == 2
    assert availability([on_shelf, unknown_shelf]).text == "Available to borrow at 2 libraries"
    online = availability([on_shelf, Holding("F", kind="online", lendable=False)])
    assert online.text == "Available to borrow at 1 library / online"
    assert online.facet_values == [BORROW_FACET, ONLINE_FACET]
    assert availability([bare], online_link=True).text == "Online access"
    assert availability([bare, reference]).text == "" and availability([bare]).facet_values == []


def test_results_and_json_say_where_it_can_be_borrowed(client: TestClient) -> None:
    doc = tree(client.get("/search", params={"q": "moby dick"}))
    assert texts(doc, "//li[@class='hit']//p[@class='availability']") == ["Available to borrow at 1 library"]
    [hit] = client.get("/search.json", params={"q": "moby dick"}).json()["hits"]
    assert hit["availability"] == {"libraries": 1, "online": False, "text": "Available to borrow at 1 library"}


def test_the_availability_facet_filters_results(client: TestClient) -> None:
    data = client.get("/search.json", params={"q": ""}).json()
    values = {f["value"]: f["count"] for f in data["facets"]["access"]}
    assert values.get(BORROW_FACET, 0) >= 2
    narrowed = client.get("/search.json", params={"access": BORROW_FACET}).json()
    assert narrowed["total"] == values[BORROW_FACET]
    assert all(h["availability"]["libraries"] >= 1 for h in narrowed["hits"])
    doc = tree(client.get("/search", params={"q": "moby"}))
    assert texts(doc, "//fieldset[@id='facet-access']/legend") == ["Availability"]
