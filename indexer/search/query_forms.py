"""The typed forms of values inside a query: standard numbers, call numbers and years.

`indexer.search.query_parser` finds where in a query such a value stands; this module reads the value
itself, the way the index holds it (`harvester.identifiers` normalizes identifiers at harvest time,
`analysis.callnumber_key` makes call numbers' shelf keys), so that any way a patron or ILL staff member
types or pastes it finds the record.
"""

from __future__ import annotations

import re

from harvester import identifiers
from indexer.errors import QueryError
from indexer.search.analysis import callnumber_key
from indexer.search.query import Bool, CallNumber, IdentifierMatch, YearRange
from indexer.search.schema import fields_for_alias

_ORG_LCCN = re.compile(r"^\(DLC\)\s*", re.IGNORECASE)

_CALLNUMBER = re.compile(
    r"(?:[A-Z]{1,3} ?\d{1,4}(?:\.\d+)?(?: ?\.?[A-Z]{1,3}\d+[A-Z]*)+"  # LC class + Cutter(s)
    r"|[A-Z]{1,3} ?\d{1,4}\.\d+"  # LC class with a decimal
    r"|\d{3}(?:\.\d+)? ?[A-Z]\d+\w*)"  # Dewey + Cutter
    r"(?: +(?:\d{4}[a-z]?|[vc]\. ?\d+|\.?[A-Z]\d+\w*))*",
    re.IGNORECASE,
)
"""An LC ("Q180.55.M4 B66 2008", "PQ 2635 O8 H3") or Dewey ("828 H8861") call number: a class, then a
Cutter number or a decimal, then only years, volumes, copies or more Cutters."""

MAX_CALLNUMBER = 40
"""Longer text is words, not a call number ("w0 w1 w2 …" has a call number's shape, repeated)."""

ID_KINDS = {"isbn": "isbn", "issn": "issn", "oclc": "oclc", "lccn": "lccn"}

_NORMALIZERS = {
    "isbn": identifiers.normalize_isbn,
    "issn": identifiers.normalize_issn,
    "oclc": identifiers.normalize_oclc,
    "lccn": identifiers.normalize_lccn,
}


# ---------------------------------------------------------------- identifiers


def fielded_identifier(alias: str, text: str) -> IdentifierMatch | None:
    """``isbn:0-306-40615-2`` and friends: normalized like the index, falling back to the cleaned text."""
    if not alias:
        return None
    fields = fields_for_alias(alias)
    if not fields or fields[0].kind != "identifier":
        return None
    name = fields[0].name
    if name == "lccn":
        text = _ORG_LCCN.sub("", text)
    if name in _NORMALIZERS:
        found = _NORMALIZERS[name](text)
        cleaned = _clean_identifier(text, upper=name != "lccn")
        if name == "lccn":
            cleaned = cleaned.lower()
        return IdentifierMatch(name, (found,) if found else (cleaned,))
    recognised = identifiers.recognise_identifier(text)
    values = [text.strip()]
    if recognised is not None:
        values.append(recognised[1])
    return IdentifierMatch(name, tuple(dict.fromkeys(values)))


def _clean_identifier(text: str, upper: bool) -> str:
    cleaned = "".join(c for c in text if c.isalnum())
    return cleaned.upper() if upper else cleaned


def bare_identifier(word: str, alone: bool) -> IdentifierMatch | None:
    """A standard number typed on its own: ISBN/ISSN anywhere, OCLC/LCCN only when the query is just it.

    Bare digits ("1984") are also read as words by the caller, so a title that is a number still matches.
    """
    if not any(c.isdigit() for c in word):
        return None
    if _ORG_LCCN.match(word):  # "(DLC)sn85021929", the LCCN of a 035 or 010 pasted whole
        lccn = identifiers.normalize_lccn(_ORG_LCCN.sub("", word))
        return IdentifierMatch("lccn", (lccn,)) if lccn else None
    found = identifiers.recognise_identifier(word)
    if found is None:
        return None
    kind, value = found
    if kind in ("oclc", "lccn") and not alone and not identifiers.is_oclc_prefixed(word):
        return None
    return IdentifierMatch(ID_KINDS[kind], (value,))


