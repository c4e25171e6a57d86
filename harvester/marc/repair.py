"""Permissive ISO 2709: get every readable field out of a record whose directory cannot be trusted.

`harvester.marc.iso2709.parse_iso2709` already copes with lengths and offsets that lie as long as the
directory's entries line up with the fields. When they do not (a directory whose length is not a
multiple of 12, an offset that is not a number or points past the end, more or fewer entries than
fields), pymarc gives up and so did we. The data area still says where every field ends: its field
terminators (0x1E). Like marc4j's permissive reader, `recover_iso2709` cuts the data area there and
looks each field's tag up in the damaged directory by the length and offset the field really has
(``LLLLOOOOO``, which a damaged entry still carries most of the time); failing that, the tag sits at the
next entry position. The record is returned with what was repaired, so it is stored *marked*, never
silently; only a record with no field at all to read stays in quarantine.
"""

from __future__ import annotations

import pymarc
from pymarc import Field

from harvester.errors import RecordRejected
from harvester.marc.iso2709 import _choose_encoding, _iso_field
from harvester.marc.pymarc_build import _control, make_record

UNKNOWN_TAG = "???"
_DEFAULT_LEADER_TAIL = "22     uu 4500"


def recover_iso2709(raw: bytes, encoding: str | None, why: str) -> tuple[pymarc.Record, list[str]]:
    """Rebuild the directory of a record the strict path refused (``why``); `RecordRejected` when no
    field can be read at all."""
    dir_end = raw.find(b"\x1e", 24) if len(raw) >= 26 else -1
    if dir_end < 0:
        raise RecordRejected(why, raw)
    body = raw[dir_end + 1:]
    if body.endswith(b"\x1d"):
        body = body[:-1]
    pieces = body.split(b"\x1e")
    if pieces and not pieces[-1].strip():
        pieces.pop()
    if not any(piece.strip() for piece in pieces):
        raise RecordRejected(f"{why}; no field can be read", raw)
    directory = raw[24:dir_end].decode("latin-1")
    tags, matched = _tags(directory, pieces)
    leader, leader_note = _leader(raw)
    if leader_note and not matched:
        raise RecordRejected(f"{why}; neither the leader nor the directory can be read", raw)
    repairs = [f"directory rebuilt from field terminators ({why})"]
    if leader_note:
        repairs.append(leader_note)
    unknown = sum(1 for tag in tags if tag == UNKNOWN_TAG)
    if unknown:
        repairs.append(f"{unknown} field(s) kept under tag {UNKNOWN_TAG}: their directory entry is unreadable")
    fields, notes = _fields(tags, pieces, body, leader, encoding)
    return make_record(leader, fields), repairs + notes


def _tags(directory: str, pieces: list[bytes]) -> tuple[list[str], int]:
    """Each field's tag: the entry carrying its true length and offset, else the next entry slot."""
    tags: list[str] = []
    matched = 0
    offset = 0
    previous = -12
    for piece in pieces:
        length = len(piece) + 1
        key = f"{length:04d}{offset:05d}"
        found = directory.find(key, max(previous + 12, 0) + 3)
        if found < 0:
            found = directory.find(key, 3)
        if found >= 3:
            start = found - 3
            matched += 1
        else:
            start = previous + 12
        tag = directory[start:start + 3] if 0 <= start <= len(directory) - 3 else ""
        tags.append(tag if len(tag) == 3 and tag.isascii() and tag.isprintable() else UNKNOWN_TAG)
        previous = start
        offset += length
    return tags, matched


def _leader(raw: bytes) -> tuple[str, str]:
    """The leader with unprintable bytes blanked and a length that is a number; a note when changed."""
    text = raw[:24].decode("latin-1")
    clean = "".join(c if " " <= c <= "~" else " " for c in text)
    if len(clean) < 24:
        return f"{len(raw):05d}nam a{_DEFAULT_LEADER_TAIL}", "leader unreadable: default leader used"
    if not clean[:5].isdigit():
        return f"{len(raw):05d}" + clean[5:], "leader record length not a number: recomputed"
    if clean != text:
        return clean, "unprintable bytes in the leader blanked"
    return clean, ""


def _fields(tags: list[str], pieces: list[bytes], body: bytes, leader: str,
            encoding: str | None) -> tuple[list[Field], list[str]]:
    """Decode each piece as the strict path would; a field that will not decode keeps its text with
    the bad bytes replaced, and the record says which."""
    try:
        chosen = _choose_encoding(body, leader[9], encoding)
    except RecordRejected:
        raise
    codec = "utf-8" if chosen == "utf-8-replace" else chosen
    errors = "replace" if chosen == "utf-8-replace" else "strict"
    fields: list[Field] = []
    bad: list[str] = []
    for tag, piece in zip(tags, pieces, strict=True):
        if not piece.strip():
            continue
        try:
            fields.append(_iso_field(tag, piece, codec, errors))
        except (UnicodeDecodeError, ValueError, IndexError, KeyError):
            bad.append(tag)
            fields.append(_replaced(tag, piece, codec))
    notes = [f"field(s) {', '.join(bad)} not valid {codec}: bad bytes replaced"] if bad else []
    return fields, notes


def _replaced(tag: str, piece: bytes, codec: str) -> Field:
    if codec == "marc8":
        return _iso_field(tag, piece, "latin-1", "replace")
    try:
        return _iso_field(tag, piece, codec, "replace")
    except (ValueError, IndexError, KeyError, UnicodeDecodeError):
        return _control(tag, piece.decode("latin-1"))
