"""Named harvest errors that carry their evidence, under one base class (cf. sickle's missing base)."""

from __future__ import annotations


class HarvestError(Exception):
    """Base of every error the harvester raises on purpose."""


class RecordRejected(HarvestError):
    """One record could not be read or normalized; it goes to the quarantine and the batch goes on."""

    def __init__(self, reason: str, raw: bytes | None = None, local_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw
        self.local_id = local_id


class RecordSkipped(HarvestError):
    """A record that was read fine but is not a catalog item (an authority record): counted, not stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SourceUnavailable(HarvestError):
    """A whole source cannot be read (missing path, unreachable server): that source fails, others go on."""


class BadFeed(HarvestError):
    """A feed or file whose structure is broken past recovery (e.g. XML not well-formed from here on)."""
