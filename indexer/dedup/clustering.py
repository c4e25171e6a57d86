"""From pairwise decisions to clusters: blocking, candidate pairs, and merging guarded against chaining.

Plain transitive closure is what makes deduplicators dangerous: v. 1 and v. 2 of a set are both "close
enough" to a brief record that names no volume, and closure makes all three one item. So clusters grow
greedily from the strongest pairs down (probability order), and two clusters only merge when

- no pair across them is vetoed or force-split by staff (complete linkage on vetoes),
- at least `MIN_SHARE` of the pairs across them are matches on their own (a new member must agree with
  a sufficient share of the cluster, not just with one record of it),
- they do not put two records of one source together, unless that source is configured with
  ``dedup_within_source = true`` (a catalog rarely holds two records for one item; when it does, it
  says so).

Staff force-merge pairs are joined first and regardless of score (never across a force-split).
Blocks larger than `BLOCK_CAP` (a reused ISBN, "annual report" + year) are not compared all-pairs but
by a sorted neighbourhood: the block is sorted by title and each record is compared with the next
`WINDOW` records — linear instead of quadratic, which is what keeps a million records in minutes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, MutableSequence, Sequence
from dataclasses import dataclass
from typing import Protocol

from harvester.record import Record
from indexer.dedup.gc_pause import collector_paused
from indexer.dedup.keys import CAPPED_KEYS, WINDOWED_KEYS, blocking_keys
from indexer.dedup.matching import Overrides
from indexer.dedup.profiles import Profile, profile


class PairDecision(Protocol):
    """What clustering reads of one pairwise decision."""

    @property
    def same(self) -> bool: ...

    @property
    def probability(self) -> float: ...

    @property
    def vetoed(self) -> bool: ...


class Threshold(Protocol):
    @property
    def threshold(self) -> float: ...


class PairDecider(Protocol):
    """The pairwise matcher clustering needs (`indexer.dedup.decide.DedupMatcher` is the one we ship):
    typed here as a Protocol so that clustering does not import the decision module, which imports it."""

    within_source: frozenset[str]

    @property
    def model(self) -> Threshold: ...

    def decide(self, a: Profile, b: Profile, blocked: frozenset[str] = frozenset()) -> PairDecision: ...

BLOCK_CAP = 100
WINDOW = 10
WORD_KEY_CAP = 10
"""Blocks of the capped keys (`indexer.dedup.keys.CAPPED_KEYS`, the word keys) with more members than
this are skipped: two records sharing only a common word pair or opening ("report of the") are not
worth comparing, and the cap keeps these keys from multiplying the comparisons as the catalogue
grows. Blocks of `indexer.dedup.keys.WINDOWED_KEYS` (author + year) above it are compared only
`NARROW_WINDOW` places apart in title order."""
NARROW_WINDOW = 3
"""On a sample of 20,002 true pairs of the 10M scale store, 253 were reached only through an ``ay:``
block over the cap; ``ap:`` reaches 176 of them, a title-order window of 3 110, the two together 213
(5: 224, for 5/3 of the pairs)."""
MIN_SHARE = 0.5
VETOED = -5.0
MAX_CROSS = 400
"""Cross pairs checked when two clusters meet; beyond it a spread sample is checked (big clusters)."""


def candidate_pairs(
    records: Sequence[Record],
    blocked: frozenset[str] = frozenset(),
    block_cap: int = BLOCK_CAP,
    window: int = WINDOW,
) -> set[tuple[int, int]]:
    """Index pairs (i < j) of records that share a blocking key (capped-key blocks above `WORD_KEY_CAP`
    skipped, blocks above `block_cap` compared by sorted neighbourhood)."""
    return {(pair >> 32, pair & 0xFFFFFFFF) for pair in _pair_codes(records, blocked, block_cap, window)}


SHIFT = 1 << 32
"""A candidate pair (i, j) travels as one integer, i * SHIFT + j: a third of a tuple's memory."""


def _blocks(records: Sequence[Record], blocked: frozenset[str]) -> dict[str, int | list[int]]:
    """Members of every blocking key; a key only one record carries (most of them) keeps that record's
    number instead of a list, which at a million records saves a list for each of ~10 million keys."""
    blocks: dict[str, int | list[int]] = {}
    get = blocks.get
    for i, record in enumerate(records):
        for key in blocking_keys(record, blocked):
            found = get(key)
            if found is None:
                blocks[key] = i
            elif isinstance(found, int):
                blocks[key] = [found, i]
            else:
                found.append(i)
    return blocks


def window_of(key: str, size: int, block_cap: int = BLOCK_CAP, window: int = WINDOW) -> int:
    """How a block of `size` records sharing `key` is compared: -1 not at all (a capped key over its
    cap), 0 all pairs, else each record with the next that many in title order (sorted neighbourhood)."""
    if size > WORD_KEY_CAP and key.startswith(CAPPED_KEYS):
        return -1
    if size > WORD_KEY_CAP and key.startswith(WINDOWED_KEYS):
        return min(NARROW_WINDOW, window)
    return 0 if size <= block_cap else window


