"""Cluster bookkeeping: identifier grouping, stable ids, incremental updates, deletes, splits, overrides."""

from __future__ import annotations

import random

from harvester.store import RecordStore
from indexer.dedup.cluster_ids import assign_ids, make_cluster_id
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.idmatch import IdentifierMatcher
from indexer.dedup.matching import Overrides
from tests.indexer.conftest import Catalogue, make_record

ISBN_X = "9780306406157"
ISBN_Z = "9780198526636"
MATCHER = IdentifierMatcher()


def groups_of(clusters: ClusterStore) -> set[frozenset[str]]:
    return {frozenset(members) for _, members in clusters.iter_clusters()}


def seed(catalogue: Catalogue) -> None:
    catalogue.put(
        make_record("lib-a:1", isbns=(ISBN_X,)),
        make_record("lib-b:1", isbns=(ISBN_X,)),
        make_record("lib-c:1", oclc_numbers=("12345",)),
        make_record("lib-a:2", oclc_numbers=("12345",), isbns=(ISBN_Z,)),
        make_record("lib-b:2"),
    )


def test_records_sharing_any_identifier_form_one_cluster_transitively() -> None:
    records = [
        make_record("lib-a:1", isbns=(ISBN_X,)),
        make_record("lib-b:1", isbns=(ISBN_X,), lccns=("n78890351",)),
        make_record("lib-c:1", lccns=("n78890351",)),
        make_record("lib-c:2", issns=("0317-8471",)),
        make_record("lib-a:3", issns=("0317-8471",)),
        make_record("lib-b:9"),
    ]
    groups = MATCHER.cluster(records)
    assert sorted(groups) == [["lib-a:1", "lib-b:1", "lib-c:1"], ["lib-a:3", "lib-c:2"], ["lib-b:9"]]


def test_matcher_honours_blocked_identifiers_and_force_split_through_a_chain() -> None:
    records = [
        make_record("lib-a:1", isbns=(ISBN_X,)),
        make_record("lib-b:1", isbns=(ISBN_X,), oclc_numbers=("7",)),
        make_record("lib-c:1", oclc_numbers=("7",)),
    ]
    blocked = Overrides(blocked_identifiers=frozenset({f"isbn:{ISBN_X}"}))
    assert sorted(MATCHER.cluster(records, blocked)) == [["lib-a:1"], ["lib-b:1", "lib-c:1"]]
    split = Overrides(split=frozenset({frozenset(("lib-a:1", "lib-c:1"))}))
    groups = MATCHER.cluster(records, split)
    assert not any({"lib-a:1", "lib-c:1"} <= set(g) for g in groups)
    assert sum(len(g) for g in groups) == 3
    explanation = MATCHER.explain(records[0], records[1], blocked)
    assert not explanation.same and explanation.reasons[0].rule == "blocked-identifier"
    assert MATCHER.explain(records[0], records[1]).same


def test_first_run_groups_by_identifier_reproducibly(store: RecordStore, catalogue: Catalogue) -> None:
    seed(catalogue)
    clusters = ClusterStore(store)
    changes = clusters.update(MATCHER)
    assert changes.full and changes.records == 5
    assert groups_of(clusters) == {
        frozenset({"lib-a:1", "lib-b:1"}), frozenset({"lib-a:2", "lib-c:1"}), frozenset({"lib-b:2"}),
    }
    assert clusters.cluster_of("lib-b:1") == make_cluster_id("lib-a:1")
    assert clusters.cluster_of("lib-c:1") == make_cluster_id("lib-a:2")
    assert clusters.members(make_cluster_id("lib-a:1")) == ["lib-a:1", "lib-b:1"]
    assert clusters.records_with_identifier("oclc", "12345") == ["lib-a:2", "lib-c:1"]


def test_ids_survive_reharvest_and_full_reclustering(store: RecordStore, catalogue: Catalogue) -> None:
    seed(catalogue)
    clusters = ClusterStore(store)
    clusters.update(MATCHER)
    before = {cid: members for cid, members in clusters.iter_clusters()}
    catalogue.put(make_record("lib-b:1", title="A title, corrected", isbns=(ISBN_X,)))
    clusters.update(MATCHER)
    assert {cid: members for cid, members in clusters.iter_clusters()} == before
    clusters.recluster_all(MATCHER)
    assert {cid: members for cid, members in clusters.iter_clusters()} == before


def test_incremental_update_touches_only_the_changed_cluster(
    store: RecordStore, catalogue: Catalogue
) -> None:
    seed(catalogue)
    clusters = ClusterStore(store)
    clusters.update(MATCHER)
    assert clusters.index_queue() == ([], [])
    catalogue.put(make_record("lib-c:1", title="Changed", oclc_numbers=("12345",)))
    changes = clusters.update(MATCHER)
    assert not changes.full
    assert changes.records == 2  # the changed record and its cluster-mate, nothing else
    assert clusters.index_queue() == ([make_cluster_id("lib-a:2")], [])
    assert clusters.update(MATCHER).records == 0  # nothing new since


