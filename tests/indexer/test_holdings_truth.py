"""No holding claims more than its record carries: every merged record, every claim, checked at the source.

The demo consortium (config/unioncat.toml over samples/) and, when ../shared is present, every MARC
source in shared/data/marc are harvested into a real store and clustered; then every merged record is
walked and each holding's claims are checked against its member records' raw MARC, re-read here with
pymarc (not through harvester/marc/holdings.py), and the source's translation map:

- a copy count only on an item-level holding whose source field is in the raw record (the barcode or
  call number found in a field with that tag), or equal to the count subfield (Alma AVA $f);
- "held (no item data)" only when the record has no field of its profile's tags;
- a lending claim only when its basis names codes that occur in that field and whose map entries carry
  that rule (or, marked as policy, the library's stated default; or an online resource's 856);
- nothing else: no copies on location-level or bare holdings, no lending claim without a basis.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymarc
import pytest

from harvester.marc.files import parse_raw_record
from harvester.marc.holdings import profile_fields
from harvester.marc.profiles import HoldingsProfile, maps_of
from harvester.marc.rules import MarcView
from harvester.record import Holding
from harvester.run import harvest_sources
from harvester.settings import Settings, load_settings, parse_settings
from harvester.store import RecordStore, StoredRecord
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.idmatch import IdentifierMatcher
from indexer.merge import MergedRecord, load_merged, source_libraries

ROOT = Path(__file__).resolve().parents[2]
SHARED_MARC = Path(os.environ.get("UNIONCAT_SHARED_DATA", "/work/shared/data")) / "marc"
"""The shared MARC collection (../shared/data/marc); its test is skipped in a clone without it."""
_WORDS = {"branch": "library", "location": "location", "status": "status", "item type": "item_type",
          "loan flag": "loan"}
_PART = re.compile(r"^(branch|location|status|item type|loan flag) (.+?)(?: \((.*)\))?$")
_PATTERN = re.compile(r"^(branch|location|status|item type) reads '(.*)'$")


def walk(settings: Settings, tmp: Path) -> Iterator[tuple[MergedRecord, dict[str, StoredRecord]]]:
    """Harvest and cluster `settings`' sources, then yield every merged record with its stored members
    (and their MFHD records)."""
    store = RecordStore(tmp / "walk.sqlite")
    harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
    clusters = ClusterStore(store)
    clusters.recluster_all(IdentifierMatcher())
    libraries = source_libraries(store)
    batch = list(clusters.iter_clusters())
    for start in range(0, len(batch), 500):
        chunk = batch[start:start + 500]
        ids = [record_id for _, members in chunk for record_id in members]
        stored = {s.id: s for s in store.get_many(ids)}
        for record_id in ids:
            for child in store.holdings_records(record_id):
                stored[child.id] = child
        for merged in load_merged(store, chunk, libraries):
            yield merged, stored
    store.close()


def claim_problems(merged: MergedRecord, stored: dict[str, StoredRecord], settings: Settings) -> list[str]:
    """Every holding of `merged` that no member record supports, with the claim that fails."""
    problems: list[str] = []
    parsed: dict[str, _Member] = {}
    ids = {m.record_id for m in merged.members}
    members = [s for s in stored.values() if s.id in ids or s.parent_id in ids]
    for holding in merged.record.holdings:
        sources = [(s, settings.source(s.source_id).holdings) for s in members
                   if settings.source(s.source_id).library.code == holding.library_code]
        reasons = [_unsupported(holding, _parsed(s, parsed), profile) for s, profile in sources]
        if not sources or all(reasons):
            problems.append(f"{merged.id} {holding.library_code} {holding.kind} copies={holding.copies} "
                            f"lendable={holding.lendable} basis={holding.basis!r}: "
                            + ("; ".join(r for r in reasons if r) or "no member of that library"))
    return problems


class _Member:
    """A member record re-read once with pymarc, its fields of a tag and their subfield values kept as
    they are asked for: a record with hundreds of items has as many holdings, each checked against the
    same fields, so re-reading per holding made the walk quadratic in the items of a record."""

    def __init__(self, member: StoredRecord) -> None:
        self.marc = parse_raw_record(member.raw, member.raw_format)
        self._fields: dict[str, tuple[list[pymarc.Field], list[set[str]], set[str]]] = {}

    def fields(self, tag: str) -> tuple[list[pymarc.Field], list[set[str]], set[str]]:
        """The data fields of `tag`, each one's stripped subfield values, and all of them together."""
        if tag not in self._fields:
            fields = [f for f in self.marc.get_fields(tag) if not f.is_control_field()] if tag else []
            values = [{sf.value.strip() for sf in f.subfields} for f in fields]
            self._fields[tag] = (fields, values, set().union(*values))
        return self._fields[tag]


def _parsed(member: StoredRecord, cache: dict[str, _Member]) -> _Member:
    if member.id not in cache:
        cache[member.id] = _Member(member)
    return cache[member.id]


