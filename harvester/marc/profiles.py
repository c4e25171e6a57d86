"""Holdings profiles: where each library system puts location, call number, barcode and status in MARC.

Every integrated library system exports items differently (Koha in 952, Sierra in 945/949, Symphony in
999, Alma in AVA, standard holdings in 852/866-868). A profile names the tag and subfields; a source picks
one by name and may override any subfield in its ``[sources.holdings]`` table::

    [sources.holdings]
    profile = "koha"
    call_number = "o"     # override one subfield, keep the rest of the profile

The built-in profiles are registered in `PROFILES` exactly as a consortium's own would be.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

DEFAULT_NOT_LENDABLE = (
    r"^(non[- ]?circ|not for loan|notforloan|reference|ref|library use only|in[- ]library use)",
    r"^(lost|missing|withdrawn|damaged|on order|in process|claims? returned|billed)",
    r"\b(unavailable|noncirculating|non-circulating|reading room|restricted)\b",
)
"""Status or location texts (case-insensitive regexes) that mean a holding cannot go out on loan."""


@dataclass(frozen=True, slots=True)
class HoldingsProfile:
    """Which MARC tag and subfields carry one library system's holdings.

    Subfield settings are strings of subfield codes; several codes are joined in the given order
    (``call_number = "khim"`` joins 852 $k $h $i $m). An empty string means "not recorded".
    """

    name: str
    tag: str
    library: str = ""  # subfield naming the holding library/branch inside the source, if any
    location: str = ""
    call_number: str = ""
    barcode: str = ""
    status: str = ""
    note: str = ""
    copies: str = ""  # subfield carrying a copy count (Alma AVA $f); otherwise one holding = one copy
    summary_tags: tuple[str, ...] = ()  # textual holdings fields (866/867/868 $a)
    not_lendable: tuple[str, ...] = DEFAULT_NOT_LENDABLE
    not_lendable_subfield: str = ""  # a subfield whose non-empty, non-zero value means "not for loan"

    @property
    def subfield_settings(self) -> tuple[str, ...]:
        return SUBFIELD_SETTINGS


SUBFIELD_SETTINGS = (
    "library",
    "location",
    "call_number",
    "barcode",
    "status",
    "note",
    "copies",
    "not_lendable_subfield",
)

PROFILES: dict[str, HoldingsProfile] = {
    profile.name: profile
    for profile in (
        # MARC 21 Format for Holdings Data, embedded in the bib or in MFHD records: 852 location,
        # 866-868 textual holdings (basic unit, supplements, indexes).
        HoldingsProfile(
            name="marc21",
            tag="852",
            library="a",
            location="bc",
            call_number="khim",
            barcode="p",
            note="z",
            summary_tags=("866", "867", "868"),
        ),
        # Koha: one 952 per item. $a home branch, $c shelving location, $o call number, $p barcode,
        # $7 not-for-loan code (non-zero: not lendable), $1 lost, $z public note.
        HoldingsProfile(
            name="koha",
            tag="952",
            library="a",
            location="c",
            call_number="o",
            barcode="p",
            status="1",
            note="z",
            not_lendable_subfield="7",
        ),
        # Sierra item export: 945 $l location code, $a call number, $i barcode, $s status code
        # ("-" available, "m" missing, "n" billed ...), $z note.
        HoldingsProfile(
            name="sierra",
            tag="945",
            location="l",
            call_number="a",
            barcode="i",
            status="s",
            note="z",
            not_lendable=DEFAULT_NOT_LENDABLE + (r"^[mnzwo$]$",),
        ),
        # Sierra/III load-profile items in 949: $l location, $a call number, $i barcode, $s status.
        HoldingsProfile(
            name="sierra-949",
            tag="949",
            location="l",
            call_number="a",
            barcode="i",
            status="s",
            note="z",
            not_lendable=DEFAULT_NOT_LENDABLE + (r"^[mnzwo$]$",),
        ),
        # SirsiDynix Symphony: 999 $m library, $l home location, $a call number, $i barcode,
        # $k current location (CHECKEDOUT, MISSING ...), $o note.
        HoldingsProfile(
            name="symphony",
            tag="999",
            library="m",
            location="l",
            call_number="a",
            barcode="i",
            status="k",
            note="o",
        ),
        # Alma publishing (AVA, physical availability): $b library code, $c location, $d call number,
        # $e availability (available / unavailable / check_holdings), $f number of items.
        HoldingsProfile(
            name="alma",
            tag="AVA",
            library="b",
            location="c",
            call_number="d",
            status="e",
            copies="f",
        ),
        # Evergreen export with --items: 852 $b circulating library, $c shelving location,
        # $j call number, $p barcode, $x/$z notes.
        HoldingsProfile(
            name="evergreen",
            tag="852",
            library="b",
            location="c",
            call_number="j",
            barcode="p",
            note="z",
        ),
    )
}


def resolve_profile(name: str, overrides: dict[str, Any] | None = None) -> HoldingsProfile:
    """The named profile with a source's overrides applied; raises KeyError/ValueError when invalid."""
    profile = PROFILES[name]
    if not overrides:
        return profile
    allowed = {f.name for f in fields(HoldingsProfile)} - {"name"}
    unknown = set(overrides) - allowed
    if unknown:
        raise ValueError(f"unknown holdings setting(s) {sorted(unknown)}; known: {sorted(allowed)}")
    values = dict(overrides)
    for key in ("summary_tags", "not_lendable"):
        if key in values:
            values[key] = tuple(values[key])
    return replace(profile, **values)
