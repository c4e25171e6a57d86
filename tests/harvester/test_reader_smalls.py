"""Reader smalls of issue 19, item 7: each a record that used to be lost, mangled or crash normalization.

- MARCXML salvage after a break skipped the valid record after a self-closing ``<record/>`` (the scan
  took ``<record/>`` and the next element for one, so the counts still balanced);
- text after an entity the reader does not resolve was dropped from the field without a warning;
- a directory offset holding a Unicode digit ("¹" passes `str.isdigit`, not `int`) and an empty
  datafield tag must be repaired or quarantined with a reason, never crash the normalizer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pymarc import Field, Record, Subfield

from harvester.marc.chunk import RawChunk
from harvester.marc.marcxml import iter_marcxml
from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from harvester.types import RecordId
from tests.harvester.mutations import outcome_of

NS = "http://www.loc.gov/MARC21/slim"
LEADER = "<leader>00000nam a2200000   4500</leader>"


def _xml_record(local_id: str, title: str = "A title", extra: str = "") -> str:
    return (f'<record>{LEADER}<controlfield tag="001">{local_id}</controlfield>'
            f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield></datafield>'
            f"{extra}</record>")


def _harvest(tmp_path: Path, name: str, data: bytes) -> tuple[dict[str, int], RecordStore]:
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / name).write_bytes(data)
    (tmp_path / "unioncat.toml").write_text('data_dir = "var"\n[[sources]]\nid = "feed"\npath = "feed"\n')
    settings = load_settings(tmp_path / "unioncat.toml")
    store = RecordStore(settings.store_path)
    [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
    assert result.status == "ok", result.error
    return result.counts, store


def _chunks(tmp_path: Path, doc: bytes) -> list[RawChunk]:
    """What the MARCXML reader makes of `doc` as a file (so that the salvage scan can map it)."""
    path = tmp_path / "a.xml"
    path.write_bytes(doc)
    with path.open("rb") as handle:
        return list(iter_marcxml(handle, path))


def test_salvage_after_a_break_keeps_the_record_after_a_self_closing_record(tmp_path: Path) -> None:
    broken = _xml_record("B", extra="<bad")  # the break: B is read leniently, the file counts as broken
    doc = (f'<?xml version="1.0"?>\n<collection xmlns="{NS}">\n<record/>\n{_xml_record("A")}\n{broken}\n'
           f'{_xml_record("C")}\n</collection>\n').encode()
    chunks = _chunks(tmp_path, doc)
    salvaged = [c for c in chunks if b'"001">B<' in c.raw]
    assert len(salvaged) == 1 and salvaged[0].fatal  # the element holding the break, not skipped
    assert sum(b'"001">C<' in c.raw and c.error is None for c in chunks) == 1
    assert [c.position.split(" (")[0] for c in chunks] == ["record 1", "record 2", "record 3", "record 4"]
    counts, store = _harvest(tmp_path, "a.xml", doc)
    with store:
        assert store.get(RecordId("feed:B")) is not None and store.get(RecordId("feed:C")) is not None
        assert counts["read"] == 4 and counts["new"] == 3 and counts["quarantined"] == 1


@pytest.mark.parametrize("entity, shown", [("&eacute;", "é"), ("&unknownthing;", "&unknownthing;")])
def test_text_after_an_unresolved_entity_is_kept_and_the_record_says_so(entity: str, shown: str) -> None:
    raw = f'<record xmlns="{NS}">{_xml_record("E", f"Caf{entity} society and more")[8:]}'.encode()
    bucket, _ = outcome_of("marcxml", raw)
    assert bucket == "repaired"
    from harvester.run import _process_one
    from tests.harvester.mutations import SOURCE

    stored = _process_one(SOURCE, "f", "marcxml", "record 1", raw)
    normalized = json.loads(stored.record.normalized_json)  # type: ignore[union-attr]
    assert normalized["title"] == f"Caf{shown} society and more"
    assert any(entity in note for note in normalized["repairs"])


def test_an_undeclared_entity_in_a_file_costs_no_text_and_no_later_record(tmp_path: Path) -> None:
    doc = (f'<?xml version="1.0"?>\n<collection xmlns="{NS}">\n{_xml_record("A")}\n'
           f'{_xml_record("E", "Caf&eacute; society")}\n{_xml_record("C")}\n</collection>\n').encode()
    counts, store = _harvest(tmp_path, "a.xml", doc)
    with store:
        record = store.get(RecordId("feed:E"))
        assert record is not None and record.normalized.title == "Café society"
        assert store.get(RecordId("feed:C")) is not None and counts["new"] == 3


def _iso(*fields: Field) -> bytes:
    record = Record(force_utf8=True)
    for field in fields:
        record.add_field(field)
    return bytes(record.as_marc())


@pytest.mark.parametrize("digit", ["¹".encode("latin-1"), "¹".encode(), "٣".encode()])
def test_a_unicode_digit_in_a_directory_offset_is_repaired_never_a_crash(digit: bytes) -> None:
    raw = _iso(Field(tag="001", data="u1"),
               Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "T")]),
               Field(tag="500", indicators=[" ", " "], subfields=[Subfield("a", "Note")]))
    for entry in range(3):  # the last offset digit of each directory entry
        at = 24 + 12 * entry + 11
        bucket, reason = outcome_of("iso2709", raw[:at] + digit + raw[at + 1:])
        assert bucket in ("repaired", "stored", "quarantined"), reason
        assert bucket != "quarantined" or reason  # a quarantine always says why


def test_an_empty_datafield_tag_is_kept_as_read_never_a_crash() -> None:
    empty_xml = '<datafield tag="" ind1=" " ind2=" "><subfield code="a">No tag</subfield></datafield>'
    raw_xml = f'<record xmlns="{NS}">{_xml_record("t1", extra=empty_xml)[8:]}'.encode()
    raw_json = json.dumps({"leader": "00000nam a2200000   4500", "fields": [
        {"001": "t2"}, {"245": {"ind1": "0", "ind2": "0", "subfields": [{"a": "A title"}]}},
        {"": {"ind1": " ", "ind2": " ", "subfields": [{"a": "No tag"}]}}]}).encode()
    raw_mrk = b"=LDR  00000nam a2200000   4500\n=001  t3\n=245  00$aA title\n=     $aNo tag\n"
    raw_iso = _iso(Field(tag="001", data="t4"),
                   Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "A title")]),
                   Field(tag="500", indicators=[" ", " "], subfields=[Subfield("a", "No tag")]))
    raw_iso = raw_iso[:24 + 24] + b"   " + raw_iso[24 + 27:]  # the third entry's tag blanked
    for fmt, raw in (("marcxml", raw_xml), ("marcjson", raw_json), ("mrk", raw_mrk), ("iso2709", raw_iso)):
        bucket, reason = outcome_of(fmt, raw)
        assert bucket in ("stored", "repaired"), (fmt, reason)


def test_a_record_that_is_never_closed_does_not_swallow_the_next(tmp_path: Path) -> None:
    unclosed = _xml_record("U").replace("</record>", "")  # its </record> lost: C nests inside it
    doc = (f'<?xml version="1.0"?>\n<collection xmlns="{NS}">\n{_xml_record("A")}\n{unclosed}\n'
           f'{_xml_record("C")}\n</collection>\n').encode()
    counts, store = _harvest(tmp_path, "a.xml", doc)
    with store:
        for local_id in ("A", "U", "C"):
            assert store.get(RecordId(f"feed:{local_id}")) is not None, local_id
        assert counts["read"] == counts["new"] + counts["quarantined"]


def test_a_record_whose_start_tag_is_damaged_is_kept_in_the_quarantine(tmp_path: Path) -> None:
    damaged = _xml_record("D").replace("<record>", "<recrd>", 1)
    doc = (f'<?xml version="1.0"?>\n<collection xmlns="{NS}">\n{_xml_record("A")}\n{damaged}\n'
           f'{_xml_record("C")}\n</collection>\n').encode()
    counts, store = _harvest(tmp_path, "a.xml", doc)
    with store:
        assert store.get(RecordId("feed:A")) is not None and store.get(RecordId("feed:C")) is not None
        [entry] = store.quarantined("feed")
        assert b'"001">D<' in (entry.raw or b"") and entry.reason.startswith("not well-formed XML")


@pytest.mark.parametrize("quoted", ["<!-- was <record> 12 of the old export -->",
                                    "<![CDATA[ an example: <record><leader/> ]]>",
                                    "<?note see <record> below?>"])
def test_salvage_after_a_break_does_not_take_a_quoted_record_tag_for_a_record(tmp_path: Path, quoted: str) -> None:
    """A ``<record>`` inside a comment, CDATA section or processing instruction is no element to the
    streaming parser; the salvage scan must number the records the same way, or a record read before
    the break is read twice and the quoted text is quarantined as a record of its own."""
    broken = _xml_record("B", extra="<bad")
    doc = (f'<?xml version="1.0"?>\n<collection xmlns="{NS}">\n{_xml_record("A")}\n{quoted}\n'
           f'{_xml_record("Z")}\n{broken}\n{_xml_record("C")}\n</collection>\n').encode()
    chunks = _chunks(tmp_path, doc)
    records = [c for c in chunks if c.position.startswith("record ")]
    assert [c.position.split(" (")[0] for c in records] == ["record 1", "record 2", "record 3", "record 4"]
    assert [c.fatal for c in records] == [False, False, True, False]
    assert sum(b'"001">A<' in c.raw for c in chunks) == 1
    gaps = [c.raw.strip() for c in chunks if c not in records]  # character data between records is kept
    assert gaps == ([quoted.encode()] if quoted.startswith("<![CDATA[") else [])
    counts, store = _harvest(tmp_path, "a.xml", doc)
    with store:
        assert all(store.get(RecordId(f"feed:{local}")) is not None for local in "AZBC")
        assert counts["new"] == 4 and counts["read"] == 4 + len(gaps)  # B read leniently, the file broken

