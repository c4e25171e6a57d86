"""The metadata formats the catalog is served in: ``oai_dc`` (simple Dublin Core) and ``marcxml``.

Both render one merged record (`indexer.merge.MergedRecord`). Dublin Core is the lowest common
denominator every harvester reads: title, creators, subjects, publisher, date, type (our format
label), language, identifiers (ISBN/ISSN as URNs, OCLC numbers prefixed) and series. Holdings have
no Dublin Core element, so they are left to MARCXML, whose 999/852 fields carry them in full.
The SRU ``dc`` schema uses the same elements inside its own wrapper, hence `dc_elements`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from indexer.labels import format_label
from indexer.merge import MergedRecord
from search_ui.interop.marc_out import MARC_NS, MARC_SCHEMA, clean_text, marc_to_xml, merged_to_marc

DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True, slots=True)
class MetadataFormat:
    schema: str
    namespace: str


FORMATS = {
    "oai_dc": MetadataFormat(OAI_DC_SCHEMA, OAI_DC_NS),
    "marcxml": MetadataFormat(MARC_SCHEMA, MARC_NS),
}


def metadata_element(merged: MergedRecord, prefix: str) -> etree._Element:
    """The record's metadata in one of `FORMATS`."""
    if prefix == "marcxml":
        return marc_to_xml(merged_to_marc(merged))
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    add_dc_elements(root, merged)
    return root


def dc_elements(merged: MergedRecord) -> list[tuple[str, str]]:
    """(element, value) pairs of the record in Dublin Core, in the usual element order."""
    record = merged.record
    pairs: list[tuple[str, str]] = [("title", record.full_title)]
    pairs += [("creator" if author.primary else "contributor", author.name) for author in record.authors]
    pairs += [("subject", subject.heading) for subject in record.subjects]
    pairs += [("description", text) for text in (record.summary, *record.notes)]
    pairs += [("publisher", record.publisher), ("date", str(record.year) if record.year else "")]
    pairs += [("type", format_label(record.format)), ("format", record.extent)]
    pairs += [("identifier", f"urn:isbn:{isbn}") for isbn in record.isbns]
    pairs += [("identifier", f"urn:issn:{issn}") for issn in record.issns]
    pairs += [("identifier", f"(OCoLC){number}") for number in record.oclc_numbers]
    pairs += [("identifier", link.url) for link in record.links if link.resource]
    pairs += [("language", code) for code in record.languages]
    pairs += [("relation", series) for series in record.series]
    pairs += [("rights", record.rights)]
    return [(name, clean_text(value)) for name, value in pairs if value and clean_text(value)]


def add_dc_elements(parent: etree._Element, merged: MergedRecord) -> None:
    for name, value in dc_elements(merged):
        etree.SubElement(parent, f"{{{DC_NS}}}{name}").text = value
