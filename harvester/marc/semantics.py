"""The named extractors of the MARC mapping: the fields that need MARC knowledge (nonfiling
characters, relator terms, subject headings and subdivisions, identifier lists with their invalid
forms, imprint, dates, languages, extent, series and volumes, links, notes, 880 scripts). Each takes a
`MarcView` and returns plain values; `mapping.RULES` names which record field each one fills.
"""

from __future__ import annotations

import re
from datetime import date

import pymarc

from harvester.marc import formats
from harvester.marc.rules import (
    MarcView,
    first,
    marc,
    reads,
    subfield_values,
    trim_punctuation,
    trimmed,
    unique,
)
from harvester.record import AltScript, Link
from harvester.text import sort_key

_LATEST_YEAR = date.today().year + 5


@reads("245", "130", "240", "246")
def title(view: MarcView) -> str:
    """245 $a; when a record has no 245 (it happens), a uniform or varying title stands in."""
    for extract in _TITLE_FALLBACKS:
        found = extract(view)
        if found:
            return trim_punctuation(found)
    return ""


_TITLE_FALLBACKS = tuple(marc(spec).first for spec in ("245a", "245k", "130a", "240a", "246a"))  # type: ignore[attr-defined]


@reads("245", "130", "240", "246")
def title_sort(view: MarcView) -> str:
    """245 $a $b without the nonfiling characters counted by 245 ind2, folded for sorting."""
    field = view.first("245")
    if field is None:
        return sort_key(title(view))
    text = " ".join(subfield_values(field, "ab"))
    skip = field.indicators[1] if field.indicators else " "
    if skip.isdecimal() and 0 < int(skip) < len(text):
        text = text[int(skip):]
    return sort_key(text)




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
    if len(f008) >= 11 and f008[7:11].isdecimal() and f008[6:7] not in ("b", "|"):
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
PRIVATE_WHEN_IND1_0 = frozenset({"541", "561", "583"})
"""Fields whose first indicator 0 says "private" (acquisition source, ownership history, action note):
never normalized, so never indexed or shown (the web tier withholds more: `search_ui.staff`)."""


def _private(field: pymarc.Field, tag: str) -> bool:
    return tag in PRIVATE_WHEN_IND1_0 and not field.control_field and field.indicator1 == "0"


def notes(view: MarcView) -> list[str]:
    """5XX notes other than the summary (520), rights (506/540) and local/action notes (583, 59X)."""
    out: list[str] = []
    for tag in _note_tags(tuple(view.by_tag)):
        for field in view.by_tag[tag]:
            if field.control_field or _private(field, tag):
                continue
            text = _text(field, "2568")
            if text:
                out.append(text)
    return unique(out)


_NOTE_TAGS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _note_tags(layout: tuple[str, ...]) -> tuple[str, ...]:
    """The note tags of a record with these tags, in tag order; remembered per tag layout (records of
    one source share a handful), bounded."""
    found = _NOTE_TAGS.get(layout)
    if found is None:
        if len(_NOTE_TAGS) >= 4096:
            _NOTE_TAGS.clear()
        found = _NOTE_TAGS[layout] = tuple(
            sorted(t for t in layout if t[:1] == "5" and t not in _NOTE_SKIP and len(t) == 3))
    return found


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
        if _private(field, tag.strip()[:3]):
            continue
        text = _text(field, "68")
        if text:
            out.append(AltScript(tag=tag.strip()[:3], text=trim_punctuation(text),
                                 occurrence=occurrence.strip()[:2] or "00", script=script.strip()))
    return out
