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


class ChunkTooLarge(Exception):
    """More than the cap was read from a file without the reader finishing a record (`CappedHandle`)."""

    def __init__(self, start: int, cap: int, head: bytes) -> None:
        super().__init__(f"no end of record within {cap:,} bytes from byte {start:,}")
        self.start = start
        self.cap = cap
        self.head = head


class CappedHandle:
    """A binary file for a reader that cannot bound itself (lines, JSON, XML): at most ``cap`` bytes
    may be read between two records (`boundary`), else `ChunkTooLarge` is raised from the read, so a
    200 MB line or an XML record that never closes is never read whole. A line is read with a size
    limit, so even one that never ends costs at most the cap. The first ``excerpt`` bytes after the
    last boundary are kept as evidence."""

    def __init__(self, handle: IO[bytes], cap: int, excerpt: int) -> None:
        self._handle = handle
        self._cap = cap
        self._excerpt = excerpt
        self._start = 0  # file offset of the last boundary
        self._since = 0  # bytes read since it
        self._head = bytearray()

    def boundary(self) -> None:
        """The reader has just finished a record: the count starts again here."""
        self._start += self._since
        self._since = 0
        self._head.clear()

    def _count(self, data: bytes) -> bytes:
        if len(self._head) < self._excerpt:
            self._head += data[: self._excerpt - len(self._head)]
        self._since += len(data)
        if self._since > self._cap:
            raise ChunkTooLarge(self._start, self._cap, bytes(self._head))
        return data

    def read(self, size: int = -1) -> bytes:
        room = self._cap - self._since + 1
        return self._count(self._handle.read(room if size is None or size < 0 else min(size, room)))

    def readline(self, size: int = -1) -> bytes:
        room = self._cap - self._since + 1
        return self._count(self._handle.readline(room if size is None or size < 0 else min(size, room)))

    def __iter__(self) -> CappedHandle:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def seek(self, offset: int, whence: int = 0) -> int:
        """A reader that sniffs and rewinds starts counting again from where it lands."""
        position = self._handle.seek(offset, whence)
        self._start, self._since = position, 0
        self._head.clear()
        return position

    def tell(self) -> int:
        return self._handle.tell()