# ---------------------------------------------------------------- call numbers


def callnumber_node(text: str) -> CallNumber | None:
    """The shelf keys a typed call number is looked up under: as typed, and with the periods before
    Cutters as spaces ("PQ2635.O8 H3" is also "PQ 2635 O8 H3", as some catalogs write it)."""
    spaced = re.sub(r"\.(?=[A-Za-z])", " ", text)
    keys = tuple(key for key in dict.fromkeys((callnumber_key(text), callnumber_key(spaced))) if key)
    return CallNumber(keys) if keys else None


_SPACED_NUMBER = re.compile(r"[0-9][0-9 -]{8,20}[0-9Xx]")
"""An ISBN as printed on a title page or pasted from a citation, with spaces: "978 0 226 06566 3"."""


def as_whole(text: str, root: Bool) -> Bool:
    """A query that is one value with spaces in it and nothing else, a call number ("Q180.55.M4 B66
    2008") or a spaced ISBN: that value, or the words as typed (the parser saw only words)."""
    node: object | None = None
    if len(text) <= MAX_CALLNUMBER and _CALLNUMBER.fullmatch(text):
        node = callnumber_node(text)
    elif " " in text and _SPACED_NUMBER.fullmatch(text):
        found = identifiers.recognise_identifier(text)
        if found is not None and found[0] == "isbn":
            node = IdentifierMatch("isbn", (found[1],))
    return Bool(should=(node, root)) if node is not None and not root.empty else root


# ---------------------------------------------------------------- years

_YEAR = r"(\d{1,4})"
_YEAR_FORMS = (
    (re.compile(rf"^{_YEAR}$"), lambda a, b: (a, a)),
    (re.compile(rf"^{_YEAR}\s*(?:-|\.\.|to)\s*{_YEAR}$", re.IGNORECASE), lambda a, b: (a, b)),
    (re.compile(rf"^{_YEAR}\s*(?:-|\.\.)$"), lambda a, b: (a, None)),
    (re.compile(rf"^(?:-|\.\.)\s*{_YEAR}$"), lambda a, b: (None, a)),
    (re.compile(rf"^>=\s*{_YEAR}$"), lambda a, b: (a, None)),
    (re.compile(rf"^>\s*{_YEAR}$"), lambda a, b: (a + 1, None)),
    (re.compile(rf"^<=\s*{_YEAR}$"), lambda a, b: (None, a)),
    (re.compile(rf"^<\s*{_YEAR}$"), lambda a, b: (None, a - 1)),
)
YEAR_HELP = "year: expects a year like 1990, a range like 1990-2000 or [1990 TO 2000], or >1990"


def year_value(text: str) -> YearRange:
    value = text.strip()
    for pattern, build in _YEAR_FORMS:
        match = pattern.match(value)
        if match:
            nums = [int(g) if g is not None else None for g in match.groups()] + [None]
            low, high = build(nums[0], nums[1])
            return _ordered(low, high)
    raise QueryError(YEAR_HELP)


def year_range_brackets(text: str) -> YearRange:
    parts = text.replace(",", " ").split()
    parts = [p for p in parts if p.upper() != "TO"]
    if len(parts) != 2:
        raise QueryError(YEAR_HELP)
    bounds: list[int | None] = []
    for part in parts:
        if part == "*":
            bounds.append(None)
        elif part.isdigit() and len(part) <= 4:
            bounds.append(int(part))
        else:
            raise QueryError(YEAR_HELP)
    return _ordered(bounds[0], bounds[1])


def _ordered(low: int | None, high: int | None) -> YearRange:
    if low is not None and high is not None and low > high:
        low, high = high, low
    return YearRange(low, high)
