"""Feed health for partners: per harvest run what was added, updated, deleted and quarantined.

Read from the record store's harvest runs and quarantine (`RecordStore.runs`,
`RecordStore.quarantine_by_run`) when the page is asked for: these are small tables (a row per run,
a row per rejected record), unlike the collection figures. Quarantine entries are grouped by their
machine-readable kind (unreadable, rejected, duplicate …) and their reason text with the record's
particulars (ids, numbers, quoted values, bracketed details) folded away, so the table shows *what*
goes wrong how often; per run, the counts are by kind.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from harvester.store import RecordStore

RUNS_SHOWN = 20
"""Harvest runs per source in the trend (newest last)."""
SERIES = ("added", "updated", "deleted")
_DETAILS = (
    (re.compile(r"\b[\w.-]+:[\w.-]+"), "…"),  # record ids ("duke:DUKE001"): one reason, many records
    (re.compile(r"\([^()]*\)"), "(…)"),
    (re.compile(r"'[^']*'|\"[^\"]*\"|<[^<>]*>"), "…"),
    (re.compile(r"\d+"), "N"),
)


def reason_kind(reason: str) -> str:
    """``"field 245: cannot decode as utf-8 (invalid start byte)"`` → ``"field N: cannot decode as utf-N (…)"``."""
    text = reason.strip().splitlines()[0] if reason.strip() else "no reason given"
    for pattern, replacement in _DETAILS:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())[:160]


def feed_health(store: RecordStore, sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per source (as `Catalog.sources` lists them): runs oldest → newest, last success, quarantine."""
    return [_source_health(store, source) for source in sources]


def _source_health(store: RecordStore, source: dict[str, Any]) -> dict[str, Any]:
    runs = [_run(row) for row in reversed(store.runs(source["id"], limit=RUNS_SHOWN))]
    successes = [r for r in runs if r["status"] == "ok"]
    reasons: Counter[tuple[str, str]] = Counter()
    by_run: dict[int, Counter[str]] = {}
    for run_id, kind, reason, count in store.quarantine_by_run(source["id"]):
        reasons[(str(kind), reason_kind(reason))] += count
        if run_id is not None:
            by_run.setdefault(int(run_id), Counter())[str(kind)] += count
    for run in runs:
        run["quarantine_by_reason"] = dict(by_run.get(run["id"], {}))
    library = source.get("library") or {}
    return {
        "id": source["id"], "name": source.get("name", source["id"]),
        "library": library.get("name", "") if isinstance(library, dict) else str(library),
        "records": source.get("records", 0), "quarantined": source.get("quarantined", 0),
        "runs": runs, "last_run": runs[-1] if runs else None,
        "last_success": successes[-1]["finished_at"] if successes else None,
        "failed_since_success": sum(1 for r in runs if successes and r["id"] > successes[-1]["id"]),
        "quarantine_by_reason": [{"kind": kind, "reason": text, "count": n}
                                 for (kind, text), n in reasons.most_common()],
    }


def _run(row: dict[str, Any]) -> dict[str, Any]:
    counts = row.get("counts") or {}
    return {
        "id": int(row["id"]), "started_at": row["started_at"], "finished_at": row.get("finished_at"),
        "status": row.get("status", ""), "error": row.get("error") or "",
        "read": int(counts.get("read", 0)), "added": int(counts.get("new", 0)),
        "updated": int(counts.get("updated", 0)), "deleted": int(counts.get("deleted", 0)),
        "unchanged": int(counts.get("unchanged", 0)), "quarantined": int(counts.get("quarantined", 0)),
    }
