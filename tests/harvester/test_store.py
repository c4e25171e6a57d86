"""The record store: new / changed / unchanged records, duplicates, deletions, quarantine, state, MFHD."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from harvester.record import Holding, Record
from harvester.store import IncomingRecord, RecordStore


def incoming(local_id: str, raw: bytes = b"raw", title: str = "T", source: str = "lib", **extra) -> IncomingRecord:
    record = Record(id=f"{source}:{local_id}", source_id=source, local_id=local_id, title=title)
    return IncomingRecord(id=record.id, source_id=source, local_id=local_id, raw=raw, raw_format="iso2709",
                          normalized_json=json.dumps(record.to_dict()), **extra)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    with RecordStore(tmp_path / "store.sqlite") as s:
        s.upsert_source("lib", "A Library", "marc", "LIB", "A Library")
        yield s


def test_store_is_a_real_sqlite_file_in_wal_mode(store: RecordStore) -> None:
    assert store.path.exists()
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_rerun_updates_changed_leaves_unchanged_and_never_duplicates(store: RecordStore) -> None:
    run1 = store.start_run("lib")
    counts, dups = store.write_batch(run1, [incoming("1"), incoming("2")])
    assert (counts.new, counts.updated, counts.unchanged, dups) == (2, 0, 0, [])
    seq_after_first = store.max_seq()

    run2 = store.start_run("lib")
    counts, _ = store.write_batch(run2, [incoming("1"), incoming("2", raw=b"changed", title="T2")])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    assert store.query("SELECT COUNT(*) FROM records")[0][0] == 2
    assert store.get("lib:2").normalized.title == "T2"
    changed = [r.id for r in store.iter_records(since_seq=seq_after_first)]
    assert changed == ["lib:2"]


def test_write_batch_decides_the_same_from_locations_read_in_its_transaction(tmp_path: Path) -> None:
    """``known`` (what `record_locations` read in the batch's transaction, as the file harvest passes
    it) gives the counts and rows a second look-up would: new, unchanged, changed, deleted-then-back,
    superseded and duplicates within the run."""
    def scenario(pass_known: bool) -> list[tuple[object, ...]]:
        with RecordStore(tmp_path / f"known-{pass_known}.sqlite") as s:
            s.upsert_source("lib", "A Library", "marc", "LIB", "A Library")
            out: list[tuple[object, ...]] = []
            batches = [[incoming("1"), incoming("2"), incoming("3")],
                       [incoming("1"), incoming("2", raw=b"changed"), incoming("4")],
                       [incoming("3"), incoming("4", raw=b"later"), incoming("4", raw=b"later")]]
            for number, batch in enumerate(batches):
                run = s.start_run("lib")
                if number == 2:
                    s.mark_deleted(["lib:3"])
                with s.transaction():
                    known = s.record_locations([r.id for r in batch]) if pass_known else None
                    counts, dups = s.write_batch(run, batch, supersede=True, known=known)
                out.append((dataclasses.asdict(counts), len(dups)))
            out.append(tuple(tuple(row) for row in s.query(
                "SELECT id, raw, raw_hash, deleted, seen_run, seq FROM records ORDER BY id")))
            return out

    with_known = scenario(True)
    assert with_known == scenario(False)
    assert with_known[1][0] == {"new": 1, "updated": 1, "unchanged": 1, "duplicates": 0, "superseded": 0}
    assert with_known[2][0]["updated"] == 2 and with_known[2][0]["duplicates"] == 1


def test_same_id_twice_in_one_run_is_refused_as_duplicate(store: RecordStore) -> None:
    run = store.start_run("lib")
    counts, dups = store.write_batch(run, [incoming("1"), incoming("1", raw=b"other")])
    assert counts.new == 1 and [d.raw for d in dups] == [b"other"]
    _, dups = store.write_batch(run, [incoming("1", raw=b"third")])
    assert len(dups) == 1
    assert store.get("lib:1").raw == b"raw"


def test_records_absent_from_a_complete_reread_are_marked_deleted_not_erased(store: RecordStore) -> None:
    run1 = store.start_run("lib")
    store.write_batch(run1, [incoming("1", file="a.mrc"), incoming("2", file="a.mrc"), incoming("3", file="b.mrc")])
    run2 = store.start_run("lib")
    store.write_batch(run2, [incoming("1", file="a.mrc")])
    assert store.mark_unseen_deleted("lib", run2, keep_files=["b.mrc"]) == 1
    assert store.get("lib:2").deleted and store.get("lib:2").raw == b"raw"
    assert not store.get("lib:3").deleted  # b.mrc could not be read to its end: proves nothing

    run3 = store.start_run("lib")
    counts, _ = store.write_batch(run3, [incoming("2", file="a.mrc")])
    assert counts.updated == 1 and not store.get("lib:2").deleted


def test_quarantine_keeps_evidence_once_per_spot_and_forgets_what_was_fixed(store: RecordStore) -> None:
    run1 = store.start_run("lib")
    store.quarantine("lib", run1, "a.mrc", "record 3 @ byte 10", "bad directory", b"\x00bytes", "x1")
    store.quarantine("lib", run1, "a.mrc", "record 3 @ byte 10", "bad directory", b"\x00bytes", "x1")
    [entry] = store.quarantined("lib")
    assert (entry.file, entry.reason, entry.raw, entry.local_id) == ("a.mrc", "bad directory", b"\x00bytes", "x1")
    run2 = store.start_run("lib")
    assert store.clear_stale_quarantine("lib", run2, ["a.mrc"]) == 1
    assert store.quarantined("lib") == []


def test_state_commits_with_the_records_of_the_same_transaction(store: RecordStore) -> None:
    run = store.start_run("lib")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.write_batch(run, [incoming("9")])
            store.set_state("oai:lib:token", "abc")
            raise RuntimeError("killed mid-page")
    assert store.get("lib:9") is None and store.get_state("oai:lib:token") is None
    with store.transaction():
        store.write_batch(run, [incoming("9")])
        store.set_state("oai:lib:token", "abc")
    assert store.get("lib:9") is not None and store.get_state("oai:lib:token") == "abc"


def test_a_changed_mfhd_record_marks_its_bib_for_reindexing(store: RecordStore) -> None:
    run = store.start_run("lib")
    store.write_batch(run, [incoming("b1")])
    before = store.max_seq()
    holding = Record(id="lib:h1", source_id="lib", local_id="h1", kind="holdings", parent_local_id="b1",
                     holdings=(Holding(library_code="LIB", call_number="QA76"),))
    store.write_batch(run, [IncomingRecord(id="lib:h1", source_id="lib", local_id="h1", raw=b"h",
                                           raw_format="iso2709", normalized_json=json.dumps(holding.to_dict()),
                                           kind="holdings", parent_id="lib:b1")])
    changed = {r.id for r in store.iter_records(since_seq=before)}
    assert changed == {"lib:h1", "lib:b1"}
    [attached] = store.holdings_records("lib:b1")
    assert attached.normalized.holdings[0].call_number == "QA76"


def test_status_counts_agree_with_the_table(store: RecordStore) -> None:
    run = store.start_run("lib")
    store.write_batch(run, [incoming("1"), incoming("2")])
    store.mark_deleted(["lib:2"])
    store.quarantine("lib", run, "f", "p", "why", b"")
    store.finish_run(run, "ok", {"read": 3})
    [row] = store.source_status()
    assert (row["records"], row["deleted"], row["quarantined"]) == (1, 1, 1)
    assert row["last_run"]["counts"] == {"read": 3} and row["last_run"]["status"] == "ok"


def test_migrations_run_once_and_downstream_packages_get_their_own(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    RecordStore(path).close()
    with RecordStore(path) as store:
        store.migrate("downstream", ["CREATE TABLE extra (x INTEGER)"])
        store.migrate("downstream", ["CREATE TABLE extra (x INTEGER)"])
        versions = store.query("SELECT namespace, version FROM schema_migrations ORDER BY namespace")
    from harvester.store.schema import MIGRATIONS

    store_versions = [("store", n) for n in range(1, len(MIGRATIONS) + 1)]
    assert len(MIGRATIONS) >= 3 and [tuple(v) for v in versions] == [("downstream", 1), *store_versions]


def test_quarantine_entries_carry_their_kind_and_old_stores_are_classified(tmp_path: Path) -> None:
    import sqlite3

    from harvester.store import QuarantineKind
    from harvester.store.schema import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)  # a store file written before quarantine rows had a kind
    db.executescript(MIGRATIONS[0])
    db.executescript(
        "CREATE TABLE schema_migrations (namespace TEXT, version INTEGER, applied_at REAL, "
        "PRIMARY KEY (namespace, version)); INSERT INTO schema_migrations VALUES ('store', 1, 0);"
        "INSERT INTO quarantine (source_id, file, position, reason, created_at) VALUES "
        "('s', 'oai', 'oai:x:1', 'GetRecord failed (HTTP 500)', 0), "
        "('s', 'oai-page', 'http://h/oai?verb=ListRecords', 'not XML', 0), "
        "('s', 'a.mrc', 'record 3', 'duplicate record id s:1: already read earlier in this harvest', 0), "
        "('s', 'a.mrc', 'record 4', 'record length is not a number', 0);"
    )
    db.commit()
    db.close()
    with RecordStore(path) as store:
        kinds = [(e.position, e.kind) for e in store.quarantined("s")]
        assert kinds == [
            ("record 3", QuarantineKind.DUPLICATE),
            ("record 4", QuarantineKind.UNREADABLE),
            ("oai:x:1", QuarantineKind.SERVER_FAILURE),
            ("http://h/oai?verb=ListRecords", QuarantineKind.BROKEN_PAGE),
        ]
        assert store.quarantined_positions("s", "oai", QuarantineKind.SERVER_FAILURE, 10) == ["oai:x:1"]
        assert store.quarantine_count("s") == 4 and store.quarantine_count("s", QuarantineKind.BROKEN_PAGE) == 1
        store.quarantine("s", None, "b.mrc", "record 1", "no 245", None, "7", QuarantineKind.REJECTED)
        assert store.quarantine_count("s", QuarantineKind.REJECTED) == 1
        store.clear_quarantine("s", "oai", ["oai:x:1"])
        assert store.quarantined_positions("s", "oai", QuarantineKind.SERVER_FAILURE, 10) == []


def test_a_record_rewritten_in_the_same_run_replaces_the_copy_and_restamps_its_bib(store: RecordStore) -> None:
    # An OAI-PMH server listing a holdings record twice in one harvest: the newer copy wins, and its bib
    # gets a new seq (as `write_batch` gives it), so the indexer sees the changed holdings.
    run = store.start_run("lib")
    store.write_batch(run, [incoming("b1")])
    mfhd = IncomingRecord(id="lib:h1", source_id="lib", local_id="h1", raw=b"h", raw_format="iso2709",
                          normalized_json=json.dumps(Record(id="lib:h1", source_id="lib", local_id="h1",
                                                            kind="holdings").to_dict()),
                          kind="holdings", parent_id="lib:b1")
    store.write_batch(run, [mfhd])
    bib_seq = store.get("lib:b1").seq
    _, duplicates = store.write_batch(run, [mfhd])
    assert [d.id for d in duplicates] == ["lib:h1"]
    assert store.rewrite_record(run, duplicates[0]) == "unchanged"
    changed = dataclasses.replace(mfhd, raw=b"h2")
    assert store.rewrite_record(run, changed) == "updated"
    assert bytes(store.get("lib:h1").raw) == b"h2"
    assert store.get("lib:b1").seq > bib_seq


def test_changed_bibs_and_source_counts_are_counted_from_an_index_alone(store: RecordStore) -> None:
    from harvester.store.records import CHANGED_BIBS_COUNT, LIVE_BIBS_AFTER, SOURCE_COUNTS

    run = store.start_run("lib")
    store.write_batch(run, [incoming("1"), incoming("2"), incoming("h1", kind="holdings", parent_id="lib:1")])
    first = store.max_seq()
    store.write_batch(store.start_run("lib"), [incoming("3"), incoming("2", raw=b"new", title="T2")])
    assert store.count_changed_bibs(0, store.max_seq()) == 3
    assert store.count_changed_bibs(first, store.max_seq()) == 2
    plan = " ".join(str(row[3]) for row in store.query("EXPLAIN QUERY PLAN " + CHANGED_BIBS_COUNT, (0, 9)))
    assert "COVERING INDEX records_seq" in plan, plan  # never a read of the records' own pages
    store.mark_deleted(["lib:3"])
    [row] = store.source_status()
    assert (row["records"], row["holdings_records"], row["deleted"]) == (2, 1, 1)
    plan = " ".join(str(row[3]) for row in store.query("EXPLAIN QUERY PLAN " + SOURCE_COUNTS, ("lib",)))
    assert "COVERING INDEX records_source" in plan, plan
    # and the indexes that serve the counts offer nothing to the full pass's batches, walked by id
    plan = " ".join(str(row[3]) for row in store.query("EXPLAIN QUERY PLAN " + LIVE_BIBS_AFTER, ("", 5)))
    assert "sqlite_autoindex_records_1 (id>?)" in plan and "TEMP B-TREE" not in plan, plan
    assert [r for batch in store.iter_live_bib_json(batch=1) for r, _ in batch] == ["lib:1", "lib:2"]


def test_streaming_a_source_walks_the_seq_index_without_sorting_the_source(store: RecordStore) -> None:
    store.upsert_source("other", "Another", "marc", "OTH", "Another")
    store.write_batch(store.start_run("lib"), [incoming(str(n)) for n in range(5)])
    store.write_batch(store.start_run("other"), [incoming("9", source="other")])
    store.write_batch(store.start_run("lib"), [incoming("h", kind="holdings", parent_id="lib:1")])  # restamps lib:1
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    try:
        got = [r.id for r in store.iter_records(source_id="lib", kind="bib", batch=2)]
    finally:
        store.db.set_trace_callback(None)
    assert got == ["lib:0", "lib:2", "lib:3", "lib:4", "lib:1"]  # in seq order, every batch
    batches = [s for s in statements if s.startswith("SELECT * FROM records")]
    assert len(batches) == 4
    for sql in batches:
        plan = " ".join(str(r[3]) for r in store.query("EXPLAIN QUERY PLAN " + sql))
        assert "records_seq" in plan and "TEMP B-TREE" not in plan, plan


def test_feed_health_counts_read_only_the_flagged_records(store: RecordStore) -> None:
    def flagged(local_id: str, **fields: object) -> IncomingRecord:
        record = Record(id=f"lib:{local_id}", source_id="lib", local_id=local_id, title="T")
        data = {**record.to_dict(), **fields}
        return IncomingRecord(id=record.id, source_id="lib", local_id=local_id, raw=b"r", raw_format="iso2709",
                              normalized_json=json.dumps(data))

    store.write_batch(store.start_run("lib"), [
        incoming("1"), flagged("2", repairs=["leader length"]), flagged("3", id_origin="id derived: no 001"),
        flagged("4", id_origin="id derived: no 001", repairs=["x"])])
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    try:
        [row] = store.source_status()
    finally:
        store.db.set_trace_callback(None)
    assert (row["records"], row["repaired"], row["derived_ids"]) == (4, 2, 2)
    for sql in (s for s in statements if "FROM records" in s and "json_extract" in s):
        plan = " ".join(str(r[3]) for r in store.query("EXPLAIN QUERY PLAN " + sql))
        assert "records_repaired" in plan or "records_id_origin" in plan, (sql, plan)


def test_the_wal_is_cut_back_after_a_big_transaction(tmp_path: Path) -> None:
    from harvester.store import database

    with RecordStore(tmp_path / "s.sqlite") as store:
        assert store.query("PRAGMA journal_size_limit")[0][0] == database.WAL_KEEP_BYTES
        store.upsert_source("lib", "A Library", "marc", "LIB", "A Library")
        store.write_batch(store.start_run("lib"), [incoming(str(n), raw=bytes(20_000)) for n in range(300)])
        wal = store.path.with_name(store.path.name + "-wal")
        assert wal.stat().st_size > 5_000_000
        store.checkpoint()
        assert wal.stat().st_size == 0
