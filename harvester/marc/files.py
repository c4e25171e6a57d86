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

import codecs
import glob
import json
import mmap
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Leader, Subfield
from pymarc.marc8 import marc8_to_unicode

from harvester.errors import BadFeed, RecordRejected
from harvester.xml import XMLSyntaxError, iter_elements, local_name, parse_bytes, safe_parser

FORMATS = ("iso2709", "marcxml", "marcjson")
RECORD_TERMINATOR = 0x1D
FIELD_TERMINATOR = b"\x1e"
SUBFIELD_DELIMITER = "\x1f"
_BLOCK = 1 << 20
_SEPARATORS = b" \t\r\n\x00\x1a"
_MAX_JSON_ELEMENT = 64 << 20
_C1_CONTROLS = re.compile("[\u0080-\u009f]")  # MARC's non-sort markers (0x98/0x9C) and stray C1 bytes
_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")  # the same, UTF-8 encoded
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


@dataclass(frozen=True, slots=True)
class RawChunk:
    """One record's bytes as cut from a file, or a reader error with the bytes around it."""

    position: str
    raw: bytes
    error: str | None = None
    fatal: bool = False  # the file cannot be read past this point


# --- finding and sniffing files ------------------------------------------------------------------


def list_files(path: Path) -> list[Path]:
    """The files of a source: the file itself, a folder's files (recursive, sorted), or a glob's matches.

    Hidden files and README/notes files (``*.md``, ``*.txt``) in folders are skipped.
    """
    if path.is_file():
        return [path]
    if path.is_dir():
        found = (p for p in path.rglob("*") if p.is_file())
        return sorted(p for p in found if not _ignored(p.relative_to(path)))
    text = str(path)
    if any(ch in text for ch in "*?["):
        return sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    return []


def _ignored(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts) or relative.suffix.lower() in (".md", ".txt")


def sniff_format(path: Path) -> str:
    """``iso2709``, ``marcxml`` or ``marcjson`` from the first bytes; `BadFeed` when none fits."""
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
    if text[:5].isdigit() and len(text) >= 24:
        return "iso2709"
    raise BadFeed(f"{name} starts with {text[:24]!r}: not ISO 2709, MARCXML or MARC-in-JSON")


# --- cutting files into raw records --------------------------------------------------------------


def iter_raw_records(path: Path, fmt: str) -> Iterator[RawChunk]:
    """Stream a file's records as `RawChunk`s; never holds the whole file in memory."""
    if fmt == "iso2709":
        with path.open("rb") as handle:
            yield from iter_iso2709(handle)
    elif fmt == "marcxml":
        with path.open("rb") as handle:
            yield from iter_marcxml(handle, path)
    elif fmt == "marcjson":
        with path.open("rb") as handle:
            yield from iter_marcjson(handle)
    else:
        raise BadFeed(f"unknown MARC format {fmt!r} (known: {', '.join(FORMATS)})")


def iter_iso2709(handle: IO[bytes]) -> Iterator[RawChunk]:
    """Cut ISO 2709 at record terminators; blank/NUL bytes between records are skipped."""
    buf = b""
    offset = 0  # file offset of buf[0]
    pos = 0
    eof = False
    number = 0
    while True:
        end = buf.find(b"\x1d", pos)
        while end < 0 and not eof:
            block = handle.read(_BLOCK)
            if not block:
                eof = True
                break
            scanned = len(buf) - pos
            buf, offset, pos = buf[pos:] + block, offset + pos, 0
            end = buf.find(b"\x1d", scanned)
        while pos < len(buf) and buf[pos] in _SEPARATORS:
            pos += 1
        if end < 0:
            rest = buf[pos:]
            if rest.strip(_SEPARATORS):
                yield RawChunk(f"record {number + 1} (byte {offset + pos})", rest)
            return
        number += 1
        yield RawChunk(f"record {number} (byte {offset + pos})", buf[pos:end + 1])
        pos = end + 1


