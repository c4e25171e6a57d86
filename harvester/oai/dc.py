"""Simple Dublin Core (``oai_dc``) → the shared `Record` model.

Repositories (DSpace, EPrints, Islandora …) describe items in the fifteen DC elements, each repeatable
and mostly free text, so the map is short and tolerant: the first title is the title, creators are
authors (the first one primary), contributors are authors with a role, subjects split at "--" into
heading parts, the first year in any date is the year, types pick the format, identifiers are sorted
into ISBN/ISSN/DOI/handle/URL (URLs become landing-page or full-text links), rights are kept.

    record = dc_to_record(element, source, "oai:repo:123")
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from harvester.errors import RecordRejected
from harvester.oai.vocab import Identifiers, format_of, language_code, source_holding, title_sort, year_of
from harvester.record import Author, Record, Subject
from harvester.settings import SourceConfig
from harvester.types import make_record_id

DC_ELEMENTS = "http://purl.org/dc/elements/1.1/"
_WORD = re.compile(r"[^\W\d_]{3,}")  # subjects without a word are classification codes ("M;M10;L2")
_URL = re.compile(r"https?://[^\s<>\"]+")
DC_ROOTS = ("dc", "qualifieddc")  # oai_dc; qualified DC (CONTENTdm oai_qdc, DSpace qdc), any namespace


def dc_values(element: Any) -> dict[str, list[str]]:
    """Every DC element's non-empty texts, by local name, in document order."""
    values: dict[str, list[str]] = {}
    for child in element.iter():
        tag = child.tag
        if not isinstance(tag, str) or child is element:
            continue
        namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if namespace not in (DC_ELEMENTS, "", "http://purl.org/dc/terms/"):
            continue
        text = " ".join("".join(child.itertext()).split())
        if text:
            values.setdefault(name, []).append(text)
    return values


def dc_to_record(element: Any, source: SourceConfig, identifier: str) -> Record:
    """Map an ``<oai_dc:dc>`` element; `RecordRejected` when it has neither title nor identifier."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag.rpartition("}")[2] not in DC_ROOTS:
        raise RecordRejected(f"expected an oai_dc:dc or qualifieddc payload, got <{tag}>", local_id=identifier)
    dc = dc_values(element)
    if not dc.get("title") and not dc.get("identifier"):
        raise RecordRejected("Dublin Core record with neither title nor identifier", local_id=identifier)
    ids = Identifiers()
    for value in dc.get("identifier", []):
        ids.add(value)
    for value in dc.get("relation", []) + dc.get("source", []):
        if value.lower().startswith(("issn", "isbn", "urn:isbn", "urn:issn", "doi:", "hdl:")):
            ids.add(value)
    for value in dc.get("format", []) + dc.get("relation", []):  # DSpace puts bitstream URLs in dc:format
        for url in _URL.findall(value):
            ids.add_link(url)
    title = dc.get("title", [""])[0]
    creators = list(dict.fromkeys(dc.get("creator", [])))
    authors = [Author(name=name, primary=i == 0, roles=("creator",)) for i, name in enumerate(creators)]
    authors += [Author(name=name, roles=("contributor",))
                for name in dict.fromkeys(dc.get("contributor", [])) if name not in creators]
    if authors and not any(a.primary for a in authors):
        authors[0] = replace(authors[0], primary=True)
    subjects = [Subject(parts=tuple(p.strip() for p in text.split("--") if p.strip()), tag="dc:subject")
                for text in dict.fromkeys(dc.get("subject", [])) if _WORD.search(text)]
    languages = [code for code in (language_code(v) for v in dc.get("language", [])) if code]
    descriptions = list(dict.fromkeys(dc.get("abstract", []) + dc.get("description", [])))  # dcterms:abstract
    return Record(
        id=make_record_id(source.id, identifier),
        source_id=source.id,
        local_id=identifier,
        title=title,
        title_sort=title_sort(title),
        authors=tuple(authors),
        subjects=tuple(s for s in subjects if s.parts),
        isbns=tuple(ids.isbns),
        issns=tuple(ids.issns),
        oclc_numbers=tuple(ids.oclc),
        lccns=tuple(ids.lccns),
        other_ids=tuple(ids.other),
        publisher=(dc.get("publisher") or [""])[0],
        year=year_of(dc.get("date", []) + dc.get("issued", []) + dc.get("created", [])),
        languages=tuple(dict.fromkeys(languages)),
        format=format_of(dc.get("type", [])),
        extent=(dc.get("extent") or [""])[0],  # dcterms:extent (qualified DC)
        links=tuple(ids.links),
        summary=descriptions[0] if descriptions else "",
        notes=tuple(descriptions[1:]),
        holdings=(source_holding(source),),
        rights="; ".join(dict.fromkeys(dc.get("rights", []))),
    )
