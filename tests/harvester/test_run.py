"""Harvesting file sources end to end: every record accounted for, reruns idempotent, failures isolated.

Uses the real files in tests/data/harvest (see its README): good MARC-8, UTF-8 and MARCXML records,
broken ISO 2709, a MARCXML file that is not well-formed, a file that is not MARC, MFHD holdings
records, authority records and MARC-in-JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from search_ui.cli import cli

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "harvest"
BUCKETS = ("new", "updated", "unchanged", "superseded", "duplicates", "quarantined", "skipped")

CONFIG = """
data_dir = "var"
[[sources]]
id = "lib-a"
path = "lib-a"
[[sources]]
id = "lib-b"
path = "lib-b"
library = { code = "LIBB", name = "Library B" }
[[sources]]
id = "lib-c"
path = "lib-c/*.jsonl"
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name in ("lib-a", "lib-b", "lib-c"):
        shutil.copytree(FIXTURE / name, tmp_path / name)
    (tmp_path / "unioncat.toml").write_text(CONFIG)
    return tmp_path


def harvest(workdir: Path, workers: int = 1) -> dict[str, dict[str, int]]:
    settings = load_settings(workdir / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        results = harvest_sources(settings, store, settings.sources, workers=workers, show_progress=False)
    assert [r.status for r in results] == ["ok"] * len(results), [r.error for r in results]
    return {r.source_id: r.counts for r in results}


def test_every_record_read_is_stored_quarantined_or_skipped(workdir: Path) -> None:
    counts = harvest(workdir)
    for source_id, c in counts.items():
        assert c["read"] == sum(c[b] for b in BUCKETS), source_id
    a, b, c = counts["lib-a"], counts["lib-b"], counts["lib-c"]
    # lib-a: 1 MARC-8 record; bad_records.mrc: 8 chunks of the same book without a 001: 5 sound, 2 with a
    # broken directory (repaired), 1 with no field at all (quarantined); all 7 get the same id derived from
    # their content, so the last one stands and 6 are superseded. XML: record 1 good, record 2 in the
    # break (read leniently), record 3 salvaged past the break, all three with the same 001 (2 superseded);
    # the non-MARC file whole (quarantined)
    assert (a["new"], a["superseded"], a["quarantined"]) == (3, 6 + 2, 1 + 1)
    assert b["skipped"] == 3  # LC name authorities are not catalog items
    assert b["new"] == 14 + 30
    assert c["new"] == 5


def test_a_second_run_changes_nothing(workdir: Path) -> None:
    first = harvest(workdir)
    settings = load_settings(workdir / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        seq, quarantined = store.max_seq(), {s: len(store.quarantined(s)) for s in first}
    second = harvest(workdir, workers=2)
    for source_id, c in second.items():
        assert (c["new"], c["updated"], c["deleted"]) == (0, 0, 0), source_id
        assert c["unchanged"] == first[source_id]["new"], source_id
        assert c["superseded"] == first[source_id]["superseded"], source_id
    with RecordStore(settings.store_path) as store:
        assert store.max_seq() == seq
        assert {s: len(store.quarantined(s)) for s in first} == quarantined


def test_changed_and_vanished_records_are_updated_and_marked_deleted(workdir: Path) -> None:
    harvest(workdir)
    lines = (workdir / "lib-c" / "goldfinch_5.jsonl").read_text().splitlines()
    changed = json.loads(lines[0])
    changed["fields"].append({"500": {"ind1": " ", "ind2": " ", "subfields": [{"a": "A new note."}]}})
    (workdir / "lib-c" / "goldfinch_5.jsonl").write_text("\n".join([json.dumps(changed), *lines[1:4]]) + "\n")
    counts = harvest(workdir)["lib-c"]
    assert (counts["updated"], counts["unchanged"], counts["deleted"]) == (1, 3, 1)
    settings = load_settings(workdir / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        deleted = store.query("SELECT id FROM records WHERE source_id = 'lib-c' AND deleted = 1")
        assert len(deleted) == 1
        assert store.get(deleted[0][0]).raw  # kept, not erased


def test_records_of_a_file_that_breaks_off_are_not_deleted(workdir: Path) -> None:
    harvest(workdir)
    settings = load_settings(workdir / "unioncat.toml")
    counts = harvest(workdir)["lib-a"]
    assert counts["deleted"] == 0
    with RecordStore(settings.store_path) as store:
        reasons = [q.reason for q in store.quarantined("lib-a")]
    assert any("not a MARC file" in r for r in reasons)


def test_mfhd_holdings_attach_to_their_bib_through_004(workdir: Path) -> None:
    harvest(workdir)
    settings = load_settings(workdir / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        rows = store.query(
            "SELECT id, parent_id FROM records WHERE kind = 'holdings' AND source_id = 'lib-b'")
        assert len(rows) == 7
        parents = {row["parent_id"] for row in rows}
        assert all(store.get(p) is not None for p in parents)
        attached = store.holdings_records(sorted(parents)[0])
        assert attached and attached[0].normalized.holdings


def test_a_failing_source_does_not_stop_the_others_and_sets_the_exit_status(workdir: Path) -> None:
    config = (workdir / "unioncat.toml").read_text() + '[[sources]]\nid = "gone"\npath = "no-such-folder"\n'
    (workdir / "unioncat.toml").write_text(config)
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(workdir / "unioncat.toml"), "harvest", "-q"])
    assert result.exit_code != 0
    assert "1 of 4 source(s) failed: gone" in result.output
    status = runner.invoke(cli, ["--config", str(workdir / "unioncat.toml"), "status", "--json"])
    rows = {row["id"]: row for row in json.loads(status.output)}
    assert rows["lib-b"]["records"] == 44 - 7 and rows["lib-b"]["last_run"]["status"] == "ok"
    assert rows["gone"]["last_run"]["status"] == "failed" and "no files" in rows["gone"]["last_run"]["error"]


def test_status_json_agrees_with_the_store(workdir: Path) -> None:
    harvest(workdir)
    result = CliRunner().invoke(cli, ["--config", str(workdir / "unioncat.toml"), "status", "--json"])
    assert result.exit_code == 0, result.output
    settings = load_settings(workdir / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        for row in json.loads(result.output):
            live = store.query(
                "SELECT COUNT(*) FROM records WHERE source_id = ? AND deleted = 0 AND kind = 'bib'",
                (row["id"],))[0][0]
            deleted = store.query("SELECT COUNT(*) FROM records WHERE source_id = ? AND deleted = 1",
                                  (row["id"],))[0][0]
            quarantined = store.query("SELECT COUNT(*) FROM quarantine WHERE source_id = ?",
                                      (row["id"],))[0][0]
            assert (row["records"], row["deleted"], row["quarantined"]) == (live, deleted, quarantined)
            assert set(row) >= {"id", "records", "deleted", "quarantined", "last_run"}


def test_quarantine_and_show_commands_explain_what_happened(workdir: Path) -> None:
    harvest(workdir)
    runner = CliRunner()
    config = ["--config", str(workdir / "unioncat.toml")]
    out = runner.invoke(cli, [*config, "quarantine", "lib-a"]).output
    assert "bad_records.mrc" in out and "quarantined record(s) from lib-a" in out
    settings = load_settings(workdir / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        record_id = store.query(
            "SELECT id FROM records WHERE source_id = 'lib-b' AND kind = 'bib' LIMIT 1")[0][0]
    shown = runner.invoke(cli, [*config, "show", record_id])
    assert shown.exit_code == 0 and "=245" in shown.output and "Raw record" in shown.output
    missing = runner.invoke(cli, [*config, "show", "lib-b:nope"])
    assert missing.exit_code != 0 and "no record" in missing.output


def test_each_raw_record_becomes_one_typed_outcome() -> None:
    # What a worker hands back is a small named tuple per record, so the writer dispatches on its type
    # (not on a string tag) and every field has a name.
    from harvester.marc.profiles import PROFILES
    from harvester.run import Rejected, Skipped, Stored, _process_one
    from harvester.settings import Library, SourceConfig
    from harvester.store import IncomingRecord

    source = SourceConfig(id="t", name="T", type="marc", library=Library("T", "T"), holdings=PROFILES["marc21"])
    good = (Path(__file__).parents[1] / "data" / "marc" / "cornell_score.mrc").read_bytes().split(b"\x1d")[0] + b"\x1d"
    stored = _process_one(source, "a.mrc", "iso2709", "record 1", good)
    assert isinstance(stored, Stored) and isinstance(stored.record, IncomingRecord)
    assert stored.record.source_id == "t" and stored.record.raw == good and not stored.salvaged
    authority = b"00050nz  a2200037n  4500001000800000\x1eauth001\x1e\x1d"
    skipped = _process_one(source, "a.mrc", "iso2709", "record 2", authority)
    assert isinstance(skipped, Skipped) and skipped.position == "record 2"
    rejected = _process_one(source, "a.mrc", "iso2709", "record 3", b"00010xx\x1d")
    assert rejected == Rejected("record 3", "too short to be a MARC record (8 bytes)", b"00010xx\x1d", "")
