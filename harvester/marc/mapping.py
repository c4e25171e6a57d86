"""The MARC 21 → `Record` mapping, one rule per line (see `harvester.record` for what each field means).

Simple fields are declared with the `harvester.marc.rules` DSL; fields that need MARC knowledge (nonfiling
characters, relator roles, subject subdivisions, identifier checksums, 880 pairing, dates) are small
named extractors below the table. A rule that crashes names itself and its line, and the record is
quarantined with that reason. Authority records (leader/06 z) are skipped; MFHD holdings records
(leader/06 u, v, x, y) become ``kind="holdings"`` records attached to their bib through 004.

    record = normalize_marc(pymarc_record, source, local_id="ocm12345")
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

import pymarc

from harvester.errors import RecordRejected, RecordSkipped
from harvester.identifiers import (
    is_oclc_prefixed,
    normalize_isbn,
    normalize_issn,
    normalize_lccn,
    normalize_oclc,
)
from harvester.marc import formats
from harvester.marc.holdings import holdings_of, mfhd_holdings
from harvester.marc.rules import (
    MarcView,
    apply_rules,
    first,
    joined,
    marc,
    reads,
    subfield_values,
    to_field,
    trim_punctuation,
    trimmed,
    unique,
)
from harvester.record import AltScript, Author, Link, Record, Subject
from harvester.settings import SourceConfig
from harvester.types import make_record_id

MFHD_TYPES = "uvxy"
AUTHORITY_TYPES = "z"
_LATEST_YEAR = date.today().year + 5


# --- extractors that need MARC knowledge ---------------------------------------------------------


@reads("245", "130", "240", "246")
def title(view: MarcView) -> str:
    """245 $a; when a record has no 245 (it happens), a uniform or varying title stands in."""
    for extract in _TITLE_FALLBACKS:
        found = extract(view)
        if found:
            return trim_punctuation(found[0])
    return ""


_TITLE_FALLBACKS = tuple(marc(spec) for spec in ("245a", "245k", "130a", "240a", "246a"))


@reads("245", "130", "240", "246")
def title_sort(view: MarcView) -> str:
    """245 $a $b without the nonfiling characters counted by 245 ind2, folded for sorting."""
    field = view.first("245")
    if field is None:
        return sort_key(title(view))
    text = " ".join(subfield_values(field, "ab"))
    skip = field.indicators[1] if field.indicators else " "
    if skip.isdigit() and 0 < int(skip) < len(text):
        text = text[int(skip):]
    return sort_key(text)


_SORT_DROP = {"Mn", "Mc", "Me", "Lm", "Cf"}  # combining marks, modifier letters (ʻ), format chars (RTL marks)


_ASCII_PUNCT = re.compile(r"[^a-z0-9\s\-/:;,.]+")
_ASCII_SPACE = re.compile(r"[\s\-/:;,.]+")


def sort_key(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: "L'Été !" → "lete"."""
    if text.isascii():
        return _ASCII_SPACE.sub(" ", _ASCII_PUNCT.sub("", text.lower())).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else (" " if c.isspace() or c in "-/:;,." else "")
                   for c in decomposed if unicodedata.category(c) not in _SORT_DROP)
    return " ".join(kept.split())


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
                key = " -- ".join(heading_parts).casefold()
                if heading_parts[0] and key not in seen:
                    seen.add(key)
                    out.append(Subject(parts=heading_parts, tag=tag))
    return out


def _isbn_lists(view: MarcView) -> tuple[list[str], list[str]]:
    """(valid ISBN-13s from 020 $a, the rest: $a failing the checksum and every $z), computed once."""
    cached = view.cache.get("isbn")
    if cached is None:
        valid: list[str] = []
        invalid: list[str] = []
        for field in view.fields("020"):
            for code, value in field.subfields:
                if code == "a" or code == "z":
                    found = normalize_isbn(value)
                    if found and code == "a":
                        valid.append(found)
                    elif found:
                        invalid.append(found)
                    else:
                        shape = _ISBNISH.search(value)
                        if shape:
                            invalid.append(shape.group().replace("-", "").replace(" ", "").upper())
        cached = view.cache["isbn"] = (unique(valid), unique(invalid))
    return cached


