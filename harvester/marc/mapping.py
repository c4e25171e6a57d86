"""The MARC 21 → `Record` mapping, one rule per line (see `harvester.record` for what each field means).

Simple fields are declared with the `harvester.marc.rules` DSL; fields that need MARC knowledge (nonfiling
characters, relator roles, subject subdivisions, identifier checksums, 880 pairing, dates) are small
named extractors below the table. A rule that crashes names itself and its line, and the record is
quarantined with that reason. Authority records (leader/06 z) are skipped; MFHD holdings records
(leader/06 u, v, x, y) become ``kind="holdings"`` records attached to their bib through 004.

    record = normalize_marc(pymarc_record, source, local_id="ocm12345")
"""

from __future__ import annotations

from typing import Any

import pymarc

from harvester.errors import RecordRejected, RecordSkipped
from harvester.marc import host, unimarc
from harvester.marc.classification import classification
from harvester.marc.headings import authors, subjects
from harvester.marc.holdings import holdings_of, mfhd_holdings
from harvester.marc.identifier_fields import invalid_isbns, isbns, issns, lccns, oclc_numbers, other_ids
from harvester.marc.rules import (
    MarcView,
    apply_rules,
    first,
    joined,
    marc,
    subfield_values,
    to_field,
    trim_punctuation,
    unique,
)
from harvester.marc.semantics import (
    alternate_scripts,
    languages,
    links,
    notes,
    page_count,
    place,
    publisher,
    record_format,
    series,
    title,
    title_sort,
    volumes,
    year,
)
from harvester.record import Record
from harvester.settings import SourceConfig
from harvester.types import make_record_id

MFHD_TYPES = "uvxy"
AUTHORITY_TYPES = "z"
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
    to_field("classification", classification),
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
    to_field("host_title", host.host_title),
    to_field("host_details", host.host_details),
    to_field("host_volume", host.host_volume),
    to_field("host_issue", host.host_issue),
    to_field("host_pages", host.host_pages),
    to_field("meetings", host.meetings),
    to_field("links", links),
    to_field("summary", marc("520ab"), first),
    to_field("notes", notes),
    to_field("alternate_scripts", alternate_scripts),
    to_field("rights", marc("540a:506a"), unique, joined("; ")),
)


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
    values = apply_rules(unimarc.RULES if unimarc.is_unimarc(view) else RULES, view)
    values["holdings"] = holdings_of(view, source.holdings, source.library)
    values.update(common)
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return Record(**fields)
