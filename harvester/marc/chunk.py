"""One record's raw bytes as cut from a file, with where it came from (file, position), or the reason it
could not be cut: the unit every reader yields and the quarantine keeps.

A chunk's bytes are bounded: a record over ``limits.max_record_bytes``, or a stretch of a file with no
record terminator within ``limits.max_unterminated_bytes``, travels on as an error chunk holding only an
excerpt of its bytes and their full ``size`` (`skip_unterminated`), never as the whole blob.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from harvester.limits import human_size

_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class RawChunk:
    """One record's bytes as cut from a file, or a reader error with the bytes around it."""

    position: str
    raw: bytes
    error: str | None = None
    fatal: bool = False  # the file cannot be read past this point
    size: int | None = None  # set when ``raw`` is only an excerpt: the size of the whole input


def skip_unterminated(handle: IO[bytes], pending: bytes, position: str, terminator: bytes, limit: int,
                      excerpt: int) -> tuple[RawChunk, bytes]:
    """``pending`` is ``limit`` bytes or more of one record with no ``terminator``: read on, without
    keeping anything but an excerpt, to the next terminator (or the end of the file), so the reader
    can resynchronise there. Returns the error chunk (excerpt + size) and the bytes that follow the
    terminator in the last block read. The chunk is ``fatal`` in the sense the harvest needs: the file
    was not read completely (the skipped stretch may have held records), so none of its old records is
    marked deleted."""
    kept, size, rest = pending[:excerpt], len(pending), b""
    ended = "the end of the file"
    while True:
        block = handle.read(_BLOCK)
        if not block:
            break
        found = block.find(terminator)
        if found >= 0:
            size, rest, ended = size + found + 1, block[found + 1 :], "the next record terminator"
            break
        size += len(block)
    reason = (
        f"no record terminator ({terminator!r}) within limits.max_unterminated_bytes ({limit:,} bytes): "
        f"{size:,} bytes ({human_size(size)}) skipped to {ended}; the first {len(kept):,} bytes are kept"
    )
    return RawChunk(position, kept, reason, fatal=True, size=size), rest
