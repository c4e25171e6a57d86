"""Merged records as MARCXML and MARC 21 (ISO 2709): the record `marc_out` renders, with 852/999 holdings.

The MARC rendering itself lives in `search_ui.interop.marc_out` (shared with OAI-PMH and SRU, so every
interface says the same about an item); this module only writes collections of it. ISO 2709 cannot
hold a record over 99,999 bytes: rather than write a length field that lies (and breaks every reader
after it), such a record makes the export fail with `RecordTooLong`, naming the record and
pointing to MARCXML, which has no limit.

    to_marcxml([merged]); to_iso2709([merged])
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from indexer.merge import MergedRecord
from search_ui.interop.marc_out import MARC_NS, marc_to_xml, merged_to_marc

ISO2709_MAX = 99_999


class RecordTooLong(ValueError):
    """A merged record too large for ISO 2709's five-digit length."""

    def __init__(self, cluster_id: str, size: int) -> None:
        super().__init__(f"record {cluster_id} is {size:,} bytes in MARC 21, over ISO 2709's limit of "
                         f"{ISO2709_MAX:,}; export it as MARCXML instead")
        self.cluster_id = cluster_id
        self.size = size


def to_marcxml(records: Sequence[MergedRecord]) -> bytes:
    """A MARCXML ``collection`` of the records (schema-valid MARC21slim)."""
    collection = etree.Element(f"{{{MARC_NS}}}collection", nsmap={"marc": MARC_NS})
    for merged in records:
        collection.append(marc_to_xml(merged_to_marc(merged), schema_location=False))
    return bytes(etree.tostring(collection, xml_declaration=True, encoding="utf-8", pretty_print=True))


def to_iso2709(records: Sequence[MergedRecord]) -> bytes:
    """The records as concatenated ISO 2709 (UTF-8, leader/09 ``a``)."""
    parts = []
    for merged in records:
        data = merged_to_marc(merged).as_marc()
        if len(data) > ISO2709_MAX:
            raise RecordTooLong(merged.id, len(data))
        parts.append(data)
    return b"".join(parts)
