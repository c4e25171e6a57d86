"""Holdings read through each library's profile and translation maps: what the source says, no more.

Real item fields: Laurentian 949 (Sirsi Unicorn layout), Michigan 852, Duke 852 + 940 items, UNC 999
(items share the tag with holdings and admin fields, told apart by indicators), NCSU Symphony 999
(archive cartons, an e-journal), FOLIO Reservoir MFHD with 866. Koha's 952 and Alma's AVA are not in
the shared data, so they are tested on built fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pymarc

from harvester.marc.files import iter_raw_records, parse_raw_record, sniff_format
from harvester.marc.holdings import holding_sort_key, holdings_of, natural_key
from harvester.marc.mapping import local_id_of, normalize_marc
from harvester.marc.rules import MarcView
from harvester.record import Holding, Record
from harvester.settings import SourceConfig, parse_settings

MARC = Path(__file__).resolve().parents[1] / "data" / "marc"


def source(holdings: Any = "marc21", config: Path = Path("/tmp/unioncat.toml")) -> SourceConfig:
    table = {"id": "lib", "path": "x", "library": {"code": "LIB", "name": "Member Library"},
             "holdings": holdings}
    return parse_settings({"sources": [table]}, config).sources[0]


def records(name: str, holdings: Any = "marc21") -> list[Record]:
    src = source(holdings)
    path = MARC / name
    fmt = sniff_format(path)
    out = []
    for chunk in iter_raw_records(path, fmt):
        marc = parse_raw_record(chunk.raw, fmt)
        out.append(normalize_marc(marc, src, local_id_of(marc) or "?"))
    return out


def test_laurentian_949_item_is_one_counted_copy_lendable_by_its_circulate_flag() -> None:
    [r] = records("laurentian_marc8_949_items.mrc", {"profile": "symphony", "tag": "949"})
    [h] = r.holdings
    assert (h.kind, h.copies, h.lendable, h.available) == ("item", 1, True, True)
    assert (h.location, h.call_number, h.barcode) == ("DESMARAIS — DESM-CIR", "PS 9455 H68 S8", "30007004052170")
    assert h.basis == "loan flag Y (circulates)" and h.status == "On shelf"  # Symphony: no $k = at home
    assert h.unmapped == ("library:DESMARAIS", "location:DESM-CIR")  # only the ILS defaults here


def test_a_source_map_names_the_codes_and_its_rules_win() -> None:
    [r] = records("laurentian_marc8_949_items.mrc", {"profile": "symphony", "tag": "949", "map": "laurentian"})
    [h] = r.holdings
    assert h.location == "J.N. Desmarais Library — Circulating collection"
    assert (h.branch_code, h.location_code, h.unmapped) == ("DESMARAIS", "DESM-CIR", ())
    assert h.lendable is True and "location DESM-CIR (Circulating collection)" in h.basis


def test_reference_items_are_not_lendable() -> None:
    reference, audio = records("laurentian_reference_and_audio_items.mrc",
                               {"profile": "symphony", "tag": "949", "status": "t"})
    assert len(reference.holdings) == 5  # five volumes ($v), one 949 each
    assert {(h.status, h.lendable) for h in reference.holdings} == {("Reference", False)}
    assert reference.holdings[0].basis == "status REFERENCE (Reference); item type REFERENCE (Reference)"
    assert [(h.status, h.lendable, h.unmapped) for h in audio.holdings] == [("SOUND", True, (
        "library:HUNTINGTON", "location:HUNT-AUDIO", "status:SOUND", "item_type:SOUND"))]


def test_michigan_852_is_a_location_level_holding_without_copies_or_lending() -> None:
    [r] = records("michigan_852_holdings.mrc")
    [h] = r.holdings
    assert (h.library_code, h.library_name) == ("LIB", "Member Library")
    assert (h.location, h.call_number, h.source_tag) == ("MiU — HATCH GRAD", "PA 47 .C592d 1969", "852")
    assert (h.kind, h.copies, h.lendable, h.basis) == ("holding", None, None, "")


def test_unc_999_items_are_told_apart_from_holdings_fields_by_indicators() -> None:
    unc = {"profile": "sierra", "tag": "999 91", "location": "l", "call_number": "q", "barcode": "b",
           "status": "s"}
    [r] = records("unc_serial_999_items.xml", unc)
    [h] = r.holdings
    assert (h.location, h.call_number, h.barcode) == ("dcpf", "A 13.2:UR 1/5", "HBHA-9029-00001")
    assert (h.status, h.status_code, h.lendable, h.available) == ("Available", "-", True, True)
    assert h.basis == "status - (Available)" and h.unmapped == ("location:dcpf", "item_type:20")
    [named] = records("unc_serial_999_items.xml", {**unc, "map": "unc"})
    assert named.holdings[0].location == "Davis Library Federal Documents"
    [everything] = records("unc_serial_999_items.xml", {**unc, "tag": "999"})
    assert len(everything.holdings) == 5  # without the indicators, admin and holdings fields look like items


def test_a_record_without_holdings_fields_is_held_with_no_item_data() -> None:
    [r] = records("cornell_score.mrc")
    assert r.holdings == (Holding(library_code="LIB", library_name="Member Library", kind="held"),)
    assert (r.holdings[0].copies, r.holdings[0].lendable) == (None, None)


def test_an_e_resource_without_items_is_online_access_not_a_loan() -> None:
    record = _marc([("856", [("u", "https://example.org/book")])], ind2="0", leader_type="m")
    src = source()
    [h] = holdings_of(MarcView(record), src.holdings, src.library)
    assert (h.kind, h.lendable, h.copies) == ("online", False, None)
    print_book = _marc([("856", [("u", "https://example.org/toc")])], ind2="2", leader_type="a")
    assert holdings_of(MarcView(print_book), src.holdings, src.library)[0].kind == "held"


def test_ncsu_archive_cartons_are_items_of_special_collections_not_lendable_copies() -> None:
    [r] = records("ncsu_archives_cartons.xml", {"profile": "symphony", "map": "ncsu"})
    assert len(r.holdings) == 37 and {h.copies for h in r.holdings} == {1}
    assert {h.lendable for h in r.holdings} == {False}
    assert r.holdings[0].basis.startswith("location SPEC-D (Special Collections")


def test_an_online_item_field_is_online_access() -> None:
    [r] = records("ncsu_ejournal_net.xml", {"profile": "symphony", "map": "ncsu"})
    [h] = r.holdings
    assert (h.kind, h.lendable) == ("online", False) and h.basis.startswith("online resource: ")


def test_duke_items_in_940_replace_their_852_and_are_counted() -> None:
    duke = {"profile": "marc21", "library": "b", "location": "c", "call_number": "hi", "map": "duke",
            "items": {"tag": "940", "library": "b", "location": "c", "call_number": "hn", "barcode": "p",
                      "status": "q", "item_type": "r"}}
    [r] = records("duke_852_940_items.xml", duke)
    assert {h.kind for h in r.holdings} == {"item"}
    assert sum(h.copies or 0 for h in r.holdings) == 8  # eight 940s; six 852s give way to them
    perkins = [h for h in r.holdings if h.location == "Perkins Library — PK"]
    assert sorted(h.call_number for h in perkins) == ["Q180.55.M4 B66 2008", "Q180.55.M4 B66 2008 c.2",
                                                     "Q180.55.M4 B66 2008 c.3"]
    in_transit = [h for h in perkins if h.status_code == "IL"]
    assert [(h.status, h.available) for h in in_transit] == [("In transit", False)]
    assert {h.lendable for h in r.holdings} == {None}  # Duke's map names no lending rule for these


def test_item_fields_are_never_merged_into_a_copy_count() -> None:
    # the same call number on two items may be two volumes: each item field stays one copy
    record = _marc([("945", [("l", "main"), ("a", "QA76"), ("s", "-"), ("i", str(n))]) for n in range(3)]
                   + [("945", [("l", "main"), ("a", "QA76"), ("s", "m"), ("i", "9")])])
    src = source("sierra")
    held = holdings_of(MarcView(record), src.holdings, src.library)
    assert [(h.copies, h.status, h.lendable, h.barcode) for h in held] == [
        (1, "Available", True, "0"), (1, "Available", True, "1"), (1, "Available", True, "2"),
        (1, "Missing", False, "9")]


def test_mfhd_holdings_carry_their_866_summary() -> None:
    # an MFHD record's holdings are in 852 whatever the source's profile says
    _bib, mfhd = records("reservoir_bib_and_mfhd_866.mrc", {"profile": "koha"})
    [h] = mfhd.holdings
    assert (h.summary, h.call_number, h.source_tag) == ("V.1; V.2; V.3", "BX8695 .S6 A3 2008", "852")
    assert (h.kind, h.copies, h.lendable) == ("holding", None, None)


def test_summaries_pair_with_their_852_through_the_link_number() -> None:
    record = _marc([("852", [("8", "1"), ("b", "MAIN"), ("h", "QA76")]),
                    ("852", [("8", "2"), ("b", "ANNEX"), ("h", "QA76")]),
                    ("866", [("8", "2.1"), ("a", "v.1-10 (1990-1999)")]),
                    ("866", [("8", "1.1"), ("a", "v.11-")])])
    src = source({"profile": "marc21", "library": ""})
    main, annex = holdings_of(MarcView(record), src.holdings, src.library)
    assert (main.location, main.summary) == ("MAIN", "v.11-")
    assert (annex.location, annex.summary) == ("ANNEX", "v.1-10 (1990-1999)")


def test_koha_not_for_loan_flag_lost_status_and_reference_location() -> None:
    record = _marc([("952", [("a", "CPL"), ("c", "GEN"), ("o", "823 TOL"), ("p", "3001"), ("7", "0")]),
                    ("952", [("a", "CPL"), ("c", "GEN"), ("o", "823 TOL"), ("p", "3002"), ("7", "1")]),
                    ("952", [("a", "CPL"), ("c", "REF"), ("o", "823 TOL"), ("p", "3003")]),
                    ("952", [("a", "CPL"), ("c", "GEN"), ("o", "823 TOL"), ("p", "3004"), ("1", "4")]),
                    ("952", [("a", "CPL"), ("c", "GEN"), ("o", "823 TOL"), ("p", "3005")])])
    src = source("koha")
    held = holdings_of(MarcView(record), src.holdings, src.library)
    assert [(h.barcode, h.lendable) for h in held] == [("3001", True), ("3002", False), ("3003", False),
                                                      ("3004", False), ("3005", None)]
    assert [h.basis for h in held[1:4]] == ["loan flag 1 (Not for loan)", "location REF (Reference)",
                                            "status 4 (Missing)"]
    assert held[0].location == "CPL — General stacks" and held[0].call_number == "823 TOL"


def test_alma_ava_counts_copies_and_says_available_without_claiming_lendable() -> None:
    record = _marc([("AVA", [("b", "MAIN"), ("c", "Stacks"), ("d", "QA76 .S5"), ("e", "available"),
                             ("f", "3")])])
    src = source("alma")
    [h] = holdings_of(MarcView(record), src.holdings, src.library)
    assert (h.copies, h.location, h.status, h.available, h.lendable) == (3, "MAIN — Stacks", "Available", True, None)


def test_a_stated_default_policy_is_shown_as_policy(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "ourlib.toml").write_text(
        'extends = "ils/sierra"\n[policy]\ndefault = "lendable"\n'
        'note = "we lend everything not marked otherwise"\n', encoding="utf-8")
    src = source({"profile": "sierra", "map": "ourlib"}, tmp_path / "unioncat.toml")
    record = _marc([("945", [("l", "main"), ("a", "QA76"), ("i", "1")]),
                    ("945", [("l", "main"), ("a", "QA77"), ("s", "o"), ("i", "2")])])
    plain, library_use = holdings_of(MarcView(record), src.holdings, src.library)
    assert (plain.lendable, plain.policy) == (True, True)
    assert plain.basis == "library policy: we lend everything not marked otherwise"
    assert (library_use.lendable, library_use.policy) == (False, False)  # item data beats the policy


def test_holdings_sort_naturally_by_call_number_and_enumeration() -> None:
    rows = [Holding("L", "Lib", call_number=c) for c in ("UA 024 CARTON 10", "UA 024 CARTON 2",
                                                         "UA 024 CARTON 1", "v. 10", "v. 6")]
    ordered = [h.call_number for h in sorted(rows, key=holding_sort_key)]
    assert ordered == ["UA 024 CARTON 1", "UA 024 CARTON 2", "UA 024 CARTON 10", "v. 6", "v. 10"]
    assert natural_key("v.2") < natural_key("v.10") < natural_key("v.10a")


def _marc(fields: list[tuple[str, list[tuple[str, str]]]], ind2: str = " ",
          leader_type: str = "a") -> pymarc.Record:
    record = pymarc.Record()
    record.leader = pymarc.Leader("00000n" + leader_type + "m a2200000 a 4500")
    for tag, subfields in fields:
        record.add_field(pymarc.Field(tag=tag, indicators=pymarc.Indicators("4" if tag == "856" else " ", ind2),
                                      subfields=[pymarc.Subfield(c, v) for c, v in subfields]))
    return record
