"""The values the record store takes and gives: incoming and stored records, quarantine entries and
their kinds, batch counts, and the raw-record fingerprint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from harvester.record import Record
from harvester.types import RecordId, SourceId


class QuarantineKind(StrEnum):
    """Why input sits in the quarantine, for machines (the reason text is for people)."""

    UNREADABLE = "unreadable"  # the bytes could not be cut or parsed as a record
    REJECTED = "rejected"  # parsed, but refused (no record id, an authority record where bibs belong …)
    DUPLICATE = "duplicate"  # the same record id read twice in one harvest
    BROKEN_PAGE = "broken_page"  # an OAI-PMH response that could not be used, kept whole under its URL
    SERVER_FAILURE = "server_failure"  # the server failed on this one record (retried on the next run)


@dataclass(frozen=True, slots=True)
class IncomingRecord:
    """A record read from a source, ready to store: raw bytes plus its normalized JSON."""

    id: RecordId
    source_id: SourceId
    local_id: str
    raw: bytes
    raw_format: str  # iso2709 | marcxml | marcjson | oai_dc | mods
    normalized_json: str
    kind: str = "bib"
    parent_id: RecordId | None = None
    file: str = ""
    position: str = ""
    digest: str = ""  # `raw_hash(raw)` when the producer already computed it (harvest workers do)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as kept in the store."""

    id: RecordId
    source_id: SourceId
    local_id: str
    kind: str
    parent_id: RecordId | None
    raw: bytes
    raw_format: str
    normalized: Record
    deleted: bool
    file: str
    position: str
    seq: int
    updated_at: float


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """Input that could not be read or normalized, kept with its evidence."""

    source_id: SourceId
    file: str
    position: str
    local_id: str
    reason: str
    raw: bytes | None
    created_at: float
    kind: QuarantineKind = QuarantineKind.UNREADABLE
    raw_size: int | None = None  # the input's full size in bytes (None: unknown, rows from before sizes)

    @property
    def size(self) -> int:
        """The input's size in bytes: the recorded one, else what was kept."""
        return self.raw_size if self.raw_size is not None else len(self.raw or b"")

    @property
    def excerpt(self) -> bool:
        """True when ``raw`` holds only the first part of a larger input."""
        return self.size > len(self.raw or b"")


@dataclass(slots=True)
class BatchCounts:
    """What `RecordStore.write_batch` did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    superseded: int = 0  # with ``supersede``: an earlier copy of this run replaced by a later one

    def add_to(self, totals: dict[str, int]) -> None:
        for name in ("new", "updated", "unchanged", "duplicates", "superseded"):
            totals[name] = totals.get(name, 0) + getattr(self, name)


def raw_hash(raw: bytes) -> str:
    """The fingerprint that decides whether a re-harvested record changed."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()

