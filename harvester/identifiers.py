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
