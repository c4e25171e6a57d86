"""How a source's records were read, for `unioncat status` and the partners page: where each record was
last read (to let a later copy win without rewriting), how many were repaired or got a derived id, and
the quarantine grouped by reason. A mixin of `RecordStore`, kept apart so each module stays one concept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from harvester.store.database import Database
from harvester.types import RecordId, SourceId


class IngestQueries(Database):
    """Read-only figures about how records were ingested."""

    def record_locations(self, ids: Sequence[RecordId]) -> dict[RecordId, tuple[str, str, int | None, str, int]]:
        """Where each stored record was last read: (file, position, seen_run, raw_hash, deleted), by id.
        The last two are what `RecordStore.write_batch` decides by: read here in the batch's transaction,
        they are handed to it (``known``), so a batch is looked up once, not twice."""
        found: dict[RecordId, tuple[str, str, int | None, str, int]] = {}
        for start in range(0, len(ids), 900):
            chunk = list(ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            for row in self.query(
                f"SELECT id, file, position, seen_run, raw_hash, deleted FROM records WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = (row[1], row[2], row[3], row[4], row[5])
        return found

    def ingest_counts(self, source_id: SourceId, examples: int = 20) -> dict[str, Any]:
        """How a source's live records were read: how many a permissive reader repaired (with the first
        ``examples`` of them and what was repaired), and how many got an id derived from their content,
        by reason ("id derived: no 001"). Both flags live in the normalized JSON, written only when set."""
        repaired = self.query(
            "SELECT COUNT(*) FROM records WHERE source_id = ? AND deleted = 0 "
            "AND json_extract(normalized, '$.repairs') IS NOT NULL",
            (source_id,),
        )[0][0]
        shown = self.query(
            "SELECT id, json_extract(normalized, '$.repairs') FROM records WHERE source_id = ? AND deleted = 0 "
            "AND json_extract(normalized, '$.repairs') IS NOT NULL ORDER BY id LIMIT ?",
            (source_id, examples),
        )
        derived = self.query(
            "SELECT json_extract(normalized, '$.id_origin'), COUNT(*) FROM records WHERE source_id = ? "
            "AND deleted = 0 AND json_extract(normalized, '$.id_origin') IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
            (source_id,),
        )
        return {
            "repaired": int(repaired),
            "repaired_examples": [{"id": row[0], "repairs": json.loads(row[1])} for row in shown],
            "derived_ids": sum(int(row[1]) for row in derived),
            "derived_reasons": [{"reason": row[0], "count": int(row[1])} for row in derived],
        }

    def quarantine_reasons(self, source_id: SourceId) -> list[tuple[str, str, int]]:
        """(kind, reason, count) of a source's quarantined input, most frequent first."""
        rows = self.query(
            "SELECT kind, reason, COUNT(*) FROM quarantine WHERE source_id = ? GROUP BY kind, reason "
            "ORDER BY 3 DESC, 1, 2",
            (source_id,),
        )
        return [(row[0], row[1], int(row[2])) for row in rows]



_NUMBERS = re.compile(r"\d+")


def reason_classes(rows: Iterable[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """Quarantine reasons grouped so that a partner reads "12 × no field can be read" rather than 12
    lines differing by a line number: by kind and the reason with its numbers blanked; one full reason
    is kept as the example."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, reason, count in rows:
        key = (kind, _NUMBERS.sub("#", reason.split(": ", 1)[0] if ": " in reason[:80] else reason)[:160])
        group = groups.setdefault(key, {"kind": kind, "reason": reason, "count": 0})
        group["count"] += count
    return sorted(groups.values(), key=lambda g: (-g["count"], g["kind"], g["reason"]))
