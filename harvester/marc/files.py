"""Reading MARC files: find them, tell their format, cut them into raw records, parse one raw record.

Cutting and parsing are separate on purpose. `iter_raw_records` streams a file and yields each record's
bytes exactly as they appear in the file (`RawChunk`), cheaply, in the harvesting process; the costly
`parse_raw_record` runs in worker processes. A record that cannot be read becomes a quarantined chunk
with its bytes and the reason, and the stream goes on; only a break that makes the rest of the file
unreadable (XML that stops being well-formed) is ``fatal``, so the harvest keeps that file's old records.

What "raw" is, per format:

- ISO 2709: the record's bytes, from its leader to its record terminator (0x1D), exactly as in the file.
  Records are cut at the terminator, not by the leader's length, so a wrong length never swallows the
  next record (pymarc gives up on the rest of the file there) and the reader resynchronises itself.
- MARCXML: the ``<record>`` element re-serialised by lxml (``etree.tostring``). Exact bytes are not
  practical with a streaming parser (lxml reports no byte offsets); re-serialisation keeps every
  character of content, attribute and namespace, but not the original whitespace between attributes.
- MARC-in-JSON: one line's bytes (JSON lines), or the exact text of one array element.

Decoding ISO 2709 copes with leaders that lie (see `_choose_encoding`) and honours a source's
``encoding`` override ("marc8", "utf-8", or any Python codec such as "cp1251").
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pymarc

from harvester.errors import BadFeed, RecordRejected
from harvester.limits import DEFAULT_LIMITS, Limits, too_large
from harvester.marc import aleph, mrk
from harvester.marc.chunk import CappedHandle, ChunkTooLarge, RawChunk
from harvester.marc.iso2709 import _SEPARATORS, iter_iso2709, parse_iso2709
from harvester.marc.marcjson import iter_marcjson, read_marcjson
from harvester.marc.marcxml import iter_marcxml, read_marcxml
from harvester.marc.repair import recover_iso2709
from harvester.text import MOJIBAKE_BYTES, MOJIBAKE_REPAIR, has_mojibake

FORMATS = ("iso2709", "marcxml", "marcjson", "aleph", "mrk")
ORDERS = ("name", "mtime")


def list_files(path: Path, order: str = "name") -> list[Path]:
    """The files of a source, in the order they are read: the file itself, a folder's files
    (recursive), or a glob's matches.

    The order matters: a later record with the same id replaces an earlier one (a full export, then
    daily delta files). ``name`` (the default) sorts by path, so date-stamped names read oldest first;
    ``mtime`` sorts by modification time, then path. Hidden files and README/notes files (``*.md``,
    ``*.txt``) in folders are skipped.
    """
    if path.is_file():
        return [path]
    if path.is_dir():
        found = (p for p in path.rglob("*") if p.is_file())
        files = sorted(p for p in found if not _ignored(p.relative_to(path)))
    elif any(ch in str(path) for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
    else:
        return []
    if order == "mtime":
        files.sort(key=lambda p: p.stat().st_mtime_ns)  # stable: equal times keep name order
    return files


def _ignored(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts) or relative.suffix.lower() in (".md", ".txt")


def sniff_format(path: Path) -> str:
    """``iso2709``, ``marcxml``, ``marcjson``, ``aleph`` or ``mrk`` from the first bytes; `BadFeed`
    when none fits."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    return sniff_bytes(head, str(path))


def sniff_bytes(head: bytes, name: str = "input") -> str:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(_SEPARATORS)
    if not text:
        return "iso2709"  # an empty export: zero records, not an error
    if text[:1] == b"<":
        return "marcxml"
    if text[:1] in (b"[", b"{"):
        return "marcjson"
    if aleph.SNIFF.match(text):
        return "aleph"
    if mrk.SNIFF_MRK.match(text) or mrk.SNIFF_LINE.match(text):
        return "mrk"
    if text[:5].isdigit() and len(text) >= 24:
        return "iso2709"
    raise BadFeed(f"{name} starts with {text[:24]!r}: not ISO 2709, MARCXML, MARC-in-JSON, Aleph "
                  "sequential or MARC mnemonic text")


def iter_raw_records(path: Path, fmt: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawChunk]:
    """Stream a file's records as `RawChunk`s; never holds the whole file in memory, and no chunk
    carries more than ``limits.max_record_bytes`` (`bounded`)."""
    return bounded(_iter_raw_records(path, fmt, limits), limits)


