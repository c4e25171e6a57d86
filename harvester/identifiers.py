"""Standard identifiers (ISBN, ISSN, OCLC number, LCCN) in the one normalized form unioncat compares.

Catalogs write the same number in many ways: "0-19-852663-6 (pbk.)", "9780198526636", "(OCoLC)ocm00012345",
"n  78-890351". Matching records across libraries and answering "who holds ISBN x?" only works when
every one of them is reduced to one canonical string, so `Record.isbns` / `issns` / `oclc_numbers` /
`lccns` hold exactly what these functions return:

- ISBN → 13 digits (ISBN-10s converted), only when the check digit is right;
- ISSN → "0317-8471" (hyphenated, X upper case), only when the check digit is right;
- OCLC → digits without prefix or leading zeros ("(OCoLC)ocm00012345" → "12345");
- LCCN → the Library of Congress normalized form ("n 78-890351" → "n78890351"), see
  https://www.loc.gov/marc/lccn-namespace.html (blanks removed, anything from "/" dropped, the part
  after a hyphen left-padded with zeros to six digits, the hyphen removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from operator import mul

_ISBN_TOKEN = re.compile(r"[0-9][0-9\-]{8,16}[0-9Xx]|[0-9]{9}[0-9Xx]")
_ISBN_SPACED = re.compile(r"(?:97[89][ \-]?)?[0-9](?:[ \-]?[0-9]){8}[ \-]?[0-9Xx]")


_WEIGHTS10 = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_ZEROS10 = 48 * sum(_WEIGHTS10)  # what the ASCII codes of nine "0"s weigh


def _isbn10_ok(digits: str) -> bool:
    body = digits[:9]
    if len(digits) == 10 and body.isascii() and body.isdigit():  # the usual case, summed in C
        last = digits[9]
        total = sum(map(mul, _WEIGHTS10, body.encode())) - _ZEROS10 + (10 if last in "Xx" else ord(last) - 48)
        return total % 11 == 0
    total = 0
    for weight, char in zip(range(10, 0, -1), digits, strict=True):
        value = 10 if char in "Xx" else ord(char) - 48
        if value == 10 and weight != 1:
            return False
        total += weight * value
    return total % 11 == 0


def _isbn13_check(first12: str) -> str:
    odd, even = first12[0::2], first12[1::2]
    if first12.isascii() and first12.isdigit():  # ASCII codes summed in C, less 48 a digit
        total = sum(odd.encode()) - 48 * len(odd) + 3 * (sum(even.encode()) - 48 * len(even))
    else:
        total = sum(map(int, odd)) + 3 * sum(map(int, even))
    return str((10 - total % 10) % 10)


def _isbn_digits(candidate: str) -> str | None:
    digits = candidate.replace("-", "").replace(" ", "")
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] in "Xx"):
        if _isbn10_ok(digits):
            return "978" + digits[:9] + _isbn13_check("978" + digits[:9])
        return None
    if len(digits) == 13 and digits.isdigit() and digits[:3] in ("978", "979"):
        return digits if _isbn13_check(digits[:12]) == digits[12] else None
    return None


def normalize_isbn(text: str) -> str | None:
    """A checksum-valid ISBN-10 or ISBN-13 anywhere in `text` (hyphens, qualifiers) → 13 digits; else None.

    >>> normalize_isbn("0-19-852663-6 (pbk.)")
    '9780198526636'
    """
    if not text:
        return None
    head = text.split(None, 1)[0].replace("-", "") if text[:1].isdigit() else ""
    if len(head) in (10, 13) and head[:9].isdigit():  # the usual "0198526636 (pbk.)": no regex needed
        return _isbn_digits(head)
    for match in _ISBN_TOKEN.finditer(text):
        found = _isbn_digits(match.group())
        if found:
            return found
    for match in _ISBN_SPACED.finditer(text):  # "978 0 19 852663 6"
        found = _isbn_digits(match.group())
        if found:
            return found
    return None


def isbn13_to_10(isbn13: str) -> str | None:
    """The ISBN-10 form of a 978- ISBN-13 (979- ISBNs have none); None when not a valid ISBN-13."""
    digits = isbn13.replace("-", "").replace(" ", "")
    if len(digits) != 13 or not digits.isdigit() or not digits.startswith("978"):
        return None
    if _isbn13_check(digits[:12]) != digits[12]:
        return None
    body = digits[3:12]
    check = (11 - sum((10 - i) * (ord(c) - 48) for i, c in enumerate(body)) % 11) % 11
    return body + ("X" if check == 10 else str(check))


_ISSN = re.compile(r"(?<![0-9])([0-9]{4})[\- ]?([0-9]{3}[0-9Xx])(?![0-9])")


def normalize_issn(text: str) -> str | None:
    """A checksum-valid ISSN in `text` → "0317-8471" (hyphenated, X upper case); else None."""
    if not text:
        return None
    for match in _ISSN.finditer(text):
        digits = (match.group(1) + match.group(2)).upper()
        total = sum((8 - i) * (ord(c) - 48) for i, c in enumerate(digits[:7]))
        check = (11 - total % 11) % 11
        if digits[7] == ("X" if check == 10 else str(check)):
            return f"{digits[:4]}-{digits[4:]}"
    return None


_OCLC = re.compile(r"^\s*(?:\(\s*ocolc\s*\)\s*)?(?:ocm|ocn|on)?\s*0*([0-9]+)\s*$", re.IGNORECASE)
_OCLC_PREFIXED = re.compile(r"^\s*\(\s*ocolc\s*\)|^\s*(?:ocm|ocn|on)\s*[0-9]", re.IGNORECASE)


def normalize_oclc(text: str) -> str | None:
    """An OCLC number: "(OCoLC)ocm00012345", "(OCoLC)12345", "ocn…", "on…" or bare digits → "12345".

    Other institutions' prefixes ("(DLC)…", "(CaOOAMICUS)…") are not OCLC numbers: None.
    """
    if not text:
        return None
    match = _OCLC.match(text)
    if not match:
        return None
    number = match.group(1).lstrip("0")
    return number or None


def is_oclc_prefixed(text: str) -> bool:
    """Whether `text` says it is an OCLC number (an "(OCoLC)" or ocm/ocn/on prefix)."""
    return bool(_OCLC_PREFIXED.match(text or ""))


_LCCN = re.compile(r"^(?:[a-z]{0,3}[0-9]{8}|[a-z]{0,2}[0-9]{10})$")


def normalize_lccn(text: str) -> str | None:
    """LC's LCCN normalization: "n 78-890351" → "n78890351", "85-2" → "85000002"; None if malformed."""
    if not text:
        return None
    value = "".join(text.split()).lower()
    value = value.split("/", 1)[0]
    if "-" in value:
        left, _, right = value.partition("-")
        right = right.replace("-", "")
        if right.isdigit() and len(right) < 6:
            right = right.rjust(6, "0")
        value = left + right
    return value if _LCCN.match(value) else None


