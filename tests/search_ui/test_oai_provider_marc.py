"""The merged record as MARC (search_ui.interop.marc_out), read back by pymarc in both serialisations."""

from __future__ import annotations

import io

import pymarc
import pytest
from lxml import etree

from harvester.marc.formats import classify
from harvester.record import FORMATS, Author, Holding, Record, Subject
from indexer.merge import merge_records
from search_ui.interop.marc_out import (
    POLICY_LENDABLE,
    POLICY_NOT_LENDABLE,
    POLICY_UNKNOWN,
    lending_policy,
    marc_to_xml,
    merged_to_marc,
)

LIBRARIES = {"a": ("AAA", "Library A"), "b": ("BBB", "Library B"), "c": ("CCC", "Library C")}


def _merged() -> object:
    records = [
        Record(id="a:1", source_id="a", local_id="1", title="Whales", subtitle="a study",
               authors=(Author("Smith, Jo", primary=True, dates="1950-"), Author("Doe, Al", roles=("editor",))),
               subjects=(Subject(("Whales", "Behavior"), tag="650"),), isbns=("9780306406157",),
               oclc_numbers=("123",), year=2001, publisher="Sea Press", place="Boston", languages=("eng",),
               format="book", extent="300 p.", notes=("Bad\x01control\x1fbytes",),
               holdings=(Holding("AAA", "Library A", "Stacks", "QL737 .S6", source_tag="852", summary="v.1-2"),)),
        Record(id="b:XY-9", source_id="b", local_id="XY-9", title="Whales", format="book",
               holdings=(Holding("BBB", "Library B", "Reference", "599.5", lendable=False, source_tag="949"),)),
        Record(id="c:7", source_id="c", local_id="7", title="WHALES", format="book",
               holdings=(Holding("CCC", "Library C"),)),  # the "held, details unknown" placeholder
    ]
    return merge_records("c0000000000000001", records, libraries=LIBRARIES)


def test_999_per_member_with_local_id_symbol_and_policy() -> None:
    marc = merged_to_marc(_merged())  # type: ignore[arg-type]
    fields = marc.get_fields("999")
    assert [(f["l"], f["s"], f["p"]) for f in fields] == [
        ("1", "AAA", POLICY_UNKNOWN), ("XY-9", "BBB", POLICY_NOT_LENDABLE), ("7", "CCC", POLICY_UNKNOWN)]
    assert all((f.indicator1, f.indicator2) == ("1", "1") for f in fields)
    assert [(f["a"], f["b"], f["h"]) for f in marc.get_fields("852")[:2]] == [
        ("AAA", "Stacks", "QL737 .S6"), ("BBB", "Reference", "599.5")]
    assert marc.get_fields("866")[0]["a"] == "v.1-2"


def test_bibliographic_fields() -> None:
    marc = merged_to_marc(_merged())  # type: ignore[arg-type]
    assert marc["001"].data == "c0000000000000001"
    assert marc["245"]["a"] == "Whales" and marc["245"]["b"] == "a study" and marc["245"].indicator1 == "1"
    assert marc["100"]["a"] == "Smith, Jo" and marc["100"]["d"] == "1950-"
    assert marc["700"]["a"] == "Doe, Al" and marc["700"]["e"] == "editor"
    assert marc["020"]["a"] == "9780306406157" and marc["035"]["a"] == "(OCoLC)123"
    assert marc["264"]["b"] == "Sea Press" and marc["264"]["c"] == "2001"
    assert marc["650"].get_subfields("a", "x") == ["Whales", "Behavior"]
    assert marc["008"].data[7:11] == "2001" and marc["008"].data[35:38] == "eng" and len(marc["008"].data) == 40
    assert marc.leader[6:8] == "am"


def test_marcxml_and_iso2709_read_back_with_pymarc() -> None:
    marc = merged_to_marc(_merged())  # type: ignore[arg-type]
    xml = etree.tostring(marc_to_xml(marc))
    [from_xml] = pymarc.parse_xml_to_array(io.BytesIO(xml))
    assert [f.value() for f in from_xml.get_fields("999")] == [f.value() for f in marc.get_fields("999")]
    assert from_xml["500"]["a"] == "Badcontrolbytes", "control bytes must not reach XML"
    [from_iso] = list(pymarc.MARCReader(io.BytesIO(marc.as_marc()), to_unicode=True, force_utf8=True))
    assert from_iso["245"]["a"] == "Whales" and len(from_iso.get_fields("999")) == 3


def test_policy_says_lendable_only_when_the_items_say_so() -> None:
    assert lending_policy([]) == POLICY_UNKNOWN
    assert lending_policy([Holding("X")]) == POLICY_UNKNOWN
    assert lending_policy([Holding("X", location="Ref", lendable=False)]) == POLICY_NOT_LENDABLE
    assert lending_policy([Holding("X", location="Ref", lendable=False), Holding("X", call_number="1")]) == \
        POLICY_UNKNOWN  # the second holding does not say
    assert lending_policy([Holding("X", lendable=False), Holding("X", call_number="1", lendable=True)]) == \
        POLICY_LENDABLE


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "other"])
def test_every_format_reads_back_as_itself(fmt: str) -> None:
    """The harvester's own classifier (leader, 007, 008, 502) must see the format we merged."""
    record = Record(id="a:1", source_id="a", local_id="1", title="T", format=fmt, year=1999)
    marc = merged_to_marc(merge_records("c1", [record], libraries=LIBRARIES))
    view_008 = marc["008"].data
    f007s = [f.data for f in marc.get_fields("007")]
    assert classify(str(marc.leader), f007s, view_008, thesis=bool(marc.get_fields("502"))) == fmt
