"""MARC-in-JSON: arrays, JSON lines and pretty-printed files streamed record by record, and one
record parsed into pymarc.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any

import pymarc
from pymarc import Field, Subfield

from harvester.errors import RecordRejected
from harvester.marc.chunk import RawChunk
from harvester.marc.iso2709 import _SEPARATORS, _fix_leader
from harvester.marc.pymarc_build import _control, _data, make_record
from harvester.text import MOJIBAKE_REPAIR, repair_mojibake

_BLOCK = 1 << 20  # bytes read at a time
_MAX_JSON_ELEMENT = 64 << 20
_MAX_BAD = 1 << 20  # of an element that is not valid JSON, kept whole up to this (records merged by a
# lost separator are in it); the quarantine may keep less
_SNIFF_LINE = 1 << 20  # the most of one line read to tell JSON lines from an array


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


def _first_line_is_json(handle: IO[bytes], lines: int = 20) -> bool:
    """Whether the file is JSON lines: one of its first ``lines`` non-empty lines is a whole record
    starting at column 0 (so one damaged first line does not make the file a JSON array; indented
    one-line objects inside a pretty-printed record do not count)."""
    seen = 0
    try:
        for line in iter(lambda: handle.readline(_SNIFF_LINE), b""):  # a line of 200 MB is not read whole
            if not line.strip():
                continue
            seen += 1
            if seen > lines:
                break
            line = line.removeprefix(b"\xef\xbb\xbf") if seen == 1 else line
            if not line.startswith(b"{"):
                continue
            try:
                value = json.loads(line, strict=False)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, dict) and (seen == 1 or "fields" in value or "leader" in value):
                return True
        return False
    finally:
        handle.seek(0)


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
    decoder = json.JSONDecoder(strict=False)  # a raw control character in a string: cut, noted per record
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
        if pos >= len(text):
            return
        if text[pos] == "]":  # the array's end, or a bracket a bad element left: then read on at a record
            text, pos, eof = _more_until(handle, incremental, text, pos, eof)
            ahead = _RECORD_AHEAD.search(text, pos)
            if ahead is None:
                return
            number += 1
            line = consumed_lines + text.count("\n", 0, pos)
            yield RawChunk(f"record {number} (line {line})", text[pos:ahead.start()][:_MAX_BAD].encode(
                "utf-8", "surrogateescape"), "text after the end of the JSON array; read on from the next "
                "record in it", fatal=True)
            pos = ahead.start()
            continue
        error = ""  # why the element could not be decoded (syntax), if it could not
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
                break
            except RecursionError:
                found = _element_end(text, pos)
                if found is None and not eof and len(text) - pos <= _MAX_JSON_ELEMENT:
                    text, pos, eof = _more(handle, incremental, text, pos)
                    continue
                value = None  # nested too deeply to decode: quarantined below, the next element read
                end = found if found is not None else len(text)
                break
            except json.JSONDecodeError as exc:
                if eof or len(text) - pos > _MAX_JSON_ELEMENT:
                    text, pos, eof = _more_until(handle, incremental, text, pos + 1, eof)
                    pos -= 1
                    value, end = None, _resync(text, pos)
                    error = exc.msg
                    break
                text, pos, eof = _more(handle, incremental, text, pos)
        number += 1
        line = consumed_lines + text.count("\n", 0, pos)
        raw = text[pos:end].encode("utf-8", "surrogateescape")
        if value is None and error:  # the file is not read cleanly (fatal: none of its records deleted)
            reason = (f"not valid JSON in array element {number} (line {line}): {error}; read on from the "
                      "next element that starts a record")
            yield RawChunk(f"record {number} (line {line})", raw[:_MAX_BAD], reason, fatal=True)
        elif value is None and raw[:1] in b"[{":
            yield RawChunk(f"record {number} (line {line})", raw[:4096],
                           f"JSON nested too deeply to read ({end - pos:,} characters)")
        elif not isinstance(value, dict):
            yield RawChunk(f"record {number} (line {line})", raw, "array element is not a JSON object")
        else:
            yield RawChunk(f"record {number} (line {line})", raw)
        pos = end
        if pos > _BLOCK:
            consumed_lines += text.count("\n", 0, pos)
            text, pos = text[pos:], 0


_RECORD_AHEAD = re.compile(r'\{\s*"(?:leader|fields)"\s*:')


def _resync(text: str, pos: int) -> int:
    """Where to read on after an array element that is not valid JSON: the next object that starts a
    MARC-in-JSON record (``{"leader":`` or ``{"fields":``; the damaged element's own brackets cannot
    be trusted), else the end of the element when its brackets balance, else the end of the text. So
    one bad element costs that element, not every record after it."""
    ahead = _RECORD_AHEAD.search(text, pos + 1)
    if ahead is not None:
        return ahead.start()
    found = _element_end(text, pos) if text[pos:pos + 1] in ("[", "{") else None
    return found if found is not None else len(text)


def _more_until(handle: IO[bytes], decoder: Any, text: str, pos: int, eof: bool) -> tuple[str, int, bool]:
    """Read on until a record starts after ``pos``, the file ends or the element limit is reached."""
    while not eof and _RECORD_AHEAD.search(text, pos) is None and len(text) - pos <= _MAX_JSON_ELEMENT:
        text, pos, eof = _more(handle, decoder, text, pos)
    return text, pos, eof


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _element_end(text: str, pos: int) -> int | None:
    """Where the JSON array or object starting at ``pos`` ends, found by counting brackets outside
    strings (no recursion, for elements too deep to decode); None when the text ends first."""
    depth = 0
    for match in _TOKEN.finditer(text, pos):
        token = match.group()
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                return match.end()
    return None


def _more(handle: IO[bytes], decoder: Any, text: str, pos: int) -> tuple[str, int, bool]:
    block = handle.read(_BLOCK)
    chunk = decoder.decode(block, final=not block)
    return text + chunk, pos, not block


def parse_marcjson(raw: bytes) -> pymarc.Record:
    """A MARC-in-JSON object (``{"leader": ..., "fields": [{"245": {...}}, ...]}``) → `pymarc.Record`."""
    return read_marcjson(raw)[0]


def read_marcjson(raw: bytes) -> tuple[pymarc.Record, list[str]]:
    """`parse_marcjson` plus what had to be repaired: bytes that are not UTF-8 (a Latin-1 "é" in one
    title) are read as U+FFFD and the record says so, rather than the whole record refused."""
    repairs: list[str] = []
    encoding = json.detect_encoding(raw)
    try:
        text = raw.decode(encoding, "surrogatepass")  # what `json.loads(bytes)` does
    except UnicodeDecodeError as exc:
        text = raw.decode(encoding, "replace")
        repairs.append(f"bytes not valid {encoding.upper()} replaced with U+FFFD ({exc.reason} at byte {exc.start})")
    return _parse_json_text(text, raw, repairs), repairs


def _loads(text: str, repairs: list[str]) -> Any:
    """JSON, and when it holds raw control characters inside strings (a line break typed into a
    title; pymarc's JSON reader accepts them too) the same JSON read with them as they are, noted."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Invalid control character"):
            raise
        data = json.loads(text, strict=False)
        repairs.append(f"raw control characters inside JSON strings read as they are (first at line {exc.lineno})")
        return data


def _value(text: str, repairs: list[str]) -> str:
    """A value, double-encoded UTF-8 decoded once more (noted once per record)."""
    if text.isascii():
        return text
    repaired = repair_mojibake(text)
    if repaired != text and MOJIBAKE_REPAIR not in repairs:
        repairs.append(MOJIBAKE_REPAIR)
    return repaired


def _parse_json_text(text: str, raw: bytes, repairs: list[str]) -> pymarc.Record:
    try:
        data = _loads(text, repairs)
    except json.JSONDecodeError as exc:
        raise RecordRejected(f"not valid JSON: {exc}", raw) from exc
    except RecursionError as exc:
        raise RecordRejected("JSON nested too deeply to read", raw[:4096]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise RecordRejected('not a MARC-in-JSON record (no "fields" list)', raw)
    fields: list[Field] = []
    for entry in data["fields"]:
        if not isinstance(entry, dict):
            raise RecordRejected(f"MARC-in-JSON field is not an object: {entry!r:.80}", raw)
        for tag, value in entry.items():
            if isinstance(value, str):
                fields.append(_control(tag, _value(value, repairs)))
            elif isinstance(value, dict):
                subfields = [Subfield(str(code)[:1], _value(str(text), repairs))
                             for sub in value.get("subfields") or [] if isinstance(sub, dict)
                             for code, text in sub.items()]
                fields.append(_data(tag, str(value.get("ind1") or " ")[:1], str(value.get("ind2") or " ")[:1],
                                    subfields))
            else:
                raise RecordRejected(f"MARC-in-JSON field {tag} has a {type(value).__name__} value", raw)
    return make_record(_fix_leader(str(data.get("leader") or ""), raw), fields)
