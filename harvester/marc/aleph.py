"""Aleph sequential (``.seq``): the export format of Ex Libris Aleph, one field per text line.

Each line is ``SYSNO TAG I1I2 L DATA``: nine digits of Aleph system number (some converters write
more), a space, the tag and two indicators (five characters), a space, ``L``, a space, then the field.
Blanks in the leader and in control fields are written ``^``; subfields are introduced by ``$$`` and
the code. A record is the run of consecutive lines that share a system number, so the file is streamed
line by line and cut where the number changes (`iter_aleph`), like the ISO 2709 reader cuts at record terminators.

``FMT`` (Aleph's own format code, "BK", "SE" ...) is not MARC and is left out. A record without a 001
gets the system number as its 001: that number *is* the record's id in the library's Aleph. A line
that does not have the shape above is kept as evidence in the repairs list rather than silently
dropped; it never makes the record unreadable (`parse_aleph`).

Lines are UTF-8 (Aleph writes nothing else); invalid bytes are replaced and the record says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

import pymarc
from pymarc import Field, Subfield

from harvester.errors import RecordRejected
from harvester.marc.chunk import RawChunk
from harvester.marc.pymarc_build import _control, _data, make_record, settled_leader
from harvester.text import clean_marc_text

SNIFF = re.compile(rb"^\d{9,12} [0-9A-Za-z]{3}.. L ", re.MULTILINE)
_LINE = re.compile(r"^(\d{1,12}) ([0-9A-Za-z]{3})(.)(.) L ?(.*)$")


def iter_aleph(handle: IO[bytes]) -> Iterator[RawChunk]:
    """Stream records: consecutive lines with the same system number, as their exact bytes."""
    number = 0
    lines: list[bytes] = []
    key = b""
    first_line = 0
    for line_number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        sysno = line.split(b" ", 1)[0]
        if lines and sysno != key:
            number += 1
            yield RawChunk(f"record {number} (line {first_line})", b"".join(lines))
            lines = []
        if not lines:
            key, first_line = sysno, line_number
        lines.append(line)
    if lines:
        number += 1
        yield RawChunk(f"record {number} (line {first_line})", b"".join(lines))


def parse_aleph(raw: bytes) -> tuple[pymarc.Record, list[str]]:
    """One record's lines → a `pymarc.Record` and what had to be repaired (empty when nothing)."""
    repairs: list[str] = []
    text = raw.decode("utf-8", "replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in raw:
        repairs.append("bytes that are not UTF-8 replaced by U+FFFD")
    if not text.isascii():
        text = clean_marc_text(text)  # composed Unicode, no C1 controls: as the ISO 2709 reader gives
    leader: str | None = None
    fields: list[Field] = []
    sysno = ""
    skipped = 0
    for line in text.split("\n"):
        match = _LINE.match(line.rstrip("\r"))
        if not line.strip():
            continue
        if match is None:
            skipped += 1
            continue
        sysno, tag, ind1, ind2, data = match.groups()
        if tag == "LDR":
            leader = data.replace("^", " ")
        elif tag == "FMT":
            continue
        elif tag < "010" and tag.isdigit():
            fields.append(_control(tag, data.replace("^", " ")))
        else:
            fields.append(_data(tag, ind1, ind2, _subfields(data)))
    if not fields and leader is None:
        raise RecordRejected("no line in Aleph sequential form (SYSNO TAG II L DATA)", raw)
    if skipped:
        repairs.append(f"{skipped} line(s) not in Aleph sequential form left out")
    leader = settled_leader(leader, repairs, "no LDR line: default leader used")
    if sysno and not any(f.tag == "001" for f in fields):
        fields.insert(0, _control("001", sysno))
    return make_record(leader, fields), repairs


def _subfields(data: str) -> list[Subfield]:
    """``$$aText$$bMore`` → subfields; text before the first ``$$`` (not written by Aleph) becomes $a."""
    pieces = data.split("$$")
    head, rest = pieces[0], pieces[1:]
    out = [Subfield("a", head)] if head.strip() else []
    out.extend(Subfield(piece[0], piece[1:]) for piece in rest if piece)
    return out