def iter_marcxml(handle: IO[bytes], path: Path | None = None) -> Iterator[RawChunk]:
    """Stream ``<record>`` elements (any namespace or none); a break in well-formedness is fatal."""
    number = 0
    try:
        for element in iter_elements(handle, ("record",)):
            number += 1
            yield RawChunk(f"record {number} (line {element.sourceline})", etree.tostring(element))
    except XMLSyntaxError as exc:
        line = exc.lineno or 0
        reason = (f"not well-formed XML from line {line}, column {exc.offset or 0}: {exc.msg}; "
                  f"the {number} record(s) before it were read, the rest by scanning for <record> elements")
        yield from _salvage_xml(path, number, line, reason)


_RECORD_SPAN = re.compile(rb"<((?:[\w.-]+:)?)record\b[^>]*>.*?</\1record\s*>", re.DOTALL)


def _salvage_xml(path: Path | None, already: int, line: int, reason: str) -> Iterator[RawChunk]:
    """After a well-formedness break: the record elements past the ones already read, found by
    scanning the bytes (memory-mapped, not loaded), each parsed on its own. The element holding the
    break carries the reason and ``fatal`` (the file was not read cleanly, so nothing of it is
    deleted); when the break lies outside every element, a separate fatal chunk reports it."""
    reported = False
    if path is not None and path.stat().st_size:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            number, scanned, lines = 0, 0, 1
            for match in _RECORD_SPAN.finditer(data):  # type: ignore[call-overload]
                number += 1
                if number <= already:
                    continue
                lines += data[scanned:match.start()].count(b"\n")
                scanned = match.start()
                last = lines + match.group().count(b"\n")
                if not reported and lines <= line <= last:
                    reported = True
                    yield RawChunk(f"record {number} (line {lines})", match.group(), reason, fatal=True)
                else:
                    yield RawChunk(f"record {number} (line {lines})", match.group())
    if not reported:
        yield RawChunk(f"line {line} (after record {already})", _lines_around(path, line), reason, fatal=True)


def _lines_around(path: Path | None, line: int, limit: int = 4096) -> bytes:
    """The bytes from a few lines before `line` on, as evidence for a quarantined XML break."""
    if path is None:
        return b""
    out = bytearray()
    with path.open("rb") as handle:
        for number, text in enumerate(handle, start=1):
            if number >= line - 3:
                out += text
                if len(out) >= limit:
                    break
    return bytes(out[:limit])


def iter_marcjson(handle: IO[bytes]) -> Iterator[RawChunk]:
    """MARC-in-JSON: one record per line, or a JSON array of records (streamed element by element)."""
    first = b""
    while True:
        char = handle.read(1)
        if not char or char not in _SEPARATORS + b"\xef\xbb\xbf":
            first = char
            break
    handle.seek(0)
    if first == b"[" or (first == b"{" and not _first_line_is_json(handle)):
        yield from _iter_json_array(handle)  # an array, or pretty-printed objects one after another
    else:
        yield from _iter_json_lines(handle)


def _first_line_is_json(handle: IO[bytes]) -> bool:
    line = b""
    while not line.strip():
        line = handle.readline()
        if not line:
            break
    handle.seek(0)
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def _iter_json_lines(handle: IO[bytes]) -> Iterator[RawChunk]:
    number = 0
    for line_number, line in enumerate(handle, start=1):
        raw = line.rstrip(b"\r\n")
        if line_number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if not raw.strip():
            continue
        number += 1
        yield RawChunk(f"record {number} (line {line_number})", raw)


