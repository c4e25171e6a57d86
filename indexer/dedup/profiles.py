"""The folded, comparison-ready view of a record (`Profile`), built once per record per clustering run.

Everything the vetoes (`indexer.dedup.vetoes`) and the two models (`indexer.dedup.decide`, and
`indexer.dedup.parts` for articles and chapters) compare is computed here, once: folded titles and
names, edition and volume numbers, lettered series numbers ("22 B"), the number of volumes a set's
extent states, and the host item of a component part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harvester.record import Record
from indexer.dedup.keys import (
    _NOT_ROMAN,
    PART_FORMATS,
    author_surname,
    author_surnames,
    edition_number,
    fold,
    full_title_text,
    identifier_keys,
    numbers_in,
    roman_to_int,
    title_text,
    volume_numbers,
    words,
    year_in_text,
)


@dataclass(frozen=True, slots=True)
class Profile:
    """The folded, comparison-ready view of one record, computed once per clustering run."""

    id: str
    source_id: str
    title: str  # folded significant words of 245 $a$n$p
    full_title: str  # the same with the subtitle
    surnames: frozenset[str]
    primary_surname: str
    responsibility: str
    year: int | None
    format: str
    pages: int | None
    edition: str  # edition number, "" when none / first
    edition_text: str
    volumes: frozenset[str]  # every number of 245 $n$p and 490 $v
    part_numbers: frozenset[str]  # 245 $n$p only: which volume of a set
    series: str
    series_numbers: frozenset[str]  # 490 $v only: the number in a series
    publisher: str
    place: str
    language: str
    isbns: frozenset[str]
    issns: frozenset[str]
    oclc: frozenset[str]
    lccns: frozenset[str]
    other_ids: frozenset[str]
    alt_title: str  # folded 880 rendering of the 245, if any
    title_numbers: frozenset[str]  # every number in title + subtitle ("Part 4", "S. 1383", "1990 census")
    title_parts: frozenset[str]  # numbers after "part"/"v."/"no."/"Teil"… inside the title text
    series_marks: frozenset[str] = frozenset()  # lettered series numbers: {"22b"} for "MC 77-I ; 22 B"
    set_volumes: int = 0  # "3 volumes" in the extent: the record describes a whole set
    host: str = ""  # folded 773 host title (journal, proceedings, book of a chapter)
    host_place: str = ""  # "12|3|45-67": volume|issue|pages inside the host
    name_tokens: frozenset[str] = frozenset()  # component parts only: every word of every author name
    year_from_title: bool = False  # a part without a date: `year` was read from its title


def profile(record: Record) -> Profile:
    """Build the `Profile` of a record (pure; callers cache it by record id)."""
    alt = next((a.text for a in record.alternate_scripts if a.tag == "245"), "")
    part = record.format in COMPONENT_FORMATS
    full = full_title_text(record)  # once: three fields read it
    language = next((code for code in record.languages if code and code.strip("| ") and code != "und"), "")
    return Profile(
        id=record.id,
        source_id=record.source_id,
        title=" ".join(words(title_text(record))),
        full_title=" ".join(words(full)),
        surnames=author_surnames(record),
        primary_surname=author_surname(record),
        responsibility=" ".join(words(record.responsibility)),
        year=record.year if record.year is not None or not part else year_in_text(record.title),
        format=record.format,
        pages=record.page_count if record.page_count else None,
        edition=edition_number(record.edition),
        edition_text=fold(record.edition),
        volumes=volume_numbers(record),
        part_numbers=frozenset(numbers_in(record.part)),
        series=" ".join(words(" ".join(record.series))),
        series_numbers=frozenset(n for v in record.volumes if v not in record.part for n in numbers_in(v)),
        publisher=" ".join(w for w in words(record.publisher) if w not in _PUBLISHER_NOISE),
        place=fold(record.place),
        language=language,
        isbns=frozenset(record.isbns),
        issns=frozenset(record.issns),
        oclc=frozenset(record.oclc_numbers),
        lccns=frozenset(record.lccns),
        other_ids=frozenset(k for k in identifier_keys(record) if k.split(":", 1)[0] not in _MAIN_IDS),
        alt_title=fold(alt),
        title_numbers=frozenset(numbers_in(full)),
        title_parts=title_part_numbers(full),
        series_marks=series_marks(record),
        set_volumes=set_volumes(record.extent),
        host=" ".join(words(record.host_title)),
        host_place=_host_place(record),
        name_tokens=frozenset(t for a in record.authors for t in fold(a.name).split()) if part else frozenset(),
        year_from_title=part and record.year is None,
    )


def _host_place(record: Record) -> str:
    place = (record.host_volume, record.host_issue, record.host_pages)
    return "|".join(fold(p).replace(" ", "") for p in place) if any(place) else ""


COMPONENT_FORMATS = PART_FORMATS
"""Formats of component parts: matched with the part model and the host item (`indexer.dedup.parts`)."""


def title_part_numbers(text: str) -> frozenset[str]:
    """Numbers after "part"/"v."/"no."/"Teil"… in a title, roman numerals converted ("Part II" → "2")."""
    out: set[str] = set()
    for token in _TITLE_PART.findall(fold(text)):
        if not token.isdigit() and token in _NOT_ROMAN:
            continue
        value = int(token) if token.isdigit() else roman_to_int(token)
        if value is not None:
            out.add(str(value))
    return frozenset(out)


_LETTERED = re.compile(r"(?<![a-z0-9])(\d{1,5}) ?([a-ce-z])(?![a-z0-9])")
"""A number with one suffix letter ("22 B", "22b"); "d" is left out, it is an ordinal ("52d")."""


def series_marks(record: Record) -> frozenset[str]:
    """Lettered designations of the record in its series ("22 B" → "22b"): from 490 $v, and from the
    text after " ; " when a cataloger left the number in the series title (490 $a "MC 77-I ; 22 B")."""
    texts = [v for v in record.volumes if v not in record.part]
    texts += [s.rsplit(" ; ", 1)[1] for s in record.series if " ; " in s]
    return frozenset(n + letter for text in texts for n, letter in _LETTERED.findall(fold(text)))


_SET_EXTENT = re.compile(r"^\s*(\d{1,3})\s*(?:v\b|v\.|vols?\b|vols?\.|volumes?\b|bd\b|bde\b|bände|tomes?\b)", re.I)


def set_volumes(extent: str) -> int:
    """The number of volumes an extent describes ("3 volumes : ill." → 3), 0 for a single item."""
    match = _SET_EXTENT.match(extent or "")
    return int(match.group(1)) if match and int(match.group(1)) >= 2 else 0


_TITLE_PART = re.compile(
    r"\b(?:part|pt|vol|volume|v|no|number|band|bd|teil|tome|tomo|livre|book|heft)\s+(\d{1,4}|[ivxlc]{1,6})\b"
)
_MAIN_IDS = frozenset({"isbn", "issn", "oclc", "lccn"})
_PUBLISHER_NOISE = frozenset(
    "co company inc ltd limited publishers publisher publishing press printed printer printers sons son"
    " verlag editions".split()
)
