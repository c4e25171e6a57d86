"""No crash of our own code on any record pymarc can hold: property tests over random MARC records.

The records are random but structurally valid (what pymarc itself would parse): random tags (digits,
letters, control tags 001-009 and their look-alikes), any indicator and subfield-code characters,
control fields of any length (empty ones too), empty subfields, fields without subfields, 880 fields
whose $6 links to nowhere or is garbage, and every leader position drawn freely. Each record is run
through the normalizer, and also written as ISO 2709 and read back by our reader, the path a harvested
record takes. The property: the result is a `Record` that serializes to JSON, or a *named* refusal
(`RecordRejected` / `RecordSkipped`, i.e. bad data) — never any other exception.

`make test` runs a bounded number of examples (``UNIONCAT_FUZZ_EXAMPLES``, default 80);
``bench/fuzz.py`` runs the long campaign and prints how many inputs were tried.
"""

from __future__ import annotations

import json
import os
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymarc import Field, Indicators, Subfield

from harvester.errors import RecordRejected, RecordSkipped
from harvester.marc.files import read_record
from harvester.marc.mapping import normalize_marc
from harvester.marc.profiles import PROFILES
from harvester.marc.pymarc_build import make_record
from harvester.settings import Library, SourceConfig

EXAMPLES = int(os.environ.get("UNIONCAT_FUZZ_EXAMPLES", "80"))
SOURCE = SourceConfig(id="fuzz", name="Fuzz", type="marc", library=Library("FUZZ", "Fuzz library"),
                      holdings=PROFILES["marc21"])
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",),
                                       exclude_characters="\x1d\x1e\x1f"), max_size=40)
_WORDS = st.sampled_from(["", " ", "1998", "c1998.", "[19--?]", "eng", "fre", "  ", "0", "-", "$", "ISBN",
                          "0-19-852663-6", "(OCoLC)12345", "p. 23", "xvi, 340 p.", "http://x.org", "|||",
                          "²", "19²5", "٣٤", "881106s19²5    xx |||||"])
_VALUE = st.one_of(_TEXT, _WORDS)
_COMMON_TAGS = ["001", "003", "004", "005", "006", "007", "008", "010", "020", "022", "035", "040", "041",
                "100", "110", "111", "130", "245", "246", "250", "260", "264", "300", "490", "500", "505",
                "520", "600", "650", "700", "710", "773", "830", "852", "856", "866", "880", "945", "949",
                "999"]
_TAG = st.one_of(st.sampled_from(_COMMON_TAGS),
                 st.text(alphabet=string.digits + string.ascii_letters, min_size=3, max_size=3),
                 st.sampled_from(["", "1", "24", "00", "0000", "   "]))
_CHAR = st.one_of(st.characters(codec="ascii", exclude_characters="\x1d\x1e\x1f"),
                  st.sampled_from(["²", "٣", "é", "\x00"]))  # superscript "digits" fool str.isdigit()
_LINK = st.one_of(_VALUE, st.sampled_from(["245-01/(3/r", "100-02", "-", "880-99//r", "/", "245", "xyz-"]))


@st.composite
def marc_fields(draw: st.DrawFn) -> Field:
    tag = draw(_TAG)
    if tag[:2] == "00" and len(tag) == 3 and draw(st.booleans()):
        field = Field.__new__(Field)
        field.tag, field.data, field.control_field = tag, draw(_VALUE), True
        field._indicators, field.subfields = None, []
        return field
    codes = st.one_of(st.sampled_from(list("abcdefghnpqtuvxyz0123456789")), _CHAR)
    subfields = draw(st.lists(st.builds(Subfield, codes, _VALUE), max_size=6))
    if tag == "880" or draw(st.integers(0, 9)) == 0:
        subfields.insert(0, Subfield("6", draw(_LINK)))
    field = Field.__new__(Field)
    field.tag, field.data, field.control_field = tag, None, False
    field._indicators, field.subfields = Indicators(draw(_CHAR), draw(_CHAR)), subfields
    return field


_LEADER = st.text(alphabet=string.printable[:95], min_size=24, max_size=24)


@st.composite
def marc_records(draw: st.DrawFn) -> object:
    leader = draw(st.one_of(_LEADER, st.sampled_from(["00000nam a2200000 a 4500", "00000cz  a2200000n  4500",
                                                      "00000nx  a2200000n  4500", "00000nas a2200000 a 4500"])))
    return make_record(leader, draw(st.lists(marc_fields(), max_size=25)))


def _normalizes_or_refuses(record: object) -> None:
    try:
        normalized = normalize_marc(record, SOURCE, local_id="x1")  # type: ignore[arg-type]
    except (RecordRejected, RecordSkipped):
        return
    json.dumps(normalized.to_dict(), ensure_ascii=False)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(marc_records())
def test_the_normalizer_never_raises_on_a_record_pymarc_can_hold(record: object) -> None:
    _normalizes_or_refuses(record)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(marc_records())
def test_a_random_record_written_as_iso2709_reads_back_and_normalizes(record: object) -> None:
    try:
        raw = record.as_marc21()  # type: ignore[attr-defined]
    except (ValueError, UnicodeError, TypeError):
        return  # pymarc cannot write it (e.g. a tag it refuses): not an input a library can send
    try:
        parsed, _ = read_record(raw, "iso2709")
    except RecordRejected:
        return
    _normalizes_or_refuses(parsed)
