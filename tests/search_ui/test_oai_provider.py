"""The OAI-PMH provider at /oai over the shared test catalog: every verb, every error code, tokens.

Answers are parsed as XML and checked field by field; MARCXML payloads are read back with pymarc,
so what a harvester gets is checked by a MARC reader we did not write.
"""

from __future__ import annotations

import io
from typing import Any

import pymarc
import pytest
from lxml import etree

from harvester.store import RecordStore
from indexer.catalog import Catalog
from search_ui.interop import oai_provider_tokens as tokens
from search_ui.interop.oai_provider import ID_PREFIX
from tests.search_ui.dataset import Dataset

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "marc": "http://www.loc.gov/MARC21/slim"}


def oai(client: Any, **params: str) -> etree._Element:
    response = client.get("/oai", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    return etree.fromstring(response.content)


def error_code(root: etree._Element) -> str | None:
    node = root.find("o:error", NS)
    return None if node is None else node.get("code")


def test_identify_announces_persistent_deletions_and_seconds(client: Any) -> None:
    root = oai(client, verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify is not None
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("o:baseURL", namespaces=NS).endswith("/oai")
    assert root.find("o:request", NS).get("verb") == "Identify"


def test_list_metadata_formats(client: Any, dataset: Dataset) -> None:
    root = oai(client, verb="ListMetadataFormats")
    prefixes = [n.text for n in root.iterfind(".//o:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "marcxml"]
    one = oai(client, verb="ListMetadataFormats", identifier=ID_PREFIX + dataset.moby)
    assert len(one.findall(".//o:metadataFormat", NS)) == 2


def test_list_sets_names_libraries_and_formats(client: Any) -> None:
    root = oai(client, verb="ListSets")
    specs = {n.findtext("o:setSpec", namespaces=NS): n.findtext("o:setName", namespaces=NS)
             for n in root.iterfind(".//o:set", NS)}
    assert specs["library:NOR"] == "North University"
    assert specs["library:WES"] == "West Institute"
    assert specs["format:serial"] == "Serial"
    assert {"library", "format"} <= set(specs)


def test_get_record_marcxml_has_a_999_per_member_and_852s(client: Any, dataset: Dataset) -> None:
    root = oai(client, verb="GetRecord", identifier=ID_PREFIX + dataset.moby, metadataPrefix="marcxml")
    header = root.find(".//o:header", NS)
    assert header.findtext("o:identifier", namespaces=NS) == ID_PREFIX + dataset.moby
    assert {"library:NOR", "library:SOU", "library:EAS", "format:book"} <= {
        n.text for n in header.iterfind("o:setSpec", NS)}
    marc_xml = etree.tostring(root.find(".//marc:record", NS))
    [record] = pymarc.parse_xml_to_array(io.BytesIO(marc_xml))
    assert record["001"].data == dataset.moby
    assert record["245"]["a"].startswith("Moby")
    holdings = {(f["s"], f["l"], f["p"]) for f in record.get_fields("999")}
    assert holdings == {("NOR", "m1", "lendable"), ("SOU", "m2", "lendable"), ("EAS", "m3", "not lendable")}
    assert all(f.indicators == pymarc.Indicators("1", "1") for f in record.get_fields("999"))
    call_numbers = {(f["a"], f["h"]) for f in record.get_fields("852")}
    assert ("SOU", "PS2384 .M6") in call_numbers and ("EAS", "813.3 MEL") in call_numbers
    assert "9780142437247" in [f["a"] for f in record.get_fields("020")]


def test_get_record_dc(client: Any, dataset: Dataset) -> None:
    root = oai(client, verb="GetRecord", identifier=ID_PREFIX + dataset.journal, metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS) == "Journal of testing"
    assert "urn:issn:0317-8471" in [n.text for n in root.iterfind(".//dc:identifier", NS)]
    assert root.findtext(".//dc:type", namespaces=NS) == "Serial"


def test_hostile_text_stays_text(client: Any, dataset: Dataset) -> None:
    root = oai(client, verb="GetRecord", identifier=ID_PREFIX + dataset.xss, metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS).startswith("<script>alert(1)</script>")
    assert root.find(".//{*}script") is None


def test_retired_cluster_is_a_deleted_record(client: Any, dataset: Dataset) -> None:
    root = oai(client, verb="GetRecord", identifier=ID_PREFIX + dataset.retired, metadataPrefix="oai_dc")
    header = root.find(".//o:header", NS)
    assert header.get("status") == "deleted"
    assert root.find(".//o:metadata", NS) is None
    listed = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    deleted = [h.findtext("o:identifier", namespaces=NS) for h in listed.iterfind(".//o:header", NS)
               if h.get("status") == "deleted"]
    assert ID_PREFIX + dataset.retired in deleted
    assert error_code(oai(client, verb="ListMetadataFormats",
                          identifier=ID_PREFIX + dataset.retired)) == "noMetadataFormats"


def harvest_all(client: Any, **params: str) -> tuple[list[str], list[etree._Element]]:
    """Follow resumption tokens to the end; (identifiers, resumptionToken elements)."""
    ids: list[str] = []
    tokens_seen: list[etree._Element] = []
    root = oai(client, **params)
    for _ in range(100):
        ids += [n.text for n in root.iterfind(".//o:header/o:identifier", NS)]
        token = root.find(".//o:resumptionToken", NS)
        if token is None:
            break
        tokens_seen.append(token)
        if not token.text:
            break
        root = oai(client, verb=params["verb"], resumptionToken=token.text)
    return ids, tokens_seen


@pytest.fixture
def small_pages(client: Any) -> Any:
    from search_ui.views.oai import OAIOptions

    client.app.state.oai = OAIOptions(page_size=7)
    yield client
    client.app.state.oai = None


def test_paging_with_resumption_tokens(small_pages: Any, catalog: Catalog, dataset: Dataset) -> None:
    ids, seen = harvest_all(small_pages, verb="ListIdentifiers", metadataPrefix="marcxml")
    live = {cluster_id for cluster_id, _ in catalog.clusters.iter_clusters()}
    assert len(ids) == len(set(ids)), "an item was sent twice"
    assert {i.removeprefix(ID_PREFIX) for i in ids} == live | {dataset.retired}
    assert len(seen) >= 2 and seen[-1].text is None
    assert [int(t.get("cursor")) for t in seen] == list(range(0, 7 * len(seen), 7))
    assert {t.get("completeListSize") for t in seen} == {str(len(ids))}
    assert all(t.get("expirationDate") for t in seen[:-1])


def test_set_selects_library_and_format(small_pages: Any, dataset: Dataset) -> None:
    west, _ = harvest_all(small_pages, verb="ListIdentifiers", metadataPrefix="oai_dc", set="library:WES")
    assert ID_PREFIX + dataset.xss in west and ID_PREFIX + dataset.journal in west
    assert ID_PREFIX + dataset.moby not in west
    serials, _ = harvest_all(small_pages, verb="ListRecords", metadataPrefix="oai_dc", set="format:serial")
    assert ID_PREFIX + dataset.journal in serials and ID_PREFIX + dataset.moby not in serials


def test_from_until_select_by_change_time(client: Any) -> None:
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
                          **{"from": "2999-01-01"})) == "noRecordsMatch"
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01")) == \
        "noRecordsMatch"
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2000-01-01T00:00:00Z"},
               until="2999-12-31T23:59:59Z")
    assert error_code(root) is None and root.findall(".//o:header", NS)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Frobnicate"}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01", "until": "2021-01-01T00:00:00Z"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2021-01-01", "until": "2020-01-01"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": "oai:unioncat:c1"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "garbage"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": "oai:unioncat:nope", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"verb": "ListMetadataFormats", "identifier": "oai:unioncat:nope"}, "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "library:NOBODY"}, "noRecordsMatch"),
    ],
)
def test_error_codes(client: Any, params: dict[str, str], code: str) -> None:
    root = oai(client, **params)
    assert error_code(root) == code
    request = root.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert request.attrib == {}, "badVerb/badArgument answers must not echo the arguments"


