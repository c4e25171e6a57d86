r"""MARC as text, one field per line: MarcEdit / MARCMaker mnemonic (``.mrk``) and the plain "MARC line"
form some union catalogs export (K10plus ``.mrctxt``, ``LEADER ...`` / ``245 10$a...``).

Mnemonic (``.mrk``)::

    =LDR  01060cam  22002894a 4500
    =008  990802s2000\\\\mau\\\\\\b\\\\001\0\eng\\
    =245  10$aThe pragmatic programmer :$bfrom journeyman to master /$cAndrew Hunt.

A line is ``=TAG`` plus two spaces and the field; ``\\`` (MarcEdit) or ``/`` (Catmandu's MARCMaker)
stands for a blank indicator or a blank position of a fixed field; ``$`` introduces a subfield, and a
literal dollar is written ``{dollar}``. The other mnemonics — MARCBreaker's names for MARC-8 characters
(``{acute}e``, ``{Lstrok}``, ``{lcub}``), ``{U+00E9}`` and ``&#x00E9;`` — are decoded by
`harvester.marc.mnemonics`; a mnemonic it does not know is kept as written, so nothing is lost.
"MARC line" is the same without the ``=`` and with one space after the tag (``LEADER`` for the leader,
or the leader alone on the record's first line, as Catmandu's "Line" format writes it).

Records are separated by blank lines (a new leader line also starts one); the file is streamed line by
line (`iter_mrk`). Text is UTF-8; invalid bytes are replaced and the record says so (`parse_mrk`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

import pymarc
from pymarc import Field, Subfield

from harvester.errors import RecordRejected
from harvester.marc.chunk import RawChunk
from harvester.marc.mnemonics import decode_mnemonics
from harvester.marc.pymarc_build import _control, _data, make_record, settled_leader
from harvester.text import clean_marc_text

SNIFF_MRK = re.compile(rb"^=(LDR|\d{3})  ", re.MULTILINE)
SNIFF_LINE = re.compile(rb"^(?:LEADER \d{5}|\d{5}[^\r\n]{19}\r?\n\d{3} )")  # a bare leader line: Catmandu's "Line"
_BARE_LEADER = re.compile(r"^\d{5}.{19}$")
_MRK_LINE = re.compile(r"^=([0-9A-Za-z]{3}) {1,2}(.*)$")
_TEXT_LINE = re.compile(r"^(LEADER|LDR|[0-9A-Za-z]{3}) (.*)$")
_BLANKS = str.maketrans({"\\": " ", "/": " "})  # indicators: MarcEdit writes \, MARCMaker /
_FIXED_BLANKS = str.maketrans({"\\": " "})  # leader and fixed fields: only \ (a / may be data)


def iter_mrk(handle: IO[bytes]) -> Iterator[RawChunk]:
    """Stream records (mnemonic or MARC line): runs of lines between blank lines or leader lines."""
    number = 0
    lines: list[bytes] = []
    first_line = 0
    for line_number, line in enumerate(handle, start=1):
        stripped = line.strip()
        starts = stripped.startswith((b"=LDR", b"LEADER ", b"\xef\xbb\xbf=LDR"))
        if lines and (not stripped or starts):
            number += 1
            yield RawChunk(f"record {number} (line {first_line})", b"".join(lines))
            lines = []
        if stripped:
            if not lines:
                first_line = line_number
            lines.append(line)
    if lines:
        number += 1
        yield RawChunk(f"record {number} (line {first_line})", b"".join(lines))


def parse_mrk(raw: bytes) -> tuple[pymarc.Record, list[str]]:
    """One record's lines → a `pymarc.Record` and what had to be repaired (empty when nothing)."""
    repairs: list[str] = []
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in raw:
        repairs.append("bytes that are not UTF-8 replaced by U+FFFD")
    if not text.isascii():
        text = clean_marc_text(text)  # composed Unicode, no C1 controls: as the ISO 2709 reader gives
    leader: str | None = None
    fields: list[Field] = []
    skipped = 0
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        parsed = _split_line(line)
        if parsed is None and leader is None and not fields and _BARE_LEADER.match(line):
            parsed = ("LEADER", line, False)  # "MARC line" may give the leader alone on the first line
        if parsed is None:
            skipped += 1
            continue
        tag, data, mnemonic = parsed
        if tag in ("LDR", "LEADER"):
            leader = data.translate(_FIXED_BLANKS) if mnemonic else data
        elif tag < "010" and tag.isdigit():
            fields.append(_control(tag, _decode(data.translate(_FIXED_BLANKS) if mnemonic else data)))
        else:
            fields.append(_field(tag, data))
    if not fields and leader is None:
        raise RecordRejected("no line in MARC mnemonic (=TAG  data) or MARC line (TAG data) form", raw)
    if skipped:
        repairs.append(f"{skipped} line(s) not in MARC text form left out")
    leader = settled_leader(leader, repairs, "no leader line: default leader used")
    return make_record(leader, fields), repairs


def _split_line(line: str) -> tuple[str, str, bool] | None:
    """(tag, field text, mnemonic?) of one line, or None when it has neither form."""
    match = _MRK_LINE.match(line)
    if match is not None:
        return match.group(1), match.group(2), True
    match = _TEXT_LINE.match(line)
    if match is not None:
        return match.group(1), match.group(2), False
    return None


def _field(tag: str, data: str) -> Field:
    """``10$aTitle$bSub`` → a data field; indicators ``\\`` or ``/`` are blanks."""
    head, _, rest = data.partition("$")
    indicators = head.translate(_BLANKS)
    subfields = [Subfield(piece[0], _decode(piece[1:])) for piece in rest.split("$") if piece] if _ else []
    return _data(tag, indicators[:1] or " ", indicators[1:2] or " ", subfields)


_decode = decode_mnemonics