@reads("020")
def isbns(view: MarcView) -> list[str]:
    """020 $a checksum-valid ISBNs as ISBN-13."""
    return _isbn_lists(view)[0]


_ISBNISH = re.compile(r"[0-9][0-9\- ]*[0-9Xx]")


@reads("020")
def invalid_isbns(view: MarcView) -> list[str]:
    """020 $a values that fail the checksum, and 020 $z (cancelled/invalid) ones, kept apart."""
    return _isbn_lists(view)[1]


@reads("022")
def issns(view: MarcView) -> list[str]:
    """022 $a checksum-valid ISSNs ($y incorrect and $z cancelled ones are not this item's)."""
    return unique(n for f in view.fields("022") for n in map(normalize_issn, subfield_values(f, "a")) if n)


@reads("035", "001")
def oclc_numbers(view: MarcView) -> list[str]:
    """035 $a with an (OCoLC) or ocm/ocn/on prefix; an OCLC-prefixed 001 (with 003 OCoLC) too."""
    found = [normalize_oclc(v) for f in view.fields("035") for v in subfield_values(f, "a")
             if is_oclc_prefixed(v)]
    control = view.control("001").strip()
    if is_oclc_prefixed(control) or (control.isdigit() and view.control("003").strip().upper() == "OCOLC"):
        found.append(normalize_oclc(control))
    return unique(n for n in found if n)


@reads("010")
def lccns(view: MarcView) -> list[str]:
    return unique(n for f in view.fields("010") for n in map(normalize_lccn, subfield_values(f, "a")) if n)


_024_SCHEMES = {"0": "isrc", "1": "upc", "2": "ismn", "3": "ean", "4": "sici"}


@reads("024", "015", "016")
def other_ids(view: MarcView) -> list[str]:
    """024 (scheme from ind1, or $2 when ind1 is 7), 015 national bibliography and 016 agency numbers."""
    out: list[str] = []
    for field in view.fields("024"):
        ind1 = field.indicators[0] if field.indicators else " "
        source = first(subfield_values(field, "2")).strip().lower() if ind1 == "7" else ""
        scheme = _024_SCHEMES.get(ind1) or source
        out += [f"{scheme or 'other'}:{v.split()[0]}" for v in subfield_values(field, "a") if v.split()]
    for field in view.fields("015"):
        out += [f"nbn:{v.split()[0]}" for v in subfield_values(field, "a") if v.split()]
    for field in view.fields("016"):
        agency = first(subfield_values(field, "2")).strip() or "CaOONL"
        out += [f"{agency}:{v.strip()}" for v in subfield_values(field, "a") if v.strip()]
    return unique(out)


def _imprint(view: MarcView) -> pymarc.Field | None:
    """The publication statement: 264 with ind2 1 (publication), else 260, else any 264."""
    for field in view.fields("264"):
        if field.indicators and field.indicators[1] == "1":
            return field
    return view.first("260") or view.first("264")


@reads("260", "264")
def publisher(view: MarcView) -> str:
    field = _imprint(view)
    return trim_punctuation(first(subfield_values(field, "b"))) if field else ""


@reads("260", "264")
def place(view: MarcView) -> str:
    field = _imprint(view)
    return trim_punctuation(first(subfield_values(field, "a"))) if field else ""


_YEAR = re.compile(r"(?<![0-9])(1[0-9]{3}|20[0-9]{2})(?![0-9])")


@reads("008", "260", "264")
def year(view: MarcView) -> int | None:
    """008/07-10 when it is a plain year; else the first year in 264/260 $c."""
    f008 = view.control("008")
    if len(f008) >= 11 and f008[7:11].isdigit() and f008[6:7] not in ("b", "|"):
        value = int(f008[7:11])
        if 500 <= value <= _LATEST_YEAR:
            return value
    for field in [_imprint(view), *view.fields("260", "264")]:
        if field is None:
            continue
        for text in subfield_values(field, "c"):
            match = _YEAR.search(text)
            if match and int(match.group(1)) <= _LATEST_YEAR:
                return int(match.group(1))
    return None


_LANGUAGE = re.compile(r"^[a-z]{3}$")
_NO_LANGUAGE = ("zxx", "und", "mul", "   ", "|||")  # no linguistic content, undetermined, multiple