def _iter_json_array(handle: IO[bytes]) -> Iterator[RawChunk]:
    """Decode one array element at a time with `raw_decode`, reading more text only when needed."""
    decoder = json.JSONDecoder()
    incremental = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    text = ""
    pos = 0
    eof = False
    number = 0
    consumed_lines = 1
    opened = False
    while True:
        while True:  # skip the opening bracket, whitespace and commas
            while pos < len(text) and (text[pos] in " \t\r\n,\ufeff" or (text[pos] == "[" and not opened)):
                opened = opened or text[pos] == "["
                pos += 1
            if pos < len(text) or eof:
                break
            text, pos, eof = _more(handle, incremental, text, pos)
        if pos >= len(text) or text[pos] == "]":
            return
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
                break
            except json.JSONDecodeError as exc:
                if eof or len(text) - pos > _MAX_JSON_ELEMENT:
                    line = consumed_lines + text.count("\n", 0, pos)
                    reason = (f"not valid JSON in array element {number + 1} (line {line}): {exc.msg}; "
                              f"the {number} record(s) before it were read, the rest of the file was not")
                    raw = text[pos:pos + 4096].encode("utf-8", "surrogateescape")
                    yield RawChunk(f"record {number + 1} (line {line})", raw, reason, fatal=True)
                    return
                text, pos, eof = _more(handle, incremental, text, pos)
        number += 1
        line = consumed_lines + text.count("\n", 0, pos)
        raw = text[pos:end].encode("utf-8", "surrogateescape")
        if not isinstance(value, dict):
            yield RawChunk(f"record {number} (line {line})", raw, "array element is not a JSON object")
        else:
            yield RawChunk(f"record {number} (line {line})", raw)
        pos = end
        if pos > _BLOCK:
            consumed_lines += text.count("\n", 0, pos)
            text, pos = text[pos:], 0


def _more(handle: IO[bytes], decoder: Any, text: str, pos: int) -> tuple[str, int, bool]:
    block = handle.read(_BLOCK)
    chunk = decoder.decode(block, final=not block)
    return text + chunk, pos, not block


# --- parsing one raw record ----------------------------------------------------------------------


def parse_raw_record(raw: bytes, fmt: str, encoding: str | None = None) -> pymarc.Record:
    """Parse one raw record into a `pymarc.Record`; raises `RecordRejected` with the reason."""
    if fmt == "iso2709":
        return parse_iso2709(raw, encoding)
    if fmt == "marcxml":
        return parse_marcxml(raw)
    if fmt == "marcjson":
        return parse_marcjson(raw)
    raise RecordRejected(f"unknown MARC format {fmt!r}", raw)


def parse_iso2709(raw: bytes, encoding: str | None = None) -> pymarc.Record:
    """Decode one ISO 2709 record tolerantly: the directory is trusted for tags and offsets, but each
    field ends at its field terminator (lengths that lie are ignored) and a base address that lies is
    recomputed from the end of the directory."""
    if len(raw) < 26:
        raise RecordRejected(f"too short to be a MARC record ({len(raw)} bytes)", raw)
    leader = raw[:24].decode("latin-1")
    if not (leader.isascii() and leader.isprintable()):
        leader = "".join(c if " " <= c <= "~" else " " for c in leader)
    if not leader[:5].isdigit():
        raise RecordRejected(f"not a MARC record: the leader {leader!r} does not start with a length", raw)
    dir_end = raw.find(FIELD_TERMINATOR, 24)
    if dir_end < 0:
        raise RecordRejected("no field terminator after the directory: not a MARC record", raw)
    directory = raw[24:dir_end]
    if len(directory) % 12:
        raise RecordRejected(f"directory length {len(directory)} is not a multiple of 12", raw)
    if not directory:
        raise RecordRejected("record has no fields (empty directory)", raw)
    base = dir_end + 1
    body = raw[base:]
    fields = None if encoding else _decoded_fields(body, directory)
    if fields is not None:
        return make_record(leader, fields)
    chosen = _choose_encoding(body, leader[9], encoding)
    errors = "replace" if chosen == "utf-8-replace" else "strict"
    codec = "utf-8" if chosen == "utf-8-replace" else chosen
    fields = None if codec == "marc8" else _fast_fields(raw, directory, base, codec, errors)
    if fields is None:
        fields = []
        for tag, start, end in _field_spans(raw, directory, base):
            try:
                fields.append(_iso_field(tag, raw[start:end], codec, errors))
            except UnicodeDecodeError as exc:
                raise RecordRejected(f"field {tag}: cannot decode as {codec} ({exc.reason})", raw) from exc
    return make_record(leader, fields)


_new_tuple = tuple.__new__
_new_field = Field.__new__
_INDICATORS: dict[str, Indicators] = {}


