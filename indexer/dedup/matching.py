"""The seam between clustering bookkeeping and the deduplication decision.

`indexer.dedup.clusters.ClusterStore` keeps clusters stable, incremental and persistent; a `Matcher` only
decides which records belong together. Swapping the identifier-only grouping for the full
deduplicator replaces the matcher and nothing else.

A matcher works in two steps so that it scales without comparing all pairs:

1. `blocking_keys(record)`: candidate keys ("isbn:9780306406157", "tk:mobydick|melville", …); records
   that share no key are never compared. ClusterStore persists keys and finds, for changed records,
   the records sharing a key with them.
2. `cluster(records)`: given a closed set of candidate records, return the groups (lists of record
   ids; every input record in exactly one group).

`explain(a, b)` says, in words and scores, why two records are or are not the same item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from harvester.record import Record


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule's contribution to a pairwise decision."""

    rule: str  # e.g. "isbn", "title-similarity", "year-veto"
    detail: str  # human readable: "share ISBN 9780306406157"
    score: float = 0.0  # evidence for (+) or against (-)
    veto: bool = False


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why two records are (or are not) the same item."""

    a: str
    b: str
    same: bool
    score: float
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    override: str = ""  # "force-merge" / "force-split" when staff decided


@dataclass(frozen=True, slots=True)
class Overrides:
    """Staff decisions that beat any rule; kept in the record store by `indexer.dedup.clusters.ClusterStore`.

    ``merge`` / ``split`` hold unordered pairs of record ids ("these two are / are not the same item");
    ``blocked_identifiers`` holds match keys such as ``"isbn:9780306406157"`` that are known not to be
    unique (a publisher reusing an ISBN): matchers must neither block nor decide on them.
    """

    merge: frozenset[frozenset[str]] = frozenset()
    split: frozenset[frozenset[str]] = frozenset()
    blocked_identifiers: frozenset[str] = frozenset()

    def pair(self, a: str, b: str) -> str:
        """``"force-merge"``, ``"force-split"`` or ``""`` for the pair (a, b)."""
        key = frozenset((a, b))
        if key in self.split:
            return "force-split"
        if key in self.merge:
            return "force-merge"
        return ""


NO_OVERRIDES = Overrides()


class Matcher(Protocol):
    """Decides which records describe the same item."""

    name: str

    def blocking_keys(self, record: Record, overrides: Overrides = NO_OVERRIDES) -> list[str]:
        ...

    def cluster(self, records: Sequence[Record], overrides: Overrides = NO_OVERRIDES) -> list[list[str]]:
        ...

    def explain(self, a: Record, b: Record, overrides: Overrides = NO_OVERRIDES) -> Explanation:
        ...