def bounded(chunks: Iterable[RawChunk], limits: Limits) -> Iterator[RawChunk]:
    """Turn every chunk over ``max_record_bytes`` into an error chunk with an excerpt and its size: it is
    quarantined, never parsed, stored or indexed whole. ``fatal`` (the file counts as not completely
    read) so that a stored record that grew past the limit is kept rather than marked deleted."""
    for chunk in chunks:
        size = len(chunk.raw)
        if size <= limits.max_record_bytes or chunk.size is not None:
            yield chunk
            continue
        reason = too_large("record", size, limits.max_record_bytes, "max_record_bytes")
        if chunk.error:
            reason = f"{chunk.error}; {reason}"
        yield RawChunk(chunk.position, chunk.raw[: limits.quarantine_excerpt_bytes], reason, True, size)


def _iter_raw_records(path: Path, fmt: str, limits: Limits) -> Iterator[RawChunk]:
    if fmt == "iso2709":  # cuts at terminators itself, and resynchronises after a stretch without one
        with path.open("rb") as handle:
            yield from iter_iso2709(handle, limits.max_unterminated_bytes, limits.quarantine_excerpt_bytes)
        return
    readers = {"marcxml": lambda h: iter_marcxml(h, path), "marcjson": iter_marcjson, "aleph": aleph.iter_aleph,
               "mrk": mrk.iter_mrk}
    if fmt not in readers:
        raise BadFeed(f"unknown MARC format {fmt!r} (known: {', '.join(FORMATS)})")
    yield from _capped(path, readers[fmt], limits)


def _capped(path: Path, reader: Callable[[Any], Iterator[RawChunk]], limits: Limits) -> Iterator[RawChunk]:
    """Run a reader over a `CappedHandle`: it may read ``max_record_bytes`` plus one block of look-ahead
    for one record (a larger record would be refused anyway). Past that, the reader is stopped and one
    fatal chunk (an excerpt, and the size of the rest of the file) says so: the rest of the file is not
    read, and none of its old records is deleted."""
    number = 0
    with path.open("rb") as raw:
        handle = CappedHandle(raw, limits.max_record_bytes + _LOOK_AHEAD, limits.quarantine_excerpt_bytes)
        try:
            for chunk in reader(handle):
                number += 1
                yield chunk
                handle.boundary()
        except ChunkTooLarge as exc:
            rest = path.stat().st_size - exc.start
            reason = (f"{exc} (limits.max_record_bytes {limits.max_record_bytes:,} plus {_LOOK_AHEAD:,} bytes of "
                      f"look-ahead): the rest of the file, {rest:,} bytes, is not read; the first "
                      f"{len(exc.head):,} bytes are kept")
            yield RawChunk(f"after record {number} (byte {exc.start})", exc.head, reason, True, max(rest, 0))


_LOOK_AHEAD = 1 << 20


def parse_raw_record(raw: bytes, fmt: str, encoding: str | None = None) -> pymarc.Record:
    """Parse one raw record into a `pymarc.Record`; raises `RecordRejected` with the reason."""
    return read_record(raw, fmt, encoding)[0]


def read_record(raw: bytes, fmt: str, encoding: str | None = None) -> tuple[pymarc.Record, list[str]]:
    """Parse one raw record, permissively: the record and what had to be repaired to read it (empty
    for a sound record). `RecordRejected` only when nothing can be read at all.

    ISO 2709 goes the strict (fast, already tolerant) way first; only a record it refuses is read
    again by `recover_iso2709`, so records that were fine before come out exactly as before."""
    if fmt == "iso2709":
        try:
            record, repairs = parse_iso2709(raw, encoding), list[str]()
        except RecordRejected as exc:
            if exc.reason.startswith("unknown encoding"):
                raise
            record, repairs = recover_iso2709(raw, encoding, exc.reason)
    elif fmt == "marcxml":
        return read_marcxml(raw)  # its values are repaired, and noted, as they are read
    elif fmt == "marcjson":
        return read_marcjson(raw)
    elif fmt == "aleph":
        record, repairs = aleph.parse_aleph(raw)
    elif fmt == "mrk":
        record, repairs = mrk.parse_mrk(raw)
    else:
        raise RecordRejected(f"unknown MARC format {fmt!r}", raw)
    if MOJIBAKE_BYTES.search(raw) and not (encoding or "").lower().startswith(("marc", "ansel")):
        note_mojibake(record, repairs)
    return record, repairs


def note_mojibake(record: pymarc.Record, repairs: list[str]) -> None:
    """The raw bytes spelled UTF-8 encoded twice and the decoded text no longer does: say it was
    repaired (`harvester.text.repair_mojibake` did it while decoding each field)."""
    values = (sub.value for field in record.fields for sub in field.subfields)
    controls = (field.data or "" for field in record.fields if field.control_field)
    if not any(has_mojibake(text) for text in (*values, *controls)):
        repairs.append(MOJIBAKE_REPAIR)