def _make_field(tag: str, text: str) -> Field:
    """A pymarc `Field` from a tag and its decoded, cleaned text, built without pymarc's constructor
    (which re-validates what the directory already told us); indicator pairs are shared."""
    field = _new_field(Field)
    if tag < "010" and tag.isdigit():
        field.tag, field.data, field.control_field = tag, text, True
        field._indicators, field.subfields = None, []
        return field
    pieces = text.split("\x1f")
    head = pieces[0]
    indicators = _INDICATORS.get(head)
    if indicators is None:
        indicators = Indicators(head[:1] or " ", head[1:2] or " ")
        if len(_INDICATORS) < 4096:
            _INDICATORS[head] = indicators
    field.tag, field.data, field.control_field, field._indicators = tag, None, False, indicators
    field.subfields = [_new_tuple(Subfield, (piece[0], piece[1:])) for piece in pieces[1:] if piece]
    return field


def _decoded_fields(body: bytes, directory: bytes) -> list[Field] | None:
    """The most common case of all, faster still: an ASCII or valid UTF-8 data area (no MARC-8 escapes)
    whose directory lists its fields in order, back to back, each ending at its field terminator. The
    data area is decoded once and split at the terminators, which gives exactly the text `_fast_fields`
    decodes field by field (the terminators are ASCII, they never sit inside a UTF-8 sequence); each
    field is then cleaned as `_clean` would. Returns None when anything differs."""
    if body.isascii():
        text = body.decode("ascii")
        pieces = text.split("\x1e")
        lengths: list[str] | list[bytes] = pieces
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if "\x1b" in text:
            return None
        if b"\xc2" in body and _C1_UTF8.search(body):  # C1 controls: rare, looked for in the bytes
            text = _C1_CONTROLS.sub("", text)
        lengths = body.split(b"\x1e")
        pieces = text.split("\x1e")
    entries = directory.decode("latin-1")
    if len(entries) != 12 * (len(pieces) - 1):
        return None
    fields: list[Field] = []
    append = fields.append
    position = 0
    for k in range(len(pieces) - 1):
        i = 12 * k
        offset = entries[i + 7:i + 12]
        if not (offset.isascii() and offset.isdigit()) or int(offset) != position:
            return None
        position += len(lengths[k]) + 1
        text = pieces[k]
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)  # `_clean`, its C1 controls already gone
        append(_make_field(entries[i:i + 3], text))
    return fields


def _fast_fields(raw: bytes, directory: bytes, base: int, codec: str, errors: str) -> list[Field] | None:
    """The common case in one tight loop: offsets that land on field boundaries, a single-byte-safe
    codec (UTF-8, ASCII, an override), each field decoded once and split on the subfield delimiter.
    Returns None when anything is unusual, and the careful path (`_field_spans`) takes over."""
    entries = directory.decode("latin-1")
    size = len(raw)
    find = raw.find
    fields: list[Field] = []
    append = fields.append
    for i in range(0, len(entries), 12):
        offset = entries[i + 7:i + 12]
        if not offset.isdigit():
            return None
        start = base + int(offset)
        if start >= size or (start != base and raw[start - 1] != 0x1E):
            return None
        end = find(b"\x1e", start)
        if end < 0:
            return None
        try:
            text = raw[start:end].decode(codec, errors)
        except UnicodeDecodeError:
            return None
        if not text.isascii():
            text = _clean(text)
        append(_make_field(entries[i:i + 3], text))
    return fields


def _field_spans(raw: bytes, directory: bytes, base: int) -> list[tuple[str, int, int]]:
    """(tag, start, end) of each field. Offsets that do not land on a field boundary (some systems
    count characters, not bytes) are replaced by cutting the data area at its field terminators, in
    directory order, when the number of fields agrees."""
    size = len(raw)
    spans: list[tuple[str, int, int]] = []
    aligned = True
    for i in range(0, len(directory), 12):
        entry = directory[i:i + 12]
        offset_bytes = entry[7:12]
        if not offset_bytes.isdigit():
            raise RecordRejected(f"directory entry {entry!r} has no valid offset", raw)
        start = base + int(offset_bytes)
        if start >= size:
            raise RecordRejected(f"directory entry {entry!r} points past the end of the record", raw)
        end = raw.find(FIELD_TERMINATOR, start)
        if end < 0:
            end = size - 1 if raw[-1] == RECORD_TERMINATOR else size
        aligned = aligned and (start == base or raw[start - 1] == 0x1E)
        spans.append((entry[:3].decode("latin-1"), start, end))
    if aligned:
        return spans
    pieces: list[tuple[int, int]] = []
    start = base
    while True:
        end = raw.find(FIELD_TERMINATOR, start)
        if end < 0:
            break
        pieces.append((start, end))
        start = end + 1
    if len(pieces) != len(spans):
        raise RecordRejected(f"directory offsets are wrong and the record has {len(pieces)} fields, "
                             f"not the {len(spans)} its directory lists", raw)
    ordered = sorted(range(len(spans)), key=lambda k: spans[k][1])
    fixed = list(spans)
    for piece, k in zip(pieces, ordered, strict=True):
        fixed[k] = (spans[k][0], piece[0], piece[1])
    return fixed