@reads("008", "041")
def languages(view: MarcView) -> list[str]:
    """008/35-37, then 041 $a/$d (old records run several codes together: "engfre")."""
    out: list[str] = []
    f008 = view.control("008")
    code = f008[35:38].lower() if len(f008) == 40 else ""  # a short 008 has lost positions: untrustworthy
    if _LANGUAGE.match(code) and code not in _NO_LANGUAGE:
        out.append(code)
    for field in view.fields("041"):
        for value in subfield_values(field, "ad"):
            value = value.strip().lower()
            out += [value[i:i + 3] for i in range(0, len(value) - len(value) % 3, 3)
                    if _LANGUAGE.match(value[i:i + 3]) and value[i:i + 3] not in _NO_LANGUAGE]
    return unique(out)


def record_format(view: MarcView) -> str:
    f007s = [f.data or "" for f in view.fields("007")]
    f008 = view.control("008")
    trusted = f008 if len(f008) == 40 else ""
    return formats.classify(view.leader, f007s, trusted, thesis=bool(view.fields("502")))


_PAGES = re.compile(r"(?:p\b|p\.|pp\b|pages?\b|leaves\b|leaf\b|pages?\.|s\.|ff?\.|stran|páginas?|seiten)")
_NUMBER = re.compile(r"[0-9][0-9,]*")


@reads("300")
def page_count(view: MarcView) -> int | None:
    """The largest arabic number before the last pagination unit in 300 $a ("xii, 345 p." → 345)."""
    for field in view.fields("300"):
        text = " ".join(subfield_values(field, "a")).lower()
        units = list(_PAGES.finditer(text))
        if not units:
            continue
        numbers = [int(n.rstrip(",").replace(",", "")) for n in _NUMBER.findall(text[:units[-1].start()])]
        numbers = [n for n in numbers if 0 < n < 100_000]
        if numbers:
            return max(numbers)
    return None


_SERIES_440 = marc("440anp")
_SERIES_8XX = marc("830anp:800tnp:810tnp:811tnp")
_TITLE_NUMBER = marc("245n")


