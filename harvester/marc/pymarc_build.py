"""pymarc internals in one place: Field and Record objects built without pymarc's per-field
validation (the readers have already checked what pymarc would), so parsing stays fast. If a pymarc
release changes its classes, this is the only module to touch.
"""

from __future__ import annotations

import pymarc
from pymarc import Field, Indicators, Leader, Subfield

SUBFIELD_DELIMITER = "\x1f"
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
    del pieces[0]
    if "" in pieces:  # an empty subfield (two delimiters in a row, or one at the end): none of it is kept
        pieces = [piece for piece in pieces if piece]
    field.subfields = [_new_tuple(Subfield, (piece[0], piece[1:])) for piece in pieces]
    return field


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


DEFAULT_LEADER = "     nam a22     uu 4500"  # a book; leader/09 "a": text readers decode to Unicode


def settled_leader(leader: str | None, repairs: list[str], missing: str) -> str:
    """A 24-character leader for a record read from a text form: the default one when the record had
    none (noting ``missing`` among its repairs), else the given one padded or cut to 24, noted too."""
    if leader is None:
        repairs.append(missing)
        return DEFAULT_LEADER
    if len(leader) != 24:
        repairs.append(f"leader of {len(leader)} characters padded/cut to 24")
        return (leader + " " * 24)[:24]
    return leader
