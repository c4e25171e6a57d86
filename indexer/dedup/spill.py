"""On-disk structures for clustering in bounded memory: sorted runs and a file of profiles.

`SortedRuns` is an external sort: items (tuples or ints that ``marshal`` can write) are buffered up to
``run_size``, each full buffer is sorted and written to a temporary file as a run, and `merged`
streams every item in order through a k-way merge of the runs. Memory is one buffer plus one chunk per
run, whatever the number of items; a sort that fits in one buffer never touches the disk.

`ProfileFile` keeps one marshal-able value per record number (the fields of the record's `Profile` and
its title sort key: marshal writes and reads such tuples several times faster than pickle writes and
reads the dataclass), appended in order, with the file offsets in a compact ``array``; `get` reads one back,
through a bounded least-recently-used cache (pairs of a block are compared together, so most reads
hit it). Both live in a caller-given folder and are deleted by `close`.
"""

from __future__ import annotations

import heapq
import marshal
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 4096
"""Items per marshal record inside a run file (what the merge reads at a time per run)."""


class SortedRuns:
    """An external sort of marshal-able, mutually comparable items."""

    def __init__(self, folder: Path, name: str, run_size: int = 1_000_000) -> None:
        self.folder = folder
        self.name = name
        self.run_size = max(1, run_size)
        self.buffer: list[Any] = []
        self.runs: list[Path] = []
        self.count = 0

    def add(self, item: Any) -> None:
        self.buffer.append(item)
        self.count += 1
        if len(self.buffer) >= self.run_size:
            self._spill()

    def _spill(self) -> None:
        self.buffer.sort()
        path = self.folder / f"{self.name}.{len(self.runs)}.run"
        with path.open("wb") as out:
            for start in range(0, len(self.buffer), CHUNK):
                marshal.dump(self.buffer[start : start + CHUNK], out)
        self.runs.append(path)
        self.buffer = []

    def merged(self) -> Iterator[Any]:
        """Every item added, in sorted order (duplicates kept); call once."""
        if not self.runs:
            self.buffer.sort()
            items, self.buffer = self.buffer, []
            yield from items
            return
        if self.buffer:
            self._spill()
        handles = [path.open("rb") for path in self.runs]
        try:
            yield from heapq.merge(*(_read_run(handle) for handle in handles))
        finally:
            for handle in handles:
                handle.close()
            self.close()

    def close(self) -> None:
        self.buffer = []
        for path in self.runs:
            path.unlink(missing_ok=True)
        self.runs = []


def _read_run(handle: BinaryIO) -> Iterator[Any]:
    while True:
        try:
            chunk = marshal.load(handle)
        except EOFError:
            return
        yield from chunk


class ProfileFile:
    """Objects by record number, on disk, with a bounded cache of the recently read ones."""

    def __init__(self, folder: Path, cache_size: int = 100_000) -> None:
        self.path = folder / "profiles.bin"
        self.out: BinaryIO | None = self.path.open("wb")
        self.offsets = array("q")
        self.cache: OrderedDict[int, Any] = OrderedDict()
        self.cache_size = max(1, cache_size)
        self.reader: BinaryIO | None = None
        self.size = 0

    def append(self, item: Any) -> int:
        """Store the next record's object; returns its number."""
        assert self.out is not None, "ProfileFile: append after reading started"
        data = marshal.dumps(item)
        self.offsets.append(self.size)
        self.out.write(data)
        self.size += len(data)
        return len(self.offsets) - 1

    def __len__(self) -> int:
        return len(self.offsets)

    def get(self, number: int) -> Any:
        found = self.cache.get(number)
        if found is not None:
            self.cache.move_to_end(number)
            return found
        reader = self._reader()
        start = self.offsets[number]
        end = self.offsets[number + 1] if number + 1 < len(self.offsets) else self.size
        reader.seek(start)
        found = marshal.loads(reader.read(end - start))
        self.cache[number] = found
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return found

    def _reader(self) -> BinaryIO:
        if self.reader is None:
            if self.out is not None:
                self.out.close()
                self.out = None
            self.reader = self.path.open("rb")
        return self.reader

    def close(self) -> None:
        for handle in (self.out, self.reader):
            if handle is not None:
                handle.close()
        self.out = self.reader = None
        self.cache.clear()
        self.path.unlink(missing_ok=True)
