"""MODS (``mods`` payloads from digital-library OAI feeds) → the shared `Record` model.

MODS is MARC-like in structure: titleInfo (nonSort/title/subTitle/partNumber), name with namePart and
roleTerm, subject with topic/geographic/temporal parts, originInfo dates and publisher, typeOfResource
and genre, typed identifiers, location/url with an ``access`` attribute ("raw object" is the item
itself, "object in context" its landing page), accessCondition for rights. Only the record's own
top-level elements are read; a ``relatedItem`` (host collection, series) describes something else,
except that a host's title and the part's volume, issue and pages fill the record's host fields.

    record = mods_to_record(element, source, "oai:repo:123")
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harvester.errors import RecordRejected
from harvester.oai.vocab import MODS_NS, Identifiers, format_of, language_code, source_holding, title_sort, year_of
from harvester.record import Author, Record, Subject
from harvester.settings import SourceConfig
from harvester.types import make_record_id

M = f"{{{MODS_NS}}}"
NAME_KINDS = {"personal": "person", "corporate": "corporate", "conference": "meeting", "family": "person"}
SUBJECT_PARTS = ("topic", "geographic", "temporal", "genre", "name", "titleInfo", "occupation")


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _all(element: Any, path: str) -> list[str]:
    return [t for t in (_text(e) for e in element.findall(path)) if t]


def mods_to_record(element: Any, source: SourceConfig, identifier: str) -> Record:
    """Map a ``<mods:mods>`` element; `RecordRejected` when it is not MODS or has no title."""
    if element.tag != f"{M}mods":
        raise RecordRejected(f"expected a mods:mods payload, got <{element.tag}>", local_id=identifier)
    title, subtitle, part, sort = _title(element)
    if not title:
        raise RecordRejected("MODS record without a title", local_id=identifier)
    ids = Identifiers()
    for ident in element.findall(f"{M}identifier"):
        ids.add(_text(ident), ident.get("type", ""))
    for url in element.findall(f"{M}location/{M}url"):
        access = (url.get("access") or "").lower()
        if access == "preview" or not _text(url):  # thumbnails are not links a reader follows
            continue
        full_text = True if access == "raw object" else False if access == "object in context" else None
        ids.add_link(_text(url), url.get("displayLabel", ""), full_text=full_text)
    dates = []
    for origin in element.findall(f"{M}originInfo"):
        for name in ("dateIssued", "dateCreated", "copyrightDate", "dateOther"):
            dates += [_text(e) for e in origin.findall(f"{M}{name}") if e.get("keyDate") == "yes"]
    for name in ("dateIssued", "dateCreated", "copyrightDate", "dateOther"):
        dates += _all(element, f"{M}originInfo/{M}{name}")
    types = _all(element, f"{M}typeOfResource") + _all(element, f"{M}genre")
    languages = [code for code in (language_code(t) for t in
                 _all(element, f"{M}language/{M}languageTerm[@type='code']")) if code and code != "und"]
    series = [_text(r.find(f"{M}titleInfo/{M}title"))
              for r in element.findall(f"{M}relatedItem[@type='series']")]
    abstracts = _all(element, f"{M}abstract")
    host = _host(element)
    return Record(
        id=make_record_id(source.id, identifier),
        source_id=source.id,
        local_id=identifier,
        title=title,
        subtitle=subtitle,
        part=part,
        title_sort=sort,
        authors=tuple(_authors(element)),
        subjects=tuple(_subjects(element)),
        isbns=tuple(ids.isbns),
        issns=tuple(ids.issns),
        oclc_numbers=tuple(ids.oclc),
        lccns=tuple(ids.lccns),
        other_ids=tuple(ids.other),
        publisher=(_all(element, f"{M}originInfo/{M}publisher") or [""])[0],
        place=(_all(element, f"{M}originInfo/{M}place/{M}placeTerm[@type='text']") or [""])[0],
        year=year_of(dates),
        languages=tuple(dict.fromkeys(languages)),
        format=format_of(types),
        edition=(_all(element, f"{M}originInfo/{M}edition") or [""])[0],
        extent=(_all(element, f"{M}physicalDescription/{M}extent") or [""])[0],
        series=tuple(s for s in series if s),
        links=tuple(ids.links),
        summary=abstracts[0] if abstracts else "",
        notes=tuple(_all(element, f"{M}note")),
        holdings=(source_holding(source),),
        rights="; ".join(dict.fromkeys(_all(element, f"{M}accessCondition"))),
        host_title=host[0],
        host_volume=host[1],
        host_issue=host[2],
        host_pages=host[3],
    )


def _host(element: Any) -> tuple[str, str, str, str]:
    """``relatedItem type="host"``: the journal or book an article or chapter is in (title, and the
    part's volume, issue and pages), as MARC 773 gives them (`harvester.marc.host`)."""
    host = element.find(f"{M}relatedItem[@type='host']")
    if host is None:
        return "", "", "", ""
    part = host.find(f"{M}part")
    details = {"volume": "", "issue": ""}
    pages = ""
    if part is not None:
        for detail in part.findall(f"{M}detail"):
            if detail.get("type") in details:
                details[detail.get("type")] = _text(detail.find(f"{M}number"))
        extent = part.find(f"{M}extent[@unit='pages']")
        if extent is None:
            extent = part.find(f"{M}extent[@unit='page']")
        if extent is not None:
            pages = "-".join(t for t in (_text(extent.find(f"{M}start")), _text(extent.find(f"{M}end"))) if t)
    return _text(host.find(f"{M}titleInfo/{M}title")), details["volume"], details["issue"], pages


def _title(element: Any) -> tuple[str, str, str, str]:
    infos = element.findall(f"{M}titleInfo")
    main = next((t for t in infos if not t.get("type")), infos[0] if infos else None)
    if main is None:
        return "", "", "", ""
    non_sort = _text(main.find(f"{M}nonSort"))
    title = _text(main.find(f"{M}title"))
    full = f"{non_sort} {title}".strip() if non_sort else title
    part = " ".join(_all(main, f"{M}partNumber") + _all(main, f"{M}partName"))
    return full, _text(main.find(f"{M}subTitle")), part, title_sort(title if non_sort else full)


def _authors(element: Any) -> list[Author]:
    authors: list[Author] = []
    for name in element.findall(f"{M}name"):
        parts = name.findall(f"{M}namePart")
        given = [_text(p) for p in parts if p.get("type") == "given"]
        family = [_text(p) for p in parts if p.get("type") == "family"]
        plain = [_text(p) for p in parts if not p.get("type")]
        text = ", ".join(family + given) if family else ", ".join(plain + given)
        if not text:
            continue
        roles = tuple(dict.fromkeys(_all(name, f"{M}role/{M}roleTerm")))
        dates = ", ".join(_text(p) for p in parts if p.get("type") == "date")
        primary = name.get("usage") == "primary" or (not authors and "creator" in " ".join(roles).lower())
        authors.append(Author(name=text, kind=NAME_KINDS.get(name.get("type", ""), "person"), roles=roles,
                              dates=dates, primary=primary))
    if authors and not any(a.primary for a in authors):
        authors[0] = replace(authors[0], primary=True)
    return authors


def _subjects(element: Any) -> list[Subject]:
    subjects: list[Subject] = []
    for subject in element.findall(f"{M}subject"):
        parts = tuple(part.strip() for child in subject
                      if isinstance(child.tag, str) and child.tag[len(M):] in SUBJECT_PARTS
                      for part in _text(child).split("--") if part.strip())
        if parts:
            subjects.append(Subject(parts=parts, tag="mods:subject"))
    return subjects