def _unsupported(h: Holding, member: _Member, profile: HoldingsProfile) -> str:
    """Why `member` does not support holding `h` ("" when it does)."""
    marc = member.marc
    if h.kind == "held":
        tags = [profile.tag] + ([profile.items.tag] if profile.items else [])
        if any(profile_fields(MarcView(marc), tag) for tag in tags):
            return "held (no item data), but the record has holdings fields"
        return "" if h.copies is None and (h.lendable is None or h.policy) else "claims on a bare holding"
    _, per_field, values = member.fields(h.source_tag or "")
    if h.kind in ("holding", "online") and h.copies is not None and not profile.copies:
        return "a copy count on a location-level holding"
    if h.copies is not None and not _counted(h, per_field, profile):
        return f"{h.copies} copies not in any {h.source_tag} field"
    if h.lendable is not None:
        return _lending_unsupported(h, marc, values, profile)
    return ""


def _counted(h: Holding, values: list[set[str]], profile: HoldingsProfile) -> bool:
    if profile.copies:
        return any(str(h.copies) in v for v in values)
    wanted = h.barcode or h.call_number.split(" ")[0]
    return h.copies == 1 and h.kind in ("item", "online") and any(
        wanted in v or any(wanted in x for x in v) for v in values)


def _lending_unsupported(h: Holding, marc: pymarc.Record, values: set[str], profile: HoldingsProfile) -> str:
    maps = maps_of(profile)
    if h.policy:
        return "" if maps.policy == ("lendable" if h.lendable else "not lendable") else "policy not in the map"
    if h.kind == "online" and h.basis.startswith("online resource (856"):
        ok = any(f.indicators and f.indicators[1] in "01" and f.get_subfields("u") for f in marc.get_fields("856"))
        return "" if ok else "online without a resource 856"
    basis = h.basis.removeprefix("online resource: ")
    if not basis:
        return "a lending claim without a basis"
    expected = "online" if h.kind == "online" else ("lendable" if h.lendable else "not lendable")
    for part in basis.split("; "):
        pattern = _PATTERN.match(part)
        if pattern:
            if expected != "not lendable":
                return f"text pattern {part!r} used for {expected}"
            continue
        match = _PART.match(part)
        if not match:
            return f"basis part {part!r} not understood"
        kind, code = _WORDS[match.group(1)], match.group(2)
        entry = maps.lookup(kind, code)
        if entry is None or entry.rule != expected:
            return f"{part!r}: the map does not say {expected}"
        if code not in values and not any(code in v.split() for v in values):
            return f"{part!r}: code {code!r} not in the {h.source_tag} field"
    return ""


def check(settings: Settings, tmp: Path) -> tuple[int, int, dict[str, int], list[str]]:
    merged_count, holding_count, kinds, problems = 0, 0, {}, []
    for merged, stored in walk(settings, tmp):
        merged_count += 1
        holding_count += len(merged.record.holdings)
        for h in merged.record.holdings:
            key = f"{h.kind}/{'?' if h.lendable is None else h.lendable}/{'counted' if h.copies else '-'}"
            kinds[key] = kinds.get(key, 0) + 1
        problems.extend(claim_problems(merged, stored, settings))
    return merged_count, holding_count, kinds, problems


def test_every_claim_on_the_demo_consortium_is_backed_by_its_record(tmp_path: Path) -> None:
    settings = load_settings(ROOT / "config" / "unioncat.toml")
    settings = parse_settings(_as_table(settings, tmp_path), ROOT / "config" / "unioncat.toml")
    merged, holdings, kinds, problems = check(settings, tmp_path)
    assert merged > 750 and holdings > merged  # every sample harvested
    assert problems == []
    assert kinds.get("item/True/counted", 0) > 100 and kinds.get("held/?/-", 0) > 400
    assert kinds.get("online/False/-", 0) > 10 and kinds.get("item/False/counted", 0) > 50


def test_every_claim_on_the_bundled_test_records_is_backed(tmp_path: Path) -> None:
    marc = ROOT / "tests" / "data" / "marc"
    table = {"data_dir": str(tmp_path / "var"), "sources": [
        {"id": "duke", "path": str(marc / "duke_852_940_items.xml"), "library": {"code": "NcD", "name": "Duke"},
         "holdings": _demo_holdings("duke")},
        {"id": "ncsu", "path": str(marc), "library": {"code": "NRC", "name": "NCSU"},
         "holdings": {"profile": "symphony", "map": "ncsu"}},
        {"id": "laurentian", "path": str(marc / "laurentian_reference_and_audio_items.mrc"),
         "library": {"code": "OSUL", "name": "Laurentian"},
         "holdings": {"profile": "symphony", "tag": "949", "status": "t", "map": "laurentian"}},
    ]}
    settings = parse_settings(table, tmp_path / "unioncat.toml")
    merged, _holdings, kinds, problems = check(settings, tmp_path)
    assert merged > 10 and problems == []
    assert kinds.get("item/False/counted", 0) >= 37 + 5  # NCSU's archive cartons, Laurentian's reference set


