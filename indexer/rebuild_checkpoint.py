"""How far a full index rebuild got: recorded after each committed step, read by the next run.

At ten million records the document-writing phase of a full `unioncat index` takes long enough that a
crash must not mean starting over. After each step (`indexer.run.CHECKPOINT` clusters, in cluster id
order) the backend commits the step into the new, unpublished index and the run records here which
index that is, the last cluster id in it, the counts so far and the analytics' tally. A later run
continues from there only when nothing it depends on moved in between (`Fingerprint`: the clusters
and records, the matcher, the facet thesauri, the analytics configuration); otherwise it starts over.
Kept in the store's state table (one JSON value), cleared when the rebuild is published.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from harvester.store import RecordStore

STATE = "index.rebuild_checkpoint"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One committed step of a full rebuild."""

    version: str  # the backend's token for the partial index (`StepwiseRebuild.rebuild_steps`)
    after: str  # every cluster with an id up to this one is in it
    clusters: int  # clusters done (progress)
    indexed: int  # documents written
    multi: int  # of those, held by 2+ libraries
    analytics: dict[str, Any]  # `AnalyticsPass.checkpoint`
    fingerprint: dict[str, Any]


def fingerprint(store: RecordStore, clusters: int, matcher: str, thesauri: frozenset[str],
                analytics_key: Any) -> dict[str, Any]:
    """What a resumed rebuild must find unchanged: any change since the checkpoint means starting over."""
    return {"clusters": clusters, "records_seq": store.max_seq(), "matcher": matcher,
            "thesauri": sorted(thesauri), "analytics": analytics_key}


def save(store: RecordStore, checkpoint: Checkpoint) -> None:
    store.set_state(STATE, asdict(checkpoint))


def load(store: RecordStore, expected: dict[str, Any]) -> Checkpoint | None:
    """The recorded checkpoint if it is still valid for ``expected`` (a `fingerprint`), else None."""
    value = store.get_state(STATE)
    if not isinstance(value, dict):
        return None
    try:
        checkpoint = Checkpoint(**value)
    except TypeError:  # written by another version
        return None
    # the state table keeps JSON: compare the fingerprint as it reads back
    return checkpoint if checkpoint.fingerprint == _as_stored(expected) else None


def clear(store: RecordStore) -> None:
    store.delete_state(STATE)


def _as_stored(value: dict[str, Any]) -> Any:
    return json.loads(json.dumps(value))
