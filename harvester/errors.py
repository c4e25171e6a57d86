"""Named harvest errors that carry their evidence, under one base class (cf. sickle's missing base).

    HarvestError
    ├── ConfigError        a config file that cannot be used (file, key, what is wrong)
    ├── RuleError          a mapping rule failed on a record (which rule, where it is defined)
    ├── RecordRejected     one record goes to the quarantine; the batch goes on
    ├── RecordSkipped      a record that is not a catalog item (authority): counted, not stored
    ├── SourceUnavailable  a whole source cannot be read; the other sources go on
    ├── BadFeed            a feed or file broken past recovery (OAIProtocolError under it)
    └── HarvestRunning     another `unioncat harvest` holds this data folder's lock

The indexer has its own base, `indexer.errors.IndexerError`.
"""

from __future__ import annotations

from pathlib import Path


class HarvestError(Exception):
    """Base of every error the harvester raises on purpose."""


class ConfigError(HarvestError):
    """A config file that cannot be used, with the file, the key and what is wrong."""

    def __init__(self, file: Path | str, key: str, message: str) -> None:
        self.file = str(file)
        self.key = key
        self.message = message
        where = f"{self.file}: {key}: " if key else f"{self.file}: "
        super().__init__(where + message)


class RuleError(HarvestError):
    """A rule failed on a record; the message names the rule and where it is defined."""


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


class HarvestRunning(HarvestError):
    """Another `unioncat harvest` is running on the same data folder: this run harvests nothing."""
