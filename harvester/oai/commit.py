"""Turning one OAI page into store changes, all in one transaction with the checkpoint that follows it.

Parsing and mapping happen before the transaction opens (the store is shared by concurrently harvested
sources, so its lock is held only for the writes). Every header of a page ends in exactly one bucket:
new, updated, unchanged, quarantined (with the payload and the reason), skipped (authority records),
or a deletion. A record listed twice in one harvest — a change that lands mid-harvest, overlapping date
windows, a record in two sets — is not a duplicate to refuse, as it would be in a file: the later copy
simply wins.

    outcome = prepare_page(source, records, prefix)
    with store.transaction():
        apply_page(store, source.id, run_id, outcome, counts)
        save_checkpoint(store, source.id, checkpoint)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from harvester.errors import RecordRejected, RecordSkipped
from harvester.limits import DEFAULT_LIMITS, too_large
from harvester.oai.pages import OAIRecord
from harvester.oai.payload import to_incoming
from harvester.settings import SourceConfig
from harvester.store import IncomingRecord, QuarantineKind, RecordStore
from harvester.types import SourceId, make_record_id

QUARANTINE_FILE = "oai"
PAGE_FILE = "oai-page"


@dataclass(slots=True)
class PreparedPage:
    """A page's records, mapped and sorted into what the transaction must do."""

    incoming: list[IncomingRecord] = field(default_factory=list)
    rejected: list[tuple[str, str, bytes | None]] = field(default_factory=list)  # identifier, reason, raw
    skipped: int = 0
    deleted: list[str] = field(default_factory=list)  # record ids
    failed: list[tuple[str, str]] = field(default_factory=list)  # identifier, reason: the server failed on it

    @property
    def live(self) -> int:
        return len(self.incoming) + len(self.rejected) + len(self.failed) + self.skipped


Item = tuple[str, bool, "bytes | None"]
"""A record as it travels to a worker process: identifier, deleted?, payload bytes (None: no payload)."""


def items_of(records: Iterable[OAIRecord]) -> list[Item]:
    return [(r.identifier, r.deleted, r.raw() if r.metadata is not None else None) for r in records]


def prepare_page(source: SourceConfig, records: Iterable[OAIRecord], prefix: str) -> PreparedPage:
    """Map every record of a page in this process (payload elements already parsed)."""
    listed = list(records)
    return prepare_items(source, items_of(listed), prefix, [r.metadata for r in listed])


def prepare_items(source: SourceConfig, items: Sequence[Item], prefix: str,
                  elements: Sequence[object] | None = None) -> PreparedPage:
    """Map records; failures become quarantine entries with their evidence (runs in workers too)."""
    prepared = PreparedPage()
    for index, (identifier, deleted, raw) in enumerate(items):
        if not identifier:
            prepared.rejected.append(("(no identifier)", "OAI header without an identifier", None))
        elif deleted:
            prepared.deleted.append(make_record_id(source.id, identifier))
        elif raw is None:
            prepared.rejected.append((identifier, "OAI record without a metadata payload", None))
        elif len(raw) > source.limits.max_record_bytes:  # kept as an excerpt with its size, never mapped
            reason = too_large("record", len(raw), source.limits.max_record_bytes, "max_record_bytes")
            prepared.rejected.append((identifier, reason, raw))
        else:
            element = elements[index] if elements is not None else None
            _prepare_one(prepared, source, identifier, raw, prefix, element)
    return prepared


def _prepare_one(prepared: PreparedPage, source: SourceConfig, identifier: str, raw: bytes, prefix: str,
                 element: object | None) -> None:
    try:
        prepared.incoming.append(to_incoming(source, identifier, raw, prefix, element))
    except RecordSkipped:
        prepared.skipped += 1
    except RecordRejected as exc:
        prepared.rejected.append((identifier, exc.reason, raw))
    except Exception as exc:  # noqa: BLE001 - one record's surprise must not stop the page; kept with evidence
        prepared.rejected.append((identifier, f"mapping failed: {type(exc).__name__}: {exc}", raw))


def merge_pages(parts: Iterable[PreparedPage]) -> PreparedPage:
    """Join the prepared chunks of one page, in order."""
    merged = PreparedPage()
    for part in parts:
        merged.incoming += part.incoming
        merged.rejected += part.rejected
        merged.skipped += part.skipped
        merged.deleted += part.deleted
        merged.failed += part.failed
    return merged


def apply_page(
    store: RecordStore, source_id: SourceId, run_id: int, page: PreparedPage, counts: dict[str, int],
    excerpt_bytes: int = DEFAULT_LIMITS.quarantine_excerpt_bytes,
) -> None:
    """Write a prepared page (call inside ``store.transaction()`` together with the checkpoint)."""
    with store.transaction():
        counts["read"] += page.live
        counts["skipped"] += page.skipped
        batch, duplicates = store.write_batch(run_id, page.incoming)
        for name in ("new", "updated", "unchanged"):
            counts[name] += getattr(batch, name)
        for record in duplicates:
            counts[store.rewrite_record(run_id, record)] += 1
        for identifier, reason, raw in page.rejected:
            store.quarantine(source_id, run_id, QUARANTINE_FILE, identifier, reason, raw, identifier,
                             kind=QuarantineKind.REJECTED, excerpt_bytes=excerpt_bytes)
            counts["quarantined"] += 1
        for identifier, reason in page.failed:
            store.quarantine(source_id, run_id, QUARANTINE_FILE, identifier, reason, None, identifier,
                             kind=QuarantineKind.SERVER_FAILURE)
            counts["quarantined"] += 1
        if page.incoming:
            store.clear_quarantine(source_id, QUARANTINE_FILE, [r.local_id for r in page.incoming])
        if page.deleted:
            counts["deleted"] += store.mark_deleted(page.deleted)
            counts["deleted_headers"] += len(page.deleted)


def quarantine_page(
    store: RecordStore, source_id: SourceId, run_id: int, url: str, reason: str, raw: bytes | None,
    size: int | None = None, excerpt_bytes: int = DEFAULT_LIMITS.quarantine_excerpt_bytes,
) -> None:
    """Keep a response that could not be used under its URL: whole, or its first ``excerpt_bytes`` and
    its ``size`` (a page refused for its size is only its first bytes already)."""
    store.quarantine(source_id, run_id, PAGE_FILE, url, reason, raw, kind=QuarantineKind.BROKEN_PAGE,
                     raw_size=size, excerpt_bytes=excerpt_bytes)


def mark_unlisted_deleted(store: RecordStore, source_id: SourceId, runs: Sequence[int]) -> int:
    """After a complete ``--full`` harvest (possibly resumed over several runs), mark every live record
    of the source that none of those runs listed as deleted."""
    return store.mark_unlisted_deleted(source_id, runs)


def new_counts() -> dict[str, int]:
    names = ("read", "new", "updated", "unchanged", "quarantined", "skipped", "deleted", "deleted_headers",
             "pages", "retries", "recovered_pages", "shortfall", "quarantined_pages", "windows_split")
    return {name: 0 for name in names}
