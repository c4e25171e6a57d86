"""No record lost for want of an id, and updates within one harvest: ids from an ordered list of fields
or derived from content, a full export plus delta files, exact duplicates, repaired records.

Records are real (tests/data/marc, tests/data/harvest); the "delta files" are made in the test from a
real record by editing one field, the way an ILS re-exports a changed record.
"""

from __future__ import annotations

import os
from pathlib import Path

import pymarc
import pytest

from harvester.marc.files import iter_raw_records, read_record
from harvester.marc.ids import first_local_id
from harvester.run import harvest_sources
from harvester.settings import ConfigError, load_settings
from harvester.store import RecordStore

DATA = Path(__file__).resolve().parents[1] / "data"
MARC = DATA / "marc"
HARVEST = DATA / "harvest"


def _harvest(workdir: Path, extra: str = "") -> tuple[dict[str, int], list[dict[str, object]]]:
    (workdir / "unioncat.toml").write_text(f'data_dir = "var"\n[[sources]]\nid = "lib"\npath = "in"\n{extra}')
    settings = load_settings(workdir / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
        assert result.status == "ok", result.error
        rows = [dict(r) for r in store.query(
            "SELECT id, local_id, raw, seq, json_extract(normalized, '$.title') AS title, "
            "json_extract(normalized, '$.id_origin') AS id_origin, "
            "json_extract(normalized, '$.repairs') AS repairs FROM records WHERE deleted = 0 ORDER BY id")]
    return result.counts, rows


def _michigan() -> pymarc.Record:
    [chunk] = list(iter_raw_records(MARC / "michigan_852_holdings.mrc", "iso2709"))
    return read_record(chunk.raw, "iso2709")[0]


def _edited(title: str, drop_001: bool = False) -> bytes:
    record = _michigan()
    record["245"]["a"] = title
    if drop_001:
        record.remove_fields("001")
    return record.as_marc21()


def test_a_full_export_and_two_deltas_end_with_the_deltas_versions(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    full = (MARC / "michigan_852_holdings.mrc").read_bytes() + (MARC / "cornell_score.mrc").read_bytes()
    (folder / "2026-11-01-full.mrc").write_bytes(full)
    (folder / "2026-11-02-delta.mrc").write_bytes(_edited("Delta one"))
    (folder / "2026-11-03-delta.mrc").write_bytes(_edited("Delta two"))
    counts, rows = _harvest(tmp_path)
    assert (counts["new"], counts["superseded"], counts["quarantined"]) == (2, 2, 0)
    assert counts["read"] == 4
    michigan = next(r for r in rows if r["title"].startswith("Delta"))
    assert michigan["title"] == "Delta two" and len(rows) == 2
    again, same = _harvest(tmp_path)
    assert (again["new"], again["updated"], again["superseded"], again["unchanged"]) == (0, 0, 2, 2)
    assert [r["seq"] for r in same] == [r["seq"] for r in rows]  # a second run changes nothing


def test_mtime_order_reads_the_newest_file_last(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-newest.mrc").write_bytes(_edited("Newest"))
    (folder / "b-full.mrc").write_bytes((MARC / "michigan_852_holdings.mrc").read_bytes())
    os.utime(folder / "b-full.mrc", (1_000_000, 1_000_000))
    os.utime(folder / "a-newest.mrc", (2_000_000, 2_000_000))
    _, by_name = _harvest(tmp_path)
    assert by_name[0]["title"] != "Newest"  # name order: b-full.mrc is read last and wins
    _, by_mtime = _harvest(tmp_path, 'order = "mtime"\n')
    assert by_mtime[0]["title"] == "Newest"


def test_exact_duplicates_are_counted_not_stored_twice(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    one = (MARC / "michigan_852_holdings.mrc").read_bytes()
    (folder / "a.mrc").write_bytes(one + one)
    (folder / "b.mrc").write_bytes(one)
    counts, rows = _harvest(tmp_path)
    assert (counts["new"], counts["duplicates"], counts["superseded"], counts["quarantined"]) == (1, 2, 0, 0)
    assert len(rows) == 1
    again, _ = _harvest(tmp_path)
    assert (again["unchanged"], again["duplicates"], again["superseded"]) == (1, 2, 0)


def test_id_field_list_takes_the_first_field_present() -> None:
    record = _michigan()
    record.remove_fields("001")
    assert first_local_id(record, ["001", "035a"]) == record["035"]["a"]
    assert first_local_id(record, ["999c", "001"]) is None


def test_records_without_any_id_get_a_stable_id_derived_from_their_content(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.mrc").write_bytes(_edited("No id here", drop_001=True) + _edited("Nor here", drop_001=True))
    counts, rows = _harvest(tmp_path, 'id_field = ["001", "999c"]\n')
    assert (counts["new"], counts["quarantined"]) == (2, 0)
    assert all(r["local_id"].startswith("derived-") for r in rows)
    assert {r["id_origin"] for r in rows} == {"id derived: no 001, 999c"}
    # a re-export of the same record, in another serialization (MARCXML), keeps its id
    record = next(iter(pymarc.MARCReader(_edited("No id here", drop_001=True), to_unicode=True)))
    (folder / "a.mrc").unlink()
    (folder / "b.xml").write_bytes(pymarc.record_to_xml(record, namespace=True))
    _, again = _harvest(tmp_path, 'id_field = ["001", "999c"]\n')
    assert [r["id"] for r in again] == [r["id"] for r in rows if r["title"].startswith("No id")]


def test_a_record_inside_an_xml_break_is_stored_repaired_and_its_file_kept(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = (HARVEST / "lib-a" / "three-records-second-bad.xml").read_bytes()
    parts = text.split(b'<controlfield tag="001">afc99990058366</controlfield>')
    assert len(parts) == 4  # three records share this 001: give each its own
    text = b"".join(p + (b'<controlfield tag="001">r%d</controlfield>' % n if n < 3 else b"")
                    for n, p in enumerate(parts))
    (folder / "three.xml").write_bytes(text)
    counts, rows = _harvest(tmp_path)
    assert (counts["new"], counts["quarantined"]) == (3, 0)
    [repaired] = [r for r in rows if r["repairs"]]
    assert repaired["local_id"] == "r1"
    assert "read from a broken file (not well-formed XML from line 72" in str(repaired["repairs"])
    assert "not well-formed XML read leniently" in str(repaired["repairs"])


def test_marcxml_without_a_leader_gets_a_default_one_marked(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    xml = (MARC / "duke_serial_852.xml").read_bytes()
    start, end = xml.index(b"<leader"), xml.index(b"</leader>") + len(b"</leader>")
    (folder / "noleader.xml").write_bytes(xml[:start] + xml[end:])
    counts, [row] = _harvest(tmp_path)
    assert counts["new"] == 1
    assert "MARCXML record without a <leader>: default leader '     nam a22     uu 4500' used" in str(row["repairs"])


def test_id_field_must_name_fields() -> None:
    from harvester.settings import parse_settings

    for bad in (["001", "12"], [], 7, "a$"):
        with pytest.raises(ConfigError, match="id_field"):
            parse_settings({"sources": [{"id": "x", "path": "p", "id_field": bad}]}, Path("u.toml"))
    settings = parse_settings({"sources": [{"id": "x", "path": "p", "id_field": ["001", "035a"]}]},
                              Path("u.toml"))
    assert settings.sources[0].id_fields == ("001", "035a") and settings.sources[0].id_field == "001"


def test_status_counts_stored_superseded_repaired_derived_and_quarantine_reasons(tmp_path: Path) -> None:
    """tests/data/harvest/lib-a (see test_run): bad_records.mrc's 8 copies of one book without a 001 end
    as one record under a derived id (6 superseded, 1 with no field quarantined), the XML file's three
    copies of one record as one (2 superseded), and the file that is not MARC is quarantined whole."""
    import shutil

    shutil.copytree(HARVEST / "lib-a", tmp_path / "in")
    _harvest(tmp_path)
    from click.testing import CliRunner

    from search_ui.cli import cli

    with RecordStore(tmp_path / "var" / "unioncat.sqlite") as store:
        [row] = store.source_status()
    assert (row["records"], row["superseded"], row["derived_ids"]) == (3, 8, 1)
    assert row["derived_reasons"] == [{"reason": "id derived: no 001", "count": 1}]
    assert sorted((q["kind"], q["reason"].split(":")[0]) for q in row["quarantined_by_reason"]) == [
        ("rejected", "record has no fields (empty directory); no field can be read"),
        ("unreadable", "not a MARC file")]
    out = CliRunner().invoke(cli, ["--config", str(tmp_path / "unioncat.toml"), "status"]).output
    assert "superseded 8" in out and "derived ids 1" in out and "1 × id derived: no 001" in out
    assert "quarantined 1 × not a MARC file" in out
    derived = next(r for r in _harvest(tmp_path)[1] if r["id_origin"])
    shown = CliRunner().invoke(cli, ["--config", str(tmp_path / "unioncat.toml"), "show", derived["id"]]).output
    assert "! id derived: no 001" in shown