def test_a_deleted_record_leaves_its_cluster_and_an_emptied_cluster_is_retired(
    store: RecordStore, catalogue: Catalogue
) -> None:
    seed(catalogue)
    clusters = ClusterStore(store)
    clusters.update(MATCHER)
    catalogue.delete("lib-b:1")
    clusters.update(MATCHER)
    assert clusters.cluster_of("lib-b:1") is None
    assert clusters.members(make_cluster_id("lib-a:1")) == ["lib-a:1"]
    assert clusters.records_with_identifier("isbn", ISBN_X) == ["lib-a:1"]
    catalogue.delete("lib-b:2")
    changes = clusters.update(MATCHER)
    assert changes.deleted == [make_cluster_id("lib-b:2")]
    assert not clusters.exists(make_cluster_id("lib-b:2"))
    assert clusters.redirect(make_cluster_id("lib-b:2")) is None
    assert make_cluster_id("lib-b:2") in clusters.index_queue()[1]


def test_merging_keeps_the_bigger_clusters_id_and_redirects_the_retired_one(
    store: RecordStore, catalogue: Catalogue
) -> None:
    seed(catalogue)
    clusters = ClusterStore(store)
    clusters.update(MATCHER)
    big, small = make_cluster_id("lib-a:1"), make_cluster_id("lib-b:2")
    catalogue.put(make_record("lib-b:2", isbns=(ISBN_X,)))  # now shares ISBN X with lib-a:1 and lib-b:1
    changes = clusters.update(MATCHER)
    assert clusters.members(big) == ["lib-a:1", "lib-b:1", "lib-b:2"]
    assert changes.deleted == [small]
    assert clusters.redirect(small) == big
    assert clusters.redirect(big) is None
    # the cluster splits again: the split-off record gets its old id back, the redirect is dropped
    catalogue.put(make_record("lib-b:2", title="Different again"))
    clusters.update(MATCHER)
    assert clusters.members(big) == ["lib-a:1", "lib-b:1"]
    assert clusters.cluster_of("lib-b:2") == small
    assert clusters.redirect(small) is None


def test_a_split_keeps_the_id_with_the_bigger_group(store: RecordStore, catalogue: Catalogue) -> None:
    catalogue.put(*(make_record(f"lib-a:{n}", isbns=(ISBN_X,)) for n in (1, 2, 3)))
    clusters = ClusterStore(store)
    clusters.update(MATCHER)
    original = make_cluster_id("lib-a:1")
    catalogue.put(make_record("lib-a:1", isbns=(ISBN_Z,)))
    clusters.update(MATCHER)
    assert clusters.members(original) == ["lib-a:2", "lib-a:3"]
    assert clusters.cluster_of("lib-a:1") != original  # a fresh id: its old one stayed with the majority
    assert clusters.cluster_of("lib-a:1") == make_cluster_id("lib-a:1", salt=1)


def test_ties_go_to_the_older_cluster() -> None:
    old_of = {"a": "old", "b": "new"}
    assert assign_ids([["a", "b"]], old_of, born={"old": 1, "new": 2}) == ["old"]
    assert assign_ids([["a", "b"]], old_of, born={"old": 5, "new": 2}) == ["new"]
    # two groups contesting one old id: most members wins; the loser gets a new id
    ids = assign_ids([["a"], ["b", "c"]], {"a": "x", "b": "x", "c": "x"}, born={"x": 1})
    assert ids == [make_cluster_id("a"), "x"]


def test_overrides_apply_incrementally_and_survive_full_reclustering(
    store: RecordStore, catalogue: Catalogue
) -> None:
    seed(catalogue)
    clusters = ClusterStore(store)
    clusters.update(MATCHER)
    clusters.add_override("split", "lib-b:1", "lib-a:1")
    clusters.add_override("merge", "lib-b:2", "lib-c:1")
    clusters.add_override("block", "oclc:12345")
    assert {o["kind"] for o in clusters.list_overrides()} == {"split", "merge", "block"}
    clusters.update(MATCHER)
    expected = {
        frozenset({"lib-a:1"}), frozenset({"lib-b:1"}), frozenset({"lib-a:2"}),
        frozenset({"lib-b:2", "lib-c:1"}),
    }
    assert groups_of(clusters) == expected
    catalogue.put(make_record("lib-b:1", title="Re-harvested", isbns=(ISBN_X,)))  # a changed record
    clusters.update(MATCHER)
    assert groups_of(clusters) == expected
    clusters.recluster_all(MATCHER)
    assert groups_of(ClusterStore(store)) == expected  # a fresh ClusterStore reads them from the store
    assert clusters.remove_override("split", "lib-a:1", "lib-b:1")
    assert not clusters.remove_override("split", "lib-a:1", "lib-b:1")
    clusters.update(MATCHER)
    assert frozenset({"lib-a:1", "lib-b:1"}) in groups_of(clusters)