def _pair_codes(records: Sequence[Record], blocked: frozenset[str], block_cap: int = BLOCK_CAP,
                window: int = WINDOW) -> set[int]:
    """`candidate_pairs` as ``i * SHIFT + j`` codes."""
    blocks = _blocks(records, blocked)
    pairs: set[int] = set()
    add = pairs.add
    while blocks:
        key, block = blocks.popitem()  # each block is freed once its pairs are out
        if isinstance(block, int):
            continue
        members: list[int] = block
        size = len(members)
        span = window_of(key, size, block_cap, window)
        if span < 0:
            continue
        if span == 0:
            for x in range(size):
                first = members[x] * SHIFT
                for y in range(x + 1, size):
                    add(first + members[y])
            continue
        ordered = sorted(members, key=lambda i: (records[i].title_sort or records[i].title).casefold())
        for x in range(size):
            for y in range(x + 1, min(size, x + 1 + span)):
                i, j = ordered[x], ordered[y]
                add(i * SHIFT + j if i < j else j * SHIFT + i)
    return pairs


@dataclass(frozen=True, slots=True)
class BlockingReport:
    """Whether clustering compares two records at all, and why (for `unioncat explain`)."""

    compared: bool
    reason: str
    keys_a: tuple[str, ...]
    keys_b: tuple[str, ...]
    shared: tuple[str, ...]


def blocking_report(keys_a: Sequence[str], keys_b: Sequence[str], block_size: Callable[[str], int]) -> BlockingReport:
    """Are two records with these blocking keys compared? `block_size(key)` counts the records that
    carry a key (in the store, or in the batch): a shared capped key over `WORD_KEY_CAP` links nothing,
    a block over `BLOCK_CAP` (or an author + year block over `WORD_KEY_CAP`) is compared by sorted
    neighbourhood only (`window_of`)."""
    shared = tuple(k for k in keys_a if k in set(keys_b))
    sizes = {k: block_size(k) for k in shared}
    spans = {k: window_of(k, sizes[k]) for k in shared}
    usable = [k for k in shared if spans[k] >= 0]
    full = [k for k in usable if spans[k] == 0]
    if full:
        reason = f"compared: they share {', '.join(full)}"
    elif usable:
        big = ", ".join(f"{k}: {sizes[k]} records, {spans[k]} places" for k in usable)
        reason = f"maybe compared: big blocks are compared only a few places apart in title order ({big})"
    elif shared:
        common = ", ".join(f"{k}: {sizes[k]} records" for k in shared)
        reason = f"never compared: the only shared keys are too common to link ({common}; cap {WORD_KEY_CAP})"
    else:
        reason = "never compared: no blocking key in common (a blocking miss: clustering never asked the matcher)"
    return BlockingReport(bool(full or usable), reason, tuple(keys_a), tuple(keys_b), shared)


class _Clusters:
    """Union-find whose unions are checked against the guards (see module docstring)."""

    def __init__(self, matcher: PairDecider, records: Sequence[Record], overrides: Overrides) -> None:
        self.matcher = matcher
        self.records = records
        self.profiles: list[Profile | None] = [None] * len(records)  # built on first comparison
        self.blocked = overrides.blocked_identifiers
        self.parent = list(range(len(records)))
        # member lists and source counts only for clusters of two or more (a singleton's are implied):
        # a list and a dict for each of a million records were a few hundred MB
        self.members: dict[int, list[int]] = {}
        self.sources: dict[int, dict[str, int]] = {}
        self.cache: dict[tuple[int, int], float] = {}  # see `probability`
        self.split_with: dict[int, set[int]] = defaultdict(set)
        self.forced: set[tuple[int, int]] = set()
        wanted = {r for pair in overrides.merge | overrides.split for r in pair}
        index = {r.id: i for i, r in enumerate(records) if r.id in wanted} if wanted else {}
        for pair in overrides.split:
            ids = sorted(pair)
            if len(ids) == 2 and ids[0] in index and ids[1] in index:
                i, j = index[ids[0]], index[ids[1]]
                self.split_with[i].add(j)
                self.split_with[j].add(i)
        for pair in overrides.merge:
            ids = sorted(pair)
            if len(ids) == 2 and ids[0] in index and ids[1] in index:
                i, j = sorted((index[ids[0]], index[ids[1]]))
                self.forced.add((i, j))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def probability(self, i: int, j: int) -> float:
        """The pair's probability when it is a match (≥ 0), ``probability - 2`` when it is not
        (-2 ≤ x < -1; the part and main models have different thresholds, so the decision is kept
        with the number), `VETOED` when a veto separates it. One float per pair keeps the cache small."""
        key = (i, j) if i < j else (j, i)
        if key in self.forced:
            return 1.0
        cached = self.cache.get(key)
        if cached is None:
            decision = self.matcher.decide(self.profile(key[0]), self.profile(key[1]), self.blocked)
            cached = VETOED if decision.vetoed else decision.probability - (0.0 if decision.same else 2.0)
            self.cache[key] = cached
        return cached

    def profile(self, i: int) -> Profile:
        found = self.profiles[i]
        if found is None:
            found = self.profiles[i] = profile(self.records[i])
        return found

    def split_between(self, a: list[int], b: list[int]) -> bool:
        return bool(self.split_with) and split_between(self.split_with, a, b)

    def _members(self, root: int) -> list[int]:
        return self.members.get(root) or [root]

    def _sources(self, root: int) -> dict[str, int]:
        return self.sources.get(root) or {self.records[root].source_id: 1}

    def source_clash(self, ra: int, rb: int) -> bool:
        return source_clash(self._sources(ra), self._sources(rb), self.matcher.within_source)

    def linked(self, a: list[int], b: list[int]) -> bool:
        return linked(a, b, self.probability)

    def union(self, i: int, j: int, forced: bool = False) -> bool:
        ra, rb = self.find(i), self.find(j)
        if ra == rb:
            return True
        a, b = self._members(ra), self._members(rb)
        if self.split_between(a, b):
            return False
        if not forced and (self.source_clash(ra, rb) or not self.linked(a, b)):
            return False
        join(self.parent, self.members, self.sources, (ra, a), (rb, b), self._sources)
        return True

    def groups(self) -> list[list[str]]:
        """Groups in the order of their root's index (the order a dict of every root kept them in)."""
        ids = [r.id for r in self.records]
        out: list[list[str]] = []
        for n, parent in enumerate(self.parent):
            if parent == n:
                members = self.members.get(n)
                out.append([ids[n]] if members is None else sorted(ids[m] for m in members))
        return out


