"""Named aliases for the identifiers that flow through unioncat (cf. starlette/types.py)."""

from __future__ import annotations

SourceId = str
"""A partner source's configured id, e.g. ``"laurentian"``."""

LocalId = str
"""A record's id inside its source: the 001 (or a configured field)."""

RecordId = str
"""A record's stable id across unioncat: ``"source:localid"``."""

ClusterId = str
"""The stable id of a cluster of records describing the same item (a permalink)."""

RawRecord = bytes
"""A record exactly as received from the source (ISO 2709 bytes, MARCXML, JSON, OAI payload)."""


def make_record_id(source_id: SourceId, local_id: LocalId) -> RecordId:
    """Join a source id and a local id into the ``source:localid`` form used everywhere."""
    return f"{source_id}:{local_id}"


def split_record_id(record_id: RecordId) -> tuple[SourceId, LocalId]:
    """Split ``source:localid`` at the first colon (local ids may contain colons)."""
    source_id, _, local_id = record_id.partition(":")
    return source_id, local_id