def test_bad_overrides_are_refused_with_a_reason(store: RecordStore) -> None:
    clusters = ClusterStore(store)
    for args in (("merge", "lib-a:1", "lib-a:1"), ("block", "9780306406157"), ("glue", "a", "b")):
        try:
            clusters.add_override(*args)
        except ValueError as exc:
            assert str(exc)
        else:  # pragma: no cover - the assertion message names the case
            raise AssertionError(f"{args} accepted")
    assert clusters.list_overrides() == []


def test_a_new_matcher_reclusters_everything(store: RecordStore, catalogue: Catalogue) -> None:
    seed(catalogue)
    clusters = ClusterStore(store)
    clusters.update(MATCHER)

    class Singletons(IdentifierMatcher):
        name = "singletons"

        def cluster(self, records, overrides=None):  # type: ignore[no-untyped-def]
            return [[r.id] for r in records]

    changes = clusters.update(Singletons())
    assert changes.full and len(groups_of(clusters)) == 5
    assert clusters.cluster_of("lib-a:1") == make_cluster_id("lib-a:1")  # kept by the bigger share


def test_incremental_clustering_always_equals_clustering_from_scratch(
    store: RecordStore, catalogue: Catalogue
) -> None:
    """Random re-harvests (new, changed, deleted records) never leave the clusters stale or wrong."""
    rng = random.Random(7)
    isbns = [f"97803064061{n:02d}" for n in range(12)]  # normalized-looking keys; only equality matters
    clusters = ClusterStore(store)
    live: set[str] = set()
    for round_ in range(8):
        batch = []
        for _ in range(12):
            record_id = f"lib-{rng.choice('abc')}:{rng.randrange(40)}"
            ids = tuple(rng.sample(isbns, rng.choice((0, 1, 1, 2))))
            batch.append(make_record(record_id, title=f"round {round_}", isbns=ids))
        catalogue.put(*{r.id: r for r in batch}.values())
        live.update(r.id for r in batch)
        gone = set(rng.sample(sorted(live), 3))
        catalogue.delete(*gone)
        live -= gone
        clusters.update(MATCHER)
        records = [s.normalized for s in store.get_many(sorted(live))]
        expected = {frozenset(group) for group in MATCHER.cluster(records)}
        assert groups_of(clusters) == expected, round_
        assert sum(len(members) for _, members in clusters.iter_clusters()) == len(live)


def test_matchers_get_records_without_the_fields_no_matcher_uses(
    store: RecordStore, catalogue: Catalogue
) -> None:
    seed(catalogue)
    seen: list = []

    class Recording(IdentifierMatcher):
        def cluster(self, records, overrides=None):  # type: ignore[no-untyped-def]
            seen.extend(records)
            return super().cluster(records, overrides or Overrides())

    ClusterStore(store).update(Recording())
    assert len(seen) == 5 and all(r.holdings == () and r.title for r in seen)
    assert {r.id: r.isbns for r in seen}["lib-a:1"] == (ISBN_X,)


def test_an_incremental_run_does_not_gather_the_members_of_a_capped_word_key(
    store: RecordStore, catalogue: Catalogue
) -> None:
    """A word key (tw:/tz:/tq:) over its cap links nothing in a full run, so an incremental run must not
    pull its block in either (it would cost up to MAX_BLOCK records per changed record for nothing)."""
    from indexer.dedup.clustering import WORD_KEY_CAP
    from indexer.dedup.decide import DedupMatcher

    words = ("zoological botanical geological chemical physical historical statistical ornithological "
             "entomological mineralogical philosophical antiquarian").split()  # fmt: skip
    common = [make_record(f"lib-{'abc'[n % 3]}:{n}", title=f"Annual report of the council of the {word} society")
              for n, word in enumerate(words)]  # fmt: skip
    few = [make_record(f"lib-{'abc'[n]}:b{n}", title=f"Biennial report of the council of the {word} society")
           for n, word in enumerate(["numismatic", "horticultural", "agricultural"])]  # fmt: skip
    catalogue.put(*common, *few)
    clusters = ClusterStore(store)
    clusters.update(DedupMatcher())
    assert clusters.block_size("tw:annualreportcouncil") == len(words) > WORD_KEY_CAP
    assert clusters._gather({common[0].id}) == {common[0].id}
    assert clusters._gather({few[0].id}) == {r.id for r in few}  # below the cap the block is gathered
