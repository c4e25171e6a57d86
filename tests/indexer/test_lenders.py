"""The lender ranking rule, pinned with libraries at known coordinates (Triangle, Michigan, Sudbury).

Order: requester excluded → availability tier → distance band from the requester → load balancing
(lends/borrows ratio over weight, else a per-request rota); each rank says why in words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.record import Holding
from indexer.lenders import (
    Directory,
    LendingFileError,
    LendingRule,
    LibraryInfo,
    haversine_km,
    load_directory,
    rank_lenders,
)

DUKE = LibraryInfo("NcD", "Duke", "NDD", 36.001, -78.938)
UNC = LibraryInfo("NcU", "UNC", "NOC", 35.910, -79.048)
NCSU = LibraryInfo("NRC", "NCSU", "NRC", 35.785, -78.682)
MICH = LibraryInfo("MiU", "Michigan", "EYM", 42.276, -83.738)
LAUR = LibraryInfo("OSUL", "Laurentian", "", 46.467, -80.975)


def directory(*libraries: LibraryInfo, band: float = 100.0) -> Directory:
    return Directory({lib.code: lib for lib in libraries}, LendingRule(distance_band_km=band))


def copy(lib: LibraryInfo, lendable: bool | None = True, available: bool | None = True, **kw: object) -> Holding:
    return Holding(lib.code, lib.name, copies=1, kind=str(kw.pop("kind", "item")), lendable=lendable,
                   available=available, **kw)  # type: ignore[arg-type]


def test_haversine_matches_known_distances() -> None:
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.195, abs=0.01)  # one degree of the equator
    assert haversine_km(DUKE.lat, DUKE.lon, UNC.lat, UNC.lon) == pytest.approx(14.2, abs=0.3)  # type: ignore[arg-type]
    assert haversine_km(DUKE.lat, DUKE.lon, MICH.lat, MICH.lon) == pytest.approx(811, abs=2)  # type: ignore[arg-type]


def test_the_requester_is_never_a_lender() -> None:
    ranked = rank_lenders([copy(DUKE), copy(UNC)], directory(DUKE, UNC), requester="NcD")
    assert [lender.code for lender in ranked.lenders] == ["NcU"]
    assert ranked.not_lending[0].code == "NcD" and "requester" in ranked.not_lending[0].reason


def test_available_copies_come_first_whatever_the_distance() -> None:
    holdings = [copy(UNC, available=False),          # lendable but checked out, 14 km
                copy(NCSU, available=None),          # lendable, shelf status not given, 33 km
                copy(LAUR, available=None, policy=True),  # lendable by policy only
                copy(MICH)]                          # on the shelf, 811 km
    ranked = rank_lenders(holdings, directory(DUKE, UNC, NCSU, MICH, LAUR), requester="NcD")
    assert [lender.code for lender in ranked.lenders] == ["MiU", "NRC", "OSUL", "NcU"]
    assert [lender.reason.split(",")[0] for lender in ranked.lenders] == [
        "available now", "lendable (shelf status not given)", "lendable by library policy",
        "lendable (all copies out)"]
    assert ranked.lenders[0].reason == "available now, 811 km"


def test_within_a_tier_nearer_bands_come_first() -> None:
    holdings = [copy(MICH), copy(LAUR), copy(NCSU)]
    ranked = rank_lenders(holdings, directory(DUKE, NCSU, MICH, LAUR), requester="NcD")
    assert [lender.code for lender in ranked.lenders] == ["NRC", "MiU", "OSUL"]
    assert ranked.lenders[0].distance_km == pytest.approx(33.3, abs=1.0)


def test_within_a_band_the_library_that_lends_least_for_what_it_borrows_is_asked_first() -> None:
    busy = LibraryInfo("NcU", "UNC", "NOC", UNC.lat, UNC.lon, lends=900, borrows=300)    # lends 3x
    idle = LibraryInfo("NRC", "NCSU", "NRC", NCSU.lat, NCSU.lon, lends=200, borrows=400)  # lends 0.5x
    ranked = rank_lenders([copy(busy), copy(idle)], directory(DUKE, busy, idle), requester="NcD")
    assert [lender.code for lender in ranked.lenders] == ["NRC", "NcU"]  # NCSU is farther, same band
    assert ranked.lenders[0].reason == "available now, 33 km, borrows more than it lends"
    assert ranked.lenders[1].reason == "available now, 14 km, lends more than it borrows"
    favoured = LibraryInfo("NcU", "UNC", "NOC", UNC.lat, UNC.lon, weight=8.0, lends=900, borrows=300)
    reranked = rank_lenders([copy(favoured), copy(idle)], directory(DUKE, favoured, idle), requester="NcD")
    assert [lender.code for lender in reranked.lenders] == ["NcU", "NRC"]  # weight 8: 3/8 < 0.5


def test_without_figures_a_per_request_rota_spreads_requests_over_equal_lenders() -> None:
    libs = directory(DUKE, UNC, NCSU)
    first = {rank_lenders([copy(UNC), copy(NCSU)], libs, "NcD", request_key=f"isbn:{n}").lenders[0].code
             for n in range(200)}
    assert first == {"NcU", "NRC"}  # both get first turns
    again = [rank_lenders([copy(UNC), copy(NCSU)], libs, "NcD", request_key="isbn:7").lending_string
             for _ in range(3)]
    assert len(set(again)) == 1  # one request, one order
    assert "rota turn for this request" in rank_lenders([copy(UNC), copy(NCSU)], libs, "NcD", "k").lenders[0].reason


def test_libraries_that_do_not_say_they_lend_are_listed_apart_with_the_reason() -> None:
    holdings = [copy(UNC, lendable=False, basis="status o (Library use only)"),
                Holding("NRC", "NCSU", kind="held"),
                Holding("MiU", "Michigan", kind="online", lendable=False)]
    ranked = rank_lenders(holdings, directory(DUKE, UNC, NCSU, MICH), requester="NcD")
    assert ranked.lenders == () and ranked.lending_string == ""
    assert {n.code: n.reason for n in ranked.not_lending} == {
        "NcU": "not lendable: status o (Library use only)",
        "NRC": "the record does not say whether it lends (no item data)",
        "MiU": "online access only (not lent as a physical loan)"}


def test_the_lending_string_has_at_most_five_symbols_best_first() -> None:
    libs = [LibraryInfo(f"L{n}", f"Library {n}", f"SYM{n}", 36.0 + n, -79.0) for n in range(8)]
    ranked = rank_lenders([copy(lib) for lib in libs], directory(DUKE, *libs, band=50), requester="NcD")
    assert ranked.lending_string == "SYM0,SYM1,SYM2,SYM3,SYM4" and len(ranked.lenders) == 8
    no_symbol = rank_lenders([copy(LAUR)], directory(LAUR))
    assert no_symbol.lending_string == "OSUL"  # the library code when no symbol is configured


def test_lending_toml_completes_the_configured_libraries(tmp_path: Path) -> None:
    path = tmp_path / "lending.toml"
    path.write_text('[rule]\ndistance_band_km = 25\nstring_length = 3\n'
                    '[libraries.NcU]\nsymbol = "NOC"\nweight = 2.0\nlends = 10\nborrows = 5\n', encoding="utf-8")
    loaded = load_directory(path, [UNC, DUKE])
    assert loaded.rule == LendingRule(25.0, 3)
    assert (loaded.libraries["NcU"].symbol, loaded.libraries["NcU"].weight, loaded.libraries["NcU"].lat) == (
        "NOC", 2.0, UNC.lat)
    path.write_text('[libraries.NcU]\nsymbl = "NOC"\n', encoding="utf-8")
    with pytest.raises(LendingFileError, match=r"libraries\.NcU\.symbl: unknown"):
        load_directory(path, [UNC])
    path.write_text('[rule]\nstring_length = 9\n', encoding="utf-8")
    with pytest.raises(LendingFileError, match="1 to 5"):
        load_directory(path, [UNC])