def _iso_field(tag: str, data: bytes, codec: str, errors: str) -> Field:
    """One field's bytes → a pymarc Field. MARC-8 is decoded subfield by subfield (its escape state
    restarts at each one); other encodings decode the whole field once and split the text."""
    if codec == "marc8":
        if tag < "010" and tag.isdigit():
            return _control(tag, _marc8_text(data))
        parts = data.split(b"\x1f")
        indicators = parts[0].decode("latin-1")
        subfields = [Subfield(part[:1].decode("latin-1"), _marc8_text(part[1:]))
                     for part in parts[1:] if part]
    else:
        text = data.decode(codec, errors)
        if not text.isascii():
            text = _clean(text)
        if tag < "010" and tag.isdigit():
            return _control(tag, text)
        pieces = text.split(SUBFIELD_DELIMITER)
        indicators = pieces[0]
        subfields = [Subfield(piece[0], piece[1:]) for piece in pieces[1:] if piece]
    return _data(tag, indicators[:1] or " ", indicators[1:2] or " ", subfields)


def _clean(text: str) -> str:
    """Composed Unicode (MARC 21 UTF-8 records are often decomposed: "e" + U+0301), C1 controls removed."""
    text = _C1_CONTROLS.sub("", text)
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _marc8_text(data: bytes) -> str:
    return data.decode("ascii") if data.isascii() else _C1_CONTROLS.sub("", marc8(data))


def _choose_encoding(body: bytes, claimed: str, override: str | None) -> str:
    """The encoding a record's bytes are really in, whatever leader/09 claims.

    A source's ``encoding`` override wins. Otherwise: pure ASCII needs no choice; bytes that are valid
    UTF-8 (and carry no MARC-8 escape sequences) are UTF-8 even when leader/09 says MARC-8 — MARC-8's
    combining diacritics (0xE0-0xFE before a base letter) and special letters (0xA1-0xC8 alone) almost
    never form valid UTF-8 sequences. A record claiming UTF-8 whose bytes are not valid UTF-8 is MARC-8
    when none of its high bytes forms a UTF-8 sequence, else UTF-8 with the bad bytes replaced.
    """
    if override:
        name = override.lower().replace("_", "-")
        if name in ("marc8", "marc-8", "ansel"):
            return "marc8"
        try:
            return codecs.lookup(override).name
        except LookupError:
            raise RecordRejected(f"unknown encoding {override!r} (the source's `encoding` setting)") from None
    if body.isascii():
        return "ascii"
    try:
        body.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    if valid and b"\x1b" not in body:
        return "utf-8"
    if claimed == "a" and not valid:
        return "utf-8-replace" if _UTF8_SEQUENCE.search(body) else "marc8"
    return "marc8"


