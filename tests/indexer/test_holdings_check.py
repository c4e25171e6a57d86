"""The ILL holdings check: pasted identifiers in any form → one message per line, items, every holding
library, the ranked lenders and a lending string; CSV per holding and per request."""

from __future__ import annotations

import csv
import io

import pytest

from harvester.record import Holding
from harvester.store import RecordStore
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.idmatch import IdentifierMatcher
from indexer.holdings_check import (
    MAX_IDENTIFIERS,
    answers_to_csv,
    check_holdings,
    parse_identifier_list,
    requests_to_csv,
)
from tests.indexer.conftest import Catalogue, make_mfhd, make_record


@pytest.fixture
def held(store: RecordStore, catalogue: Catalogue) -> RecordStore:
    catalogue.put(
        make_record("lib-a:1", title="Moby Dick", year=1851, isbns=("9780306406157",),
                    holdings=(Holding("LA", "Library A", location="Main", call_number="PS2384 .M6",
                                      status="Available", copies=2, lendable=True, available=True,
                                      kind="item", basis="status - (Available)", source_tag="949"),)),
        make_record("lib-b:1", title="Moby Dick", isbns=("9780306406157",), oclc_numbers=("12345",),
                    holdings=(Holding("LB", "Library B", location="Reference", call_number="=HYPERLINK()",
                                      lendable=False, kind="item", source_tag="852"),)),
        make_record("lib-c:1", title="Serial", format="serial", issns=("0317-8471",), lccns=("n78890351",),
                    holdings=(Holding("LC", "Library C"),)),  # the harvester's "no item fields" holding
    )
    catalogue.put(make_mfhd("lib-c:h1", "lib-c:1", [Holding("LC", "Library C", call_number="Per 1",
                                                           summary="v.1-20 (1990-2010)", source_tag="MFHD")]))
    ClusterStore(store).update(IdentifierMatcher())
    return store


def libraries(answer: object) -> list[tuple[str, str, bool | None]]:
    return [(h.library_name, h.call_number, h.lendable) for item in answer.items for h in item.holdings]  # type: ignore[attr-defined]


def test_isbn_10_and_13_in_any_hyphenation_find_the_item_with_every_library(held: RecordStore) -> None:
    answers = check_holdings(held, ["0-306-40615-2", "978-0-306-40615-7", "ISBN 0306406152 (pbk.)",
                                    "0-306-40615-2 (pbk. : alk. paper)"])
    for answer in answers:
        assert (answer.kind, answer.normalized, answer.error) == ("isbn", "9780306406157", "")
        assert len(answer.items) == 1 and answer.items[0].title == "Moby Dick"
        assert libraries(answer) == [("Library A", "PS2384 .M6", True), ("Library B", "=HYPERLINK()", False)]


def test_oclc_prefixes_lccn_and_issn_forms(held: RecordStore) -> None:
    oclc, bare, lccn, issn, issn_bare = check_holdings(
        held, ["(OCoLC)ocm00012345", "ocn12345", "n 78-890351", "0317-8471 (print)", "03178471"])
    assert (oclc.kind, oclc.normalized) == ("oclc", "12345") and len(oclc.items) == 1
    assert bare.items == oclc.items
    assert (lccn.kind, lccn.normalized) == ("lccn", "n78890351")
    assert libraries(lccn) == [("Library C", "Per 1", None)]  # the MFHD holding, with its summary
    assert lccn.items[0].holdings[0].summary == "v.1-20 (1990-2010)"
    assert (issn.kind, issn.normalized) == ("issn", "0317-8471") and issn.items == lccn.items
    assert (issn_bare.kind, issn_bare.normalized) == ("issn", "0317-8471")  # a bare number tried as ISSN too


def test_unknown_and_unheld_identifiers_say_why(held: RecordStore) -> None:
    junk, unheld = check_holdings(held, ["hello world", "978-0-19-852663-6"])
    assert junk.items == () and "not an ISBN" in junk.error
    assert unheld.kind == "isbn" and unheld.items == () and unheld.error == "not held by any library"


def test_a_pasted_list_is_one_identifier_per_line_or_one_separated_line() -> None:
    text = "0-306-40615-2\r\n (OCoLC) 12345 \n\n0-306-40615-2\n0-19-852663-6 (pbk.), second copy"
    assert parse_identifier_list(text) == ["0-306-40615-2", "(OCoLC) 12345", "0-19-852663-6 (pbk.), second copy"]
    assert parse_identifier_list("(OCoLC)12345 ;n 78-890351,\t0317-8471") == [
        "(OCoLC)12345", "n 78-890351", "0317-8471"]


def test_csv_has_one_row_per_holding_and_neutralises_formulas(held: RecordStore) -> None:
    text = answers_to_csv(check_holdings(held, ["0306406152", "hello"]))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["library"], r["lendable"]) for r in rows[:2]] == [("Library A", "yes"), ("Library B", "no")]
    assert rows[0]["lending_basis"] == "status - (Available)" and rows[0]["lending_string"] == "LA"
    assert rows[0]["copies"] == "2" and rows[0]["location"] == "Main" and rows[0]["year"] == "1851"
    assert rows[1]["call_number"] == "'=HYPERLINK()"
    assert rows[2]["query"] == "hello" and rows[2]["library"] == "" and "not an ISBN" in rows[2]["error"]


