"""UNIMARC → `Record`: the MARC of many national and European libraries (BnF, ICCU, BNP, the Russian and
Greek national libraries, COBISS, Koha installations in France and Italy).

UNIMARC shares ISO 2709 and MARCXML with MARC 21 but not the meaning of its tags: the title is in 200,
names in 700-712, ISBNs in 010, the imprint in 210/214, languages in 101, dates in 100 $a. Read through
the MARC 21 rules, a UNIMARC record lost its title and turned its ISBN into an LCCN (010) and its coded
data (100) into an author. A record is read as UNIMARC when it has a 200 title and no 245
(`is_unimarc`); links (856) and system numbers (035) mean the same in both and use the MARC 21 rules.

    values = apply_rules(RULES, view)   # when is_unimarc(view)
"""

from __future__ import annotations

import re

from harvester.identifiers import normalize_isbn, normalize_issn
from harvester.marc.identifier_fields import oclc_numbers
from harvester.marc.rules import MarcView, first, marc, reads, to_field, trim_punctuation, unique
from harvester.marc.semantics import links
from harvester.record import Author, Subject
from harvester.text import sort_key

_NAME_TAGS = (("700", "person", True), ("710", "corporate", True), ("701", "person", False),
              ("711", "corporate", False), ("702", "person", False), ("712", "corporate", False))
_RELATORS = {"070": "author", "340": "editor", "730": "translator", "440": "illustrator", "650": "publisher",
             "080": "author of introduction", "020": "annotator", "220": "compiler", "230": "composer",
             "205": "contributor", "600": "photographer", "651": "publishing director", "557": "organizer"}
_SUBJECT_TAGS = ("600", "601", "602", "604", "605", "606", "607", "608", "610")
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_BY_TYPE = {"b": "manuscript", "c": "score", "d": "score", "e": "map", "f": "map", "g": "video", "i": "audio",
            "j": "music-recording", "k": "image", "l": "computer-file", "m": "mixed", "r": "object"}


def is_unimarc(view: MarcView) -> bool:
    """A 200 (UNIMARC's title and statement of responsibility) and no 245 (MARC 21's)."""
    return "200" in view.by_tag and "245" not in view.by_tag


@reads("200")
def title(view: MarcView) -> str:
    return trim_punctuation(first(marc("200a")(view)))


@reads("200")
def title_sort(view: MarcView) -> str:
    return sort_key(title(view))


@reads("700", "701", "702", "710", "711", "712")
def authors(view: MarcView) -> list[Author]:
    """700/710 (primary), then 701/711 and 702/712: "$a, $b", dates $f, relator codes $4."""
    out: list[Author] = []
    seen: set[str] = set()
    for tag, kind, primary in _NAME_TAGS:
        for field in view.fields(tag):
            values = {code: trim_punctuation(value) for code, value in reversed(field.subfields)}
            parts = (values.get("a", ""), values.get("b", "").lstrip(" ,"))  # some write $b ", Isaac"
            name = ", ".join(v for v in parts if v)
            if not name or name.casefold() in seen:
                continue
            seen.add(name.casefold())
            roles = tuple(unique(_RELATORS.get(v.strip(), v.strip()) for c, v in field.subfields if c == "4"))
            meeting = kind == "corporate" and field.indicator1 == "1"
            out.append(Author(name, "meeting" if meeting else kind, roles, values.get("f", ""), primary))
    return out


@reads(*_SUBJECT_TAGS)
def subjects(view: MarcView) -> list[Subject]:
    """6XX: the entry ($a, with $b for names) and its subdivisions ($j form, $x topic, $y place, $z time)."""
    out: list[Subject] = []
    for field in view.fields(*_SUBJECT_TAGS):
        parts = tuple(trim_punctuation(v) for c, v in field.subfields if c in "abjxyz" and trim_punctuation(v))
        system = next((v for c, v in field.subfields if c == "2"), "")
        if parts:
            out.append(Subject(parts, field.tag, system.lower() or ("uncontrolled" if field.tag == "610" else "")))
    return out


@reads("010")
def isbns(view: MarcView) -> list[str]:
    return unique(found for value in marc("010a")(view) if (found := normalize_isbn(value)))


@reads("010")
def invalid_isbns(view: MarcView) -> list[str]:
    """010 $a values failing the checksum, and $z (cancelled or invalid) ones, kept apart."""
    bad = [v for v in marc("010a")(view) if not normalize_isbn(v)] + marc("010z")(view)
    return unique(normalize_isbn(v) or v.strip() for v in bad)


@reads("011")
def issns(view: MarcView) -> list[str]:
    return unique(found for value in marc("011a")(view) if (found := normalize_issn(value)))


def _imprint(view: MarcView, code: str) -> str:
    return trim_punctuation(first(marc(f"210{code}:214{code}")(view)))


@reads("210", "214")
def publisher(view: MarcView) -> str:
    return _imprint(view, "c")


@reads("210", "214")
def place(view: MarcView) -> str:
    return _imprint(view, "a")


@reads("100", "210", "214")
def year(view: MarcView) -> int | None:
    """100 $a/09-12 (date 1 of the coded data), else the first year in 210/214 $d."""
    coded = first(marc("100a")(view))
    if len(coded) >= 13 and coded[9:13].isdecimal() and 500 <= int(coded[9:13]) <= 2100:
        return int(coded[9:13])
    for text in marc("210d:214d")(view):
        match = _YEAR.search(text)
        if match:
            return int(match.group(1))
    return None


@reads("101")
def languages(view: MarcView) -> list[str]:
    return unique(v.strip().lower() for v in marc("101a")(view) if re.fullmatch(r"[a-zA-Z]{3}", v.strip()))


def record_format(view: MarcView) -> str:
    """Leader/06 (type of record, UNIMARC's own codes: "l" electronic, "g" projected) and /07 (level)."""
    leader = view.leader + "  "
    record_type, level = leader[6], leader[7]
    if record_type != "a":
        return _BY_TYPE.get(record_type, "other")
    electronic = "856" in view.by_tag and "215" not in view.by_tag
    if level == "s":
        return "e-journal" if electronic else "serial"
    if level == "a":
        return "article"
    return "thesis" if "328" in view.by_tag else "e-book" if electronic else "book"


RULES = (
    to_field("title", title),
    to_field("subtitle", marc("200e"), first, trim_punctuation),
    to_field("part", marc("200hi", separator=". ", trim=True), first),
    to_field("title_sort", title_sort),
    to_field("responsibility", marc("200f"), first, trim_punctuation),
    to_field("authors", authors),
    to_field("subjects", subjects),
    to_field("isbns", isbns),
    to_field("invalid_isbns", invalid_isbns),
    to_field("issns", issns),
    to_field("oclc_numbers", oclc_numbers),
    to_field("publisher", publisher),
    to_field("place", place),
    to_field("year", year),
    to_field("languages", languages),
    to_field("format", record_format),
    to_field("edition", marc("205a"), first, trim_punctuation),
    to_field("extent", marc("215a"), first, trim_punctuation),
    to_field("series", marc("225a"), unique),
    to_field("links", links),
    to_field("summary", marc("330a"), first),
    to_field("notes", marc("300a:327a"), unique),
    to_field("rights", marc("310a"), unique, lambda values: "; ".join(values)),
)
