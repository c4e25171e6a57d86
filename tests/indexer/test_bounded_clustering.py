"""The bounded-memory clusterer (`indexer.dedup.bounded`) gives exactly the groups of the in-memory one.

Spill thresholds are forced tiny (runs of a few dozen items, a profile cache of a handful, a decision
memory that keeps being forgotten), so every on-disk path runs: many sorted runs merged, profiles read
back from the file, decisions remade.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from harvester.record import Record
from harvester.store import RecordStore
from indexer.dedup import bounded
from indexer.dedup.bounded import Counts, Limits, cluster_stream
from indexer.dedup.clustering import BLOCK_CAP, candidate_pairs, cluster_records
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.decide import DedupMatcher
from indexer.dedup.matching import NO_OVERRIDES, Overrides
from indexer.dedup.spill import KeyBlocks, ProfileFile, SequenceFile, SortedRuns

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dedup_data import synthetic_records  # noqa: E402
from dedup_sets import article_record  # noqa: E402

from tests.indexer.conftest import Catalogue  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "dedup"
TINY = Limits(run_size=37, cache_size=5, decisions=11)
MATCHER = DedupMatcher()
LIB = {f"lib{n:02d}": ("lib-a", "lib-b", "lib-c")[n % 3] for n in range(10)}


def both(records: list[Record], overrides: Overrides = NO_OVERRIDES, matcher: DedupMatcher = MATCHER,
         limits: Limits = TINY, folder: Path | None = None) -> tuple[list[list[str]], list[list[str]]]:
    expected = cluster_records(matcher, records, overrides)
    got = list(cluster_stream(matcher, iter(records), overrides, folder, limits))
    return expected, got


def test_generated_corpus_same_groups_in_the_same_order(tmp_path: Path) -> None:
    records, _ = synthetic_records(1500, seed=3)
    counts = Counts()
    expected = cluster_records(MATCHER, records, Overrides())
    got = list(cluster_stream(MATCHER, iter(records), Overrides(), tmp_path, TINY, counts=counts))
    assert got == expected
    assert any(len(g) > 1 for g in got) and any(len(g) > 2 for g in got)
    assert counts.records == len(records) and counts.pairs > counts.edges > 0
    assert list(tmp_path.iterdir()) == []  # the spill folder is cleaned up


def test_real_sample_rows_same_groups() -> None:
    with open(DATA / "dblp_acm_sample.csv", encoding="utf-8", newline="") as handle:
        records = [
            article_record(r["source"], r["id"], r["title"], r["authors"], r["venue"], r["year"])
            for r in csv.DictReader(handle)
        ]
    expected, got = both(records)
    assert got == expected
    assert sum(len(g) == 2 for g in got) >= 20


def test_overrides_and_sources_that_hold_duplicates_same_groups() -> None:
    records, truth = synthetic_records(800, seed=5)
    a, b = truth[0]
    c, d = truth[1]
    x, y = records[10].id, records[500].id
    overrides = Overrides(merge=frozenset({frozenset((x, y))}), split=frozenset({frozenset((a, b))}),
                          blocked_identifiers=frozenset(f"isbn:{r.isbns[0]}" for r in records[:200] if r.isbns))
    for matcher in (MATCHER, DedupMatcher(within_source=frozenset({"lib01", "lib02"}))):
        expected, got = both(records, overrides, matcher)
        assert got == expected
        where = {rid: k for k, g in enumerate(got) for rid in g}
        assert where[x] == where[y] and where[a] != where[b]
    assert where[c] == where[d]


def test_big_blocks_use_the_same_sorted_neighbourhood() -> None:
    records, _ = synthetic_records(300, seed=9)
    shared = "9780306406157"  # one ISBN reused by far more records than BLOCK_CAP
    records = [replace(r, isbns=(shared,)) if k % 2 == 0 else r for k, r in enumerate(records)]
    assert sum(shared in r.isbns for r in records) > BLOCK_CAP
    counts = Counts()
    got = list(cluster_stream(MATCHER, iter(records), Overrides(), None, TINY, counts=counts))
    assert got == cluster_records(MATCHER, records, Overrides())
    compared = {(i, j) for i, j in candidate_pairs(records) if records[i].source_id != records[j].source_id}
    assert counts.pairs == len(compared)  # the same pairs are compared, not just the same outcome


@pytest.mark.parametrize("run_size", [1, 3, 10_000])
def test_sorted_runs_merge_in_order_whatever_the_run_size(tmp_path: Path, run_size: int) -> None:
    runs = SortedRuns(tmp_path, "t", run_size)
    items = [((k * 7919) % 101, f"k{k % 13}") for k in range(500)]
    for item in items:
        runs.add(item)
    assert list(runs.merged()) == sorted(items)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("run_size", "partitions"), [(1, 3), (7, 256), (10_000, 1)])
def test_key_blocks_group_every_shared_key_in_record_order(tmp_path: Path, run_size: int, partitions: int) -> None:
    blocks = KeyBlocks(tmp_path, "k", run_size, partitions)
    expected: dict[str, list[int]] = {}
    for n in range(300):
        for key in {f"a{n % 17}", f"b{(n * 7) % 101}", f"solo{n}"}:
            blocks.add(key, n)
            expected.setdefault(key, []).append(n)
    got = dict(blocks.blocks())
    assert got == {k: v for k, v in expected.items() if len(v) > 1}  # lone keys make no block
    assert blocks.count == 900 and list(tmp_path.iterdir()) == []


def test_sequence_file_reads_back_in_order_twice(tmp_path: Path) -> None:
    ids = SequenceFile(tmp_path, "ids")
    for k in range(10_000):
        ids.append(f"lib:{k}")
    assert list(ids) == list(ids) == [f"lib:{k}" for k in range(10_000)]
    ids.close()
    assert list(tmp_path.iterdir()) == []


def test_profile_file_reads_back_every_object(tmp_path: Path) -> None:
    store = ProfileFile(tmp_path, cache_size=2)
    for k in range(50):
        assert store.append(("id", k, frozenset({k}))) == k
    assert [store.get(k) for k in (49, 0, 17, 17, 3)] == [("id", k, frozenset({k})) for k in (49, 0, 17, 17, 3)]
    store.close()
    assert list(tmp_path.iterdir()) == []


def test_cluster_store_full_pass_bounded_equals_in_memory(catalogue: Catalogue, store: RecordStore,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = synthetic_records(600, seed=11)
    catalogue.put(*[replace(r, source_id=LIB[r.source_id], id=f"{LIB[r.source_id]}:{r.local_id}")
                    for r in records])
    clusters = ClusterStore(store)
    stages: list[str] = []
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 10**9)
    in_memory = clusters.recluster_all(MATCHER)
    expected = dict(clusters.iter_clusters())
    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    streamed = clusters.recluster_all(MATCHER, on_stage=lambda stage, n: stages.append(stage))
    assert dict(clusters.iter_clusters()) == expected  # same groups, same permalinks
    assert streamed.records == in_memory.records == len(records) and streamed.retired == streamed.new == 0
    assert "cluster: deciding pairs" in stages


def test_capped_author_year_blocks_compare_the_same_pairs() -> None:
    from tests.indexer.test_clustering import pindar_block

    for records in (pindar_block(4), pindar_block(10)):
        counts = Counts()
        got = list(cluster_stream(MATCHER, iter(records), Overrides(), None, TINY, counts=counts))
        assert got == cluster_records(MATCHER, records, Overrides())
        assert counts.pairs == len(candidate_pairs(records))
