"""SRU 1.2 and 2.0 at /sru over the shared test catalog: explain, searchRetrieve, scan, diagnostics."""

from __future__ import annotations

import io
from typing import Any

import pymarc
import pytest
from lxml import etree

from tests.search_ui.dataset import Dataset

SRU12 = "http://www.loc.gov/zing/srw/"
SRU20 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
NS = {"s": SRU12, "t": SRU20, "d": "http://www.loc.gov/zing/srw/diagnostic/",
      "d2": "http://docs.oasis-open.org/ns/search-ws/diagnostic", "marc": "http://www.loc.gov/MARC21/slim",
      "dc": "http://purl.org/dc/elements/1.1/", "z": "http://explain.z3950.org/dtd/2.0/"}


def sru(client: Any, **params: str) -> etree._Element:
    response = client.get("/sru", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    return etree.fromstring(response.content)


def diagnostic(root: etree._Element) -> int | None:
    uri = root.findtext(".//d:diagnostic/d:uri", namespaces=NS) or root.findtext(".//d2:diagnostic/d2:uri",
                                                                                   namespaces=NS)
    return int(uri.rsplit("/", 1)[1]) if uri else None


def search(client: Any, query: str, **params: str) -> etree._Element:
    return sru(client, operation="searchRetrieve", version="1.2", query=query, **params)


def test_explain_lists_indexes_and_schemas(client: Any) -> None:
    root = sru(client, operation="explain", version="1.2")
    assert root.tag == f"{{{SRU12}}}explainResponse"
    names = {(n.get("set"), n.text) for n in root.iterfind(".//z:index/z:map/z:name", NS)}
    assert {("dc", "title"), ("dc", "creator"), ("bath", "isbn"), ("rec", "id"), ("cql", "anywhere")} <= names
    schemas = {n.get("identifier") for n in root.iterfind(".//z:schema", NS)}
    assert "info:srw/schema/1/marcxml-v1.1" in schemas and "info:srw/schema/1/dc-v1.1" in schemas
    assert sru(client).tag == f"{{{SRU20}}}explainResponse", "a bare request is a 2.0 explain"


def test_crosslink_style_id_lookup_gives_marcxml_with_999_holdings(client: Any, dataset: Dataset) -> None:
    root = search(client, f'id="{dataset.moby}"', maximumRecords="1", recordSchema="info:srw/schema/1/marcxml-v1.1")
    assert root.findtext("s:numberOfRecords", namespaces=NS) == "1"
    [record] = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(root.find(".//marc:record", NS))))
    assert record["001"].data == dataset.moby
    assert {(f["s"], f["l"], f["p"]) for f in record.get_fields("999")} == {
        ("NOR", "m1", "lendable"), ("SOU", "m2", "lendable"), ("EAS", "m3", "not lendable")}


def test_id_lookup_follows_retired_ids_and_member_ids(client: Any, dataset: Dataset) -> None:
    moved = search(client, f"rec.id = {dataset.retired}", recordSchema="dc")
    assert moved.findtext(".//s:numberOfRecords", namespaces=NS) == "1"
    assert moved.findtext(".//dc:title", namespaces=NS) == "Whales of the north"
    member = search(client, "rec.id = north:m1 or rec.id = nobody", recordSchema="dc")
    assert member.findtext(".//dc:title", namespaces=NS) == "Moby Dick"
    assert search(client, "id = nothing-here").findtext("s:numberOfRecords", namespaces=NS) == "0"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dc.title = moby", 1),
        ('dc.creator = "melville"', 1),
        ("bath.isbn = 978-0-14-243724-7", 1),
        ("bath.issn = 0317-8471", 1),
        ("cql.anywhere = history", 45),
        ("dc.title = history and dc.date < 1960", 10),  # the 45 histories are from 1950, 1951, …
        ("dc.title = history and dc.date within \"1960 1964\"", 5),
        ('dc.title any "moby journal"', 2),
        ("dc.title = moby not dc.creator = melville", 0),
        ("dc.title = zzzzqqqq", 0),
    ],
)
def test_search_counts(client: Any, query: str, expected: int) -> None:
    root = search(client, query, maximumRecords="0")
    assert diagnostic(root) is None, etree.tostring(root)
    assert int(root.findtext("s:numberOfRecords", namespaces=NS)) == expected


def test_near_miss_is_no_record_not_a_fuzzy_guess(client: Any) -> None:
    """A typo the search box would forgive must not give a protocol client a false "held"."""
    assert search(client, "dc.title = mobbydick").findtext("s:numberOfRecords", namespaces=NS) == "0"


