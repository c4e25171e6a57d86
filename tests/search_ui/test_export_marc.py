"""MARCXML and MARC 21 (ISO 2709) exports, read back by pymarc: the merged record of `marc_out`, holdings
in 852 and one 999 per member library, the same fields in both serializations."""

from __future__ import annotations

import io
from typing import Any

import pymarc
import pytest

from harvester.record import Holding, Record
from indexer.merge import MergedRecord
from search_ui.interop.export_marc import ISO2709_MAX, RecordTooLong, to_iso2709, to_marcxml
from tests.search_ui.dataset import XSS, Dataset

MOBY_LIBRARIES = {"NOR", "SOU", "EAS"}


def get_export(client: Any, **params: Any) -> Any:
    response = client.get("/export", params=params)
    assert response.status_code == 200, response.text
    return response


def test_marcxml_parses_with_pymarc_with_holdings_of_every_library(client: Any, dataset: Dataset) -> None:
    response = get_export(client, **{"as": "marcxml", "id": [dataset.moby, dataset.journal]})
    assert response.headers["content-type"].startswith("application/marcxml+xml")
    records = pymarc.parse_xml_to_array(io.BytesIO(response.content))
    assert [r["001"].data for r in records] == [dataset.moby, dataset.journal]
    moby = records[0]
    assert moby["245"]["a"].startswith("Moby Dick")
    assert moby["020"]["a"] == "9780142437247"
    assert {f["s"] for f in moby.get_fields("999")} == MOBY_LIBRARIES
    assert {f["a"] for f in moby.get_fields("852")} == MOBY_LIBRARIES
    policies = {f["s"]: f["p"] for f in moby.get_fields("999")}
    assert policies["EAS"] == "not lendable" and policies["NOR"] == "lendable"


def test_iso2709_parses_with_pymarc_and_matches_the_marcxml(client: Any, dataset: Dataset) -> None:
    binary = get_export(client, **{"as": "marc", "id": [dataset.moby, dataset.xss]}).content
    reader = pymarc.MARCReader(binary, to_unicode=True, force_utf8=True)
    records = list(reader)
    assert len(records) == 2 and all(r is not None for r in records), reader.current_exception
    xml = get_export(client, **{"as": "marcxml", "id": [dataset.moby, dataset.xss]}).content
    from_xml = pymarc.parse_xml_to_array(io.BytesIO(xml))
    # the same fields; only the leader's length and base address differ (ISO 2709 computes them)
    assert [r.as_dict()["fields"] for r in records] == [r.as_dict()["fields"] for r in from_xml]
    assert [str(r.leader)[5:12] for r in records] == [str(r.leader)[5:12] for r in from_xml]
    assert records[1]["245"]["a"] == XSS


def test_a_result_page_exports_as_one_marcxml_collection(client: Any) -> None:
    xml = get_export(client, **{"as": "marcxml", "q": "history", "scope": "page"}).content
    hits = client.get("/search.json", params={"q": "history", "per_page": 20}).json()["hits"]
    assert [r["001"].data for r in pymarc.parse_xml_to_array(io.BytesIO(xml))] == [h["id"] for h in hits]


def test_a_record_too_long_for_iso2709_fails_clearly_and_marcxml_still_has_it() -> None:
    holdings = tuple(Holding("LIB", location="Stack " + "x" * 200, call_number=f"CALL {n}") for n in range(500))
    record = Record(id="cbig", source_id="", local_id="cbig", title="Big", holdings=holdings)
    big = MergedRecord("cbig", record, (), "x:1", {})
    with pytest.raises(RecordTooLong, match=f"over ISO 2709's limit of {ISO2709_MAX:,}"):
        to_iso2709([big])
    assert len(pymarc.parse_xml_to_array(io.BytesIO(to_marcxml([big])))[0].get_fields("852")) == 500
