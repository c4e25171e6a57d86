"""The streamed write of a full clustering pass (`indexer.dedup.cluster_write`) gives exactly the ids,
members, redirects and tombstones of the in-memory rule (`assign_ids`, `_redirect_target`), on a first
run and on a rebuild over existing clusters, whatever the batch size."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from harvester.store import RecordStore
from indexer.dedup.cluster_ids import _redirect_target, assign_ids, make_cluster_id
from indexer.dedup.cluster_write import write_full
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.idmatch import IdentifierMatcher
from tests.indexer.conftest import Catalogue, make_record

SOURCES = ("lib-a", "lib-b", "lib-c")


def _ids(count: int, rng: random.Random) -> list[str]:
    return sorted({f"{rng.choice(SOURCES)}:{rng.randrange(10_000)}" for _ in range(count)})


def _partition(record_ids: list[str], rng: random.Random) -> list[list[str]]:
    """Random groups (sorted lists, as clusterers return them) in a random order."""
    shuffled = list(record_ids)
    rng.shuffle(shuffled)
    groups: list[list[str]] = []
    while shuffled:
        size = min(len(shuffled), rng.choice((1, 1, 2, 3, 5)))
        groups.append(sorted(shuffled[:size]))
        del shuffled[:size]
    return groups


def _state(store: RecordStore) -> dict[str, object]:
    return {
        "members": {r[0]: r[1] for r in store.query("SELECT record_id, cluster_id FROM cluster_members")},
        "clusters": {r[0]: r[1] for r in store.query("SELECT id, size FROM clusters")},
        "order": [r[0] for r in store.query("SELECT id FROM clusters ORDER BY n")],
        "redirects": {r[0]: r[1] for r in store.query("SELECT old_id, new_id FROM cluster_redirects")},
        "retired": {r[0] for r in store.query("SELECT id FROM cluster_retired")},
    }


def _write(store: RecordStore, groups: list[list[str]], batch: int) -> tuple[int, int, list[str]]:
    with store.transaction() as db:
        written = write_full(store, db, iter(groups), time.time(), batch)
    return written.groups, written.new, written.retired or []


def _expected(before: dict[str, object], born: dict[str, int], groups: list[list[str]]) -> dict[str, object]:
    """The in-memory rule, step by step as `ClusterStore` applied it before the write streamed."""
    old_of: dict[str, str] = before["members"]  # type: ignore[assignment]
    ids = assign_ids(groups, old_of, born, taken=born.__contains__)
    new_of = {r: cluster_id for group, cluster_id in zip(groups, ids, strict=True) for r in group}
    old_members: dict[str, set[str]] = {}
    for record_id, cluster_id in old_of.items():
        old_members.setdefault(cluster_id, set()).add(record_id)
    retired = sorted(set(old_of.values()) - set(ids))
    redirects = dict(before["redirects"])  # type: ignore[call-overload]
    for cluster_id in retired:
        target = _redirect_target(old_members[cluster_id], new_of)
        if target:
            redirects[cluster_id] = target
            redirects = {old: (target if new == cluster_id else new) for old, new in redirects.items()}
        else:
            redirects = {old: new for old, new in redirects.items() if new != cluster_id}
    redirects = {old: new for old, new in redirects.items() if old not in ids}
    old_order = [i for i in before["order"] if i in ids]  # type: ignore[attr-defined]
    new_order = [i for i in ids if i not in born]
    return {
        "members": new_of,
        "clusters": {cluster_id: len(group) for group, cluster_id in zip(groups, ids, strict=True)},
        "order": old_order + new_order,
        "redirects": redirects,
        "retired": (before["retired"] | set(retired)) - set(ids),  # type: ignore[operator]
        "_retired_now": retired,
        "_new": sum(cluster_id not in set(old_of.values()) for cluster_id in ids),
    }


def _born(store: RecordStore) -> dict[str, int]:
    return {r[0]: r[1] for r in store.query("SELECT id, n FROM clusters")}


@pytest.mark.parametrize("batch", [1, 3, 50_000])
def test_first_full_write_gives_the_in_memory_ids(store: RecordStore, batch: int) -> None:
    ClusterStore(store)
    rng = random.Random(7)
    groups = _partition(_ids(60, rng), rng)
    before = _state(store)
    expected = _expected(before, {}, groups)
    count, new, retired = _write(store, groups, batch)
    after = _state(store)
    assert (count, new, retired) == (len(groups), len(groups), [])
    assert {k: after[k] for k in ("members", "clusters", "order")} == {
        k: expected[k] for k in ("members", "clusters", "order")}
    assert after["order"] == [make_cluster_id(group[0]) for group in groups]  # numbered in group order


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_rebuild_over_existing_clusters_keeps_ids_redirects_and_tombstones(
        catalogue: Catalogue, store: RecordStore, seed: int) -> None:
    ClusterStore(store)
    rng = random.Random(seed)
    record_ids = _ids(80, rng)
    catalogue.put(*[make_record(r) for r in record_ids])
    _write(store, _partition(record_ids, rng), 50_000)
    for _ in range(3):  # several rebuilds: redirects chain, ids come back to life
        live = [r for r in record_ids if rng.random() > 0.15] + _ids(5, rng)
        groups = _partition(sorted(set(live)), rng)
        before = _state(store)
        expected = _expected(before, _born(store), groups)
        count, new, retired = _write(store, groups, rng.choice((1, 2, 7)))
        after = _state(store)
        assert (count, new, retired) == (len(groups), expected["_new"], expected["_retired_now"])
        assert after == {k: v for k, v in expected.items() if not k.startswith("_")}


def test_a_new_group_whose_hash_id_is_taken_gets_the_salted_one(store: RecordStore) -> None:
    ClusterStore(store)
    taken = make_cluster_id("lib-a:1")
    with store.transaction() as db:  # an old cluster holding that id, whose records stay together
        db.execute("INSERT INTO clusters (id, size, updated_at) VALUES (?, 2, 0)", (taken,))
        db.executemany("INSERT INTO cluster_members VALUES (?, ?)", [("lib-b:1", taken), ("lib-b:2", taken)])
    groups = [["lib-a:1"], ["lib-b:1", "lib-b:2"], ["lib-a:2"]]
    expected = _expected(_state(store), _born(store), groups)
    _write(store, groups, 1)
    members = _state(store)["members"]
    assert members == expected["members"]
    assert members["lib-b:1"] == taken and members["lib-a:1"] == make_cluster_id("lib-a:1", 1)


def _two_passes(store: RecordStore, batch: int) -> tuple[dict[str, list[str]], dict[str, object]]:
    """A first full pass, records deleted and added, a second full pass: the clusters and the rest."""
    catalogue = Catalogue(store)
    catalogue.put(*[make_record(f"lib-{s}:{n}", isbns=(f"978030640000{n % 7}",)) for s in "abc" for n in range(30)])
    clusters = ClusterStore(store)
    clusters.write_batch = batch
    clusters.recluster_all(IdentifierMatcher())
    catalogue.delete(*[f"lib-{s}:{n}" for s in "abc" for n in range(6, 30, 7)])  # the whole 6th ISBN's cluster
    catalogue.put(make_record("lib-c:99", isbns=("9780306400000", "9780306400001")))  # joins two clusters
    changes = clusters.recluster_all(IdentifierMatcher())
    assert changes.full and changes.groups == clusters.count() and changes.queued == []
    state = _state(store)
    state["order"] = len(state["order"])  # type: ignore[arg-type]  # n numbering differs by nothing else
    return dict(clusters.iter_clusters()), state


def test_cluster_store_full_pass_with_tiny_batches_equals_the_default(tmp_path: Path) -> None:
    with RecordStore(tmp_path / "a.sqlite") as tiny, RecordStore(tmp_path / "b.sqlite") as default:
        got, got_state = _two_passes(tiny, 1)
        expected, expected_state = _two_passes(default, 50_000)
    assert got == expected and got_state == expected_state
    assert sum(len(m) for m in got.values()) == 90 - 12 + 1
    assert len(got_state["redirects"]) == 1 and len(got_state["retired"]) == 2  # type: ignore[arg-type]
