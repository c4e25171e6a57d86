"""Clustering in bounded memory: the same groups as `indexer.dedup.clustering.cluster_records`, from a
stream of records, with the big intermediate data on disk.

The in-memory clusterer holds every record, every profile, every block, every candidate pair and
every decision at once (4.4 GB at a million records). Here records stream past once and everything
that grows with the corpus goes to sorted runs (`indexer.dedup.spill`):

1. each record gets a number in stream order (the index `cluster_records` gives it), its `Profile`
   and title sort key go to a `ProfileFile`, its id to a `SequenceFile`, and its (blocking key,
   number) pairs to hash partitions (`KeyBlocks`: grouped with a dict per partition, no sort);
2. each block's numbers come out ascending, as `candidate_pairs` collects them, and its candidate
   pairs, with the same caps and the same sorted neighbourhood for big blocks, go to a sort;
3. the unique pairs are decided in (i, j) order; the matches go, as (-probability, i, j), to a second
   sort, which is exactly the order `cluster_records` unions them in;
4. the guarded unions run over that stream with a compact union-find (an ``array`` of parents; member
   lists and source counts only for clusters of two or more), reading profiles back from the file
   when a cross pair must be decided;
5. the groups are read out in root order from two sequential passes over the ids (the members of
   clusters of two or more through a third sort), not by looking up every record's profile.

Decisions are made by the same `PairDecider`, on the same pairs, in the same order, with the same
guards, so the groups are the same (tests/indexer/test_bounded_clustering.py checks it with tiny
spill thresholds). Memory is a few arrays of one number per record, the clusters that have two or
more members, a bounded profile cache and one buffer per sort; disk holds the rest, in ``folder``.
Record ids must be unique in the stream (the record store's are).
"""

from __future__ import annotations

import shutil
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Protocol, runtime_checkable

from harvester.record import Record
from indexer.dedup.cluster_pool import (
    Chunked,
    ClusterPool,
    KeySink,
    default_workers,
    matching_record,
    profile_values,
    title_key,
)
from indexer.dedup.clustering import (
    VETOED,
    PairDecider,
    join,
    linked,
    source_clash,
    split_between,
    window_of,
)
from indexer.dedup.gc_pause import collector_paused
from indexer.dedup.keys import blocking_keys
from indexer.dedup.matching import Matcher, Overrides
from indexer.dedup.profiles import Profile, profile
from indexer.dedup.spill import KeyBlocks, ProfileFile, SequenceFile, SortedRuns

BOUNDED_FROM = 20_000
"""Full passes over at least this many records use the bounded clusterer; smaller ones fit in memory
anyway and skip the files (the groups are the same either way)."""
SPILL_DIR = "cluster-spill"
"""The folder, in the data folder, that holds a bounded run's files (the index lock keeps it to one run)."""
SHIFT = 1 << 32
"""A candidate pair (i, j) travels through the sort as one integer, i * SHIFT + j."""


@dataclass(frozen=True, slots=True)
class Limits:
    """How much stays in memory: items per sorted run, profiles in the cache, decisions remembered."""

    run_size: int = 1_000_000
    cache_size: int = 50_000
    decisions: int = 2_000_000


@dataclass(slots=True)
class Counts:
    """What a bounded run did (for progress lines and the benchmark)."""

    records: int = 0
    keys: int = 0
    pairs: int = 0
    decisions: int = 0
    edges: int = 0


Progress = Callable[[str, int], None]


@runtime_checkable
class Decider(Protocol):
    """A `Matcher` that is also a `PairDecider` (the `DedupMatcher` we ship): it can cluster bounded."""

    within_source: frozenset[str]

    def decide(self, a: Profile, b: Profile, blocked: frozenset[str] = frozenset()) -> object: ...


