"""Aleph sequential (.seq) and MARC mnemonic (.mrk) / MARC line readers, on files written by real tools.

No real Aleph or MarcEdit export is in shared/data, so the fixtures were made from real records with a
converter we did not write: Catmandu::MARC 1.281 (Debian ``libcatmandu-marc-perl``)::

    catmandu convert MARC --type ISO to MARC --type ALEPHSEQ  < loc_marc8_source.dat > loc_marc8_catmandu.seq
    catmandu convert MARC --type ISO to MARC --type MARCMaker < loc_utf8_880_source.mrc > loc_utf8_880_catmandu.mrk

(20 LoC records from pymarc's marc.dat; the 30 LoC records with Arabic/CJK/Hebrew 880s of traject's
test_data.utf8.mrc.) Each record read from the text must equal the same record read from the ISO 2709
original, field by field. ``k10plus_marc_line.mrctxt`` is a real K10plus "MARC line" export
(metadata-qa-marc). The MarcEdit-style snippets below (``\\`` blanks, ``{dollar}``) are written by hand.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from harvester.errors import RecordRejected
from harvester.marc.aleph import iter_aleph, parse_aleph
from harvester.marc.files import iter_raw_records, read_record, sniff_bytes, sniff_format
from harvester.marc.mrk import iter_mrk, parse_mrk

TEXT = Path(__file__).resolve().parents[1] / "data" / "marc" / "text"


def _fields(record: object) -> list[tuple[object, ...]]:
    return [(f.tag, f.data) if f.control_field else
            (f.tag, f.indicators[0], f.indicators[1], [(s.code, s.value) for s in f.subfields])
            for f in record.fields]  # type: ignore[attr-defined]


def _iso(name: str) -> list[object]:
    return [read_record(c.raw, "iso2709")[0] for c in iter_raw_records(TEXT / name, "iso2709")]


def test_aleph_sequential_reads_every_record_exactly_as_the_iso2709_original() -> None:
    path = TEXT / "loc_marc8_catmandu.seq"
    assert sniff_format(path) == "aleph"
    chunks = list(iter_raw_records(path, "aleph"))
    originals = _iso("loc_marc8_source.dat")
    assert len(chunks) == len(originals) == 20
    for chunk, original in zip(chunks, originals, strict=True):
        record, repairs = read_record(chunk.raw, "aleph")
        assert repairs == []
        assert _fields(record) == _fields(original)
        assert str(record.leader)[5:] == str(original.leader)[5:]  # type: ignore[attr-defined]


def test_mrk_reads_every_record_as_the_iso2709_original_unicode_880s_included() -> None:
    path = TEXT / "loc_utf8_880_catmandu.mrk"
    assert sniff_format(path) == "mrk"
    chunks = list(iter_raw_records(path, "mrk"))
    originals = _iso("loc_utf8_880_source.mrc")
    assert len(chunks) == len(originals) == 30
    differing = []
    for chunk, original in zip(chunks, originals, strict=True):
        record, repairs = read_record(chunk.raw, "mrk")
        assert repairs == []
        for mine, theirs in zip(_fields(record), _fields(original), strict=True):
            if mine != theirs:
                differing.append((mine, theirs))
    # the only differences: Catmandu's MARCMaker writer leaves a literal "$" unescaped (066 $c "$1", the
    # CJK script code "$1" in 880 $6; MarcEdit writes {dollar}), so the text itself says "$1" there
    assert differing and all(any("$" in value for _, value in theirs[3]) for _, theirs in differing)
    assert len(differing) == 34  # of 705 fields
    assert any("(3/r" in str(record) for record in (read_record(c.raw, "mrk")[0] for c in chunks))


def test_a_marc_line_export_is_read() -> None:
    path = TEXT / "k10plus_marc_line.mrctxt"
    assert sniff_format(path) == "mrk"
    [chunk] = list(iter_raw_records(path, "mrk"))
    record, repairs = read_record(chunk.raw, "mrk")
    assert repairs == [] and str(record.leader) == "02191cam a2200541   4500"
    assert record["001"].data == "010000011"
    assert record["245"].indicators == ("1", "0")  # type: ignore[comparison-overlap]
    assert record["245"]["a"] == "Neues Luftreinhalterecht"
    assert record["035"].indicators == (" ", " ")  # type: ignore[comparison-overlap]


MARCEDIT = (
    "=LDR  00000nam\\\\2200000\\a\\4500\n"
    "=008  990802s2000\\\\\\\\mau\\\\\\\\\\\\b\\\\\\\\001\\0\\eng\\\\\n"
    "=020  \\\\$a020161622X\n"
    "=245  14$aThe {dollar}5 book /$cby Z{U+00E9}ro &#x00E9;t{eacute}.\n"
    "\n"
    "=LDR  00000nam\\\\2200000\\a\\4500\n"
    "=245  00$aSecond\n"
)


def test_marcedit_mnemonics_and_backslash_blanks() -> None:
    chunks = list(iter_mrk(io.BytesIO(MARCEDIT.encode())))
    assert [c.position for c in chunks] == ["record 1 (line 1)", "record 2 (line 6)"]
    record, repairs = parse_mrk(chunks[0].raw)
    assert repairs == [] and str(record.leader) == "00000nam  2200000 a 4500"
    assert record["008"].data == "990802s2000    mau      b    001 0 eng  "
    assert record["020"].indicators == (" ", " ")  # type: ignore[comparison-overlap]
    # known mnemonics decoded, an unknown one ({eacute}) kept as written rather than lost
    assert record["245"]["a"] == "The $5 book /" and record["245"]["c"] == "by Zéro ét{eacute}."
    assert sniff_bytes(MARCEDIT.encode()) == "mrk"


def test_aleph_lines_without_001_get_the_system_number_and_odd_lines_are_reported() -> None:
    raw = (b"000000042 FMT   L BK\n000000042 LDR   L ^^^^^nam^a22^^^^^^a^4500\n"
           b"000000042 24510 L $$aA title$$cme.\n000000042 garbage line\n")
    [chunk] = list(iter_aleph(io.BytesIO(raw + b"\n")))
    record, repairs = parse_aleph(chunk.raw)
    assert record["001"].data == "000000042" and record["245"]["a"] == "A title"
    assert "FMT" not in [f.tag for f in record.fields]
    assert repairs == ["1 line(s) not in Aleph sequential form left out"]
    with pytest.raises(RecordRejected, match="no line in Aleph sequential form"):
        parse_aleph(b"nothing here\n")


def test_aleph_records_are_cut_where_the_system_number_changes() -> None:
    raw = (TEXT / "loc_marc8_catmandu.seq").read_bytes()
    chunks = list(iter_aleph(io.BytesIO(raw)))
    assert [c.raw.split(b" ", 1)[0] for c in chunks[:2]] == [b"011778504", b"012515882"]
    assert b"".join(c.raw for c in chunks) == raw
