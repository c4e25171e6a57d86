"""The interim matcher: records that share a normalized ISBN, ISSN, OCLC number or LCCN are one item.

It is deliberately simple (exact identifiers, transitively) so that the cluster bookkeeping in
`indexer.dedup.clusters` can be built and tested before the full deduplicator exists; `indexer.dedup.matchers`
swaps it out without touching anything else. Staff overrides still apply: a blocked identifier
("isbn:9780306406157" reused by a publisher) links nothing, force-merge pairs are joined, and
force-split pairs are never put in one group, even through a chain of shared identifiers.

    matcher = IdentifierMatcher()
    groups = matcher.cluster(records, overrides)   # [["lib-a:1", "lib-b:7"], ["lib-a:2"]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harvester.record import Record
from indexer.dedup.matching import NO_OVERRIDES, Explanation, Overrides, Reason

ID_FIELDS = (("isbn", "isbns"), ("issn", "issns"), ("oclc", "oclc_numbers"), ("lccn", "lccns"))
"""Key prefix and `Record` attribute of every identifier that joins records."""


def identifier_keys(record: Record) -> list[str]:
    """Every standard-number key of a record ("isbn:9780306406157", "oclc:12345"), blocked or not."""
    keys: list[str] = []
    for prefix, attr in ID_FIELDS:
        for value in getattr(record, attr):
            key = f"{prefix}:{value}"
            if value and key not in keys:
                keys.append(key)
    return keys


class IdentifierMatcher:
    """Groups records transitively by shared standard numbers, honouring staff overrides."""

    name = "identifiers"

    def blocking_keys(self, record: Record, overrides: Overrides = NO_OVERRIDES) -> list[str]:
        blocked = overrides.blocked_identifiers
        return [key for key in identifier_keys(record) if key not in blocked]

    def cluster(self, records: Sequence[Record], overrides: Overrides = NO_OVERRIDES) -> list[list[str]]:
        ids = [record.id for record in records]
        groups = _Groups(ids, _splits_among(overrides, set(ids)))
        for pair in sorted(tuple(sorted(p)) for p in overrides.merge):
            if len(pair) == 2 and pair[0] in groups.parent and pair[1] in groups.parent:
                groups.union(pair[0], pair[1])
        first_with_key: dict[str, str] = {}
        for record in records:
            for key in self.blocking_keys(record, overrides):
                seen = first_with_key.setdefault(key, record.id)
                if seen != record.id:
                    groups.union(seen, record.id)
        return groups.result()

    def explain(self, a: Record, b: Record, overrides: Overrides = NO_OVERRIDES) -> Explanation:
        override = overrides.pair(a.id, b.id)
        reasons: list[Reason] = []
        shared = [key for key in identifier_keys(a) if key in set(identifier_keys(b))]
        for key in shared:
            if key in overrides.blocked_identifiers:
                reasons.append(Reason("blocked-identifier", f"share {key}, but staff marked it not unique"))
            else:
                reasons.append(Reason(key.split(":", 1)[0], f"share {key}", score=1.0))
        if not shared:
            reasons.append(Reason("no-shared-identifier", "no ISBN, ISSN, OCLC number or LCCN in common"))
        score = sum(r.score for r in reasons)
        if override == "force-merge":
            reasons.append(Reason("override", "staff force-merged these records", score=1.0))
        elif override == "force-split":
            reasons.append(Reason("override", "staff force-split these records", veto=True))
        same = override == "force-merge" or (override != "force-split" and score > 0)
        return Explanation(a=a.id, b=b.id, same=same, score=score, reasons=tuple(reasons), override=override)


def _splits_among(overrides: Overrides, ids: set[str]) -> list[tuple[str, str]]:
    pairs = (tuple(sorted(p)) for p in overrides.split)
    return [(p[0], p[1]) for p in pairs if len(p) == 2 and p[0] in ids and p[1] in ids]


class _Groups:
    """Union-find that refuses any union putting a force-split pair into one group (cannot-link)."""

    def __init__(self, ids: Iterable[str], splits: list[tuple[str, str]]) -> None:
        self.parent = {record_id: record_id for record_id in ids}
        self.splits = splits

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        for x, y in self.splits:
            rx, ry = self.find(x), self.find(y)
            if {rx, ry} == {root_a, root_b}:
                return False
        if root_b < root_a:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        return True

    def result(self) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for item in self.parent:
            groups.setdefault(self.find(item), []).append(item)
        return sorted(sorted(group) for group in groups.values())
