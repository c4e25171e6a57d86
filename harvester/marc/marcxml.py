"""MARCXML: stream <record> elements through the hardened parser, salvage records after a syntax
error, and parse one record into pymarc.
"""

from __future__ import annotations

import html.entities
import mmap
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pymarc
from lxml import etree
from pymarc import Field, Subfield

from harvester.errors import RecordRejected
from harvester.marc.chunk import RawChunk
from harvester.marc.iso2709 import _fix_leader
from harvester.marc.pymarc_build import DEFAULT_LEADER, _control, _data, make_record
from harvester.text import MOJIBAKE_REPAIR, repair_mojibake
from harvester.xml import XMLSyntaxError, iter_numbered, local_name, parse_bytes, root_of, safe_parser


def iter_marcxml(handle: IO[bytes], path: Path | None = None) -> Iterator[RawChunk]:
    """Stream ``<record>`` elements (any namespace or none); a break in well-formedness is fatal.
    Records are numbered in the order they start, as the salvage scan after a break counts them.

    A saved OAI-PMH response is read too: its ``<record>`` wrappers (they hold a ``<header>``) are not
    MARC records; the MARC record inside one is read, and a wrapper without one is quarantined with
    what it holds instead. A file with no record element at all that is not an empty ``<collection>``
    (a MODS or Dublin Core file given as MARCXML) is one fatal chunk saying so, not a silent "0 read"."""
    read: set[int] = set()
    try:
        for number, element in iter_numbered(handle, "record"):
            read.add(number)
            position = f"record {number + 1} (line {element.sourceline})"
            if not _is_oai_wrapper(element):
                yield RawChunk(position, etree.tostring(element))
            elif (why := _oai_wrapper_problem(element)) is not None:
                yield RawChunk(position, etree.tostring(element), why)
    except XMLSyntaxError as exc:
        line = exc.lineno or 0
        reason = (f"not well-formed XML from line {line}, column {exc.offset or 0}: {exc.msg}; "
                  f"the {len(read)} record(s) before it were read, the rest by scanning for <record> elements")
        yield from _salvage_xml(path, read, line, reason)
        return
    if not read and path is not None:
        root, filled = root_of(path)
        if filled or root not in ("", "collection"):  # an empty <collection/> is an empty export
            yield RawChunk("line 1", _lines_around(path, 1), f"no MARCXML <record> element in the file "
                           f"(its root is <{root}>{', holding other elements' if filled else ''}): not MARCXML", True)


def _is_oai_wrapper(element: Any) -> bool:
    return any(local_name(child) == "header" for child in element)


def _oai_wrapper_problem(wrapper: Any) -> str | None:
    """None when the OAI-PMH record wraps a MARC record (read on its own); else why it is not one."""
    if any(local_name(inner) == "record" for inner in wrapper.iterdescendants()):
        return None
    header = next(child for child in wrapper if local_name(child) == "header")
    identifier = next((" ".join((c.text or "").split()) for c in header if local_name(c) == "identifier"), "")
    advice = 'harvest the repository as an OAI-PMH source (type = "oai-pmh") instead of a saved response'
    if header.get("status") == "deleted":
        return f"an OAI-PMH deleted header ({identifier}), not a MARC record: {advice}"
    metadata = next((c for c in wrapper if local_name(c) == "metadata"), None)
    payload = next((c for c in metadata if isinstance(c.tag, str)), None) if metadata is not None else None
    held = f"its payload is <{etree.QName(payload).localname}>" if payload is not None else "it has no payload"
    return f"an OAI-PMH record ({identifier}) holding no MARCXML record ({held}): {advice}"


# where a record element starts (``<record ...>``, ``<marc:record>``, self-closing ``<record/>``), and
# where one with that prefix ends; a comment, CDATA section or processing instruction is matched first
# and passed over (group 1 is None), so a ``<record>`` quoted in one is not a record, as it is not to
# the streaming parser (each is looked at up to 64 KB ahead, so an unclosed one hides nothing after that)
_RECORD_START = re.compile(rb"<!--(?:[^-]|-(?!->)){0,65536}-->"
                           rb"|<!\[CDATA\[(?:[^\]]|\](?!\]>)){0,65536}\]\]>"
                           rb"|<\?(?:[^?]|\?(?!>)){0,65536}\?>"
                           rb"|<((?:[\w.-]+:)?)record\b[^>]*>")