def test_repeated_argument_is_bad_argument(client: Any) -> None:
    response = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=marcxml")
    assert error_code(etree.fromstring(response.content)) == "badArgument"
    response = client.get("/oai?verb=Identify&verb=Identify")
    assert error_code(etree.fromstring(response.content)) == "badVerb"


def test_post_is_answered_like_get(client: Any) -> None:
    response = client.post("/oai", data={"verb": "ListMetadataFormats"})
    assert len(etree.fromstring(response.content).findall(".//o:metadataFormat", NS)) == 2


def _first_token(client: Any) -> str:
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.findtext(".//o:resumptionToken", namespaces=NS)
    assert token
    return token


def test_tokens_survive_a_restart(small_pages: Any, dataset: Dataset) -> None:
    from starlette.testclient import TestClient

    from search_ui.app import create_app
    from search_ui.views.oai import OAIOptions

    token = _first_token(small_pages)
    reopened = Catalog.open(dataset.settings)  # a new process would open the store afresh
    try:
        app = create_app(dataset.settings, reopened)
        app.state.oai = OAIOptions(page_size=7)
        with TestClient(app) as fresh:
            root = oai(fresh, verb="ListIdentifiers", resumptionToken=token)
    finally:
        reopened.close()
    assert error_code(root) is None
    assert root.find(".//o:resumptionToken", NS).get("cursor") == "7"