def test_paging_covers_every_record_once(client: Any) -> None:
    seen: list[str] = []
    start = 1
    for _ in range(20):
        root = search(client, "cql.anywhere = history", startRecord=str(start), maximumRecords="7", recordSchema="dc")
        positions = [int(n.text) for n in root.iterfind(".//s:recordPosition", NS)]
        assert positions == list(range(start, start + len(positions)))
        seen += [n.text for n in root.iterfind(".//dc:title", NS)]
        following = root.findtext("s:nextRecordPosition", namespaces=NS)
        if not following:
            break
        start = int(following)
    assert len(seen) == 45 == len(set(seen))


def test_sru_2_0_and_string_packing(client: Any, dataset: Dataset) -> None:
    root = sru(client, version="2.0", query=f"rec.id = {dataset.journal}", recordXMLEscaping="string")
    assert root.tag == f"{{{SRU20}}}searchRetrieveResponse"
    data = root.findtext(".//t:recordData", namespaces=NS)
    assert data.startswith("<marc:record") and "Journal of testing" in data
    assert root.findtext(".//t:recordXMLEscaping", namespaces=NS) == "string"


def test_scan_isbns(client: Any) -> None:
    root = sru(client, operation="scan", version="1.2", scanClause="bath.isbn = 978", maximumTerms="5")
    terms = [(t.findtext("s:value", namespaces=NS), t.findtext("s:numberOfRecords", namespaces=NS))
             for t in root.iterfind(".//s:term", NS)]
    assert ("9780142437247", "1") in terms and terms == sorted(terms)
    assert diagnostic(sru(client, operation="scan", version="1.2", scanClause="dc.title = a")) == 16


def test_hostile_text_is_escaped(client: Any, dataset: Dataset) -> None:
    root = search(client, f"rec.id = {dataset.xss}", recordSchema="dc")
    assert root.findtext(".//dc:title", namespaces=NS).startswith("<script>")
    assert root.find(".//{*}script") is None


@pytest.mark.parametrize(
    ("params", "number"),
    [
        ({"operation": "searchRetrieve", "version": "1.2"}, 7),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "dc.title = ("}, 10),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "x", "startRecord": "0"}, 6),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "x", "maximumRecords": "lots"}, 6),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "x", "bogus": "1"}, 8),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "foo.bar = x"}, 16),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "x", "recordSchema": "mods"}, 66),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "x", "recordPacking": "json"}, 71),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "history", "startRecord": "99"}, 61),
        ({"operation": "searchRetrieve", "version": "1.2", "query": "x", "stylesheet": "a.xsl"}, 110),
        ({"operation": "frobnicate", "version": "1.2"}, 4),
        ({"operation": "explain", "version": "9.9"}, 5),
        ({"operation": "scan", "version": "1.2"}, 7),
    ],
)
def test_diagnostics(client: Any, params: dict[str, str], number: int) -> None:
    assert diagnostic(sru(client, **params)) == number


def test_post_is_answered_like_get(client: Any) -> None:
    response = client.post("/sru", data={"operation": "searchRetrieve", "version": "1.2", "query": "dc.title=moby"})
    assert etree.fromstring(response.content).findtext("s:numberOfRecords", namespaces=NS) == "1"


def test_readme_example_works(client: Any, dataset: Dataset) -> None:
    from tests.search_ui.test_oai_provider import _readme_example

    path = _readme_example("SRU").replace("c00d416446f85cbf4", dataset.moby)  # the demo id → one of ours
    root = etree.fromstring(client.get(path).content)
    assert diagnostic(root) is None and root.findtext("s:numberOfRecords", namespaces=NS) == "1"


@pytest.mark.parametrize(
    "query",
    ["dc.title = \x01\x02", "(" * 3000 + "a" + ")" * 3000, " or ".join(["a"] * 300),
     "a" * 5000, "dc.title = \"\\\"", "\x00"],
)
def test_hostile_queries_get_answers_not_errors(client: Any, query: str) -> None:
    response = client.get("/sru", params={"operation": "searchRetrieve", "version": "1.2", "query": query})
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.findtext("s:numberOfRecords", namespaces=NS) is not None


def test_invalid_utf8_in_the_url(client: Any) -> None:
    for raw in ("%FF%FE", "%ED%A0%80", "dc.title%3D%C3"):
        response = client.get(f"/sru?operation=searchRetrieve&version=1.2&query={raw}")
        assert response.status_code == 200 and etree.fromstring(response.content) is not None


def test_long_chains_of_one_boolean_are_fine(client: Any) -> None:
    query = " or ".join(f"dc.title = t{i}" for i in range(20)) + " or dc.title = moby"
    assert search(client, query).findtext("s:numberOfRecords", namespaces=NS) == "1"
    assert diagnostic(search(client, "x", sortKeys="title")) == 80