_RECORD_ENDS: dict[bytes, re.Pattern[bytes]] = {}
_MAX_SPAN = 8 << 20  # of a record never closed, or of the text between two records, that is kept


def _record_spans(data: Any) -> Iterator[tuple[int, int]]:
    """(start, end) of every record element in the bytes, in document order. A record never holds a
    record: one that is not closed before the next one starts ends there (and is read leniently),
    so a lost ``</record>`` costs that record its tail, never the next record; a self-closing
    ``<record/>`` is one (empty) record, as it is to the streaming parser."""
    starts = (match for match in _RECORD_START.finditer(data) if match.group(1) is not None)
    current = next(starts, None)
    while current is not None:
        following = next(starts, None)
        limit = following.start() if following is not None else len(data)
        if current.group().endswith(b"/>"):
            yield current.start(), current.end()
        else:
            prefix = current.group(1)
            ending = _RECORD_ENDS.get(prefix)
            if ending is None:
                ending = _RECORD_ENDS[prefix] = re.compile(rb"</" + re.escape(prefix) + rb"record\s*>")
            closed = ending.search(data, current.end(), limit)
            if closed is not None:  # its size is checked by `files.bounded` like any record's
                yield current.start(), closed.end()
            else:
                yield current.start(), min(limit, current.start() + _MAX_SPAN)
        current = following


def _salvage_xml(path: Path | None, read: set[int], line: int, reason: str) -> Iterator[RawChunk]:
    """After a well-formedness break: the record elements not already read (by their number in start
    order), found by scanning the bytes (memory-mapped, not loaded), each parsed on its own. The
    element holding the break carries the reason and ``fatal`` (the file was not read cleanly, so
    nothing of it is deleted). Text between elements (the tail of a record cut short by a stray
    ``</record>``, a record whose start tag was damaged) is kept as a fatal chunk of its own, with
    the reason when the break lies there: a broken file loses no bytes that could be a record."""
    reported = False
    if path is not None and path.stat().st_size:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            scanned, lines, previous, number = 0, 1, 0, -1
            for number, (start, end) in enumerate(_record_spans(data)):
                gap_line = lines + data[scanned:previous].count(b"\n")
                lines = gap_line + data[previous:start].count(b"\n")
                scanned = start
                holds = not reported and lines > line  # the break lies before this element
                gap = _gap(data, previous, start, gap_line, number, reason if holds else "", holds)
                reported = reported or holds
                if gap is not None:
                    yield gap
                previous = end
                if number in read:
                    continue
                raw = bytes(data[start:end])
                if not reported and lines <= line <= lines + raw.count(b"\n"):
                    reported = True
                    yield RawChunk(f"record {number + 1} (line {lines})", raw, reason, fatal=True)
                else:
                    yield RawChunk(f"record {number + 1} (line {lines})", raw)
            gap_line = lines + data[scanned:previous].count(b"\n")
            gap = _gap(data, previous, len(data), gap_line, number + 1, "" if reported else reason, not reported)
            reported = True
            if gap is not None:
                yield gap
    if not reported:
        after = f"after record {max(read) + 1}" if read else "before any record"
        yield RawChunk(f"line {line} ({after})", _lines_around(path, line), reason, fatal=True)


# what may stand between records: whitespace, the XML declaration and other processing instructions,
# the collection's tags, comments (character data there, even in a CDATA section, is kept as a gap)
_FILLER = re.compile(rb"(?:\s+|<\?.*?\?>|</?(?:[\w.-]+:)?collection\b[^>]*>|<!--.*?-->)*", re.DOTALL)


def _gap(data: Any, start: int, end: int, line: int, records_before: int, reason: str,
         always: bool) -> RawChunk | None:
    """The bytes between two record elements as a fatal chunk, when they hold anything but filler (or
    ``always``: the break lies there); None otherwise."""
    piece = bytes(data[start:min(end, start + _MAX_SPAN)])
    if not always and _FILLER.fullmatch(piece):
        return None
    after = f"after record {records_before}" if records_before else "before any record"
    why = reason or "text between records, in no <record> element (the file is not well-formed)"
    return RawChunk(f"line {line} ({after})", piece, why, fatal=True)


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


DEFAULT_HOLDINGS_LEADER = "     nx  a22     1n 4500"  # an MFHD holdings record (it names its bib in 004)