def cluster_all(matcher: Matcher, records: Iterable[Record | str], overrides: Overrides, folder: Path | None,
                expected: int, on_progress: Progress | None = None, workers: int | None = None,
                sink: KeySink | None = None) -> tuple[Iterator[list[str]], int]:
    """The groups of a full pass and the number of records read: bounded from `BOUNDED_FROM` records
    on when the matcher decides pairs itself, else the matcher's own (in-memory) `cluster`.

    The clustering itself is done when this returns (every record read, every pair decided), so the
    caller can write the groups inside a transaction without holding it during the matcher's work;
    the bounded groups then stream from disk one at a time (close the iterator if it is not exhausted).
    ``records`` may give normalized JSON (as the store keeps it) instead of records; ``workers`` and
    ``sink`` are `cluster_stream`'s (in memory, the sink gets the matcher's own blocking keys).
    """
    if expected >= BOUNDED_FROM and isinstance(matcher, Decider):
        counts = Counts()
        decider: PairDecider = matcher  # type: ignore[assignment]
        spill = None
        if folder is not None:  # a run killed with -9 leaves its files: the next run clears them
            spill = folder / SPILL_DIR
            shutil.rmtree(spill, ignore_errors=True)
            spill.mkdir(parents=True)
        stream = _cleaned(cluster_stream(decider, records, overrides, spill, on_progress=on_progress,
                                         counts=counts, workers=workers, sink=sink), spill)
        with collector_paused():  # see indexer.dedup.gc_pause
            first = next(stream, None)  # runs the whole clustering
        return (_after(first, stream) if first is not None else stream), counts.records
    listed = [matching_record(r) if isinstance(r, str) else r for r in records]
    Chunked(sink).write_all(listed, lambda record: matcher.blocking_keys(record, overrides))
    return iter(matcher.cluster(listed, overrides) if listed else []), len(listed)


