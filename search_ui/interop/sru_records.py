"""The record schemas SRU serves: MARCXML (with 999/852 holdings) and SRU Dublin Core.

Clients name a schema by its short name or its identifier; CrossLink sends the identifier
``info:srw/schema/1/marcxml-v1.1``, YAZ's ``elements marcxml`` the short name. Both get the same
rendering as the OAI-PMH provider (`search_ui.interop.marc_out`, `oai_provider_formats.dc_elements`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from indexer.merge import MergedRecord
from search_ui.interop.cql_query import CQLDiagnostic
from search_ui.interop.marc_out import marc_to_xml, merged_to_marc
from search_ui.interop.oai_provider_formats import DC_NS, add_dc_elements

SRW_DC_NS = "info:srw/schema/1/dc-schema"
DEFAULT_RECORDS = 10
MAX_RECORDS = 100
"""Records per searchRetrieve when the client does not say, and at most (explain announces both)."""


@dataclass(frozen=True, slots=True)
class RecordSchema:
    name: str
    identifier: str
    title: str
    build: Callable[[MergedRecord], etree._Element]


def _marcxml(merged: MergedRecord) -> etree._Element:
    return marc_to_xml(merged_to_marc(merged), schema_location=False)


def _dc(merged: MergedRecord) -> etree._Element:
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})
    add_dc_elements(root, merged)
    return root


SCHEMAS = (
    RecordSchema("marcxml", "info:srw/schema/1/marcxml-v1.1", "MARCXML with holdings (999, 852)", _marcxml),
    RecordSchema("dc", "info:srw/schema/1/dc-v1.1", "Dublin Core", _dc),
)
ALIASES = {
    "marcxml": SCHEMAS[0], "marc21": SCHEMAS[0], "marc": SCHEMAS[0], "marc21-xml": SCHEMAS[0],
    "info:srw/schema/1/marcxml-v1.1": SCHEMAS[0], "http://www.loc.gov/marc21/slim": SCHEMAS[0],
    "dc": SCHEMAS[1], "info:srw/schema/1/dc-v1.1": SCHEMAS[1], "info:srw/schema/1/dc-schema": SCHEMAS[1],
}


def schema_for(name: str) -> RecordSchema:
    """The schema a client named, or diagnostic 66 (unknown schema for retrieval)."""
    schema = ALIASES.get(name.strip().lower() or "marcxml")
    if schema is None:
        raise CQLDiagnostic(66, name, "Unknown schema for retrieval")
    return schema
