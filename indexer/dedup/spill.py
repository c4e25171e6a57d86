"""On-disk structures for clustering in bounded memory: sorted runs and a file of profiles.

`SortedRuns` is an external sort: items (tuples or ints that ``marshal`` can write) are buffered up to
``run_size``, each full buffer is sorted and written to a temporary file as a run, and `merged`
streams every item in order through a k-way merge of the runs. Memory is one buffer plus one chunk per
run, whatever the number of items; a sort that fits in one buffer never touches the disk.

`ProfileFile` keeps one marshal-able value per record number (the fields of the record's `Profile` and
its title sort key: marshal writes and reads such tuples several times faster than pickle writes and
reads the dataclass), appended in order, with the file offsets in a compact ``array``; `get` reads one back,
through a bounded least-recently-used cache (pairs of a block are compared together, so most reads
hit it). `SequenceFile` is the plain case: values written and read back in order (the record ids).
All live in a caller-given folder and are deleted by `close`.
"""

from __future__ import annotations

import heapq
import marshal
import mmap
import zlib
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

    def extend(self, blobs: list[bytes]) -> None:
        """Store the next records' objects, each already ``marshal.dumps``-ed (by a worker)."""
        assert self.out is not None, "ProfileFile: append after reading started"
        size = self.size
        append = self.offsets.append
        for data in blobs:
            append(size)
            size += len(data)
        self.out.write(b"".join(blobs))
        self.size = size

    def share(self) -> None:
        """Finish writing and put the offsets (and the end) in a file, for `ProfileReader`s in other processes."""
        self._reader()
        with (self.path.parent / OFFSETS).open("wb") as out:
            self.offsets.tofile(out)
            array("q", [self.size]).tofile(out)

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
        (self.path.parent / OFFSETS).unlink(missing_ok=True)


OFFSETS = "profiles.offsets"


class ProfileReader:
    """A `ProfileFile` read from another process after `ProfileFile.share`: both files memory-mapped
    (the page cache is shared, nothing is copied per worker), with a bounded cache of its own."""

    def __init__(self, folder: Path, cache_size: int = 50_000) -> None:
        self.folder = folder
        self.handles = [(folder / name).open("rb") for name in ("profiles.bin", OFFSETS)]
        self.maps = [mmap.mmap(h.fileno(), 0, access=mmap.ACCESS_READ) if h.seek(0, 2) else None
                     for h in self.handles]
        self.data = self.maps[0]
        self.offsets = memoryview(self.maps[1]).cast("q") if self.maps[1] is not None else memoryview(b"")
        self.cache: OrderedDict[int, Any] = OrderedDict()
        self.cache_size = max(1, cache_size)

    def get(self, number: int) -> Any:
        found = self.cache.get(number)
        if found is not None:
            self.cache.move_to_end(number)
            return found
        assert self.data is not None, "ProfileReader: no profiles"
        found = marshal.loads(self.data[self.offsets[number] : self.offsets[number + 1]])
        self.cache[number] = found
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return found

    def close(self) -> None:
        self.cache.clear()
        self.offsets.release()
        for view in self.maps:
            if view is not None:
                view.close()
        for handle in self.handles:
            handle.close()


class SequenceFile:
    """Values appended in order and read back in that order only (a bounded run's record ids: the
    groups are written out in record order, so the ids need no offsets, no seeks and no cache)."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.seq"
        self.out: BinaryIO | None = self.path.open("wb")
        self.buffer: list[Any] = []

    def append(self, item: Any) -> None:
        self.buffer.append(item)
        if len(self.buffer) >= CHUNK:
            self._flush()

    def extend(self, items: list[Any]) -> None:
        self.buffer.extend(items)
        if len(self.buffer) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.out is not None and self.buffer:
            marshal.dump(self.buffer, self.out)
        self.buffer = []

    def __iter__(self) -> Iterator[Any]:
        """Every value, in the order appended (may be called more than once)."""
        if self.out is not None:
            self._flush()
            self.out.close()
            self.out = None
        with self.path.open("rb") as handle:
            yield from _read_run(handle)

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None
        self.buffer = []
        self.path.unlink(missing_ok=True)


PARTITIONS = 256
"""Files the (blocking key, record number) pairs are spread over: a block is always whole in one, and
at ten million records (~150M keys) one partition's blocks are a few hundred MB at most."""