def join(parent: MutableSequence[int], members: dict[int, list[int]], sources: dict[int, dict[str, int]],
         first: tuple[int, list[int]], second: tuple[int, list[int]],
         sources_of: Callable[[int], dict[str, int]]) -> None:
    """Join two clusters, each given as (root, members): the larger keeps its root. Member lists and
    source counts are kept for clusters of two or more only (a lone record's are implied), the same
    bookkeeping in the in-memory and the bounded clusterer."""
    (ra, a), (rb, b) = (first, second) if len(first[1]) >= len(second[1]) else (second, first)
    parent[rb] = ra
    merged = members.pop(ra, None) or [ra]
    merged.extend(b)
    members[ra] = merged
    members.pop(rb, None)
    counts = dict(sources_of(ra))
    for source, count in sources_of(rb).items():
        counts[source] = counts.get(source, 0) + count
    sources[ra] = counts
    sources.pop(rb, None)


def cluster_records(
    matcher: PairDecider, records: Sequence[Record], overrides: Overrides
) -> list[list[str]]:
    """Every record in exactly one group; see the module docstring for the rules."""
    with collector_paused():  # see indexer.dedup.gc_pause
        return _cluster(matcher, _unique(records), overrides)


def _cluster(matcher: PairDecider, records: list[Record], overrides: Overrides) -> list[list[str]]:
    """Forced unions first, then every decided pair's union, most probable first."""
    state = _Clusters(matcher, records, overrides)
    for i, j in sorted(state.forced):
        state.union(i, j, forced=True)
    edges: list[tuple[float, int, int]] = []
    within = matcher.within_source
    for pair in _pair_codes(records, overrides.blocked_identifiers):
        i, j = divmod(pair, SHIFT)
        source = records[i].source_id
        if source == records[j].source_id and source not in within:
            continue  # the one-record-per-source rule would refuse the union anyway
        p = state.probability(i, j)
        if p >= 0.0:
            edges.append((p, i, j))
    edges.sort(key=lambda e: (-e[0], e[1], e[2]))
    for _, i, j in edges:
        state.union(i, j)
    return state.groups()


def _unique(records: Sequence[Record]) -> list[Record]:
    """One record per id (the last wins), so a caller passing a record twice gets it in one group."""
    seen: dict[str, Record] = {}
    for record in records:
        seen[record.id] = record
    return list(seen.values())


def split_between(split_with: dict[int, set[int]], a: list[int], b: list[int]) -> bool:
    """Whether staff force-split some record of group ``a`` from some record of group ``b``."""
    other = set(b)
    return any(split_with[x] & other for x in a if x in split_with)


def source_clash(sa: dict[str, int], sb: dict[str, int], within: frozenset[str]) -> bool:
    """Whether two groups (their sources) both hold a record of a source that keeps one per cluster."""
    if len(sa) > len(sb):
        sa, sb = sb, sa
    return any(s in sb and s not in within for s in sa)


def linked(a: list[int], b: list[int], probability: Callable[[int, int], float]) -> bool:
    """Complete linkage on vetoes plus a minimum share of matching cross pairs (at most `MAX_CROSS`
    of them, evenly sampled): shared by the in-memory and the bounded clusterer."""
    cross = [(x, y) for x in a for y in b]
    if len(cross) > MAX_CROSS:
        step = len(cross) / MAX_CROSS
        cross = [cross[int(k * step)] for k in range(MAX_CROSS)]
    matches = 0
    for x, y in cross:
        p = probability(x, y)
        if p == VETOED:
            return False
        if p >= 0.0:
            matches += 1
    return matches >= MIN_SHARE * len(cross)