def parse_marcxml(raw: bytes) -> pymarc.Record:
    """A MARCXML ``<record>`` (or a ``<collection>`` holding one) → `pymarc.Record`."""
    try:
        root = parse_bytes(raw)
    except XMLSyntaxError as exc:
        if "Entity '" not in str(exc) and "Namespace prefix" not in str(exc):
            raise RecordRejected(f"not well-formed XML: {exc}", raw) from exc
        # an entity whose declaration (in the file's DOCTYPE) was deliberately not resolved, or a
        # prefix declared on the collection of a record salvaged from a broken file: read it anyway
        root = etree.fromstring(raw, parser=safe_parser(recover=True))
        if root is None:
            raise RecordRejected(f"not well-formed XML: {exc}", raw) from exc
    if local_name(root) != "record":
        inner = next((el for el in root.iter() if local_name(el) == "record"), None)
        if inner is None:
            raise RecordRejected(f"no MARCXML <record> element (root is <{local_name(root)}>)", raw)
        root = inner
    leader = None
    fields: list[Field] = []
    for child in root:
        name = local_name(child)
        if name == "leader":
            leader = child.text or ""
        elif name == "controlfield":
            tag = (child.get("tag") or "").strip()
            fields.append(_control(tag, child.text or ""))
        elif name == "datafield":
            tag = (child.get("tag") or "").strip()
            subfields = [Subfield((sub.get("code") or " ")[:1], sub.text or "")
                         for sub in child if local_name(sub) == "subfield"]
            fields.append(_data(tag, (child.get("ind1") or " ")[:1] or " ",
                                (child.get("ind2") or " ")[:1] or " ", subfields))
    if leader is None:
        raise RecordRejected("MARCXML record has no <leader>", raw)
    return make_record(_fix_leader(leader, raw), fields)


def parse_marcjson(raw: bytes) -> pymarc.Record:
    """A MARC-in-JSON object (``{"leader": ..., "fields": [{"245": {...}}, ...]}``) → `pymarc.Record`."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordRejected(f"not valid JSON: {exc}", raw) from exc
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise RecordRejected('not a MARC-in-JSON record (no "fields" list)', raw)
    fields: list[Field] = []
    for entry in data["fields"]:
        if not isinstance(entry, dict):
            raise RecordRejected(f"MARC-in-JSON field is not an object: {entry!r:.80}", raw)
        for tag, value in entry.items():
            if isinstance(value, str):
                fields.append(_control(tag, value))
            elif isinstance(value, dict):
                subfields = [Subfield(str(code)[:1], str(text))
                             for sub in value.get("subfields") or [] if isinstance(sub, dict)
                             for code, text in sub.items()]
                fields.append(_data(tag, str(value.get("ind1") or " ")[:1], str(value.get("ind2") or " ")[:1],
                                    subfields))
            else:
                raise RecordRejected(f"MARC-in-JSON field {tag} has a {type(value).__name__} value", raw)
    return make_record(_fix_leader(str(data.get("leader") or ""), raw), fields)


def _fix_leader(leader: str, raw: bytes) -> str:
    """A 24-character leader; short or long ones (pymarc rejects whole files for them) are padded/cut."""
    if not leader.strip():
        raise RecordRejected("record has an empty leader", raw)
    return (leader + " " * 24)[:24] if len(leader) != 24 else leader


# --- building pymarc objects quickly -------------------------------------------------------------


def _control(tag: str, data: str) -> Field:
    if tag < "010" and tag.isdigit():
        field = Field.__new__(Field)
        field.tag, field.data, field.control_field = tag, data, True
        field._indicators, field.subfields = None, []
        return field
    # a non-numeric or >= 010 tag written as a control field: keep the text as one subfield
    return _data(tag, " ", " ", [Subfield("a", data)])


def _data(tag: str, ind1: str, ind2: str, subfields: list[Subfield]) -> Field:
    if tag < "010" and tag.isdigit():
        return _control(tag, "".join(s.value for s in subfields))
    field = Field.__new__(Field)
    field.tag, field.data, field.control_field = tag, None, False
    field._indicators, field.subfields = Indicators(ind1 or " ", ind2 or " "), subfields
    return field


def make_record(leader: str, fields: list[Field]) -> pymarc.Record:
    """A `pymarc.Record` with exactly this leader and these fields (pymarc's constructor rewrites leaders)."""
    record = _new_record(pymarc.Record)  # what `pymarc.Record()` sets, without building a leader twice
    record.leader, record.fields, record.pos = Leader(leader), fields, 0
    record.force_utf8, record.to_unicode = False, True
    record._Record__pos = 0  # type: ignore[attr-defined]
    return record


_new_record = pymarc.Record.__new__


def marc8(data: bytes) -> str:
    """MARC-8 bytes → text (pymarc's converter, warnings hidden)."""
    return marc8_to_unicode(data, True)
