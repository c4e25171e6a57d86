"""Holdings from MARC: who holds the item, where, and what the source says about copies and lending.

A source's `HoldingsProfile` (harvester/marc/profiles.py) names the tag and subfields its library system
uses; its translation maps (harvester/marc/codemaps.py, files in config/maps/) say what the codes mean.
Fidelity rules that union displays, "held by N libraries" and the ILL lender list rely on:

- ``library_code`` / ``library_name`` are always the source's `Library` (the consortium member); a
  branch read through the profile's ``library`` subfield goes into ``location`` as "Branch — Shelf";
- a holding has a ``kind``: ``item`` (item-level fields: one field per copy), ``holding`` (a location
  level 852/MFHD with no item data), ``held`` (a bibliographic record with no holdings fields at all:
  the library has it, nothing more is known) or ``online`` (an e-resource: linkable, not a physical loan);
- ``copies`` is a number only when the source counts: 1 per item field (never grouped: two items with
  the same call number may be two volumes) or a count subfield (Alma AVA $f); otherwise None;
- ``lendable`` is True/False only when a code the maps translate, a not-for-loan flag or the library's
  stated default policy (``policy=True``) says so, and ``basis`` says which; otherwise None;
- codes no map names are shown raw and listed in ``unmapped`` ("status:o") for the partners page;
- textual holdings (866-868 $a) become ``summary``, paired with their 852 through $8.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from pymarc import Field

from harvester.marc.codemaps import CodeMaps
from harvester.marc.profiles import PROFILES, HoldingsProfile, maps_of
from harvester.marc.rules import MarcView
from harvester.record import Holding
from harvester.settings import Library

BRANCH_SEPARATOR = " — "
_EMBEDDED_SUBFIELD = re.compile(r"\|[a-z0-9](?=\S)")  # "|aA 13.2:UR" — a subfield marker left in the text
_NATURAL = re.compile(r"(\d+)")


@lru_cache(maxsize=64)
def _not_lendable(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


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


@dataclass(frozen=True, slots=True)
class Lending:
    """What the codes of one holding say: names to show and the lending claim with its basis."""

    branch: str
    location: str
    status: str
    lendable: bool | None
    available: bool | None
    online: bool
    policy: bool
    basis: str
    unmapped: tuple[str, ...]


def read_codes(profile: HoldingsProfile, codes: dict[str, str], flag: str) -> Lending:
    """Translate a holding's codes through the source's maps and decide what they say about lending.

    Precedence: a code that says "online" makes an online holding (linkable, not a physical loan); then
    a "not lendable" code or loan flag wins; then a code that says "lendable"; then the profile's
    not-lendable text patterns (for unmapped free text such as "Reference"); then the library's stated
    policy; otherwise nobody says (None).
    """
    maps: CodeMaps = maps_of(profile)
    names: dict[str, str] = {}
    rules: list[tuple[str, str, str]] = []  # (rule, kind, words)
    unmapped: list[str] = []
    available: bool | None = None
    for kind, code in codes.items():
        if not code and kind != "status":
            continue
        entry = maps.lookup(kind, code)
        if entry is None:
            if code:
                unmapped.append(f"{kind}:{code}")
            names[kind] = code
            continue
        names[kind] = entry.name or code
        if entry.rule:
            rules.append((entry.rule, kind, _words(kind, code, entry.name)))
        if kind == "status" and entry.available is not None:
            available = entry.available
    if flag:
        entry = maps.lookup("loan", flag)
        if entry is None:
            unmapped.append(f"loan:{flag}")
        elif entry.rule:
            rules.append((entry.rule, "loan", _words("loan", flag, entry.name)))
    lendable, online, policy, basis = _decide(rules, profile, maps, names)
    return Lending(names.get("library", ""), names.get("location", ""), names.get("status", ""),
                   lendable, available, online, policy, basis,
                   tuple(unmapped))


_DECIDED: dict[int, tuple[HoldingsProfile, CodeMaps, dict[tuple[str, ...], Lending]]] = {}
_DECIDED_LIMIT = 4096


def _read_codes_once(profile: HoldingsProfile, codes: dict[str, str], flag: str) -> Lending:
    """`read_codes`, remembered per profile: a source's items repeat a few code combinations (branch,
    shelf, status, type) thousands of times, and the answer depends only on them, the profile and its
    maps. The entry keeps the profile and maps it was made for, so a reused id never answers."""
    maps = maps_of(profile)
    entry = _DECIDED.get(id(profile))
    if entry is None or entry[0] is not profile or entry[1] is not maps:
        if len(_DECIDED) >= 64:  # profiles made per record (an MFHD's) must not pile up
            _DECIDED.clear()
        entry = _DECIDED[id(profile)] = (profile, maps, {})
    decided = entry[2]
    key = (codes["library"], codes["location"], codes["status"], codes["item_type"], flag)
    found = decided.get(key)
    if found is None:
        if len(decided) >= _DECIDED_LIMIT:
            decided.clear()
        found = decided[key] = read_codes(profile, codes, flag)
    return found


_KIND_WORDS = {"library": "branch", "location": "location", "status": "status", "item_type": "item type",
               "loan": "loan flag"}


def _words(kind: str, code: str, name: str) -> str:
    label = f"{_KIND_WORDS[kind]} {code}" if code else f"no {_KIND_WORDS[kind]}"
    return f"{label} ({name})" if name and name != code else label


def _decide(rules: list[tuple[str, str, str]], profile: HoldingsProfile, maps: CodeMaps,
            names: dict[str, str]) -> tuple[bool | None, bool, bool, str]:
    """(lendable, online, from policy, basis in words)."""
    for wanted in ("online", "not lendable", "lendable"):
        found = [words for rule, _, words in rules if rule == wanted]
        if found:
            if wanted == "online":
                return False, True, False, "online resource: " + "; ".join(found)
            return wanted == "lendable", False, False, "; ".join(found)
    pattern = _not_lendable(tuple(profile.not_lendable))
    if pattern is not None:
        for kind in ("status", "location", "library", "item_type"):
            text = names.get(kind, "")
            if text and pattern.search(text):
                return False, False, False, f"{_KIND_WORDS[kind]} reads {text!r}"
    policy = maps.policy
    if policy in ("lendable", "not lendable"):
        note = maps.policy_note or f"the library's default: {policy}"
        return policy == "lendable", False, True, f"library policy: {note}"
    return None, False, False, ""


def holding_from_field(field: Field, profile: HoldingsProfile, library: Library) -> Holding:
    """One holding from one item/holdings field, read through the profile and its maps."""
    values = _by_code(field)
    codes = {
        "library": _pick(values, profile.library),
        "location": _pick(values, profile.location),
        "status": _pick(values, profile.status),
        "item_type": _pick(values, profile.item_type),
    }
    lending = _read_codes_once(profile, codes, _pick(values, profile.not_lendable_subfield))
    branch, shelf = lending.branch, lending.location
    location = f"{branch}{BRANCH_SEPARATOR}{shelf}" if branch and shelf else branch or shelf
    call_number = _pick(values, profile.call_number)
    if "|" in call_number:
        call_number = " ".join(_EMBEDDED_SUBFIELD.sub(" ", call_number).split())
    kind = "online" if lending.online else ("item" if profile.item_level or profile.copies else "holding")
    return Holding(
        library_code=library.code,
        library_name=library.name,
        location=location,
        call_number=call_number,
        barcode=_pick(values, profile.barcode),
        status=lending.status,
        copies=None if lending.online else _copies(values, profile),
        lendable=lending.lendable,
        available=lending.available,
        kind=kind,
        policy=lending.policy,
        basis=lending.basis,
        location_code=codes["location"],
        branch_code=codes["library"],
        status_code=codes["status"],
        item_type=codes["item_type"],
        unmapped=lending.unmapped,
        note=_pick(values, profile.note),
        source_tag=field.tag,
    )


def _copies(values: dict[str, list[str]], profile: HoldingsProfile) -> int | None:
    """A count the source gives: the count subfield (Alma AVA $f), or 1 for an item-level field."""
    if profile.copies:
        text = _pick(values, profile.copies)
        return int(text) if text.isdecimal() else None
    return 1 if profile.item_level else None


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
    """Every holding a record carries under `profile`; one bare ("held" or "online") holding when none."""
    fields = profile_fields(view, profile.tag)
    holdings = [holding_from_field(field, profile, library) for field in fields]
    summaries = _summaries(view, profile.summary_tags)
    if summaries:
        holdings = _attach_summaries(holdings, [_link(f) for f in fields], summaries, library, profile)
    if profile.items is not None:
        holdings = _with_items(holdings, view, profile.items, library)
    if not holdings and default:
        holdings = [bare_holding(view, library)]
    return tuple(holdings)


def bare_holding(view: MarcView, library: Library) -> Holding:
    """A record with no holdings fields: "online" when it is an e-resource with a link to itself,
    else "held" — the library has it and nothing more is known (no copies, no lending claim)."""
    if is_online_resource(view):
        return Holding(library_code=library.code, library_name=library.name, kind="online", lendable=False,
                       basis="online resource (856 link to the item, electronic form): not a physical loan")
    return Holding(library_code=library.code, library_name=library.name, kind="held")


def is_online_resource(view: MarcView) -> bool:
    """An 856 that is the resource itself (ind2 0/1, with $u) on a record whose form is electronic
    (007/00-01 "cr", 008 form of item o/s, or leader/06 m computer file)."""
    linked = any(f.indicators and f.indicators[1] in "01" and f.get_subfields("u") for f in view.fields("856"))
    if not linked:
        return False
    if view.leader[6:7] == "m":
        return True
    if any((f.data or "")[:2] == "cr" for f in view.fields("007")):
        return True
    f008 = view.control("008")
    form = f008[29:30] if view.leader[6:7] in "egkor" else f008[23:24]
    return form in ("o", "s")


def _with_items(holdings: list[Holding], view: MarcView, items: HoldingsProfile, library: Library) -> list[Holding]:
    """Item fields beside location-level holdings (Duke's 940 next to its 852): a holding with items at
    the same branch and location gives way to them (its summary moves to the first)."""
    found = [holding_from_field(f, items, library) for f in profile_fields(view, items.tag)]
    if not found:
        return holdings
    out: list[Holding] = []
    used: set[int] = set()
    for h in holdings:
        matches = [i for i, item in enumerate(found)
                   if (item.branch_code, item.location_code) == (h.branch_code, h.location_code)]
        if not matches:
            out.append(h)
            continue
        if h.summary:
            first = matches[0]
            found[first] = replace(found[first], summary="; ".join(s for s in (found[first].summary, h.summary) if s))
        used.update(matches)
    return out + found


def mfhd_holdings(view: MarcView, profile: HoldingsProfile, library: Library) -> tuple[Holding, ...]:
    """Holdings of a separate MFHD record: its 852s (through the source's profile when that reads 852,
    else the MARC 21 holdings layout) with their 866-868 summaries."""
    if profile.tag != "852":
        profile = replace(PROFILES["marc21"], maps=profile.maps)
    if not profile.summary_tags:
        profile = replace(profile, summary_tags=PROFILES["marc21"].summary_tags)
    found = holdings_of(view, replace(profile, items=None), library, default=False)
    if not found:
        return (Holding(library_code=library.code, library_name=library.name, source_tag="MFHD", kind="holding"),)
    return found


def _summaries(view: MarcView, tags: Sequence[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for tag in tags:
        for field in view.fields(tag):
            text = " ".join(" ".join(field.get_subfields("a")).split())
            notes = " ".join(v.strip() for v in field.get_subfields("z") if v.strip())
            if text or notes:
                out.append((_link(field), f"{text} ({notes})" if text and notes else text or notes))
    return out


def _attach_summaries(
    holdings: list[Holding], links: list[str], summaries: list[tuple[str, str]], library: Library,
    profile: HoldingsProfile,
) -> list[Holding]:
    if not holdings:
        text = "; ".join(s for _, s in summaries)
        return [Holding(library_code=library.code, library_name=library.name, summary=text, kind="holding",
                        source_tag=profile.summary_tags[0] if profile.summary_tags else "")]
    by_index: dict[int, list[str]] = {}
    for link, text in summaries:
        index = links.index(link) if link and link in links else 0
        by_index.setdefault(min(index, len(holdings) - 1), []).append(text)
    return [replace(h, summary="; ".join(by_index[i])) if i in by_index else h for i, h in enumerate(holdings)]


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders numbers by value: "CARTON 2" before "CARTON 10", "v. 6" before "v. 10"."""
    parts = _NATURAL.split(text.casefold())
    return tuple((0, int(p)) if i % 2 else (1, p.strip()) for i, p in enumerate(parts) if p.strip() or i % 2)


def holding_sort_key(holding: Holding) -> tuple[object, ...]:
    """Library, then location, then call number and summary in natural order."""
    return (
        (holding.library_name or holding.library_code).casefold(),
        natural_key(holding.location),
        natural_key(holding.call_number),
        natural_key(holding.summary),
    )
