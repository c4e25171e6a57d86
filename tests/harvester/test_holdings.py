"""Holdings read through each library's profile: location, call number, lendability, MFHD summaries.

Real item fields: Laurentian 949 (Sirsi Unicorn layout), Michigan and Chicago 852, UNC 999 (items share
the tag with holdings and admin fields, told apart by indicators), FOLIO Reservoir MFHD with 866.
Koha's 952 is not in the shared data, so its not-for-loan flag is tested on a built field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pymarc

from harvester.marc.files import iter_raw_records, parse_raw_record, sniff_format
from harvester.marc.holdings import holdings_of
from harvester.marc.mapping import local_id_of, normalize_marc
from harvester.marc.rules import MarcView
from harvester.record import Holding, Record
from harvester.settings import SourceConfig, parse_settings

MARC = Path(__file__).resolve().parents[1] / "data" / "marc"


def source(holdings: Any = "marc21") -> SourceConfig:
    table = {"id": "lib", "path": "x", "library": {"code": "LIB", "name": "Member Library"},
             "holdings": holdings}
    return parse_settings({"sources": [table]}, Path("/tmp/unioncat.toml")).sources[0]


def records(name: str, holdings: Any = "marc21") -> list[Record]:
    src = source(holdings)
    path = MARC / name
    fmt = sniff_format(path)
    out = []
    for chunk in iter_raw_records(path, fmt):
        marc = parse_raw_record(chunk.raw, fmt)
        out.append(normalize_marc(marc, src, local_id_of(marc) or "?"))
    return out


def test_laurentian_949_items_read_with_a_profile_override() -> None:
    [r] = records("laurentian_marc8_949_items.mrc", {"profile": "symphony", "tag": "949"})
    assert r.holdings == (Holding(library_code="LIB", library_name="Member Library",
                                  location="DESMARAIS — DESM-CIR", call_number="PS 9455 H68 S8",
                                  barcode="30007004052170", source_tag="949"),)


def test_reference_items_are_not_lendable() -> None:
    reference, audio = records("laurentian_reference_and_audio_items.mrc",
                               {"profile": "symphony", "tag": "949", "status": "t"})
    assert len(reference.holdings) == 5  # five volumes, one 949 each
    assert {(h.status, h.location, h.lendable) for h in reference.holdings} == {
        ("REFERENCE", "DESMARAIS — DESM-REF", False)}
    assert reference.holdings[0].call_number == "Z 5782 S34 Ref."
    assert [(h.status, h.lendable) for h in audio.holdings] == [("SOUND", True)]


def test_michigan_852_branch_goes_into_location_library_is_the_member() -> None:
    [r] = records("michigan_852_holdings.mrc")
    [h] = r.holdings
    assert (h.library_code, h.library_name) == ("LIB", "Member Library")
    assert (h.location, h.call_number, h.source_tag) == ("MiU — HATCH GRAD", "PA 47 .C592d 1969", "852")


def test_unc_999_items_are_told_apart_from_holdings_fields_by_indicators() -> None:
    unc = {"profile": "sierra", "tag": "999 91", "location": "l", "call_number": "q", "barcode": "b",
           "status": "s"}
    [r] = records("unc_serial_999_items.xml", unc)
    assert r.holdings == (Holding(library_code="LIB", library_name="Member Library", location="dcpf",
                                  call_number="A 13.2:UR 1/5", barcode="HBHA-9029-00001", status="-",
                                  source_tag="999"),)
    [everything] = records("unc_serial_999_items.xml", {**unc, "tag": "999"})
    assert len(everything.holdings) == 5  # without the indicators, admin and holdings fields look like items


def test_a_record_without_holdings_fields_still_counts_for_its_library() -> None:
    [r] = records("cornell_score.mrc")
    assert r.holdings == (Holding(library_code="LIB", library_name="Member Library"),)


def test_mfhd_holdings_carry_their_866_summary() -> None:
    # an MFHD record's holdings are in 852 whatever the source's profile says
    _bib, mfhd = records("reservoir_bib_and_mfhd_866.mrc", {"profile": "koha"})
    [h] = mfhd.holdings
    assert (h.summary, h.call_number, h.source_tag) == ("V.1; V.2; V.3", "BX8695 .S6 A3 2008", "852")


def test_summaries_pair_with_their_852_through_the_link_number() -> None:
    record = _marc([("852", [("8", "1"), ("b", "MAIN"), ("h", "QA76")]),
                    ("852", [("8", "2"), ("b", "ANNEX"), ("h", "QA76")]),
                    ("866", [("8", "2.1"), ("a", "v.1-10 (1990-1999)")]),
                    ("866", [("8", "1.1"), ("a", "v.11-")])])
    src = source({"profile": "marc21", "library": ""})
    main, annex = holdings_of(MarcView(record), src.holdings, src.library)
    assert (main.location, main.summary) == ("MAIN", "v.11-")
    assert (annex.location, annex.summary) == ("ANNEX", "v.1-10 (1990-1999)")


def test_koha_not_for_loan_flag_and_status_patterns() -> None:
    record = _marc([("952", [("a", "CPL"), ("c", "GEN"), ("o", "823 TOL"), ("p", "3001"), ("7", "0")]),
                    ("952", [("a", "CPL"), ("c", "GEN"), ("o", "823 TOL"), ("p", "3002"), ("7", "1")]),
                    ("952", [("a", "CPL"), ("c", "REF"), ("o", "823 TOL"), ("p", "3003")]),
                    ("952", [("a", "CPL"), ("c", "GEN"), ("o", "823 TOL"), ("p", "3004"), ("1", "Lost")])])
    src = source("koha")
    held = holdings_of(MarcView(record), src.holdings, src.library)
    assert [(h.barcode, h.lendable) for h in held] == [("3001", True), ("3002", False), ("3003", False),
                                                      ("3004", False)]
    assert held[0].location == "CPL — GEN" and held[0].call_number == "823 TOL"


def test_alma_ava_copies() -> None:
    record = _marc([("AVA", [("b", "MAIN"), ("c", "Stacks"), ("d", "QA76 .S5"), ("e", "available"),
                             ("f", "3")])])
    src = source("alma")
    [h] = holdings_of(MarcView(record), src.holdings, src.library)
    assert (h.copies, h.location, h.status, h.lendable) == (3, "MAIN — Stacks", "available", True)


def _marc(fields: list[tuple[str, list[tuple[str, str]]]]) -> pymarc.Record:
    record = pymarc.Record()
    for tag, subfields in fields:
        record.add_field(pymarc.Field(tag=tag, indicators=pymarc.Indicators(" ", " "),
                                      subfields=[pymarc.Subfield(c, v) for c, v in subfields]))
    return record