@pytest.mark.skipif(not SHARED_MARC.is_dir(), reason="../shared/data/marc is not present in this clone")
def test_every_claim_on_every_shared_marc_source_is_backed(tmp_path: Path) -> None:
    sources: list[dict[str, Any]] = []
    for folder in sorted(p for p in SHARED_MARC.iterdir() if p.is_dir()):
        if folder.name == "trln-marc-to-argot":
            for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
                sources.append(_shared_source(f"trln-{sub.name}", sub, _demo_holdings(sub.name)))
        elif folder.name == "evergreen-laurentian":
            sources.append(_shared_source(folder.name, folder, {"profile": "symphony", "tag": "949",
                                                                "map": "laurentian"}))
        else:
            sources.append(_shared_source(folder.name, folder, "marc21"))
    settings = parse_settings({"data_dir": str(tmp_path / "var"), "sources": sources}, tmp_path / "unioncat.toml")
    merged, holdings, kinds, problems = check(settings, tmp_path)
    assert merged > 2500 and problems == [], f"{len(problems)} unsupported claims, e.g. {problems[:5]}"
    print(f"shared/data/marc: {merged} merged records, {holdings} holdings checked: {sorted(kinds.items())}")


def _demo_holdings(name: str) -> Any:
    """The demo config's holdings table for a TRLN member (other TRLN folders: MARC 21)."""
    demo = load_settings(ROOT / "config" / "unioncat.toml")
    by_id = {s.id: s for s in demo.sources}
    if name not in by_id:
        return "marc21"
    profile = by_id[name].holdings
    table: dict[str, Any] = {"profile": profile.name.removesuffix("-items"), "map": profile.map}
    base = _profile_name(profile)
    table["profile"] = base
    for key in ("tag", "library", "location", "call_number", "barcode", "status", "item_type"):
        table[key] = getattr(profile, key)
    if profile.items is not None:
        table["items"] = {k: getattr(profile.items, k) for k in ("tag", "library", "location", "call_number",
                                                                  "barcode", "status", "item_type")}
    return table


def _profile_name(profile: HoldingsProfile) -> str:
    return profile.name


def _shared_source(source_id: str, path: Path, holdings: Any) -> dict[str, Any]:
    return {"id": source_id, "path": str(path), "library": {"code": source_id.upper(), "name": source_id},
            "holdings": holdings}


def _as_table(settings: Settings, tmp: Path) -> dict[str, Any]:
    """The demo config with its data folder moved to `tmp` (the samples stay where they are)."""
    import tomllib

    data = tomllib.loads((ROOT / "config" / "unioncat.toml").read_text(encoding="utf-8"))
    data["data_dir"] = str(tmp / "var")
    for source in data["sources"]:
        source["path"] = str((ROOT / "config" / source["path"]).resolve())
    return data


def test_the_checker_catches_invented_claims(tmp_path: Path) -> None:
    """The walk above is only worth something if a made-up claim fails it: each kind of lie, caught."""
    settings = parse_settings({"data_dir": str(tmp_path / "var"), "sources": [
        {"id": "ncsu", "path": str(ROOT / "tests" / "data" / "marc" / "ncsu_archives_cartons.xml"),
         "library": {"code": "NRC", "name": "NCSU"}, "holdings": {"profile": "symphony", "map": "ncsu"}},
        {"id": "mich", "path": str(ROOT / "tests" / "data" / "marc" / "michigan_852_holdings.mrc"),
         "library": {"code": "MiU", "name": "Michigan"}, "holdings": "marc21"}]}, tmp_path / "unioncat.toml")
    walked = list(walk(settings, tmp_path))
    cartons = next(m for m, _ in walked if m.record.holdings[0].library_code == "NRC")
    michigan = next(m for m, _ in walked if m.record.holdings[0].library_code == "MiU")
    stored = {k: v for _, s in walked for k, v in s.items()}
    carton = cartons.record.holdings[0]
    lies = {
        "lendable archives": _with(cartons, 0, lendable=True),  # SPEC-D says not lendable
        "37 copies": _with(cartons, 0, copies=37, barcode="nope", call_number="nope"),
        "michigan copy": _with(michigan, 0, copies=1),  # an 852 carries no count
        "michigan lendable": _with(michigan, 0, lendable=True, basis="location GRAD (Graduate)"),
        "held with items": _with(cartons, 0, kind="held", copies=None, lendable=None),
        "invented code": _with(cartons, 0, basis="location STACKS (Stacks); loan flag Y (circulates)",
                               lendable=True),
    }
    assert carton.lendable is False and claim_problems(cartons, stored, settings) == []
    for name, lie in lies.items():
        assert claim_problems(lie, stored, settings), f"not caught: {name}"


def _with(merged: MergedRecord, index: int, **changes: Any) -> MergedRecord:
    from dataclasses import replace

    holdings = list(merged.record.holdings)
    holdings[index] = replace(holdings[index], **changes)
    return replace(merged, record=replace(merged.record, holdings=tuple(holdings)))