def test_expired_altered_and_foreign_tokens_are_refused(small_pages: Any, catalog: Catalog) -> None:
    key = catalog.secret(tokens.TOKEN_KEY)
    state = tokens.decode(_first_token(small_pages), key)
    expired = tokens.encode(state, key, now=state.issued - tokens.TOKEN_TTL - 60)
    root = oai(small_pages, verb="ListIdentifiers", resumptionToken=expired)
    assert error_code(root) == "badResumptionToken" and "expired" in root.findtext("o:error", namespaces=NS)
    body, _, mac = tokens.encode(state, key).partition(".")
    altered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    assert error_code(oai(small_pages, verb="ListIdentifiers", resumptionToken=altered)) == "badResumptionToken"
    foreign = tokens.encode(state, b"another repository's key")
    assert error_code(oai(small_pages, verb="ListIdentifiers", resumptionToken=foreign)) == "badResumptionToken"
    wrong_verb = tokens.encode(state, key)
    assert error_code(oai(small_pages, verb="ListRecords", resumptionToken=wrong_verb)) == "badResumptionToken"


def test_no_set_hierarchy_on_an_empty_catalog(tmp_path: Any, dataset: Dataset, catalog: Catalog) -> None:
    from search_ui.interop.oai_provider import OAIProvider, Repository
    from search_ui.interop.oai_provider_data import CatalogItems

    store = RecordStore(tmp_path / "empty.sqlite")
    try:
        empty = Catalog(dataset.settings, store, catalog.backend)  # nothing harvested into this store
        provider = OAIProvider(CatalogItems(empty), Repository("http://127.0.0.1/oai"), empty.secret("t"))
        root = etree.fromstring(provider.respond([("verb", "ListSets")]))
        assert error_code(root) == "noSetHierarchy"
        root = etree.fromstring(provider.respond([("verb", "ListRecords"), ("metadataPrefix", "oai_dc")]))
        assert error_code(root) == "noRecordsMatch"
        root = etree.fromstring(provider.respond([("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc"),
                                                  ("set", "library:NOR")]))
        assert error_code(root) == "noSetHierarchy"
    finally:
        store.close()


def test_the_token_key_is_kept_in_the_store(catalog: Catalog, dataset: Dataset) -> None:
    reopened = Catalog.open(dataset.settings)
    try:
        assert reopened.secret(tokens.TOKEN_KEY) == catalog.secret(tokens.TOKEN_KEY)
        assert len(catalog.secret(tokens.TOKEN_KEY)) == 32 and catalog.secret("other") != catalog.secret(
            tokens.TOKEN_KEY)
    finally:
        reopened.close()


def _readme_example(section: str) -> str:
    """The path and query of the curl example in a README section."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    body = readme.split(f"### {section}\n", 1)[1].split("\n#", 1)[0]
    match = re.search(r"curl '(http://127\.0\.0\.1:8000)(/[^']+)'", body)
    assert match, f"README section {section!r} has no curl example"
    return match.group(2)


def test_readme_example_works(client: Any) -> None:
    root = etree.fromstring(client.get(_readme_example("OAI-PMH provider")).content)
    assert error_code(root) is None and root.findall(".//o:record", NS)


def test_format_set_over_several_pages_is_exactly_the_merged_format(small_pages: Any, catalog: Catalog) -> None:
    books, _ = harvest_all(small_pages, verb="ListIdentifiers", metadataPrefix="oai_dc", set="format:book")
    expected = set()
    for cluster_id, _members in catalog.clusters.iter_clusters():
        merged = catalog.record(cluster_id)
        if merged is not None and merged.record.format == "book":
            expected.add(ID_PREFIX + cluster_id)
    live = [i for i in books if catalog.record(i.removeprefix(ID_PREFIX)) is not None]
    assert len(live) == len(set(live)) > 7 and set(live) == expected


@pytest.mark.parametrize("value", ["\x01", "\x00", "x" * 20_000, "<&>\"'", "\ufffe"])
def test_hostile_arguments_get_protocol_answers(client: Any, value: str) -> None:
    for params in ({"verb": "GetRecord", "identifier": value, "metadataPrefix": "oai_dc"},
                   {"verb": "ListRecords", "resumptionToken": value},
                   {"verb": value},
                   {"verb": "ListSets", value: "1"},
                   {"verb": "ListRecords", "metadataPrefix": value}):
        response = client.get("/oai", params=params)
        assert response.status_code == 200
        assert error_code(etree.fromstring(response.content)) in ("idDoesNotExist", "badResumptionToken", "badVerb",
                                                                  "badArgument", "cannotDisseminateFormat")


def test_invalid_utf8_in_the_url(client: Any) -> None:
    response = client.get("/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=%FF%ED%A0%80")
    assert error_code(etree.fromstring(response.content)) == "idDoesNotExist"