def partition_of(key: str, partitions: int) -> int:
    """The partition a key's pairs go to: the same in every process (``hash`` of a str is not)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % partitions


class KeyBlocks:
    """Blocks (a key and the ascending numbers of the records carrying it) without sorting the keys:
    each pair goes to one of `PARTITIONS` buffers by the key's hash; when ``run_size`` pairs are
    buffered, every buffer is appended to its partition's file; each partition is then grouped with
    a dict when read back. Linear, where sorting ~15 keys per record was a bounded run's biggest
    cost; a run that fits in one buffer never touches the disk. Blocks come out in an arbitrary
    order (clustering does not depend on it)."""

    def __init__(self, folder: Path, name: str, run_size: int = 1_000_000, partitions: int = PARTITIONS) -> None:
        self.partitions = max(1, partitions)
        self.paths = [folder / f"{name}.{k}.part" for k in range(self.partitions)]
        self.buffers: list[list[tuple[str, int]]] = [[] for _ in self.paths]
        self.written = [False] * len(self.paths)
        self.run_size = max(1, run_size)
        self.buffered = 0
        self.count = 0

    def add(self, key: str, number: int) -> None:
        """Numbers must be added in ascending order (record order), so blocks come out ascending."""
        self.buffers[partition_of(key, len(self.paths))].append((key, number))
        self.buffered += 1
        if self.buffered >= self.run_size:
            self._spill()

    def add_parts(self, parts: list[tuple[int, list[tuple[str, int]]]], count: int) -> None:
        """`add` for the ``count`` pairs a worker already spread over the partitions (`partition_of`)."""
        buffers = self.buffers
        for k, pairs in parts:
            buffers[k].extend(pairs)
        self.buffered += count
        if self.buffered >= self.run_size:
            self._spill()

    def _spill(self) -> None:
        for k, buffer in enumerate(self.buffers):
            if buffer:
                with self.paths[k].open("ab") as out:
                    for start in range(0, len(buffer), CHUNK):
                        marshal.dump(buffer[start : start + CHUNK], out)
                self.written[k] = True
                self.buffers[k] = []
        self.count += self.buffered
        self.buffered = 0

    def blocks(self) -> Iterator[tuple[str, list[int]]]:
        """Every key carried by two or more records, with its numbers; call once."""
        self.count += self.buffered
        self.buffered = 0
        try:
            for k in range(len(self.paths)):
                grouped: dict[str, int | list[int]] = {}
                get = grouped.get
                for chunk in self._partition(k):
                    for key, number in chunk:
                        found = get(key)
                        if found is None:
                            grouped[key] = number  # most keys have one record: no list for them
                        elif isinstance(found, int):
                            grouped[key] = [found, number]
                        else:
                            found.append(number)
                for key, members in grouped.items():
                    if not isinstance(members, int):
                        yield key, members
        finally:
            self.close()

    def _partition(self, k: int) -> Iterator[list[tuple[str, int]]]:
        if self.written[k]:
            with self.paths[k].open("rb") as handle:
                yield from _read_chunks(handle)
            self.paths[k].unlink(missing_ok=True)
        chunk, self.buffers[k] = self.buffers[k], []
        yield chunk

    def close(self) -> None:
        self.buffers = [[] for _ in self.paths]
        for path in self.paths:
            path.unlink(missing_ok=True)


def _read_chunks(handle: BinaryIO) -> Iterator[list[Any]]:
    while True:
        try:
            yield marshal.load(handle)
        except EOFError:
            return
