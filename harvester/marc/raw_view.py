"""Raw records as text, for `unioncat show` and the record page's "raw MARC" view.

MARC (whatever it arrived as) is shown in the familiar line-per-field mnemonic form
(``=245  10$aMoby Dick /$cHerman Melville.``); XML payloads (Dublin Core, MODS) are shown as XML.
"""

from __future__ import annotations

from harvester.errors import RecordRejected

MARC_FORMATS = ("iso2709", "marcxml", "marcjson")


def raw_as_text(raw: bytes, raw_format: str) -> str:
    """The raw record as readable text; falls back to the decoded bytes when it cannot be parsed."""
    if raw_format in MARC_FORMATS:
        from harvester.marc.files import parse_raw_record

        try:
            record = parse_raw_record(raw, raw_format)
        except RecordRejected as exc:
            return f"(could not parse: {exc.reason})\n" + raw.decode("utf-8", "replace")
        return marc_as_text(record)
    return raw.decode("utf-8", "replace")


def marc_as_text(record: object) -> str:
    """pymarc's mnemonic text form, one field per line, leader first."""
    return str(record)