_PREFIXED = re.compile(r"^\s*(isbn|issn|oclc|ocolc|lccn)\s*[:=]?\s*", re.IGNORECASE)


def recognise_identifier(text: str) -> tuple[str, str] | None:
    """Guess which kind of identifier a pasted string is: ("isbn"|"issn"|"oclc"|"lccn", normalized).

    An explicit label ("ISBN 0-19-…", "oclc: 123") decides; otherwise: an OCLC prefix → oclc, a
    hyphenated ####-#### with a valid check digit → issn, 10/13 characters with a valid ISBN check
    digit → isbn, a letter prefix or LC's yy-nnnnnn form → lccn, any other number → oclc.
    """
    value = (text or "").strip()
    if not value:
        return None
    labelled = _PREFIXED.match(value)
    if labelled:
        kind = labelled.group(1).lower()
        rest = value[labelled.end():]
        if kind in ("oclc", "ocolc"):
            found = normalize_oclc(rest if kind == "oclc" else "(OCoLC)" + rest)
            return ("oclc", found) if found else None
        found = {"isbn": normalize_isbn, "issn": normalize_issn, "lccn": normalize_lccn}[kind](rest)
        return (kind, found) if found else None
    if is_oclc_prefixed(value):
        found = normalize_oclc(value)
        return ("oclc", found) if found else None
    compact = value.replace(" ", "")
    if re.fullmatch(r"[0-9]{4}-[0-9]{3}[0-9Xx]", compact):
        found = normalize_issn(compact)
        if found:
            return ("issn", found)
    if re.fullmatch(r"[0-9][0-9\-]{8,16}[0-9Xx]", compact):
        found = normalize_isbn(compact)
        if found:
            return ("isbn", found)
    if re.fullmatch(r"[A-Za-z]{1,3}[0-9\-]+", compact) or re.fullmatch(r"[0-9]{2,4}-[0-9]{1,6}", compact):
        found = normalize_lccn(value)
        if found:
            return ("lccn", found)
    if compact.isdigit():
        found = normalize_oclc(compact)
        return ("oclc", found) if found else None
    return None