def test_a_bare_number_is_tried_as_every_identifier_it_could_be(
    store: RecordStore, catalogue: Catalogue
) -> None:
    catalogue.put(
        make_record("lib-a:7", title="OCLC number that looks like an ISBN-10", oclc_numbers=("198526636",)),
        make_record("lib-b:7", title="Ten-digit LCCN", lccns=("2001012345",)),
    )
    ClusterStore(store).update(IdentifierMatcher())
    as_oclc, as_lccn = check_holdings(store, ["0198526636", "2001012345"])
    assert (as_oclc.kind, as_oclc.normalized) == ("oclc", "198526636")
    assert [i.title for i in as_oclc.items] == ["OCLC number that looks like an ISBN-10"]
    assert (as_lccn.kind, as_lccn.normalized) == ("lccn", "2001012345") and len(as_lccn.items) == 1


def test_identifiers_past_the_limit_are_answered_with_an_error_not_dropped(held: RecordStore) -> None:
    wanted = ["0-306-40615-2"] * (MAX_IDENTIFIERS + 2)
    answers = check_holdings(held, wanted)
    assert len(answers) == len(wanted)
    assert answers[MAX_IDENTIFIERS - 1].items and not answers[MAX_IDENTIFIERS - 1].error
    assert answers[-1].items == () and "more than 500" in answers[-1].error


@pytest.mark.parametrize(
    ("pasted", "kind", "normalized", "message"),
    [
        # the examples, each with the one message staff see for its line
        ("0270-2496", "issn", "0270-2496",
         "ISSN with a bad check digit (did you mean 0270-2495?); searched as typed (ISSN 0270-2496): "
         "not held by any library"),
        ("0-226-06565-X", "isbn", "022606565X",
         "ISBN with a bad check digit (did you mean 0-226-06565-0?); searched as typed (ISBN 022606565X): "
         "not held by any library"),
        ("(DLC) 60005725", "lccn", "60005725", "LCCN 60005725: held by 1 library, none says it lends"),
        ("(OCoLC) 12345", "oclc", "12345", "OCLC number 12345: held by 2 libraries, 1 can lend"),
        ("( OCoLC )ocm00012345", "oclc", "12345", "OCLC number 12345: held by 2 libraries, 1 can lend"),
        ("ocn12345", "oclc", "12345", "OCLC number 12345: held by 2 libraries, 1 can lend"),
        ("on12345", "oclc", "12345", "OCLC number 12345: held by 2 libraries, 1 can lend"),
        ("https://www.worldcat.org/oclc/12345", "oclc", "12345", "OCLC number 12345: held by 2 libraries, 1 can lend"),
        ("worldcat.org/title/moby-dick/oclc/12345", "oclc", "12345",
         "OCLC number 12345: held by 2 libraries, 1 can lend"),
        ("https://lccn.loc.gov/60005725", "lccn", "60005725", "LCCN 60005725: held by 1 library, none says it lends"),
        ("978 0 306 40615 7", "isbn", "9780306406157", "ISBN 9780306406157: held by 2 libraries, 1 can lend"),
        ("0 306 40615 2", "isbn", "9780306406157", "ISBN 9780306406157: held by 2 libraries, 1 can lend"),
        ("(CaOOAMICUS)000012345", "", "",
         "a (CaOOAMICUS) control number: only (OCoLC) and (DLC) numbers are shared between catalogs"),
        ("https://example.org/item/1", "", "", "a link, but not a worldcat.org/oclc/… or lccn.loc.gov/… link"),
        ("978-0-306-4061", "", "", "11 digits: an ISBN has 10 or 13, an ISSN 8"),
    ],
)
def test_every_identifier_example_gets_its_own_specific_message(
    held: RecordStore, catalogue: Catalogue, pasted: str, kind: str, normalized: str, message: str
) -> None:
    catalogue.put(make_record("lib-c:9", title="Dated", lccns=("60005725",)))
    ClusterStore(held).update(IdentifierMatcher())
    [answer] = check_holdings(held, [pasted])
    assert (answer.kind, answer.normalized, answer.message) == (kind, normalized, message)


def test_a_bad_check_digit_is_still_searched_as_typed_and_the_fix_is_offered(
    store: RecordStore, catalogue: Catalogue
) -> None:
    # catalogs carry mistyped numbers too: the identifier table is asked for the number as typed
    catalogue.put(make_record("lib-a:8", title="Mistyped ISSN in the catalog", issns=("0270-2496",)))
    ClusterStore(store).update(IdentifierMatcher())
    [answer] = check_holdings(store, ["0270-2496"])
    assert [i.title for i in answer.items] == ["Mistyped ISSN in the catalog"]
    assert answer.suggestion == "0270-2495" and answer.message.startswith("ISSN with a bad check digit")


def test_one_message_per_pasted_line(held: RecordStore) -> None:
    text = "0-306-40615-2\n(OCoLC) 12345\nhello\n0270-2496\n"
    answers = check_holdings(held, parse_identifier_list(text))
    assert [a.query for a in answers] == ["0-306-40615-2", "(OCoLC) 12345", "hello", "0270-2496"]
    assert all(a.message for a in answers) and len({a.message for a in answers}) == 4


def test_answers_carry_the_lender_list_and_the_requests_csv_one_row_each(held: RecordStore) -> None:
    answers = check_holdings(held, ["0306406152", "hello"], requester="LB")
    lenders = answers[0].items[0].lenders
    assert [lender.code for lender in lenders.lenders] == ["LA"] and lenders.lending_string == "LA"
    assert [(n.code, n.reason) for n in lenders.not_lending] == [
        ("LB", "your library (the requester is never a lender)")]
    rows = list(csv.DictReader(io.StringIO(requests_to_csv(answers))))
    assert [(r["query"], r["lending_string"]) for r in rows] == [("0306406152", "LA"), ("hello", "")]
    assert rows[0]["lenders"] == "1. LA (available now)" and "not an ISBN" in rows[1]["error"]
