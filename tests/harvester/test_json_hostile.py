"""Hostile MARC-in-JSON (issue 19, items 2-4): a lone surrogate, bytes that are not UTF-8, an absurdly deep
array and a damaged first line each cost at most the bad record, never the source. Text that SQLite
cannot store is repaired with a note (the raw record is kept as sent); an id that is not valid Unicode
is quarantined with the reason (repairing it could make two records one)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from harvester.types import RecordId, SourceId

GOOD = (Path(__file__).resolve().parents[1] / "data" / "harvest" / "lib-c" / "goldfinch_5.jsonl")


def _good_lines() -> list[bytes]:
    return GOOD.read_bytes().splitlines()


def _with_id(line: bytes, new_id: str, title: str | None = None) -> bytes:
    """A good record with another 001 and, optionally, a 245 $a given as raw JSON string text."""
    record = json.loads(line)
    record["fields"][0] = {"001": new_id}
    text = json.dumps(record)
    if title is not None:
        text = text.replace('"Infamous day :"', '"' + title + '"')
    return text.encode()


def _harvest(tmp_path: Path, files: dict[str, bytes]) -> tuple[dict[str, int], RecordStore]:
    folder = tmp_path / "feed"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (tmp_path / "unioncat.toml").write_text('data_dir = "var"\n[[sources]]\nid = "feed"\npath = "feed"\n')
    settings = load_settings(tmp_path / "unioncat.toml")
    store = RecordStore(settings.store_path)
    [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
    assert result.status == "ok", result.error
    return result.counts, store


def test_lone_surrogates_in_text_are_repaired_with_a_note_and_every_record_stored(tmp_path: Path) -> None:
    good = _good_lines()
    escaped = _with_id(good[0], "bad-escaped", "Infamous \\ud800 day")  # json.loads accepts it
    raw_bytes = _with_id(good[0], "bad-raw", "Infamous day :").replace(b"Infamous", b"Inf\xed\xa0\x80amous")
    pair = _with_id(good[0], "pair", "Infamous \\ud83d\\ude00 day")  # a pair: the character it encodes
    first = b"\n".join([good[0], good[1], escaped, good[2]]) + b"\n"
    second = b"\n".join([good[3], raw_bytes, good[4], pair]) + b"\n"  # 8 records fed in all
    counts, store = _harvest(tmp_path, {"a.jsonl": first, "b.jsonl": second})
    with store:
        assert counts["read"] == 8 and counts["new"] == 8 and counts["quarantined"] == 0
        assert store.live_count() == 8  # every record, including those after the bad ones
        bad = store.get(RecordId("feed:bad-escaped"))
        assert bad is not None and bad.normalized.title.startswith("Infamous \ufffd day")
        assert any("not valid Unicode" in note for note in bad.normalized.repairs)
        assert b"\\ud800" in bad.raw  # the raw record exactly as sent
        raw = store.get(RecordId("feed:bad-raw"))
        assert raw is not None and "\ufffd" in raw.normalized.title and raw.normalized.repairs
        paired = store.get(RecordId("feed:pair"))
        assert paired is not None and "\U0001f600" in paired.normalized.title


def test_a_lone_surrogate_in_the_id_is_quarantined_with_the_reason(tmp_path: Path) -> None:
    good = _good_lines()
    bad_id = _with_id(good[0], "IDX").replace(b'"IDX"', b'"id\\udc80"')  # the JSON escape itself
    counts, store = _harvest(tmp_path, {"a.jsonl": b"\n".join([good[0], bad_id, good[1]]) + b"\n"})
    with store:
        assert counts["read"] == 3 and counts["new"] == 2 and counts["quarantined"] == 1
        [entry] = store.quarantined("feed")
        assert "record id is not valid Unicode" in entry.reason and entry.local_id == "id\ufffd"


def test_bytes_that_are_not_utf8_are_repaired_not_refused(tmp_path: Path) -> None:
    good = _good_lines()
    latin1 = _with_id(good[0], "latin1", "Infamous day :").replace(b"Infamous", "Infamé".encode("latin-1"))
    counts, store = _harvest(tmp_path, {"a.jsonl": b"\n".join([latin1, good[1]]) + b"\n"})
    with store:
        assert counts["new"] == 2 and counts["quarantined"] == 0
        record = store.get(RecordId("feed:latin1"))
        assert record is not None and record.normalized.title.startswith("Infam\ufffd")
        assert any("not valid UTF-8" in note for note in record.normalized.repairs)


def test_a_file_name_that_is_not_utf8_does_not_stop_the_source(tmp_path: Path) -> None:
    good = _good_lines()
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.jsonl")).write_bytes(good[0] + b"\n")
    counts, store = _harvest(tmp_path, {"z.jsonl": good[1] + b"\n"})
    with store:
        assert counts["new"] == 2 and counts["files"] == 2
        assert {r.file for r in store.iter_records(source_id=SourceId("feed"))} == {"caf\ufffd.jsonl", "z.jsonl"}


def test_a_deeply_nested_array_element_is_quarantined_and_the_rest_read(tmp_path: Path) -> None:
    good = _good_lines()
    deep = b"[" * 200_000 + b"]" * 200_000  # RecursionError in the decoder, not a JSON syntax error
    array = b"[" + b",\n".join([good[0], good[1], deep, good[2], good[3]]) + b"]\n"
    counts, store = _harvest(tmp_path, {"a.json": array, "z.jsonl": good[4] + b"\n"})
    with store:
        assert counts["read"] == 6 and counts["new"] == 5 and counts["quarantined"] == 1
        [entry] = store.quarantined("feed")
        assert "nested too deeply" in entry.reason and entry.position.startswith("record 3")
        assert len(entry.raw or b"") <= 4096  # a bounded excerpt, not the whole blob


def test_a_deeply_nested_json_line_is_quarantined(tmp_path: Path) -> None:
    good = _good_lines()
    deep = b'{"leader": "x", "fields": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    counts, store = _harvest(tmp_path, {"a.jsonl": b"\n".join([good[0], deep, good[1]]) + b"\n"})
    with store:
        assert counts["new"] == 2 and counts["quarantined"] == 1
        assert "nested too deeply" in store.quarantined("feed")[0].reason


def test_json_lines_with_a_damaged_first_line_are_still_read_as_lines(tmp_path: Path) -> None:
    good = _good_lines()
    damaged = good[0][: len(good[0]) // 2]  # cut off mid-record
    counts, store = _harvest(tmp_path, {"a.jsonl": b"\n".join([damaged, *good[1:]]) + b"\n"})
    with store:
        assert counts["read"] == 5 and counts["new"] == 4 and counts["quarantined"] == 1
        assert store.live_count() == 4
        [entry] = store.quarantined("feed")
        assert "not valid JSON" in entry.reason and entry.position == "record 1 (line 1)"


def test_a_bad_element_in_a_json_array_costs_that_element_not_the_rest(tmp_path: Path) -> None:
    good = _good_lines()
    assert b'"fields": [' in good[1]
    broken = good[1].replace(b'"fields": [', b'"fields": [}}],', 1)  # closes too early, then garbage
    array = b"[" + b",\n".join([good[0], broken, good[2], good[3]]) + b"]\n"
    stray = b"[" + good[4] + b"],\n" + good[1] + b"]\n"  # a bracket that ends the array too early
    counts, store = _harvest(tmp_path, {"a.json": array, "b.json": stray})
    with store:
        assert store.live_count() == 5  # every record after the bad one too (it used to be 2)
        assert counts["read"] == counts["new"] + counts["quarantined"]
        reasons = [entry.reason for entry in store.quarantined("feed")]
        assert reasons and all("read on from the next" in reason or "not a MARC-in-JSON" in reason
                               or "not a JSON object" in reason for reason in reasons), reasons


def test_a_json_array_cut_mid_element_keeps_the_records_before_and_says_why(tmp_path: Path) -> None:
    good = _good_lines()
    array = b"[" + b",\n".join([good[0], good[1], good[2][:100]])
    counts, store = _harvest(tmp_path, {"a.json": array})
    with store:
        assert counts["new"] == 2 and counts["quarantined"] == 1
        [entry] = store.quarantined("feed")
        assert "not valid JSON in array element 3" in entry.reason


def test_records_merged_by_a_lost_separator_are_quarantined_whole(tmp_path: Path) -> None:
    good = _good_lines()
    long = json.loads(good[0])
    long["fields"].append({"500": {"ind1": " ", "ind2": " ", "subfields": [{"a": "A long note. " * 500}]}})
    first = json.dumps(long).encode()
    merged = first[:-2] + good[1][12:]  # the end of one record and the start of the next lost
    array = b"[" + b",\n".join([merged, good[2]]) + b"]\n"
    counts, store = _harvest(tmp_path, {"a.json": array})
    with store:
        assert counts["new"] == 1 and counts["quarantined"] == 1
        [entry] = store.quarantined("feed")
        assert entry.raw is not None and good[1][12:] in entry.raw  # not a 4 KB excerpt of the first
