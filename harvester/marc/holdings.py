"""Holdings from MARC: who holds the item, where, under which call number, and whether it can go out.

A source's `HoldingsProfile` (harvester/profiles.py) names the tag and subfields its library system uses.
Rules that downstream code (union display, "held by N libraries", ILL holdings checks) relies on:

- ``library_code`` / ``library_name`` are always the source's `Library` (the consortium member); a
  branch read through the profile's ``library`` subfield goes into ``location`` as "Branch — Shelf";
- a bibliographic record with no holdings fields at all still gets ONE holding for its library
  (``source_tag=""``), so every member that has the record counts;
- textual holdings (866-868 $a) become ``summary``; in MARC 21 they pair with their 852 through the
  link number in $8 ("1" in 852 $8 "1" and 866 $8 "1.1"), unpaired ones go to the first holding;
- a holding is not lendable when its status or location matches one of the profile's ``not_lendable``
  regexes, or its ``not_lendable_subfield`` (Koha 952 $7) holds a non-empty, non-zero value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from pymarc import Field

from harvester.marc.profiles import PROFILES, HoldingsProfile
from harvester.marc.rules import MarcView
from harvester.record import Holding
from harvester.settings import Library

BRANCH_SEPARATOR = " — "
_EMBEDDED_SUBFIELD = re.compile(r"\|[a-z0-9](?=\S)")  # "|aA 13.2:UR" — a subfield marker left in the text


@lru_cache(maxsize=64)
def _not_lendable(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _joined(field: Field, codes: str) -> str:
    if not codes:
        return ""
    values = [sf.value.strip() for code in codes for sf in field.subfields
              if sf.code == code and sf.value.strip()]
    return " ".join(values)


def _by_code(field: Field) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for code, value in field.subfields:
        value = value.strip()
        if value:
            values.setdefault(code, []).append(value)
    return values


def _pick(values: dict[str, list[str]], codes: str) -> str:
    """The values of these subfield codes, in the order the codes are given, joined by spaces."""
    if not codes:
        return ""
    if len(codes) == 1:
        found = values.get(codes)
        return " ".join(found) if found else ""
    return " ".join(v for code in codes for v in values.get(code, ()))


def _link(field: Field) -> str:
    """The link number of a holdings field's $8 ("1.2\\x" → "1")."""
    for sf in field.subfields:
        if sf.code == "8" and sf.value:
            return sf.value.split(".", 1)[0].split("\\", 1)[0].strip()
    return ""


def holding_from_field(field: Field, profile: HoldingsProfile, library: Library) -> Holding:
    """One holding from one item/holdings field, read through the profile."""
    values = _by_code(field)
    branch = _pick(values, profile.library)
    shelf = _pick(values, profile.location)
    location = f"{branch}{BRANCH_SEPARATOR}{shelf}" if branch and shelf else branch or shelf
    status = _pick(values, profile.status)
    copies_text = _pick(values, profile.copies)
    copies = int(copies_text) if copies_text.isdecimal() and int(copies_text) > 0 else 1
    lendable = is_lendable(profile, (status, shelf, branch), _pick(values, profile.not_lendable_subfield))
    call_number = _pick(values, profile.call_number)
    if "|" in call_number:
        call_number = " ".join(_EMBEDDED_SUBFIELD.sub(" ", call_number).split())
    return Holding(
        library_code=library.code,
        library_name=library.name,
        location=location,
        call_number=call_number,
        barcode=_pick(values, profile.barcode),
        status=status,
        copies=copies,
        lendable=lendable,
        note=_pick(values, profile.note),
        source_tag=field.tag,
    )


def is_lendable(profile: HoldingsProfile, texts: Sequence[str], flag: str = "") -> bool:
    """False when a status or location text (each checked on its own, so "^reference" matches a shelf
    called "Reference" under any branch) matches a not-lendable pattern, or the flag subfield is set."""
    if flag.strip() and flag.strip() not in ("0", "0.0"):
        return False
    pattern = _not_lendable(tuple(profile.not_lendable))
    if pattern is None:
        return True
    return not any(pattern.search(text) for text in texts if text)


def profile_fields(view: MarcView, tag_spec: str) -> list[Field]:
    """The fields a profile's ``tag`` names: "852", or a tag with indicators, "999 91" (UNC's item
    fields share 999 with holdings fields that differ only by indicators); "_" matches any indicator."""
    tag, _, indicators = tag_spec.partition(" ")
    fields = view.fields(tag)
    wanted = indicators.strip()
    if not wanted:
        return fields
    return [f for f in fields if f.indicators and all(
        w in "_*#" or w == got for w, got in zip(wanted, f.indicators, strict=False))]


def holdings_of(
    view: MarcView, profile: HoldingsProfile, library: Library, default: bool = True
) -> tuple[Holding, ...]:
    """Every holding a record carries under `profile`; one bare holding for `library` when none."""
    fields = profile_fields(view, profile.tag)
    holdings = [holding_from_field(field, profile, library) for field in fields]
    summaries = _summaries(view, profile.summary_tags)
    if summaries:
        holdings = _attach_summaries(holdings, [_link(f) for f in fields], summaries, library, profile)
    if not holdings and default:
        holdings = [Holding(library_code=library.code, library_name=library.name)]
    return tuple(holdings)


def mfhd_holdings(view: MarcView, profile: HoldingsProfile, library: Library) -> tuple[Holding, ...]:
    """Holdings of a separate MFHD record: its 852s (through the source's profile when that reads 852,
    else the MARC 21 holdings layout) with their 866-868 summaries."""
    if profile.tag != "852":
        profile = PROFILES["marc21"]
    if not profile.summary_tags:
        profile = replace(profile, summary_tags=PROFILES["marc21"].summary_tags)
    found = holdings_of(view, profile, library, default=False)
    if not found:
        return (Holding(library_code=library.code, library_name=library.name, source_tag="MFHD"),)
    return found


def _summaries(view: MarcView, tags: Sequence[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for tag in tags:
        for field in view.fields(tag):
            text = " ".join(_joined(field, "a").split())
            notes = _joined(field, "z")
            if text or notes:
                out.append((_link(field), f"{text} ({notes})" if text and notes else text or notes))
    return out


def _attach_summaries(
    holdings: list[Holding], links: list[str], summaries: list[tuple[str, str]], library: Library,
    profile: HoldingsProfile,
) -> list[Holding]:
    if not holdings:
        text = "; ".join(s for _, s in summaries)
        return [Holding(library_code=library.code, library_name=library.name, summary=text,
                        source_tag=profile.summary_tags[0] if profile.summary_tags else "")]
    by_index: dict[int, list[str]] = {}
    for link, text in summaries:
        index = links.index(link) if link and link in links else 0
        by_index.setdefault(index, []).append(text)
    out = []
    for index, holding in enumerate(holdings):
        texts = by_index.get(index)
        if texts:
            out.append(replace(holding, summary="; ".join(texts)))
        else:
            out.append(holding)
    return out

