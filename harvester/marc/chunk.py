"""One record's raw bytes as cut from a file, with where it came from (file, position), or the reason it
could not be cut: the unit every reader yields and the quarantine keeps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RawChunk:
    """One record's bytes as cut from a file, or a reader error with the bytes around it."""

    position: str
    raw: bytes
    error: str | None = None
    fatal: bool = False  # the file cannot be read past this point