# --- reading what staff paste: one honest answer per line ---------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """What one pasted identifier is, in words staff can act on.

    ``kind``/``normalized`` are what gets looked up ("" when nothing can be); ``problem`` says what is
    wrong with the text as typed (a bad check digit, an unknown prefix) and ``suggestion`` the likely
    intended number. A number with a bad check digit is still looked up as typed (``normalized`` keeps
    the typed digits), because catalogs carry such numbers too (020 $z).
    """

    text: str
    kind: str = ""
    normalized: str = ""
    problem: str = ""
    suggestion: str = ""
    alternatives: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """ "ISBN 9780198526636", or "" when unrecognised."""
        return f"{KIND_LABELS[self.kind]} {self.normalized}" if self.kind else ""


KIND_LABELS = {"isbn": "ISBN", "issn": "ISSN", "oclc": "OCLC number", "lccn": "LCCN"}
_URL_OCLC = re.compile(r"^(?:https?://)?(?:www\.|search\.)?worldcat\.org/(?:[a-z-]+/)*?(?:oclc|title)/(?:[^/?#]*/)?"
                       r"(?:oclc/)?([0-9]+)(?:[/?#].*)?$", re.IGNORECASE)
_URL_LCCN = re.compile(r"^(?:https?://)?lccn\.loc\.gov/([A-Za-z0-9 \-]+?)/?(?:[?#].*)?$", re.IGNORECASE)
_DLC = re.compile(r"^\(\s*dlc\s*\)\s*(.+)$", re.IGNORECASE)
_OTHER_PREFIX = re.compile(r"^\(\s*([A-Za-z][A-Za-z0-9\-]*)\s*\)\s*(.*)$")
_ISBN_SHAPE = re.compile(r"^(?:97[89][ \-]?)?[0-9](?:[ \-]?[0-9]){8}[ \-]?[0-9Xx]$")
_ISSN_SHAPE = re.compile(r"^[0-9]{4}[\- ]?[0-9]{3}[0-9Xx]$")


def read_identifier(text: str) -> Reading:
    """Read one pasted identifier and say what it is, what is wrong with it and what to search.

    >>> read_identifier("0-226-06565-X").problem
    'ISBN with a bad check digit (did you mean 0-226-06565-3?)'
    """
    value = " ".join((text or "").split())
    if not value:
        return Reading(text, problem="empty line")
    for reader in (_from_url, _from_label, _from_prefix):
        found = reader(value)
        if found is not None:
            return replace(found, text=text)
    return replace(_from_shape(value), text=text)


def _from_url(value: str) -> Reading | None:
    match = _URL_OCLC.match(value)
    if match:
        number = normalize_oclc(match.group(1))
        if number:
            return Reading(value, "oclc", number)
        return Reading(value, problem="a WorldCat link without an OCLC number")
    match = _URL_LCCN.match(value)
    if match:
        lccn = normalize_lccn(match.group(1))
        if lccn:
            return Reading(value, "lccn", lccn)
        return Reading(value, problem=f"an lccn.loc.gov link, but {match.group(1)!r} is not a valid LCCN")
    if re.match(r"^(?:https?://|www\.)", value, re.IGNORECASE):
        return Reading(value, problem="a link, but not a worldcat.org/oclc/… or lccn.loc.gov/… link")
    return None


def _from_label(value: str) -> Reading | None:
    labelled = _PREFIXED.match(value)
    if not labelled:
        return None
    kind = labelled.group(1).lower()
    rest = value[labelled.end():]
    if kind in ("oclc", "ocolc"):
        number = normalize_oclc(rest if kind == "oclc" else "(OCoLC)" + rest)
        if number:
            return Reading(value, "oclc", number)
        return Reading(value, problem=f"labelled OCLC, but {rest!r} is not an OCLC number")
    if kind == "lccn":
        lccn = normalize_lccn(rest)
        if lccn:
            return Reading(value, "lccn", lccn)
        return Reading(value, problem=f"labelled LCCN, but {rest!r} is not a valid LCCN")
    return _checked(value, kind, rest, labelled=True)


def _from_prefix(value: str) -> Reading | None:
    if is_oclc_prefixed(value):
        number = normalize_oclc(value)
        if number:
            return Reading(value, "oclc", number)
        return Reading(value, problem="an (OCoLC)/ocm/ocn/on prefix without a number after it")
    dlc = _DLC.match(value)
    if dlc:
        lccn = normalize_lccn(dlc.group(1))
        if lccn:
            return Reading(value, "lccn", lccn)
        return Reading(value, problem=f"a (DLC) number, but {dlc.group(1)!r} is not a valid LCCN")
    other = _OTHER_PREFIX.match(value)
    if other:
        return Reading(value, problem=f"a ({other.group(1)}) control number: only (OCoLC) and (DLC) numbers "
                                      "are shared between catalogs")
    return None


def _from_shape(value: str) -> Reading:
    """No label, prefix or link: the shape of the number decides."""
    head = value.split(" (", 1)[0].strip()  # "0-19-852663-6 (pbk.)"
    if _ISSN_SHAPE.match(head) and "-" in head:
        return _checked(value, "issn", head)
    compact = head.replace(" ", "")
    bare = compact.isdigit() and compact == head
    if _ISBN_SHAPE.match(head) and not (bare and len(compact) == 10 and not normalize_isbn(compact)):
        found = _checked(value, "isbn", head)
        if bare and found.kind and not found.problem:
            others = (("oclc", normalize_oclc(compact) or ""), *_bare_alternatives(compact)[1:])
            found = replace(found, alternatives=tuple(o for o in others if o[1]))
        return found
    if re.fullmatch(r"[A-Za-z]{1,3}[0-9\-]+", compact) or re.fullmatch(r"[0-9]{2,4}-[0-9]{1,6}", compact):
        lccn = normalize_lccn(head)
        if lccn:
            return Reading(value, "lccn", lccn)
    if compact.isdigit():
        number = normalize_oclc(compact)
        if number:
            return Reading(value, "oclc", number, alternatives=_bare_alternatives(compact))
    isbn = normalize_isbn(value)
    if isbn:
        return Reading(value, "isbn", isbn)
    issn = normalize_issn(value)
    if issn:
        return Reading(value, "issn", issn)
    digits = sum(c.isdigit() for c in compact)
    if 9 <= digits <= 14 and re.fullmatch(r"[0-9\-Xx]+", compact):
        return Reading(value, problem=f"{digits} digits: an ISBN has 10 or 13, an ISSN 8")
    return Reading(value, problem="not an ISBN, ISSN, OCLC number or LCCN")


def _checked(value: str, kind: str, typed: str, labelled: bool = False) -> Reading:
    """An ISBN/ISSN-shaped text: valid → normalized; bad check digit → said so, with the fix, and the
    typed digits kept for the look-up."""
    if kind == "isbn":
        good = normalize_isbn(typed)
        if good:
            return Reading(value, "isbn", good)
        compact = typed.replace("-", "").replace(" ", "").upper()
        if len(compact) in (10, 13) and compact[:-1].isdigit():
            fixed = _fix_isbn(compact)
            if fixed:
                return Reading(value, "isbn", compact, problem=f"ISBN with a bad check digit (did you mean "
                               f"{typed[:-1]}{fixed[-1]}?)", suggestion=fixed)
        return Reading(value, problem=f"labelled ISBN, but {typed!r} has no valid ISBN" if labelled
                       else "not an ISBN: it needs 10 or 13 digits")
    good = normalize_issn(typed)
    if good:
        return Reading(value, "issn", good)
    compact = typed.replace("-", "").replace(" ", "").upper()
    if len(compact) == 8 and compact[:7].isdigit():
        check = _issn_check(compact[:7])
        return Reading(value, "issn", f"{compact[:4]}-{compact[4:]}",
                       problem=f"ISSN with a bad check digit (did you mean {compact[:4]}-{compact[4:7]}{check}?)",
                       suggestion=f"{compact[:4]}-{compact[4:7]}{check}")
    return Reading(value, problem=f"labelled ISSN, but {typed!r} is not an ISSN")


def _fix_isbn(compact: str) -> str:
    if len(compact) == 10:
        body = compact[:9]
        check = (11 - sum((10 - i) * int(c) for i, c in enumerate(body)) % 11) % 11
        return body + ("X" if check == 10 else str(check))
    if compact[:3] in ("978", "979") and compact.isdigit():
        return compact[:12] + _isbn13_check(compact[:12])
    return ""


def _issn_check(first7: str) -> str:
    check = (11 - sum((8 - i) * int(c) for i, c in enumerate(first7)) % 11) % 11
    return "X" if check == 10 else str(check)


def _bare_alternatives(compact: str) -> tuple[tuple[str, str], ...]:
    """A bare number may be an OCLC number, an LCCN or (8 digits) an ISSN without its hyphen."""
    out: list[tuple[str, str]] = []
    if len(compact) in (8, 10):
        lccn = normalize_lccn(compact)
        if lccn:
            out.append(("lccn", lccn))
    if len(compact) == 8:
        issn = normalize_issn(compact)
        if issn:
            out.append(("issn", issn))
    if len(compact) in (10, 13):
        isbn = normalize_isbn(compact)
        if isbn:
            out.insert(0, ("isbn", isbn))
    return tuple(out)
