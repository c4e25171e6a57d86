"""The host item of a component part (773) and the meeting a paper was given at (111/711).

An article or a chapter is only half described by its own title: "Editor's notes" exists in hundreds
of journals, and the same paper can appear in a conference's proceedings and, a year later, in a
journal. 773 names the host ($t title, or $a its main entry when $t is missing) and where in it the
part sits ($g "Vol. 12, no. 3 (1999), p. 45-67"); 111/711 name the conference. The deduplicator reads
these to tell a paper from a namesake in another journal, and the record page shows them.

`parse_related_parts` reads volume, issue and pages out of a free-text $g; it recognises the common
English, German and French abbreviations and gives up (empty strings) rather than guessing.
"""

from __future__ import annotations

import re

from harvester.marc.rules import MarcView, reads, subfield_values, trim_punctuation

_VOLUME = re.compile(r"\b(?:vol(?:ume)?|v|bd|band|jahrg|jg|t|tome|tomo|année)\.?\s*([0-9ivxlc]+[a-z]?)\b", re.I)
_ISSUE = re.compile(r"\b(?:no|nr|num|number|issue|iss|heft|h|fasc|n°)\.?\s*([0-9]+(?:[/-][0-9]+)?)\b", re.I)
_PAGES = re.compile(r"\b(?:pp?|pages?|s|seiten?)\.?\s*([0-9]+(?:\s*[-–]\s*[0-9]+)?)", re.I)
_BARE = re.compile(r"^\s*([0-9]+)\s*(?:\(([0-9/-]+)\))?\s*[:,]\s*([0-9]+(?:\s*[-–]\s*[0-9]+)?)\s*$")
"""Citation shorthand "12(3):45-67" / "12:45-67" (volume, issue, pages)."""


def parse_related_parts(text: str) -> tuple[str, str, str]:
    """(volume, issue, pages) from a 773 $g or a citation; "" for whatever is not stated."""
    if not text:
        return "", "", ""
    bare = _BARE.match(re.sub(r"\([0-9]{4}\)", "", text))
    if bare:
        return bare.group(1), bare.group(2) or "", _dash(bare.group(3))
    volume = _VOLUME.search(text)
    issue = _ISSUE.search(text)
    pages = _PAGES.search(text)
    return (
        volume.group(1).lower() if volume else "",
        issue.group(1) if issue else "",
        _dash(pages.group(1)) if pages else "",
    )


def _dash(pages: str) -> str:
    return re.sub(r"\s*[-–]\s*", "-", pages.strip())


@reads("773")
def host_title(view: MarcView) -> str:
    """773 $t, else $a (the host's main entry), of the first 773."""
    for field in view.fields("773"):
        title = subfield_values(field, "t") or subfield_values(field, "a")
        if title:
            return trim_punctuation(" ".join(title[0].split()))
    return ""


@reads("773")
def host_details(view: MarcView) -> str:
    """773 $g of the first 773 that has one, as the cataloger wrote it."""
    for field in view.fields("773"):
        related = subfield_values(field, "g")
        if related:
            return trim_punctuation(" ".join(" ".join(related).split()))
    return ""


def _part(index: int):  # noqa: ANN202 - an Extractor
    @reads("773")
    def extract(view: MarcView) -> str:
        return parse_related_parts(host_details(view))[index]

    return extract


host_volume = _part(0)
host_issue = _part(1)
host_pages = _part(2)


@reads("111", "711")
def meetings(view: MarcView) -> list[str]:
    """111/711 meeting names with number, date and place ($a $n $d $c), each once."""
    out: list[str] = []
    for field in view.fields("111", "711"):
        parts = [v for code, v in field.subfields if code in "ancd" and v.strip()]
        name = trim_punctuation(" ".join(" ".join(parts).split()))
        if name and name not in out:
            out.append(name)
    return out
