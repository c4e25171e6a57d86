"""Names and subjects from MARC: 1XX/7XX authors with their roles (relator terms and codes,
normalized) and 6XX subject headings with their subdivisions and thesaurus.
"""

from __future__ import annotations

from typing import Any

from harvester.marc.rules import (
    MarcView,
    reads,
    subfield_values,
    trim_punctuation,
    unique,
)
from harvester.record import Author, Subject

_AUTHOR_TAGS = (("100", "person", True), ("110", "corporate", True), ("111", "meeting", True),
                ("700", "person", False), ("710", "corporate", False), ("711", "meeting", False))
_NAME_CODES = {"person": "abcq", "corporate": "abcdn", "meeting": "acdnq"}
_ROLE_CODES = {"person": "e", "corporate": "e", "meeting": "j"}


@reads("100", "110", "111", "700", "710", "711")
def authors(view: MarcView) -> list[Author]:
    """1XX (primary) then 7XX names, with dates and relator roles ($e/$j terms, $4 codes)."""
    out: list[Author] = []
    seen: set[str] = set()
    by_tag = view.by_tag
    for tag, kind, primary in _AUTHOR_TAGS:
        if tag not in by_tag:
            continue
        name_codes, role_code = _NAME_CODES[kind], _ROLE_CODES[kind]
        for field in by_tag[tag]:
            parts: list[str] = []
            dates = ""
            roles: list[str] = []
            for code, value in field.subfields:
                if code in name_codes:
                    parts.append(value)
                elif code == "d" and kind == "person":
                    dates = trim_punctuation(value)
                elif code == role_code:
                    roles.append(_role(value))
                elif code == "4" and not value.startswith("http"):
                    roles.append(RELATORS.get(value.strip().lower().rstrip("."), value.strip()))
            name = _heading(parts)
            key = name.casefold()
            if not name or key in seen:
                continue
            seen.add(key)
            unique_roles = tuple(unique(r for r in roles if r)) if roles else ()
            out.append(Author(name, kind, unique_roles, dates, primary))
    return out


def _role(term: str) -> str:
    """A relator term as a plain word: "ed." → "editor", "Translator," → "translator"."""
    word = term.strip().rstrip(" ,;:.").lower()
    return RELATOR_ABBREVIATIONS.get(word, word)


RELATOR_ABBREVIATIONS = {
    "ed": "editor", "eds": "editor", "edt": "editor", "tr": "translator", "trans": "translator",
    "comp": "compiler", "ill": "illustrator", "illus": "illustrator", "arr": "arranger", "joint author":
    "author", "joint ed": "editor", "auth": "author", "cond": "conductor", "perf": "performer",
}
RELATORS = {
    "aut": "author", "edt": "editor", "trl": "translator", "ill": "illustrator", "cmp": "composer",
    "prf": "performer", "ctb": "contributor", "cre": "creator", "pht": "photographer", "com": "compiler",
    "drt": "director", "act": "actor", "nrt": "narrator", "lbt": "librettist", "lyr": "lyricist",
    "arr": "arranger", "cnd": "conductor", "voc": "vocalist", "itr": "instrumentalist", "pro": "producer",
    "aui": "author of introduction", "aft": "author of afterword", "wpr": "writer of preface",
    "ed": "editor", "ths": "thesis advisor", "dgg": "degree granting institution", "pbl": "publisher",
    "isb": "issuing body", "spn": "sponsor", "own": "owner", "fmo": "former owner", "ann": "annotator",
    "art": "artist", "ctg": "cartographer", "dst": "distributor", "sng": "singer", "mus": "musician",
}


def _heading(values: list[str]) -> str:
    """Subfields of a name or heading joined as catalogued ("Nūrī, ʻAbd Allāh, 1949-"), end trimmed."""
    return trim_punctuation(" ".join(" ".join(values).split()))


_SUBJECT_TAGS = ("600", "610", "611", "630", "647", "648", "650", "651", "653", "654", "656", "657", "662")
_SUBJECT_MAIN = {"600": "abcdqt", "610": "abcdnt", "611": "acdnqt", "630": "adfklmnprst", "647": "acdg",
                 "648": "a", "650": "ab", "651": "a", "654": "ab", "656": "a", "657": "a", "662": "abcdfgh"}
_SUBDIVISIONS = "vxyz"


@reads(*_SUBJECT_TAGS)
def subjects(view: MarcView) -> list[Subject]:
    """6XX headings as (main heading, subdivision, ...) parts; 653 keywords one subject each."""
    out: list[Subject] = []
    seen: set[str] = set()
    by_tag = view.by_tag
    for tag in _SUBJECT_TAGS:
        if tag not in by_tag:
            continue
        main_codes = _SUBJECT_MAIN.get(tag, "a")
        for field in by_tag[tag]:
            headings: list[tuple[str, ...]]
            if tag == "653":
                headings = [(trim_punctuation(v),) for v in subfield_values(field, "a")]
            else:
                main: list[str] = []
                parts: list[str] = []
                for code, value in field.subfields:
                    if code in main_codes:
                        main.append(value)
                    elif code in _SUBDIVISIONS:
                        part = trim_punctuation(value)
                        if part:
                            parts.append(part)
                heading = _heading(main) if main else ""
                headings = [(heading, *parts)] if heading else []
            for heading_parts in headings:
                if not heading_parts[0]:
                    continue
                key = " -- ".join(heading_parts).casefold()
                if key not in seen:
                    seen.add(key)
                    out.append(Subject(heading_parts, tag, thesaurus(tag, field)))
    return out


_THESAURI = {"0": "lcsh", "1": "lcshac", "2": "mesh", "3": "nal", "4": "unspecified", "5": "cash", "6": "rvm"}
"""6XX second indicator → the thesaurus it names (7: the code in $2)."""


def thesaurus(tag: str, field: Any) -> str:
    """Which subject vocabulary a 6XX heading is from, so the facet can keep to the chosen ones."""
    if tag == "653":
        return "uncontrolled"
    ind2 = field.indicators[1] if field.indicators and len(field.indicators) > 1 else " "
    if ind2 == "7":
        source = subfield_values(field, "2")
        return source[0].strip().casefold().rstrip(".") if source else "unspecified"
    return _THESAURI.get(ind2, "unspecified")
