"""The export formats: one table of name → media type, file extension and writer.

Every writer takes merged records (`indexer.merge.MergedRecord`) and returns bytes, so the record
page, the result list and the API all export through `export(records, name)`; a format added here
is offered everywhere (the OpenAPI document and the export menus read `FORMATS`).

    body = export([merged], "ris")
    FORMATS["ris"].media_type          # "application/x-research-info-systems"
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from indexer.merge import MergedRecord
from search_ui.interop.citation import DEFAULT_STYLE, cite
from search_ui.interop.export_bibtex import to_bibtex
from search_ui.interop.export_csl import csl_item
from search_ui.interop.export_marc import RecordTooLong, to_iso2709, to_marcxml
from search_ui.interop.export_ris import to_ris


class ExportError(ValueError):
    """An export that cannot be made (unknown format or style, a record too large for ISO 2709)."""


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One format: how it is named in URLs and menus, what it is served as, and how it is written."""

    name: str
    label: str
    media_type: str
    extension: str
    write: Callable[[Sequence[MergedRecord], str], bytes]


def _csl_json(records: Sequence[MergedRecord], style: str) -> bytes:
    return json.dumps([csl_item(m) for m in records], ensure_ascii=False, indent=1).encode("utf-8")


def _iso2709(records: Sequence[MergedRecord], style: str) -> bytes:
    try:
        return to_iso2709(records)
    except RecordTooLong as exc:
        raise ExportError(str(exc)) from exc


def _citations(records: Sequence[MergedRecord], style: str) -> bytes:
    lines = [c.text for c in cite([csl_item(m) for m in records], style or DEFAULT_STYLE)]
    return ("\n\n".join(lines) + "\n").encode("utf-8")


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("ris", "RIS (EndNote, Zotero, Mendeley)", "application/x-research-info-systems", "ris",
                     lambda records, _: to_ris(records).encode("utf-8")),
        ExportFormat("bibtex", "BibTeX", "application/x-bibtex", "bib",
                     lambda records, _: to_bibtex(records).encode("utf-8")),
        ExportFormat("csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json", _csl_json),
        ExportFormat("marcxml", "MARCXML", "application/marcxml+xml", "xml", lambda records, _: to_marcxml(records)),
        ExportFormat("marc", "MARC 21 (ISO 2709)", "application/marc", "mrc", _iso2709),
        ExportFormat("citation", "Formatted citation (text)", "text/plain; charset=utf-8", "txt", _citations),
    )
}
"""Every export format, in menu order."""


def export(records: Sequence[MergedRecord], name: str, style: str = DEFAULT_STYLE) -> bytes:
    """``records`` in format ``name`` (``style`` is the citation style of the "citation" format).

    Raises `ExportError` naming the formats there are for an unknown ``name``.
    """
    fmt = FORMATS.get(name)
    if fmt is None:
        raise ExportError(f"unknown export format {name!r}; choose one of: {', '.join(FORMATS)}")
    return fmt.write(records, style)
