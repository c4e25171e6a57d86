"""Clustering: every record in one group, the chaining guard, one record per source, overrides, big blocks."""

from __future__ import annotations

from dataclasses import replace

from harvester.record import Author, Record
from indexer.dedup.clustering import BLOCK_CAP, WINDOW, candidate_pairs
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.decide import DedupMatcher
from indexer.dedup.matching import Overrides
from tests.indexer.conftest import Catalogue

MATCHER = DedupMatcher()


def book(record_id: str, **changes: object) -> Record:
    source, _, local = record_id.partition(":")
    base = Record(
        id=record_id, source_id=source, local_id=local, title="A history of the county of Lancaster",
        authors=(Author("Baines, Edward, 1774-1848", primary=True),), publisher="Fisher, Son & Co.",
        place="London", year=1836, format="book", page_count=650, languages=("eng",),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def groups_of(
    records: list[Record], matcher: DedupMatcher = MATCHER, **overrides: object
) -> set[frozenset[str]]:
    return {frozenset(g) for g in matcher.cluster(records, Overrides(**overrides))}  # type: ignore[arg-type]


def test_every_record_lands_in_exactly_one_group() -> None:
    records = [book("a:1"), book("b:1"), book("c:1", title="Walden", authors=()), book("a:1")]
    groups = MATCHER.cluster(records)
    ids = [rid for g in groups for rid in g]
    assert sorted(ids) == ["a:1", "b:1", "c:1"]
    assert groups_of(records) == {frozenset({"a:1", "b:1"}), frozenset({"c:1"})}


def test_duplicates_from_three_libraries_form_one_cluster() -> None:
    records = [
        book("a:1"),
        book("b:1", title="A HISTORY OF THE COUNTY OF LANCASTER.", page_count=None),
        book("c:1", authors=(Author("Baines, E.", primary=True),), publisher="Fisher"),
    ]
    assert groups_of(records) == {frozenset({"a:1", "b:1", "c:1"})}


def test_a_brief_record_does_not_chain_two_volumes_together() -> None:
    v1 = book("a:1", part="v. 1", volumes=("v. 1",))
    v2 = book("b:1", part="v. 2", volumes=("v. 2",))
    brief = book("c:1", page_count=None)  # no volume: close to both
    groups = groups_of([v1, v2, brief])
    assert frozenset({"a:1", "b:1", "c:1"}) not in groups
    assert not any({"a:1", "b:1"} <= g for g in groups)
    assert len(groups) == 2  # the brief record joined exactly one volume


def test_one_record_per_source_unless_the_source_holds_duplicates() -> None:
    twins = [book("a:1"), book("a:2")]
    assert groups_of(twins) == {frozenset({"a:1"}), frozenset({"a:2"})}
    assert groups_of(twins, DedupMatcher(within_source=frozenset({"a"}))) == {frozenset({"a:1", "a:2"})}
    # and a cluster never takes a second record of a source through a third record
    assert not any({"a:1", "a:2"} <= g for g in groups_of([*twins, book("b:1")]))


def test_force_merge_and_force_split_beat_the_rules() -> None:
    same = [book("a:1"), book("b:1")]
    split = frozenset({frozenset({"a:1", "b:1"})})
    assert groups_of(same, split=split) == {frozenset({"a:1"}), frozenset({"b:1"})}
    different = [book("a:1"), book("b:1", title="Walden", authors=(), year=1854)]
    merge = frozenset({frozenset({"a:1", "b:1"})})
    assert groups_of(different, merge=merge) == {frozenset({"a:1", "b:1"})}
    # a force-split pair stays apart even when both match a third record
    trio = [book("a:1"), book("b:1"), book("c:1")]
    assert not any({"a:1", "b:1"} <= g for g in groups_of(trio, split=split))


def test_a_blocked_identifier_neither_blocks_nor_decides() -> None:
    isbn = "9780306406157"
    a = book("a:1", title="Annual report", authors=(), isbns=(isbn,), year=1990, page_count=40)
    b = book("b:1", title="Annual report", authors=(), isbns=(isbn,), year=1991, page_count=44)
    plain = groups_of([a, b])
    blocked = groups_of([a, b], blocked_identifiers=frozenset({f"isbn:{isbn}"}))
    assert plain == {frozenset({"a:1", "b:1"})}
    assert blocked == {frozenset({"a:1"}), frozenset({"b:1"})}


def test_huge_blocks_are_compared_by_sorted_neighbourhood_not_all_pairs() -> None:
    n = BLOCK_CAP * 3
    records = [book(f"s{i}:1", title=f"Report number {i:04d}", authors=(), year=None) for i in range(n)]
    pairs = candidate_pairs(records)
    assert len(pairs) <= n * WINDOW * 3  # a few keys, each linear in the block size
    assert len(pairs) < n * (n - 1) // 2 // 10


def test_incremental_clusters_follow_record_changes_and_split_again(catalogue: Catalogue) -> None:
    """Through the real ClusterStore: a changed record that becomes another edition leaves its cluster."""
    clusters = ClusterStore(catalogue.store)
    catalogue.put(book("lib-a:1"), book("lib-b:1", title="History of the county of Lancaster"))
    clusters.update(MATCHER)
    assert clusters.cluster_of("lib-a:1") == clusters.cluster_of("lib-b:1")
    catalogue.put(book("lib-c:1", page_count=651))  # a third library's copy joins incrementally
    changes = clusters.update(MATCHER)
    assert not changes.full and clusters.cluster_of("lib-c:1") == clusters.cluster_of("lib-a:1")
    catalogue.put(book("lib-b:1", title="History of the county of Lancaster", edition="2nd ed.", year=1870))
    clusters.update(MATCHER)
    assert clusters.cluster_of("lib-b:1") != clusters.cluster_of("lib-a:1")
    assert clusters.cluster_of("lib-c:1") == clusters.cluster_of("lib-a:1")
    catalogue.delete("lib-a:1")
    clusters.update(MATCHER)
    assert clusters.cluster_of("lib-a:1") is None


def test_records_without_titles_still_meet_through_identifiers() -> None:
    a = Record(id="a:1", source_id="a", local_id="1", oclc_numbers=("12345",), year=1990, format="book")
    b = replace(a, id="b:1", source_id="b")
    assert groups_of([a, b]) == {frozenset({"a:1", "b:1"})}


def test_blocking_report_tells_compared_capped_and_missed_pairs() -> None:
    from indexer.dedup.clustering import BLOCK_CAP, WORD_KEY_CAP, blocking_report

    sizes = {"tw:historybritishart": WORD_KEY_CAP + 5, "tt:x": BLOCK_CAP + 1, "tb:y|z": 2}
    assert blocking_report(["tb:y|z", "a:1"], ["tb:y|z"], sizes.__getitem__).compared
    capped = blocking_report(["tw:historybritishart"], ["tw:historybritishart"], sizes.__getitem__)
    assert not capped.compared and "too common" in capped.reason
    big = blocking_report(["tt:x"], ["tt:x"], sizes.__getitem__)
    assert big.compared and big.reason.startswith("maybe compared")
    missed = blocking_report(["tb:y|z"], ["tt:x"], sizes.__getitem__)
    assert not missed.compared and missed.shared == () and missed.keys_b == ("tt:x",)


PINDAR = (Author("Pindar", primary=True),)
FILLER_TITLES = ("Astronomy lectures", "Botanical letters", "Chemical essays", "Dramatic sketches",
                 "Economic tracts", "Faithful sermons", "Gothic ballads", "Hebrew grammar", "Ionian verses",
                 "Jovial songs")  # fmt: skip
FILLER_PUBLISHERS = ("Ashgate", "Blackwell", "Cassell", "Dent", "Elsevier", "Fontana", "Gollancz", "Hutchinson",
                     "Insel", "Jarrold")  # fmt: skip


def pindar_block(fillers: int) -> list[Record]:
    """The Goldfinch pair only author + year links ("The Nemean odes of Pindar", "Pindarou Epinikoi
    Nemeonikais", both Macmillan 1890), among other books of that author's year from other publishers."""
    odes = [book("a:odes", title="The Nemean odes of Pindar", authors=PINDAR, year=1890, page_count=None,
                 publisher="Macmillan and co."),
            book("b:odes", title="Pindarou Epinikoi Nemeonikais", authors=PINDAR, year=1890, page_count=None,
                 publisher="Macmillan")]  # fmt: skip
    others = [book(f"f{k}:1", title=FILLER_TITLES[k], authors=PINDAR, year=1890, page_count=None,
                   publisher=FILLER_PUBLISHERS[k]) for k in range(fillers)]  # fmt: skip
    return odes + others


def test_author_year_blocks_over_the_cap_are_compared_narrowly_and_the_publisher_keeps_their_duplicates() -> None:
    from indexer.dedup.clustering import NARROW_WINDOW, WORD_KEY_CAP

    small = pindar_block(4)  # an author's year of six records: all pairs, as before
    assert len(candidate_pairs(small)) == 15
    big = pindar_block(10)  # twelve records over the cap: each with the next few in title order
    size = len(big)
    assert size > WORD_KEY_CAP
    pairs = candidate_pairs(big)
    order = sorted(range(size), key=lambda i: big[i].title.casefold())
    narrow = {tuple(sorted((order[x], order[y]))) for x in range(size)
              for y in range(x + 1, min(size, x + 1 + NARROW_WINDOW))}  # fmt: skip
    assert pairs == narrow | {(0, 1)} and len(pairs) < size * (size - 1) // 2
    assert "ap:pindar|1890|macmillan" in set(MATCHER.blocking_keys(big[0])) & set(MATCHER.blocking_keys(big[1]))


def test_explain_says_an_author_year_block_over_its_cap_is_compared_narrowly() -> None:
    from indexer.dedup.clustering import NARROW_WINDOW, WORD_KEY_CAP, blocking_report

    sizes = {"ay:pindar|1890": WORD_KEY_CAP + 2}
    report = blocking_report(["ay:pindar|1890"], ["ay:pindar|1890"], sizes.__getitem__)
    assert report.compared and report.reason.startswith("maybe compared")
    assert f"{NARROW_WINDOW} places" in report.reason
