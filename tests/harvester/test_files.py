"""Reading MARC files: cutting streams into raw records, tolerant decoding, and hostile or broken input.

Fixtures are real records (tests/data/marc and tests/data/harvest, see their READMEs); the broken
variants are made in the test from real records so that each test shows exactly what was broken.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pymarc
import pytest

from harvester.errors import BadFeed, RecordRejected
from harvester.marc import iso2709, marcjson
from harvester.marc.chunk import RawChunk
from harvester.marc.files import iter_raw_records, list_files, parse_raw_record, read_record, sniff_format

DATA = Path(__file__).resolve().parents[1] / "data"
MARC = DATA / "marc"
HARVEST = DATA / "harvest"


def chunks(path: Path, fmt: str | None = None) -> list[RawChunk]:
    return list(iter_raw_records(path, fmt or sniff_format(path)))


# --- ISO 2709 --------------------------------------------------------------------------------------


def test_raw_iso2709_records_are_the_exact_bytes_of_the_file(tmp_path: Path) -> None:
    originals = [(MARC / name).read_bytes() for name in
                 ("michigan_852_holdings.mrc", "laurentian_marc8_949_items.mrc", "cornell_score.mrc")]
    path = tmp_path / "three.mrc"
    path.write_bytes(originals[0] + b"\r\n" + originals[1] + originals[2] + b"\n")
    got = chunks(path)
    assert [c.raw for c in got] == originals
    assert [c.position for c in got] == [
        "record 1 (byte 0)", f"record 2 (byte {len(originals[0]) + 2})",
        f"record 3 (byte {len(originals[0]) + 2 + len(originals[1])})"]


def test_cutting_survives_read_block_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iso2709, "_BLOCK", 97)  # far smaller than a record: every record spans blocks
    path = HARVEST / "lib-b" / "mfhd.marc"
    data = path.read_bytes()
    got = chunks(path, "iso2709")
    assert len(got) == data.count(b"\x1d") == 14
    assert b"".join(c.raw for c in got) == data.strip(b"\n")


def test_a_wrong_record_length_does_not_lose_the_following_records(tmp_path: Path) -> None:
    first = bytearray((MARC / "michigan_852_holdings.mrc").read_bytes())
    second = (MARC / "laurentian_marc8_949_items.mrc").read_bytes()
    first[0:5] = b"00400"  # the leader says 400 bytes; the record is 1198
    path = tmp_path / "bad_length.mrc"
    path.write_bytes(bytes(first) + second + second.replace(b"01-0118795", b"01-0118796"))
    with path.open("rb") as handle:  # pymarc trusts the length and gives up on the rest of the stream
        assert sum(r is not None for r in pymarc.MARCReader(handle, permissive=True)) < 3
    got = [parse_raw_record(c.raw, "iso2709") for c in chunks(path)]
    assert [r["001"].data for r in got] == ["000000794", "01-0118795", "01-0118796"]
    assert got[0]["245"]["a"].startswith("The descent of manuscripts")


def test_directory_offsets_counted_in_characters_are_repaired() -> None:
    # ruby-marc's marc_with_bad_utf8: the directory counts characters, not bytes, so offsets drift
    [chunk] = chunks(MARC / "offsets_count_characters.marc")
    record = parse_raw_record(chunk.raw, "iso2709")
    assert record["538"]["a"] == "VHS."
    assert record["700"]["a"] == "Grady, Patricia Anne,"
    assert [f.tag for f in record.fields][-3:] == ["949", "991", "991"]


def test_marc8_is_decoded() -> None:
    [chunk] = chunks(MARC / "laurentian_marc8_949_items.mrc")
    assert chunk.raw[9:10] == b" "  # leader/09 blank: MARC-8
    record = parse_raw_record(chunk.raw, "iso2709")
    assert record["260"]["a"] == "Québec, Qué. :"


def test_a_leader_claiming_marc8_over_utf8_bytes_is_read_as_utf8() -> None:
    [chunk] = chunks(MARC / "utf8_leader_says_marc8.dat")
    assert chunk.raw[9:10] == b" " and "communaute\u0301".encode() in chunk.raw  # UTF-8, decomposed
    record = parse_raw_record(chunk.raw, "iso2709")
    assert "Translation of De la solitude à la communauté." in record["500"].value()


def test_a_leader_claiming_utf8_over_marc8_bytes_is_read_as_marc8() -> None:
    [chunk] = chunks(MARC / "marc8.dat")
    lying = chunk.raw[:9] + b"a" + chunk.raw[10:]
    record = parse_raw_record(lying, "iso2709")
    assert "Translation of De la solitude à la communauté." in record["500"].value()


def test_the_source_encoding_override_wins() -> None:
    chunk = chunks(MARC / "cp1251_content.dat")[0]
    assert "Основы" not in str(parse_raw_record(chunk.raw, "iso2709"))
    record = parse_raw_record(chunk.raw, "iso2709", encoding="cp1251")
    assert record["245"]["a"] == "Основы гидравлического расчета инженерных сетей"


def test_an_unknown_encoding_override_is_named_in_the_reason() -> None:
    chunk = chunks(MARC / "cp1251_content.dat")[0]
    with pytest.raises(RecordRejected, match="unknown encoding 'klingon'"):
        parse_raw_record(chunk.raw, "iso2709", encoding="klingon")


def test_unreadable_records_are_rejected_with_a_reason_and_the_stream_goes_on() -> None:
    """pymarc's bad_records.mrc: five records pymarc reads, two whose directory is 13 bytes long (pymarc
    gives up; rebuilt from the field terminators, marked repaired), one with no field at all."""
    got = chunks(HARVEST / "lib-a" / "bad_records.mrc")
    assert len(got) == 8
    reasons = []
    for chunk in got:
        try:
            record, repairs = read_record(chunk.raw, "iso2709")
            reasons.append("repaired: " + "; ".join(repairs) if repairs else "ok")
            assert record["245"]["a"] == "The pragmatic programmer : "
        except RecordRejected as exc:
            assert exc.raw == chunk.raw
            reasons.append(exc.reason)
    assert reasons.count("ok") == 5
    rebuilt = "repaired: directory rebuilt from field terminators (directory length 13 is not a multiple of 12)"
    assert reasons.count(rebuilt) == 2
    assert reasons[6] == "record has no fields (empty directory); no field can be read"


# --- MARCXML ---------------------------------------------------------------------------------------


def test_marcxml_break_is_fatal_and_records_past_it_are_salvaged() -> None:
    path = HARVEST / "lib-a" / "three-records-second-bad.xml"
    got = chunks(path)
    assert [(c.error is None, c.fatal) for c in got] == [(True, False), (False, True), (True, False)]
    assert parse_raw_record(got[0].raw, "marcxml")["001"].data == "afc99990058366"
    assert (got[1].error or "").startswith("not well-formed XML from line 72")
    assert got[1].raw.startswith(b"<record") and got[1].raw in path.read_bytes()  # the broken record, exactly
    assert got[2].position == "record 3 (line 108)" and got[2].raw in path.read_bytes()
    assert parse_raw_record(got[2].raw, "marcxml")["245"]["a"] is not None


def test_a_break_outside_any_record_is_reported_on_its_own(tmp_path: Path) -> None:
    good = (MARC / "uchicago_880_852.xml").read_bytes()
    path = tmp_path / "truncated.xml"
    path.write_bytes(good.replace(b"<record", b"<collection><record", 1) + b"<record><leader>0000")
    got = chunks(path)
    assert [(c.error is None, c.fatal) for c in got] == [(True, False), (False, True)]
    # the file ends inside an unclosed <record>: that record is cut out (for a permissive read), here
    # with nothing but a broken leader in it, so nothing can be read from it
    assert got[1].position == "record 2 (line 815)" and got[1].raw == b"<record><leader>0000"
    with pytest.raises(RecordRejected, match="no field could be read"):
        read_record(got[1].raw, "marcxml")
    path.write_bytes(good.replace(b"<record", b"<collection><record", 1) + b"</record>")
    assert chunks(path)[-1].position.endswith("(after record 1)")  # a break outside any record


def test_marcxml_with_a_padded_leader_is_read(tmp_path: Path) -> None:
    # Duke's exports have 25-character leaders, which make pymarc reject the whole file
    record = parse_raw_record(chunks(MARC / "duke_serial_852.xml")[0].raw, "marcxml")
    assert str(record.leader) == "01380cas a2200349 a 4500"
    assert record["001"].data == "DUKE003271109"


def test_xml_external_entities_are_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE collection [\n  <!ENTITY xxe SYSTEM "file://{secret}">\n'
        '  <!ENTITY lol "lollollollollollollollollollollol">\n'
        '  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        '<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 a 4500</leader>'
        '<controlfield tag="001">xxe1</controlfield>'
        '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Title &xxe; &lol2;</subfield></datafield>'
        '</record></collection>\n')
    [chunk] = chunks(path)
    assert b"TOP-SECRET" not in chunk.raw and b"lollollol" not in chunk.raw
    record = parse_raw_record(chunk.raw, "marcxml")
    assert record["001"].data == "xxe1"
    assert "TOP-SECRET" not in str(record) and "lollollol" not in str(record)
    assert record["245"]["a"].split() == ["Title", "&xxe;", "&lol2;"]  # kept as written, never expanded


def test_the_shared_parser_has_entities_dtd_and_network_off() -> None:
    from harvester.xml import parse_bytes

    root = parse_bytes(b'<!DOCTYPE a [<!ENTITY e SYSTEM "http://example.invalid/x">]><a>&e;</a>')
    assert "example.invalid" not in (root.text or "") and root.text is None


# --- MARC-in-JSON ----------------------------------------------------------------------------------


def test_marc_in_json_one_record_per_line() -> None:
    lines = (HARVEST / "lib-c" / "goldfinch_5.jsonl").read_bytes().splitlines()
    got = chunks(HARVEST / "lib-c" / "goldfinch_5.jsonl")
    assert [c.raw for c in got] == lines
    record = parse_raw_record(got[0].raw, "marcjson")
    assert record["245"] is not None and len(record.fields) == len(json.loads(lines[0])["fields"])


def test_marc_in_json_array_is_streamed_element_by_element(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = (HARVEST / "lib-c" / "goldfinch_5.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "array.json"
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    monkeypatch.setattr(marcjson, "_BLOCK", 64)  # read in tiny blocks: each record needs many reads
    got = chunks(path)
    assert sniff_format(path) == "marcjson"
    assert [c.raw.decode() for c in got] == lines
    assert all(c.error is None for c in got)


def test_pretty_printed_marc_in_json_objects_are_read(tmp_path: Path) -> None:
    lines = (HARVEST / "lib-c" / "goldfinch_5.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "pretty.json"
    path.write_text("\n".join(json.dumps(json.loads(line), indent=2) for line in lines[:3]) + "\n")
    got = chunks(path)
    assert [json.loads(c.raw) for c in got] == [json.loads(line) for line in lines[:3]]


def test_a_broken_json_line_is_rejected_and_the_rest_read(tmp_path: Path) -> None:
    lines = (HARVEST / "lib-c" / "goldfinch_5.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([lines[0], lines[1][: len(lines[1]) // 2], lines[2]]) + "\n")
    got = chunks(path)
    assert len(got) == 3
    parse_raw_record(got[0].raw, "marcjson")
    with pytest.raises(RecordRejected, match="not valid JSON"):
        parse_raw_record(got[1].raw, "marcjson")
    parse_raw_record(got[2].raw, "marcjson")


def test_a_json_array_that_breaks_off_ends_with_a_fatal_chunk(tmp_path: Path) -> None:
    lines = (HARVEST / "lib-c" / "goldfinch_5.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "truncated.json"
    path.write_text("[" + lines[0] + "," + lines[1][:100])
    got = chunks(path)
    assert [c.error is None for c in got] == [True, False]
    assert got[1].fatal and "not valid JSON" in (got[1].error or "")


# --- finding and sniffing --------------------------------------------------------------------------


def test_sniffing_tells_formats_apart_and_refuses_what_is_not_marc(tmp_path: Path) -> None:
    assert sniff_format(MARC / "marc8.dat") == "iso2709"
    assert sniff_format(MARC / "uchicago_880_852.xml") == "marcxml"
    assert sniff_format(HARVEST / "lib-c" / "goldfinch_5.jsonl") == "marcjson"
    with pytest.raises(BadFeed, match="not ISO 2709, MARCXML, MARC-in-JSON, Aleph sequential or MARC mnemonic"):
        sniff_format(HARVEST / "lib-a" / "invalidMarcFile.mrc")
    empty = tmp_path / "empty.mrc"
    empty.write_bytes(b"")
    assert chunks(empty) == []  # an empty export holds zero records; it is not an error


def test_list_files_walks_folders_sorted_and_expands_globs(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.mrc", "1.xml", "README.md", ".hidden.mrc", "b/notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert list_files(tmp_path) == [tmp_path / "1.xml", tmp_path / "b" / "2.mrc"]
    assert list_files(tmp_path / "*.xml") == [tmp_path / "1.xml"]
    assert list_files(tmp_path / "1.xml") == [tmp_path / "1.xml"]
    assert list_files(tmp_path / "missing") == []


def test_list_files_in_mtime_order_when_asked(tmp_path: Path) -> None:
    for name, when in (("a-delta.mrc", 300), ("b-full.mrc", 100), ("c-delta.mrc", 200)):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (when, when))
    assert [p.name for p in list_files(tmp_path)] == ["a-delta.mrc", "b-full.mrc", "c-delta.mrc"]
    assert [p.name for p in list_files(tmp_path, "mtime")] == ["b-full.mrc", "c-delta.mrc", "a-delta.mrc"]