def _after(first: list[str], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    """``first``, then ``rest``, closing ``rest`` (and so its files) however the caller stops."""
    try:
        yield first
        yield from rest
    finally:
        rest.close()  # type: ignore[attr-defined]


def _cleaned(groups: Iterator[list[str]], spill: Path | None) -> Iterator[list[str]]:
    try:
        yield from groups
    finally:
        groups.close()  # type: ignore[attr-defined]
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


def cluster_stream(matcher: PairDecider, records: Iterable[Record | str], overrides: Overrides,
                   folder: Path | None = None, limits: Limits = Limits(),
                   on_progress: Progress | None = None, counts: Counts | None = None,
                   workers: int | None = None, sink: KeySink | None = None) -> Iterator[list[str]]:
    """Every record in exactly one group, groups yielded one at a time (see the module docstring).

    With ``workers`` > 1 (default: one per core) the records are prepared and the pairs decided in
    that many worker processes (`indexer.dedup.cluster_pool`), with the same groups; 1 does all of it
    in this process. A record may be given as its normalized JSON: then only a worker decodes it.
    ``sink`` gets every record with its blocking keys, a chunk at a time, in stream order."""
    workers = default_workers() if workers is None else max(1, workers)
    with TemporaryDirectory(prefix="unioncat-cluster-", dir=folder) as tmp:
        state = _Bounded(matcher, overrides, Path(tmp), limits, on_progress or _quiet, counts or Counts())
        pool = None
        if workers > 1:
            pool = ClusterPool(matcher, state.blocked, state.keys.partitions, workers, sink.rows if sink else None)
        try:
            state.read(records, sink) if pool is None else state.read_with(pool, records, sink)
            state.pairs()
            state.decide() if pool is None else state.decide_with(pool)
            if pool is not None:
                pool.close()
            state.unite()
            yield from state.groups()
        finally:
            if pool is not None:
                pool.close()
            state.profiles.close()
            state.ids.close()


def _quiet(stage: str, done: int) -> None:
    return None


class _Bounded:
    def __init__(self, matcher: PairDecider, overrides: Overrides, folder: Path, limits: Limits,
                 on_progress: Progress, counts: Counts) -> None:
        self.matcher = matcher
        self.overrides = overrides
        self.blocked = overrides.blocked_identifiers
        self.limits = limits
        self.progress = on_progress
        self.counts = counts
        self.profiles = ProfileFile(folder, limits.cache_size)
        self.ids = SequenceFile(folder, "ids")
        self.folder = folder
        self._next_report = 100_000
        self.keys = KeyBlocks(folder, "keys", limits.run_size)
        self.candidates = SortedRuns(folder, "pairs", limits.run_size)
        self.edges = SortedRuns(folder, "edges", limits.run_size)
        self.source_codes: dict[str, int] = {}
        self.source_names: list[str] = []
        self.source = array("H")
        self.parent = array("q")
        self.members: dict[int, list[int]] = {}  # roots of clusters of two or more
        self.sources: dict[int, dict[str, int]] = {}
        self.decided: dict[tuple[int, int], float] = {}
        self.forced: set[tuple[int, int]] = set()
        self.split_with: dict[int, set[int]] = {}
        self.override_ids = {r for pair in overrides.merge | overrides.split for r in pair}
        self.number_of: dict[str, int] = {}  # override records only

    # --- 1. read: numbers, profiles, keys -------------------------------------------------------

    def read(self, records: Iterable[Record | str], sink: KeySink | None = None) -> None:
        chunked = Chunked(sink)
        for item in records:
            record = matching_record(item) if isinstance(item, str) else item
            n = self.profiles.append((profile_values(profile(record)), title_key(record)))
            self.ids.append(record.id)
            code = self.source_codes.setdefault(record.source_id, len(self.source_codes))
            if code == len(self.source_names):
                self.source_names.append(record.source_id)
            self.source.append(code)
            self.parent.append(n)
            if record.id in self.override_ids:
                self.number_of[record.id] = n
            keys = blocking_keys(record, self.blocked)
            for key in keys:
                self.keys.add(key, n)
            if n % 10_000 == 0:
                self.progress("cluster: reading records", n)
            chunked.add(record, keys)
        chunked.close()
        self._read_done()

    def read_with(self, pool: ClusterPool, records: Iterable[Record | str], sink: KeySink | None) -> None:
        """`read`, with the records prepared by the pool's workers (numbered in stream order here)."""
        codes, names, override_ids = self.source_codes, self.source_names, self.override_ids
        for n, prepared in pool.prepare(records):
            self.profiles.extend(prepared.blobs)
            self.ids.extend(prepared.ids)
            for source in prepared.sources:
                code = codes.setdefault(source, len(codes))
                if code == len(names):
                    names.append(source)
                self.source.append(code)
            self.parent.extend(range(n, n + len(prepared.ids)))
            if override_ids:
                self.number_of.update((r, n + k) for k, r in enumerate(prepared.ids) if r in override_ids)
            self.keys.add_parts(prepared.parts, prepared.keys)
            if sink is not None:
                sink.write(prepared.rows)
            self.progress("cluster: reading records", len(self.profiles))
        if sink is not None:
            sink.done()
        self._read_done()

    def _read_done(self) -> None:
        self.counts.records = len(self.profiles)
        self.progress("cluster: reading records", self.counts.records)
        self.counts.keys = self.keys.count + self.keys.buffered
        self._overrides()

    def _overrides(self) -> None:
        index = self.number_of
        for pair in self.overrides.split:
            ids = sorted(pair)
            if len(ids) == 2 and ids[0] in index and ids[1] in index:
                i, j = index[ids[0]], index[ids[1]]
                self.split_with.setdefault(i, set()).add(j)
                self.split_with.setdefault(j, set()).add(i)
        for pair in self.overrides.merge:
            ids = sorted(pair)
            if len(ids) == 2 and ids[0] in index and ids[1] in index:
                i, j = sorted((index[ids[0]], index[ids[1]]))
                self.forced.add((i, j))

    # --- 2. blocks → candidate pairs --------------------------------------------------------------

    def pairs(self) -> None:
        done = 0
        for key, members in self.keys.blocks():
            self._block(key, members)
            done += len(members)
            if done >= self._next_report:
                self._next_report += 100_000
                self.progress("cluster: blocking", done)
        self.progress("cluster: blocking", done)

    def _block(self, key: str, members: list[int]) -> None:
        size = len(members)
        span = window_of(key, size)
        if size < 2 or span < 0:
            return
        if span == 0:
            for x in range(size):
                for y in range(x + 1, size):
                    self._candidate(members[x], members[y])
            return
        titles = {n: self.profiles.get(n)[1] for n in members}
        ordered = sorted(members, key=titles.__getitem__)
        for x in range(size):
            for y in range(x + 1, min(size, x + 1 + span)):
                i, j = ordered[x], ordered[y]
                self._candidate(i, j) if i < j else self._candidate(j, i)

    def _candidate(self, i: int, j: int) -> None:
        code = self.source[i]
        if code == self.source[j] and self.source_names[code] not in self.matcher.within_source:
            return  # the one-record-per-source rule would refuse the union anyway
        self.candidates.add(i * SHIFT + j)

    # --- 3. decide each unique pair once ---------------------------------------------------------

    def _unique(self) -> Iterator[int]:
        """The unique candidate pairs in order, less the forced ones (straight to the edges: 1.0)."""
        last = -1
        for pair in self.candidates.merged():
            if pair != last:
                last = pair
                self.counts.pairs += 1
                if self.forced and divmod(pair, SHIFT) in self.forced:
                    self.edges.add((-1.0, *divmod(pair, SHIFT)))
                else:
                    yield pair

    def decide(self) -> None:
        for pair in self._unique():
            i, j = divmod(pair, SHIFT)
            p = self._probability(i, j)
            if p >= 0.0:
                self.edges.add((-p, i, j))
            if self.counts.pairs % 10_000 == 0:
                self.progress("cluster: deciding pairs", self.counts.pairs)
        self._decided()

    def decide_with(self, pool: ClusterPool) -> None:
        """`decide`, with the pairs decided by the pool's workers, reading the shared profile file."""
        self.profiles.share()
        for pairs, values in pool.decide(self.folder, self.limits.cache_size, self._unique()):
            for pair, p in zip(pairs, values, strict=True):
                if p >= 0.0:
                    self.edges.add((-p, *divmod(pair, SHIFT)))
            self.counts.decisions += len(values)
            self.progress("cluster: deciding pairs", self.counts.pairs)
        self._decided()

    def _decided(self) -> None:
        self.counts.edges = self.edges.count
        self.progress("cluster: deciding pairs", self.counts.pairs)

    def _probability(self, i: int, j: int) -> float:
        """As `clustering._Clusters.probability`: forced 1.0, a veto `VETOED`, a non-match p - 2."""
        key = (i, j) if i < j else (j, i)
        if key in self.forced:
            return 1.0
        cached = self.decided.get(key)
        if cached is not None:
            return cached
        decision = self.matcher.decide(self._profile(key[0]), self._profile(key[1]), self.blocked)
        self.counts.decisions += 1
        value = VETOED if decision.vetoed else decision.probability - (0.0 if decision.same else 2.0)
        if len(self.decided) >= self.limits.decisions:
            self.decided.clear()  # a decision is a pure function of the pair: forgetting costs time only
        self.decided[key] = value
        return value

    def _profile(self, n: int) -> Profile:
        values, _ = self.profiles.get(n)
        return Profile(*values)

    # --- 4. guarded unions -----------------------------------------------------------------------

    def unite(self) -> None:
        self.decided.clear()
        for i, j in sorted(self.forced):
            self._union(i, j, forced=True)
        done = 0
        for negative, i, j in self.edges.merged():
            self.decided[(i, j)] = -negative
            self._union(i, j)
            done += 1
            if done % 10_000 == 0:
                self.progress("cluster: joining", done)
        self.progress("cluster: joining", done)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def _members(self, root: int) -> list[int]:
        return self.members.get(root) or [root]

    def _sources(self, root: int) -> dict[str, int]:
        return self.sources.get(root) or {self.source_names[self.source[root]]: 1}

    def _union(self, i: int, j: int, forced: bool = False) -> bool:
        ra, rb = self.find(i), self.find(j)
        if ra == rb:
            return True
        a, b = self._members(ra), self._members(rb)
        if self._split_between(a, b):
            return False
        if not forced and (self._source_clash(ra, rb) or not self._linked(a, b)):
            return False
        join(self.parent, self.members, self.sources, (ra, a), (rb, b), self._sources)
        return True

    def _split_between(self, a: list[int], b: list[int]) -> bool:
        return bool(self.split_with) and split_between(self.split_with, a, b)

    def _source_clash(self, ra: int, rb: int) -> bool:
        return source_clash(self._sources(ra), self._sources(rb), self.matcher.within_source)

    def _linked(self, a: list[int], b: list[int]) -> bool:
        return linked(a, b, self._probability)

    # --- 5. the groups, in the order `cluster_records` returns them ------------------------------

    def groups(self) -> Iterator[list[str]]:
        """Two passes over the ids file in record order: the members of clusters of two or more go,
        as (root, id), through a sort, which the second pass reads alongside (roots come in order)."""
        parent, multi = self.parent, self.members
        owned = SortedRuns(self.folder, "groups", self.limits.run_size)
        for n, record_id in enumerate(self.ids):
            if parent[n] != n or n in multi:
                owned.add((self.find(n), record_id))
        members = owned.merged()
        pending = next(members, None)
        for n, record_id in enumerate(self.ids):
            if parent[n] != n:
                continue
            if n not in multi:
                yield [record_id]
                continue
            group = []
            while pending is not None and pending[0] == n:
                group.append(pending[1])
                pending = next(members, None)
            yield group
