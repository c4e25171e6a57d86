"""Updates within one harvest of a file source: the last copy of a record wins, and a re-run is quiet.

A library drops a full export and then delta files into its folder. Files are read in a documented
order (`harvester.marc.files.list_files`), records in file order, and a later record with the same id
replaces the earlier one (the store counts it ``superseded``; nothing is quarantined). Within one run
that is simply "write both, the later one last" (`RecordStore.write_batch` with ``supersede``).

The next run reads the same files again, and writing "earlier, then later" again would change the
stored record twice (two new change numbers, two re-indexings) for nothing. `LaterWins` avoids that:
when the stored copy of a record was read from a *later* place (file, then record number) than the one
being read now, the current copy is held back, because the later copy is expected to come. When it
comes, the held copy is counted superseded and dropped; if it never comes (the later file changed), the
held copy is written at the end (`leftovers`). So a second run over unchanged files changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from harvester.store import IncomingRecord, RecordStore

_NUMBER = re.compile(r"record (\d+)")


class LaterWins:
    """Holds back the records of this run that a later copy (as stored last time) will replace."""

    def __init__(self, store: RecordStore, run_id: int, files: Sequence[str]) -> None:
        self.store = store
        self.run_id = run_id
        self.order = {name: index for index, name in enumerate(files)}
        self.held: dict[str, IncomingRecord] = {}
        self.known: dict[str, tuple[str, str, int | None, str, int]] = {}  # the last `sift`'s look-up

    def sift(self, incoming: Sequence[IncomingRecord], counts: dict[str, int]) -> list[IncomingRecord]:
        """The records to write now, in order; the others are held until their later copy is read.
        What the store holds of them stays in ``known`` for `RecordStore.write_batch` (same transaction)."""
        if not incoming:
            self.known = {}
            return []
        located = self.known = self.store.record_locations([r.id for r in incoming])
        now: list[IncomingRecord] = []
        for record in incoming:
            held = self.held.pop(record.id, None)
            if held is not None:  # the held copy is replaced: by other bytes (superseded), or the same
                bucket = "duplicates" if held.digest and held.digest == record.digest else "superseded"
                counts[bucket] = counts.get(bucket, 0) + 1
            where = located.get(record.id)
            if where is not None and where[2] != self.run_id and self._later(where[0], where[1], record):
                self.held[record.id] = record
                continue
            now.append(record)
        return now

    def leftovers(self) -> list[IncomingRecord]:
        """Held records whose later copy never came: they are the latest after all."""
        rest = list(self.held.values())
        self.held.clear()
        return rest

    def _later(self, file: str, position: str, record: IncomingRecord) -> bool:
        if file not in self.order or record.file not in self.order:
            return False
        return (self.order[file], _number(position)) > (self.order[record.file], _number(record.position))


def _number(position: str) -> int:
    match = _NUMBER.match(position)
    return int(match.group(1)) if match else 0