@reads("490", "440", "800", "810", "811", "830")
def series(view: MarcView) -> list[str]:
    """490 $a (as transcribed) and 800/810/811/830 (controlled) series titles, without volume numbers."""
    traced = _SERIES_8XX(view)
    transcribed = [" ".join(subfield_values(f, "a")) for f in view.fields("490")
                   if not (traced and f.indicators and f.indicators[0] == "1")]  # 490 1_: traced in 8XX
    values = trimmed(v.rstrip(" ;") for v in [*transcribed, *_SERIES_440(view), *traced] if v)
    seen: set[str] = set()
    out = []
    for value in values:
        key = sort_key(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


@reads("245", "490", "440", "830")
def volumes(view: MarcView) -> list[str]:
    """245 $n and 490 $v: what tells the parts of a multi-volume set apart."""
    by_tag = view.by_tag
    numbers = [sf.value for tag in ("245", "490", "440", "830") if tag in by_tag for f in by_tag[tag]
               for sf in f.subfields if sf.code == ("n" if tag == "245" else "v")]
    if not numbers:
        return []
    return unique(v.rstrip(".") for v in trimmed(numbers) if v.rstrip("."))


_RELATED_LINK = re.compile(
    r"table of contents|publisher description|contributor|biographical|sample|cover image")


@reads("856")
def links(view: MarcView) -> list[Link]:
    """856 $u; resource=True when ind2 says the link is the item itself (0) or a version of it (1) —
    unless $3 says it is only a table of contents, publisher's description or the like."""
    out: list[Link] = []
    seen: set[str] = set()
    for field in view.fields("856"):
        label = first(subfield_values(field, "y") or subfield_values(field, "3")
                      or subfield_values(field, "z"))
        materials = " ".join(subfield_values(field, "3")).lower()
        ind2 = field.indicators[1] if field.indicators else " "
        resource = ind2 in ("0", "1") and not _RELATED_LINK.search(materials)
        for url in subfield_values(field, "u"):
            url = url.strip()
            if url and url not in seen:
                seen.add(url)
                out.append(Link(url=url, label=trim_punctuation(label), resource=resource))
    return out


_NOTE_SKIP = {"520", "506", "540", "583", *(f"59{d}" for d in range(10))}


def notes(view: MarcView) -> list[str]:
    """5XX notes other than the summary (520), rights (506/540) and local/action notes (583, 59X)."""
    out: list[str] = []
    for tag in sorted(t for t in view.by_tag if t[0] == "5" and t not in _NOTE_SKIP and len(t) == 3):
        for field in view.by_tag[tag]:
            if field.control_field:
                continue
            text = _text(field, "2568")
            if text:
                out.append(text)
    return unique(out)


def _text(field: pymarc.Field, skip: str) -> str:
    """A field's subfield values joined, except control subfields ($6 linkage, $8 sequencing ...)."""
    return " ".join(" ".join(sf.value for sf in field.subfields if sf.code not in skip and sf.value).split())


@reads("880")
def alternate_scripts(view: MarcView) -> list[AltScript]:
    """880 fields with the tag, occurrence and script from their $6 ("245-01/(3/r")."""
    out: list[AltScript] = []
    for field in view.fields("880"):
        linkage = first(subfield_values(field, "6"))
        tag, _, rest = linkage.partition("-")
        occurrence, _, script = rest.partition("/")
        script = script.split("/", 1)[0]
        text = _text(field, "68")
        if text:
            out.append(AltScript(tag=tag.strip()[:3], text=trim_punctuation(text),
                                 occurrence=occurrence.strip()[:2] or "00", script=script.strip()))
    return out


RULES = (
    to_field("title", title),
    to_field("subtitle", marc("245b"), first, trim_punctuation),
    to_field("part", marc("245np", separator=". ", trim=True), first),
    to_field("title_sort", title_sort),
    to_field("responsibility", marc("245c"), first, trim_punctuation),
    to_field("authors", authors),
    to_field("subjects", subjects),
    to_field("isbns", isbns),
    to_field("invalid_isbns", invalid_isbns),
    to_field("issns", issns),
    to_field("oclc_numbers", oclc_numbers),
    to_field("lccns", lccns),
    to_field("other_ids", other_ids),
    to_field("publisher", publisher),
    to_field("place", place),
    to_field("year", year),
    to_field("languages", languages),
    to_field("format", record_format),
    to_field("edition", marc("250ab"), first, trim_punctuation),
    to_field("extent", marc("300af"), first, trim_punctuation),
    to_field("page_count", page_count),
    to_field("series", series),
    to_field("volumes", volumes),
    to_field("links", links),
    to_field("summary", marc("520ab"), first),
    to_field("notes", notes),
    to_field("alternate_scripts", alternate_scripts),
    to_field("rights", marc("540a:506a"), unique, joined("; ")),
)


# --- entry points (as harvester/run.py calls them) -----------------------------------------------


def local_id_of(marc_record: pymarc.Record, id_field: str = "001") -> str | None:
    """The record's id inside its source: a control field ("001") or tag + subfield ("035a", "907a")."""
    tag, code = id_field[:3], id_field[3:4]
    for field in marc_record.fields:
        if field.tag != tag:
            continue
        if field.control_field:
            value = (field.data or "").strip()
        else:
            values = subfield_values(field, code) if code else [field.value()]
            value = values[0].strip() if values else ""
        if value:
            return value
    return None


def normalize_marc(marc_record: pymarc.Record, source: SourceConfig, local_id: str) -> Record:
    """Map one MARC record to a `Record`; `RecordSkipped` for authority records."""
    view = MarcView(marc_record)
    record_type = view.leader[6:7] or " "
    common: dict[str, Any] = {"id": make_record_id(source.id, local_id), "source_id": source.id,
                              "local_id": local_id, "leader": view.leader}
    if record_type in AUTHORITY_TYPES:
        raise RecordSkipped("authority record (leader/06 z): not a catalog item")
    if record_type in MFHD_TYPES:
        parent = view.control("004").strip()
        if not parent:
            raise RecordRejected("MFHD holdings record without a 004 (its bibliographic record's id)",
                                 local_id=local_id)
        return Record(**common, kind="holdings", parent_local_id=parent,
                      holdings=mfhd_holdings(view, source.holdings, source.library))
    values = apply_rules(RULES, view)
    values["holdings"] = holdings_of(view, source.holdings, source.library)
    values.update(common)
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return Record(**fields)
