"""Cluster ids that stay put: a re-clustered group keeps the id of the old cluster that gives it most
members (ties: the older cluster); an id no group keeps redirects to the cluster now holding most of
its records; a new group gets "c" + 16 hex of a hash of its smallest record id. Pure functions, so
the rule can be tested without a store.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence

from harvester.types import RecordId


def make_cluster_id(record_id: RecordId, salt: int = 0) -> str:
    """The id of a new cluster: derived from its smallest record id, so it is reproducible."""
    text = record_id if not salt else f"{record_id}#{salt}"
    return "c" + hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def assign_ids(
    groups: Sequence[Sequence[str]],
    old_of: dict[str, str],
    born: dict[str, int],
    taken: Callable[[str], bool] | None = None,
) -> list[str]:
    """Cluster ids for ``groups``: each keeps the old id giving it most members (ties: older cluster).

    Contests are settled greedily from the strongest claim, so an old id goes to the group that holds
    most of its records; a group left without one gets a new id (salted if that id is in use).
    """
    claims: list[tuple[int, int, str, int, str]] = []
    for index, group in enumerate(groups):
        counts = Counter(old_of[r] for r in group if r in old_of)
        for old_id, count in counts.items():
            claims.append((-count, born.get(old_id, 1 << 62), min(group), index, old_id))
    claims.sort()
    ids: list[str | None] = [None] * len(groups)
    used: set[str] = set()
    for _, _, _, index, old_id in claims:
        if ids[index] is None and old_id not in used:
            ids[index] = old_id
            used.add(old_id)
    old_ids = set(old_of.values())
    for index, group in enumerate(groups):
        if ids[index] is not None:
            continue
        smallest, salt = min(group), 0
        candidate = make_cluster_id(smallest)
        while candidate in used or candidate in old_ids or (taken is not None and taken(candidate)):
            salt += 1
            candidate = make_cluster_id(smallest, salt)
        ids[index] = candidate
        used.add(candidate)
    return [i for i in ids if i is not None]


def _redirect_target(members: set[str], new_of: dict[str, str]) -> str | None:
    """The cluster now holding most of a retired cluster's still-live records."""
    counts = Counter(new_of[r] for r in members if r in new_of)
    if not counts:
        return None
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
