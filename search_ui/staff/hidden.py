"""Which MARC the public may not see: the ``[staff] hidden_fields`` rules, and the values they hide.

A rule names fields, optionally only some subfields, optionally only when the first indicator marks the
field private::

    "852$x"          852 subfield x (the non-public note)
    "876-878$x"      a range of tags
    "9XX"            every local field (X stands for any digit): item prices, barcodes, order data
    "561 ind1=0"     561 only when its first indicator is 0 ("private"); "#" stands for blank

An 880 (alternate script) falls under the rule of the field it renders (its $6 names the tag). Public
pages never show raw MARC at all; the rules decide what of a record's *normalized* data is withheld,
through the values they hide (`HiddenFields.values`, used by `search_ui.staff.public`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pymarc

_RULE = re.compile(r"^(?P<tag>[0-9X]{3})(?:-(?P<to>[0-9]{3}))?(?:\$(?P<codes>[0-9a-z]+))?"
                   r"(?:\s+ind1=(?P<ind1>[0-9a-z#]+))?$")
CONTROL_CODES = "2568"
"""Subfields that carry no text of the field (source, institution, linkage, sequencing): left out of
the field's joined text, as `harvester.marc.semantics` leaves them out of a note."""


@dataclass(frozen=True, slots=True)
class HiddenRule:
    """One parsed rule: tags (a pattern with X, or a range), subfield codes ("" = the whole field),
    first-indicator values that make it private ("" = any)."""

    text: str
    tag: str
    to: str = ""
    codes: str = ""
    ind1: str = ""

    def covers(self, tag: str, ind1: str) -> bool:
        if self.to:
            if not (tag.isdigit() and self.tag <= tag <= self.to):
                return False
        elif len(tag) != 3 or any(p != "X" and p != c for p, c in zip(self.tag, tag, strict=True)):
            return False
        return not self.ind1 or (ind1.strip() or "#") in self.ind1


def parse_rule(text: str) -> HiddenRule:
    """A rule from its text; ValueError naming the rule and the grammar when it does not parse."""
    match = _RULE.match(text.strip())
    if match is None or (match["to"] and ("X" in match["tag"] or match["to"] < match["tag"])):
        raise ValueError(f"hidden field rule {text!r} is not TAG[-TAG][$codes][ ind1=chars] "
                         '(e.g. "852$x", "876-878$x", "9XX", "561 ind1=0")')
    return HiddenRule(text=text, tag=match["tag"], to=match["to"] or "", codes=match["codes"] or "",
                      ind1=match["ind1"] or "")


@dataclass(frozen=True, slots=True)
class HiddenFields:
    """The configured rules, parsed once (the app keeps one on ``app.state``)."""

    rules: tuple[HiddenRule, ...]

    @classmethod
    def parse(cls, texts: Iterable[str]) -> HiddenFields:
        return cls(tuple(parse_rule(text) for text in texts))

    def hidden_codes(self, field: pymarc.Field) -> str | None:
        """The subfield codes of ``field`` the public may not see: None = none, "" = the whole field."""
        tag = _linked_tag(field)
        ind1 = "" if field.is_control_field() else str(field.indicator1 or "")
        codes: set[str] = set()
        for rule in self.rules:
            if rule.covers(tag, ind1):
                if not rule.codes:
                    return ""
                codes.update(rule.codes)
        return "".join(sorted(codes)) if codes else None

    def values(self, record: pymarc.Record) -> frozenset[str]:
        """Every text the rules hide in ``record``: each hidden subfield's value and, for a whole hidden
        field, its joined text (the form a note takes once normalized)."""
        return frozenset(value for field in record.fields for value in self._field_values(field) if value)

    def redact(self, record: pymarc.Record) -> pymarc.Record:
        """A copy of ``record`` without what the rules hide (fields, or subfields; emptied fields go)."""
        out = pymarc.Record(force_utf8=True, leader=str(record.leader))
        for field in record.fields:
            codes = self.hidden_codes(field)
            if codes is None:
                out.add_field(field)
            elif codes and not field.is_control_field():
                kept = [sf for sf in field.subfields if sf.code not in codes]
                if any(sf.code not in CONTROL_CODES for sf in kept):
                    out.add_field(pymarc.Field(tag=field.tag, indicators=field.indicators, subfields=kept))
        return out

    def _field_values(self, field: pymarc.Field) -> Iterator[str]:
        codes = self.hidden_codes(field)
        if codes is None:
            return
        if field.is_control_field():
            yield _squash(field.data or "")
            return
        for subfield in field.subfields:
            if (not codes and subfield.code not in CONTROL_CODES) or subfield.code in codes:
                yield _squash(subfield.value)
        if not codes:
            yield _squash(" ".join(sf.value for sf in field.subfields if sf.code not in CONTROL_CODES and sf.value))


def _linked_tag(field: pymarc.Field) -> str:
    """An 880's linked tag ("245" of ``$6 245-01``), else the field's own."""
    if field.tag == "880" and not field.is_control_field():
        linkage = next((sf.value for sf in field.subfields if sf.code == "6"), "")
        if len(linkage) >= 3 and linkage[:3].isdigit():
            return linkage[:3]
    return str(field.tag)


def _squash(text: str) -> str:
    return " ".join(text.split())
