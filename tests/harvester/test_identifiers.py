"""Identifier normalization: checksums, conversions, prefixes, and the LCCN rules published by LoC."""

from __future__ import annotations

import pytest

from harvester.identifiers import (
    isbn13_to_10,
    normalize_isbn,
    normalize_issn,
    normalize_lccn,
    normalize_oclc,
    recognise_identifier,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0198526636", "9780198526636"),
        ("0-19-852663-6 (pbk.)", "9780198526636"),
        ("ISBN 0-19-852663-6", "9780198526636"),
        ("9780198526636 :", "9780198526636"),
        ("978-0-19-852663-6", "9780198526636"),
        ("978 0 19 852663 6", "9780198526636"),
        ("080442957X", "9780804429573"),
        ("080442957x (v. 1)", "9780804429573"),
        ("9791032305690", "9791032305690"),  # a 979 ISBN has no ISBN-10
        ("0198526637", None),  # wrong check digit
        ("9780198526637", None),
        ("12345", None),
        ("", None),
        ("pbk.", None),
    ],
)
def test_isbns_are_checksum_validated_and_converted_to_13_digits(text: str, expected: str | None) -> None:
    assert normalize_isbn(text) == expected


def test_isbn13_converts_back_to_10_only_for_978() -> None:
    assert isbn13_to_10("9780198526636") == "0198526636"
    assert isbn13_to_10("9780804429573") == "080442957X"
    assert isbn13_to_10("9791032305690") is None
    assert isbn13_to_10("9780198526637") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0317-8471", "0317-8471"),
        ("03178471", "0317-8471"),
        ("0022-0469", "0022-0469"),  # The Journal of ecclesiastical history (cornell_serial_issn.mrc)
        ("2434-561x", "2434-561X"),
        ("0317-8472", None),
        ("ISSN-L 0317-8471", "0317-8471"),
        ("", None),
    ],
)
def test_issns_are_checksum_validated_and_hyphenated(text: str, expected: str | None) -> None:
    assert normalize_issn(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(OCoLC)ocm00012345", "12345"),
        ("(OCoLC)12345", "12345"),
        ("(OCoLC) 12345", "12345"),
        ("(ocolc)ocn123456789", "123456789"),
        ("ocm08638218", "8638218"),
        ("ocn232977651", "232977651"),
        ("on1234567890", "1234567890"),
        ("00012345", "12345"),
        ("(DLC)   00313831", None),  # another institution's number is not an OCLC number
        ("(OCoLC)", None),
        ("", None),
    ],
)
def test_oclc_numbers_lose_their_prefixes_and_leading_zeros(text: str, expected: str | None) -> None:
    assert normalize_oclc(text) == expected


# The examples of https://www.loc.gov/marc/lccn-namespace.html ("Normalization" section)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n78-890351", "n78890351"),
        ("n78-89035", "n78089035"),
        ("n 78890351 ", "n78890351"),
        (" 85000002 ", "85000002"),
        ("85-2 ", "85000002"),
        ("2001-000002", "2001000002"),
        ("75-425165//r75", "75425165"),
        (" 79139101 /AC/r932", "79139101"),
        ("   00313831 ", "00313831"),  # 010 $a as MARC records carry it
        ("sn 87042587 ", "sn87042587"),
        ("not an lccn", None),
        ("", None),
    ],
)
def test_lccns_follow_the_library_of_congress_normalization(text: str, expected: str | None) -> None:
    assert normalize_lccn(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0-19-852663-6", ("isbn", "9780198526636")),
        ("9780198526636", ("isbn", "9780198526636")),
        ("0317-8471", ("issn", "0317-8471")),
        ("(OCoLC)ocm00012345", ("oclc", "12345")),
        ("ocn232977651", ("oclc", "232977651")),
        ("232977651", ("oclc", "232977651")),
        ("n78-890351", ("lccn", "n78890351")),
        ("lccn: 85-2", ("lccn", "85000002")),
        ("ISSN 03178471", ("issn", "0317-8471")),
        ("oclc 12345", ("oclc", "12345")),
        ("isbn 0198526637", None),  # labelled but invalid
        ("hello", None),
        ("", None),
    ],
)
def test_pasted_identifiers_are_recognised(text: str, expected: tuple[str, str] | None) -> None:
    assert recognise_identifier(text) == expected
