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

from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from harvester.marc.codemaps import CodeMaps, load_maps

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
    item_type: str = ""  # subfield carrying an item-type code (Koha $y, Sierra $t, Symphony $t)
    summary_tags: tuple[str, ...] = ()  # textual holdings fields (866/867/868 $a)
    not_lendable: tuple[str, ...] = DEFAULT_NOT_LENDABLE
    not_lendable_subfield: str = ""  # a loan flag (Koha $7, Symphony $r), read through the map's [loan]
    item_level: bool = False  # one field per copy (952, 945, 949, 999); else a location-level holding
    map: str = ""  # the translation map (config/maps/<map>.toml), by default the ILS's ("ils/koha")
    maps: CodeMaps = field(default_factory=CodeMaps, compare=False)  # `map` loaded (resolve_profile)
    items: HoldingsProfile | None = None  # item fields beside location-level ones (Duke's 940 by 852)

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
    "item_type",
    "not_lendable_subfield",
)

PROFILES: dict[str, HoldingsProfile] = {
    profile.name: profile
    for profile in (
        # MARC 21 Format for Holdings Data, embedded in the bib or in MFHD records: 852 location,
        # 866-868 textual holdings (basic unit, supplements, indexes). Location level: no copy count.
        HoldingsProfile(
            name="marc21",
            tag="852",
            library="a",
            location="bc",
            call_number="khim",
            barcode="p",
            note="z",
            summary_tags=("866", "867", "868"),
            map="ils/marc21",
        ),
        # Koha: one 952 per item. $a home branch, $c shelving location, $o call number, $p barcode,
        # $y item type, $7 not-for-loan code, $1 lost status, $z public note.
        HoldingsProfile(
            name="koha",
            tag="952",
            library="a",
            location="c",
            call_number="o",
            barcode="p",
            status="1",
            note="z",
            item_type="y",
            not_lendable_subfield="7",
            item_level=True,
            map="ils/koha",
        ),
        # Sierra item export: 945 $l location code, $a call number, $i barcode, $s status code
        # ("-" available, "m" missing, "o" library use only ...), $t item type, $z note.
        HoldingsProfile(
            name="sierra",
            tag="945",
            location="l",
            call_number="a",
            barcode="i",
            status="s",
            note="z",
            item_type="t",
            item_level=True,
            map="ils/sierra",
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
            item_type="t",
            item_level=True,
            map="ils/sierra",
        ),
        # SirsiDynix Symphony: 999 $m library, $l home location, $a call number, $i barcode,
        # $k current location (CHECKEDOUT, MISSING ...), $t item type, $r circulate flag (Y/N), $o note.
        HoldingsProfile(
            name="symphony",
            tag="999",
            library="m",
            location="l",
            call_number="a",
            barcode="i",
            status="k",
            note="o",
            item_type="t",
            not_lendable_subfield="r",
            item_level=True,
            map="ils/symphony",
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
            map="ils/alma",
        ),
        # Evergreen export with --items: one 852 per copy. $b circulating library, $c shelving location,
        # $j call number, $p barcode, $s status, $x/$z notes.
        HoldingsProfile(
            name="evergreen",
            tag="852",
            library="b",
            location="c",
            call_number="j",
            barcode="p",
            status="s",
            note="z",
            item_level=True,
            map="ils/evergreen",
        ),
    )
}

_TUPLES = ("summary_tags", "not_lendable")


def resolve_profile(name: str, overrides: dict[str, Any] | None = None,
                    folders: tuple[Path, ...] = ()) -> HoldingsProfile:
    """The named profile with a source's overrides applied and its translation maps loaded (from
    `folders`, then the shipped ``config/maps``); raises KeyError/ValueError (`MapError`) when invalid.

    ``items`` takes a table of the same settings for item fields kept beside location-level holdings::

        holdings = { profile = "marc21", items = { tag = "940", location = "c", status = "q" } }
    """
    profile = PROFILES[name]
    values = dict(overrides or {})
    allowed = {f.name for f in fields(HoldingsProfile)} - {"name", "maps"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown holdings setting(s) {sorted(unknown)}; known: {sorted(allowed)}")
    for key in _TUPLES:
        if key in values:
            values[key] = tuple(values[key])
    items = values.pop("items", None)
    profile = replace(profile, **values)
    maps = load_maps(profile.map, folders) if profile.map else CodeMaps()
    profile = replace(profile, maps=maps)
    if items is not None:
        profile = replace(profile, items=_item_profile(name, items, profile, allowed))
    return profile


def _item_profile(name: str, items: Any, holdings: HoldingsProfile, allowed: set[str]) -> HoldingsProfile:
    """The profile of item fields kept beside location-level holdings (``holdings.items``)."""
    if not isinstance(items, dict):
        raise ValueError("holdings.items must be a table of item-field settings (tag, location, ...)")
    unknown = set(items) - allowed | ({"items"} & set(items))
    if unknown:
        raise ValueError(f"unknown holdings.items setting(s) {sorted(unknown)}")
    values: dict[str, Any] = {"item_level": True, "not_lendable": holdings.not_lendable, **items}
    for key in _TUPLES:
        if key in values:
            values[key] = tuple(values[key])
    if not values.get("tag"):
        raise ValueError('holdings.items needs a `tag` (the item field, e.g. "940")')
    return HoldingsProfile(name=f"{name}-items", maps=holdings.maps, **values)


def maps_of(profile: HoldingsProfile) -> CodeMaps:
    """The profile's loaded maps, or its shipped map when it was used without `resolve_profile`."""
    if profile.maps.files or not profile.map:
        return profile.maps
    return _shipped(profile.map)


@lru_cache(maxsize=32)
def _shipped(name: str) -> CodeMaps:
    return load_maps(name)
