"""OAI payloads → stored records: MARCXML through the MARC rules, Dublin Core and MODS through their maps.

Also the small vocabulary both repository formats share — years from free-text dates, DOIs and handles
from URLs, full-text versus landing-page links, language names to ISO 639-2, type words to
`harvester.record.FORMATS` — so that `harvester.oai.dc` and `harvester.oai.mods` stay one readable table each.

    incoming = to_incoming(source, oai_record, "marcxml")   # RecordRejected / RecordSkipped on bad input
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass, replace
from typing import Any

from lxml import etree

from harvester.errors import RecordRejected
from harvester.marc.files import parse_raw_record
from harvester.marc.mapping import normalize_marc
from harvester.oai.dc import dc_to_record
from harvester.oai.mods import mods_to_record
from harvester.oai.vocab import DC_NS, MODS_NS
from harvester.record import Record
from harvester.settings import SourceConfig
from harvester.store import IncomingRecord
from harvester.types import make_record_id
from harvester.valid_text import storable
from harvester.xml import XMLSyntaxError, parse_bytes

MARC_NS = "http://www.loc.gov/MARC21/slim"
MARC_PREFIXES = ("marc21", "marcxml", "marc", "usmarc", "marc21_slim", "marcxml_holdings")
PREFERRED_PREFIXES = ("marc21", "marcxml", "mods", "oai_dc")
QDC_PREFIXES = ("qdc", "oai_qdc", "dcterms", "oai_dcterms")
QDC_NAMESPACES = (
    "http://worldcat.org/xmlschemas/qdc-1.0/",  # CONTENTdm's oai_qdc
    "http://dspace.org/qualifieddc/",  # DSpace's qdc crosswalk
    "http://epubs.cclrc.ac.uk/xmlns/qdc/",
    "http://purl.org/dc/terms/",  # a bare dcterms root
)


def payload_kind(prefix: str, namespace: str) -> str:
    """Which mapping a payload needs, from its root namespace first and the metadataPrefix second."""
    if namespace == MARC_NS or prefix.lower() in MARC_PREFIXES:
        return "marcxml"
    if namespace == MODS_NS or prefix.lower().startswith("mods"):
        return "mods"
    if namespace == DC_NS or prefix.lower() in ("oai_dc", "dc"):
        return "oai_dc"
    if namespace in QDC_NAMESPACES or prefix.lower() in QDC_PREFIXES:
        return "qdc"  # qualified Dublin Core: the DC elements plus dcterms refinements, the same map
    raise RecordRejected(f"unsupported metadata format {prefix!r} (root namespace {namespace or 'none'})")


def to_incoming(
    source: SourceConfig, identifier: str, raw: bytes, prefix: str, payload: object | None = None
) -> IncomingRecord:
    """Map one OAI payload (its bytes, and its element when at hand) to an `IncomingRecord`.

    The record id is ``source:<OAI identifier>``. Without ``payload`` the bytes are parsed here (in a
    worker process the element cannot travel; MARC payloads are parsed from bytes by the MARC reader).
    """

    if payload is None and prefix.lower() not in MARC_PREFIXES:
        try:
            payload = parse_bytes(raw)
        except XMLSyntaxError as exc:
            raise RecordRejected(f"payload is not well-formed XML: {exc}", raw, identifier) from exc
    tag = payload.tag if isinstance(payload, etree._Element) else ""  # type: ignore[attr-defined]
    namespace = tag[1:].partition("}")[0] if tag.startswith("{") else ""
    kind = payload_kind(prefix, namespace)
    record, normalized = storable(_map(source, identifier, payload, raw, kind), record_json, raw)
    parent = make_record_id(source.id, record.parent_local_id) if record.parent_local_id else None
    return IncomingRecord(
        id=record.id,
        source_id=source.id,
        local_id=record.local_id,
        raw=raw,
        raw_format=kind,
        normalized_json=normalized,
        kind=record.kind,
        parent_id=parent,
        file="oai",
        position=identifier,
    )


def _map(source: SourceConfig, identifier: str, payload: object, raw: bytes, kind: str) -> Record:
    if kind == "marcxml":

        marc = parse_raw_record(raw, "marcxml")
        record = normalize_marc(marc, source, identifier)
        if record.parent_local_id:
            parent = _parent_identifier(identifier, marc, record.parent_local_id)
            return replace(record, parent_local_id=parent)
        return record
    if kind == "mods":

        return mods_to_record(payload, source, identifier)

    return dc_to_record(payload, source, identifier)


def _parent_identifier(identifier: str, marc: Any, parent_001: str) -> str:
    """An MFHD's 004 names its bib by 001, but OAI records are keyed by OAI identifier: when this
    record's identifier ends with its own 001 ("oai:pod:123" / "123"), the bib's is the same prefix
    plus the 004 ("oai:pod:" + "77")."""
    fields_001 = marc.get_fields("001") if marc is not None else []
    own = (fields_001[0].data or "").strip() if fields_001 else ""
    if own and identifier.endswith(own) and identifier != own:
        return identifier[: -len(own)] + parent_001
    return parent_001


_FIELDS: dict[type, tuple[str, ...] | None] = {}  # dataclass type → field names; None: a plain value


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is tuple:
        return [_plain(v) for v in value]
    try:
        names = _FIELDS[kind]
    except KeyError:
        is_record = is_dataclass(value) and not isinstance(value, type)
        names = _FIELDS[kind] = tuple(f.name for f in fields(value)) if is_record else None
    if names is None:
        return value
    out = {name: _plain(getattr(value, name)) for name in names}
    if kind is Record:  # the optional fields `Record.to_dict` writes only when set
        for name in ("repairs", "id_origin"):
            if not out[name]:
                del out[name]
    return out


def record_json(record: Record) -> str:
    """``json.dumps(record.to_dict())`` without `dataclasses.asdict`'s deep copies (a third of the
    per-record cost of an OAI harvest); the output is identical."""
    return json.dumps(_plain(record), ensure_ascii=False, separators=(",", ":"))
