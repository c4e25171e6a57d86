"""The ingest path's shortcuts write exactly what the plain code writes.

Each shortcut taken for speed (orjson for the stored JSON, remembered holdings-code decisions) is
checked here against the straightforward form on the real records in tests/data, so a faster path can
never change a stored byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvester.marc.files import iter_raw_records, list_files, read_record, sniff_format
from harvester.marc.mapping import normalize_marc
from harvester.record import Record
from harvester.record_json import to_json as _to_json
from harvester.settings import parse_settings

DATA = Path(__file__).resolve().parents[1] / "data"


def _plain_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _real_records() -> list[Record]:
    settings = parse_settings({"data_dir": "var", "sources": [{"id": "t", "path": str(DATA / "marc")}]},
                              DATA / "unioncat.toml")
    source = settings.sources[0]
    out: list[Record] = []
    for path in list_files(DATA / "marc"):
        try:
            fmt = sniff_format(path)
        except Exception:  # noqa: BLE001 - not MARC: nothing to normalize
            continue
        for chunk in iter_raw_records(path, fmt):
            if chunk.error:
                continue
            try:
                marc, _ = read_record(chunk.raw, fmt, None)
                out.append(normalize_marc(marc, source, local_id=f"r{len(out)}"))
            except Exception:  # noqa: BLE001 - skipped/rejected records have no JSON to compare
                continue
    return out


def test_record_json_is_the_standard_librarys_byte_for_byte() -> None:
    records = _real_records()
    assert len(records) > 50
    for record in records:
        data = record.to_dict()
        assert _to_json(data) == _plain_json(data)


@pytest.mark.parametrize(
    "value",
    [
        {"text": "".join(chr(i) for i in range(0x80)) + "\u2028\u2029\x7f\x85\ufeff\U0001f600 é ‘quoted’"},
        {"nested": ({"a": (1, 2, ())}, None, True, False, 0, -7, 2**63 - 1)},
        {"lone surrogate": "bad \ud800 text"},  # orjson refuses: the standard library writes it
        {"big": 2**70},  # beyond 64 bits: orjson refuses, the standard library writes it
    ],
)
def test_record_json_matches_on_hostile_values(value: dict[str, object]) -> None:
    assert _to_json(value) == _plain_json(value)


def test_remembered_holdings_decisions_follow_the_profile_and_its_maps() -> None:
    """Two profiles equal but for their maps (maps do not take part in equality) each get their own
    answer, and a remembered answer is the one `read_codes` gives."""
    from dataclasses import replace

    from harvester.marc.holdings import _read_codes_once, read_codes

    def profile_of(holdings: dict[str, str]):  # noqa: ANN202 - a HoldingsProfile
        table = {"id": "lib", "path": "x", "library": {"code": "LIB", "name": "Member"}, "holdings": holdings}
        return parse_settings({"sources": [table]}, DATA / "unioncat.toml").sources[0].holdings

    plain = profile_of({"profile": "symphony", "tag": "949"})
    mapped = replace(plain, maps=profile_of({"profile": "symphony", "tag": "949", "map": "laurentian"}).maps)
    assert plain == mapped and plain.maps != mapped.maps
    codes = {"library": "DESMARAIS", "location": "DESM-CIR", "status": "", "item_type": ""}
    for _ in range(2):  # the second round answers from memory
        assert _read_codes_once(plain, dict(codes), "Y") == read_codes(plain, dict(codes), "Y")
        assert _read_codes_once(mapped, dict(codes), "Y") == read_codes(mapped, dict(codes), "Y")
    assert _read_codes_once(plain, dict(codes), "Y").location == "DESM-CIR"
    assert _read_codes_once(mapped, dict(codes), "Y").location == "Circulating collection"


@pytest.mark.parametrize(
    "text",
    ["", "plain", "Müller ‘x’ \U0001f600", "\ud7ff\ue000\U0010ffff", "a\ud800b", "\udfff", "\ud83d\ude00",
     "x" * 3000 + "\udc80"],
)
def test_invalid_text_is_found_as_the_surrogate_search_finds_it(text: str) -> None:
    import re

    from harvester.valid_text import has_invalid

    assert has_invalid(text) == (re.search("[\ud800-\udfff]", text) is not None)


def test_record_json_leaves_nested_items_to_orjson_and_writes_the_same_bytes() -> None:
    """`record_json` lets orjson write the nested dataclasses itself; the text is `to_json(to_dict())`
    on every real record, with the optional fields set, and where orjson refuses a nested value."""
    from dataclasses import replace

    from harvester.record import Author, Holding
    from harvester.record_json import record_json

    records = _real_records()
    assert sum(1 for r in records if r.holdings and r.authors and r.subjects) > 20
    for record in records:
        assert record_json(record) == _plain_json(record.to_dict())
    sample = records[0]
    for changed in (
        replace(sample, repairs=("leader padded",), id_origin="id derived: no 001"),
        replace(sample, authors=(Author(name="bad \ud800 name"),)),  # orjson refuses: stdlib writes it
        replace(sample, holdings=(Holding(library_code="L", copies=2**70),)),  # beyond 64 bits
    ):
        assert record_json(changed) == _plain_json(changed.to_dict())


def test_fused_first_value_rules_give_what_the_list_and_first_give() -> None:
    """A "marc(spec), first" rule runs a fused extractor (`marc(...).first`): the same value as taking
    the first of the full list, on every real record and spec the mapping uses."""
    from harvester.marc.mapping import RULES
    from harvester.marc.rules import MarcView, first, marc

    settings = parse_settings({"data_dir": "var", "sources": [{"id": "t", "path": str(DATA / "marc")}]},
                              DATA / "unioncat.toml")
    fused = [rule for rule in RULES if rule.extract.__qualname__.startswith("first(marc(")]
    assert {rule.name for rule in fused} >= {"subtitle", "responsibility", "edition", "extent", "summary"}
    specs = ["245a", "245b", "245c", "250ab", "300af", "520ab", "130a", "246a", "500a"]
    views = []
    for path in list_files(DATA / "marc"):
        try:
            fmt = sniff_format(path)
        except Exception:  # noqa: BLE001 - not MARC
            continue
        for chunk in iter_raw_records(path, fmt, settings.sources[0].limits):
            if not chunk.error:
                try:
                    views.append(MarcView(read_record(chunk.raw, fmt, None)[0]))
                except Exception:  # noqa: BLE001 - unreadable records have nothing to extract
                    continue
    assert len(views) > 50
    for spec in specs:
        listed, fused_first = marc(spec), marc(spec).first  # type: ignore[attr-defined]
        for view in views:
            assert fused_first(view) == first(listed(view))
