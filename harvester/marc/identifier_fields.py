"""Identifiers from MARC fields: ISBNs (020, with invalid and cancelled forms kept apart), ISSNs
(022), OCLC numbers (035 with OCLC prefixes), LCCNs (010) and other standard numbers (024).
"""

from __future__ import annotations

import re

from harvester.identifiers import (
    is_oclc_prefixed,
    normalize_isbn,
    normalize_issn,
    normalize_lccn,
    normalize_oclc,
)
from harvester.marc.rules import (
    MarcView,
    first,
    reads,
    subfield_values,
    unique,
)


def _isbn_lists(view: MarcView) -> tuple[list[str], list[str]]:
    """(valid ISBN-13s from 020 $a, the rest: $a failing the checksum and every $z), computed once."""
    cached = view.cache.get("isbn")
    if cached is None:
        valid: list[str] = []
        invalid: list[str] = []
        for field in view.fields("020"):
            for code, value in field.subfields:
                if code == "a" or code == "z":
                    found = normalize_isbn(value)
                    if found and code == "a":
                        valid.append(found)
                    elif found:
                        invalid.append(found)
                    else:
                        shape = _ISBNISH.search(value)
                        if shape:
                            invalid.append(shape.group().replace("-", "").replace(" ", "").upper())
        cached = view.cache["isbn"] = (unique(valid), unique(invalid))
    return cached


@reads("020")
def isbns(view: MarcView) -> list[str]:
    """020 $a checksum-valid ISBNs as ISBN-13."""
    return _isbn_lists(view)[0]


_ISBNISH = re.compile(r"[0-9][0-9\- ]*[0-9Xx]")


@reads("020")
def invalid_isbns(view: MarcView) -> list[str]:
    """020 $a values that fail the checksum, and 020 $z (cancelled/invalid) ones, kept apart."""
    return _isbn_lists(view)[1]


@reads("022")
def issns(view: MarcView) -> list[str]:
    """022 $a checksum-valid ISSNs ($y incorrect and $z cancelled ones are not this item's)."""
    return unique(n for f in view.fields("022") for n in map(normalize_issn, subfield_values(f, "a")) if n)


@reads("035", "001")
def oclc_numbers(view: MarcView) -> list[str]:
    """035 $a with an (OCoLC) or ocm/ocn/on prefix; an OCLC-prefixed 001 (with 003 OCoLC) too."""
    found = [normalize_oclc(v) for f in view.fields("035") for v in subfield_values(f, "a")
             if is_oclc_prefixed(v)]
    control = view.control("001").strip()
    if is_oclc_prefixed(control) or (control.isdigit() and view.control("003").strip().upper() == "OCOLC"):
        found.append(normalize_oclc(control))
    return unique(n for n in found if n)


@reads("010")
def lccns(view: MarcView) -> list[str]:
    return unique(n for f in view.fields("010") for n in map(normalize_lccn, subfield_values(f, "a")) if n)


_024_SCHEMES = {"0": "isrc", "1": "upc", "2": "ismn", "3": "ean", "4": "sici"}


@reads("024", "015", "016")
def other_ids(view: MarcView) -> list[str]:
    """024 (scheme from ind1, or $2 when ind1 is 7), 015 national bibliography and 016 agency numbers."""
    out: list[str] = []
    for field in view.fields("024"):
        ind1 = field.indicators[0] if field.indicators else " "
        source = first(subfield_values(field, "2")).strip().lower() if ind1 == "7" else ""
        scheme = _024_SCHEMES.get(ind1) or source
        out += [f"{scheme or 'other'}:{v.split()[0]}" for v in subfield_values(field, "a") if v.split()]
    for field in view.fields("015"):
        out += [f"nbn:{v.split()[0]}" for v in subfield_values(field, "a") if v.split()]
    for field in view.fields("016"):
        agency = first(subfield_values(field, "2")).strip() or "CaOONL"
        out += [f"{agency}:{v.strip()}" for v in subfield_values(field, "a") if v.strip()]
    return unique(out)
