"""ISO 2709 (binary MARC): cut a stream at record terminators with resync, and parse one record
(directory repair, lying leaders, MARC-8 / UTF-8 / override encodings).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from typing import IO

import pymarc
from pymarc import Field, Subfield
from pymarc.marc8 import marc8_to_unicode

from harvester.errors import RecordRejected
from harvester.limits import DEFAULT_LIMITS
from harvester.marc.chunk import RawChunk, skip_unterminated
from harvester.marc.pymarc_build import SUBFIELD_DELIMITER, _control, _data, _make_field, make_record
from harvester.text import MOJIBAKE_BYTES, clean_marc_text

RECORD_TERMINATOR = 0x1D
FIELD_TERMINATOR = b"\x1e"
_BLOCK = 1 << 20
_SEPARATORS = b" \t\r\n\x00\x1a"
_C1_CONTROLS = re.compile("[\u0080-\u009f]")  # MARC's non-sort markers (0x98/0x9C) and stray C1 bytes
_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")  # the same, UTF-8 encoded
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def iter_iso2709(handle: IO[bytes], limit: int = DEFAULT_LIMITS.max_unterminated_bytes,
                 excerpt: int = DEFAULT_LIMITS.quarantine_excerpt_bytes) -> Iterator[RawChunk]:
    """Cut ISO 2709 at record terminators; blank/NUL bytes between records are skipped. At most
    ``limit`` bytes are buffered while looking for a terminator; past that the stretch is skipped to
    the next terminator and yielded as one error chunk with an ``excerpt`` (`skip_unterminated`)."""
    buf = b""
    offset = 0  # file offset of buf[0]
    pos = 0
    eof = False
    number = 0
    while True:
        end = buf.find(b"\x1d", pos)
        while end < 0 and not eof and len(buf) - pos <= limit:
            block = handle.read(_BLOCK)
            if not block:
                eof = True
                break
            scanned = len(buf) - pos
            buf, offset, pos = buf[pos:] + block, offset + pos, 0
            end = buf.find(b"\x1d", scanned)
        while pos < len(buf) and buf[pos] in _SEPARATORS:
            pos += 1
        if end < 0 and not eof and pos == len(buf):  # nothing but padding so far: read on
            continue
        if end < 0 and not eof:  # over the limit without a terminator: skip to the next one
            number += 1
            where = f"record {number} (byte {offset + pos})"
            chunk, rest = skip_unterminated(handle, buf[pos:], where, b"\x1d", limit, excerpt)
            yield chunk
            assert chunk.size is not None
            buf, offset, pos = rest, offset + pos + chunk.size, 0  # at the end of the file the next read says so
            continue
        if end < 0:
            rest = buf[pos:]
            if rest.strip(_SEPARATORS):
                yield RawChunk(f"record {number + 1} (byte {offset + pos})", rest)
            return
        number += 1
        yield RawChunk(f"record {number} (byte {offset + pos})", buf[pos:end + 1])
        pos = end + 1


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


def _decoded_fields(body: bytes, directory: bytes) -> list[Field] | None:
    """The most common case of all, faster still: an ASCII or valid UTF-8 data area (no MARC-8 escapes)
    whose directory lists its fields in order, back to back, each ending at its field terminator. The
    data area is decoded once and split at the terminators, which gives exactly the text `_fast_fields`
    decodes field by field (the terminators are ASCII, they never sit inside a UTF-8 sequence); each
    field is then cleaned as `clean_marc_text` would. Returns None when anything differs."""
    if body.isascii():
        text = body.decode("ascii")
        pieces = text.split("\x1e")
        lengths: list[str] | list[bytes] = pieces
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if "\x1b" in text or MOJIBAKE_BYTES.search(body):  # mojibake: repaired field by field, elsewhere
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
            text = unicodedata.normalize("NFC", text)  # `clean_marc_text`, its C1 controls already gone
        append(_make_field(entries[i:i + 3], text))
    return fields


def _fast_fields(raw: bytes, directory: bytes, base: int, codec: str, errors: str) -> list[Field] | None:
    """The common case in one tight loop: offsets that land on field boundaries, a single-byte-safe
    codec (UTF-8, ASCII, an override), each field decoded once and split on the subfield delimiter.
    Returns None when anything is unusual, and the careful path (`_field_spans`) takes over."""
    entries = directory.decode("latin-1")
    size = len(raw)
    if size - base >= _OFFSET_MODULUS:  # offsets may have wrapped: the careful path unwraps them
        return None
    find = raw.find
    fields: list[Field] = []
    append = fields.append
    for i in range(0, len(entries), 12):
        offset = entries[i + 7:i + 12]
        if not (offset.isascii() and offset.isdigit()):
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
            text = clean_marc_text(text)
        append(_make_field(entries[i:i + 3], text))
    return fields


def _field_spans(raw: bytes, directory: bytes, base: int) -> list[tuple[str, int, int]]:
    """(tag, start, end) of each field. Offsets that do not land on a field boundary (some systems
    count characters, not bytes) are replaced by cutting the data area at its field terminators, in
    directory order, when the number of fields agrees."""
    size = len(raw)
    spans: list[tuple[str, int, int]] = []
    aligned = True
    wraps = size - base >= _OFFSET_MODULUS
    for i in range(0, len(directory), 12):
        entry = directory[i:i + 12]
        offset_bytes = entry[7:12]
        if not offset_bytes.isdigit():
            raise RecordRejected(f"directory entry {entry!r} has no valid offset", raw)
        start = base + int(offset_bytes)
        if wraps:
            start = _unwrapped(raw, base, start, spans[-1][1] if spans else base)
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


_OFFSET_MODULUS = 100_000  # a directory offset has five digits


def _unwrapped(raw: bytes, base: int, start: int, floor: int) -> int:
    """Where a field really starts in a record whose data area is 100,000 bytes or more: the five-digit
    offsets of the later fields wrap (exports write them modulo 100,000, as they do the leader's
    length; marc4j's "too long" records), so the start is the first of offset, offset + 100,000, …
    that lies on a field boundary at or after the previous field's start (directories list fields in
    data order). Unchanged when none does: the caller then cuts the data area at its terminators."""
    candidate = start
    while candidate < len(raw):
        if candidate >= floor and (candidate == base or raw[candidate - 1] == 0x1E):
            return candidate
        candidate += _OFFSET_MODULUS
    return start


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
            text = clean_marc_text(text)
        if tag < "010" and tag.isdigit():
            return _control(tag, text)
        pieces = text.split(SUBFIELD_DELIMITER)
        indicators = pieces[0]
        subfields = [Subfield(piece[0], piece[1:]) for piece in pieces[1:] if piece]
    return _data(tag, indicators[:1] or " ", indicators[1:2] or " ", subfields)


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


def _fix_leader(leader: str, raw: bytes) -> str:
    """A 24-character leader; short or long ones (pymarc rejects whole files for them) are padded/cut."""
    if not leader.strip():
        raise RecordRejected("record has an empty leader", raw)
    return (leader + " " * 24)[:24] if len(leader) != 24 else leader


def marc8(data: bytes) -> str:
    """MARC-8 bytes → text (pymarc's converter, warnings hidden)."""
    return marc8_to_unicode(data, True)