def parse_marcxml(raw: bytes) -> pymarc.Record:
    """A MARCXML ``<record>`` (or a ``<collection>`` holding one) → `pymarc.Record`."""
    return read_marcxml(raw)[0]


def read_marcxml(raw: bytes) -> tuple[pymarc.Record, list[str]]:
    """`parse_marcxml` plus what had to be repaired: XML that is not well-formed but still yields the
    record's fields when read leniently, and a missing or empty ``<leader>`` (a default one is used:
    a book, or an MFHD holdings record when the record has a 004 and 852/866-868)."""
    repairs: list[str] = []
    root = _root(raw, repairs)
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
            fields.append(_control(tag, _value(child.text, repairs)))
        elif name == "datafield":
            tag = (child.get("tag") or "").strip()
            subfields = [Subfield((sub.get("code") or " ")[:1], _value(sub.text, repairs))
                         for sub in child if local_name(sub) == "subfield"]
            fields.append(_data(tag, (child.get("ind1") or " ")[:1] or " ",
                                (child.get("ind2") or " ")[:1] or " ", subfields))
    if repairs and not fields:
        raise RecordRejected(repairs[0].replace(" read leniently", "") + "; no field could be read", raw)
    if not fields:  # ``<record/>``: nothing to catalog (as an ISO 2709 record with an empty directory)
        raise RecordRejected("MARCXML record has no fields", raw)
    if leader is None or not leader.strip():
        what = "<leader>" if leader is None else "leader (an empty <leader>)"
        leader = _default_leader(fields)
        repairs.append(f"MARCXML record without a {what}: default leader {leader!r} used")
    return make_record(_fix_leader(leader, raw), fields), repairs


def _value(text: str | None, repairs: list[str]) -> str:
    """An element's text, double-encoded UTF-8 decoded once more (noted once per record)."""
    if not text or text.isascii():
        return text or ""
    repaired = repair_mojibake(text)
    if repaired != text and MOJIBAKE_REPAIR not in repairs:
        repairs.append(MOJIBAKE_REPAIR)
    return repaired


def _root(raw: bytes, repairs: list[str]) -> Any:
    try:
        return parse_bytes(raw)
    except XMLSyntaxError as exc:
        if "Entity '" in str(exc):
            root = _with_entities_as_text(raw, repairs)
            if root is not None:
                return root
        # an entity whose declaration (in the file's DOCTYPE) was deliberately not resolved, a prefix
        # declared on the collection of a record salvaged from a broken file, or a stray bad byte or
        # character reference: read it leniently, and say so unless only a declaration was missing
        root = etree.fromstring(raw, parser=safe_parser(recover=True)) if raw.strip() else None
        if root is None:
            raise RecordRejected(f"not well-formed XML: {exc}", raw) from exc
        if "Entity '" not in str(exc) and "Namespace prefix" not in str(exc):
            repairs.append(f"not well-formed XML read leniently ({exc})")
        return root


_ENTITY = re.compile(rb"&([A-Za-z_][\w.-]*);")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def _with_entities_as_text(raw: bytes, repairs: list[str]) -> Any:
    """The record with each entity nobody declared (the safe parser never loads a DTD) read as text:
    an HTML name (``&eacute;``, common in hand-edited exports) as its character, any other as written
    (``&foo;``), with a note. A lenient parse drops everything after such an entity in its element; the
    title "Caf&eacute; society" came out as "Caf". None when the record is still not well-formed."""
    named: dict[str, str] = {}

    def as_text(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group()
        key = name.decode("ascii", "replace")
        character = html.entities.html5.get(key + ";")
        named[f"&{key};"] = character if character is not None else f"&{key};"
        if character is None:
            return b"&amp;" + name + b";"
        return "".join(f"&#{ord(c)};" for c in character).encode("ascii")

    try:
        root = parse_bytes(_ENTITY.sub(as_text, raw))
    except XMLSyntaxError:
        return None
    shown = ", ".join(f"{k} as {v!r}" for k, v in list(named.items())[:10])
    repairs.append(f"undeclared entities read as text ({shown})")
    return root


def _default_leader(fields: list[Field]) -> str:
    tags = {field.tag for field in fields}
    holdings = "004" in tags and bool(tags & {"852", "866", "867", "868"}) and "245" not in tags
    return DEFAULT_HOLDINGS_LEADER if holdings else DEFAULT_LEADER
