"""The holdings check for interlibrary-loan staff: "who holds these?" for a pasted list of numbers.

Staff paste ISBNs, ISSNs, OCLC numbers or LCCNs in whatever form their request system shows
("0-19-852663-6 (pbk.)", "(OCoLC)ocm00012345", "n 78-890351"); each is recognised and normalized by
`harvester.identifiers.recognise_identifier` and looked up in the identifier table that
`indexer.dedup.clusters.ClusterStore` keeps for every live record (an indexed SQLite look-up, exact, so it
is both fast and independent of the search engine's analysis). The answer lists, per identifier, the
matching item(s) — whole clusters, since every member is the same item — and every holding library
with location, call number, status, copies and whether it lends.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from harvester.identifiers import (
    normalize_isbn,
    normalize_issn,
    normalize_lccn,
    normalize_oclc,
    recognise_identifier,
)
from harvester.record import Holding
from harvester.store import RecordStore
from harvester.types import ClusterId
from indexer.dedup.clusters import ClusterStore
from indexer.labels import format_label
from indexer.merge import load_merged, source_libraries


@dataclass(frozen=True, slots=True)
class HoldingsItem:
    """One item (cluster) carrying the identifier, with every library's holdings."""

    cluster_id: ClusterId
    title: str
    year: int | None
    format: str
    holdings: tuple[Holding, ...]


@dataclass(frozen=True, slots=True)
class HoldingsAnswer:
    """The answer for one pasted identifier; ``error`` says why it could not be looked up."""

    query: str
    kind: str
    normalized: str
    items: tuple[HoldingsItem, ...]
    error: str = ""


MAX_IDENTIFIERS = 500
"""Identifiers answered per request: an ILL batch, not a catalog dump."""
TOO_MANY = f"not checked: more than {MAX_IDENTIFIERS} identifiers in one request; send the rest separately"
_SEPARATORS = re.compile(r"[\n\r\t,;]+")


def parse_identifier_list(text: str) -> list[str]:
    """Split a pasted list (newlines, commas, semicolons, tabs) into identifiers, in order, once each."""
    parts = (part.strip() for part in _SEPARATORS.split(text or ""))
    return list(dict.fromkeys(part for part in parts if part))


def check_holdings(store: RecordStore, identifiers: Sequence[str],
                   clusters: ClusterStore | None = None) -> list[HoldingsAnswer]:
    """Answer each identifier with its items and their holdings (past `MAX_IDENTIFIERS`: an error each)."""
    clusters = clusters or ClusterStore(store)
    libraries = source_libraries(store)
    answers: list[HoldingsAnswer] = []
    for number, query in enumerate(identifiers):
        if number < MAX_IDENTIFIERS:
            answers.append(_answer(store, clusters, libraries, query))
        else:
            answers.append(HoldingsAnswer(query, "", "", (), error=TOO_MANY))
    return answers


def _answer(store: RecordStore, clusters: ClusterStore, libraries: dict[str, tuple[str, str]],
            query: str) -> HoldingsAnswer:
    recognised = recognise_identifier(query) or _qualified(query)
    if recognised is None:
        return HoldingsAnswer(query, "", "", (), error="not an ISBN, ISSN, OCLC number or LCCN")
    kind, normalized = recognised
    record_ids = clusters.records_with_identifier(kind, normalized)
    if not record_ids:
        for alt_kind, alt in _alternatives(query, kind):
            record_ids = clusters.records_with_identifier(alt_kind, alt)
            if record_ids:
                kind, normalized = alt_kind, alt
                break
    cluster_ids = list(dict.fromkeys(c for c in map(clusters.cluster_of, record_ids) if c))
    batch = [(cluster_id, clusters.members(cluster_id)) for cluster_id in cluster_ids]
    items = tuple(
        HoldingsItem(
            cluster_id=merged.id,
            title=merged.record.full_title,
            year=merged.record.year,
            format=format_label(merged.record.format),
            holdings=tuple(sorted(merged.record.holdings, key=_holding_order)),
        )
        for merged in load_merged(store, batch, libraries)
    )
    return HoldingsAnswer(query, kind, normalized, items, error="" if items else "not held by any library")


def _qualified(query: str) -> tuple[str, str] | None:
    """An ISBN or ISSN followed by a qualifier, as catalogs print them: "0-19-852663-6 (pbk.)"."""
    isbn = normalize_isbn(query)
    if isbn:
        return ("isbn", isbn)
    issn = normalize_issn(query)
    return ("issn", issn) if issn else None


def _alternatives(query: str, kind: str) -> list[tuple[str, str]]:
    """Other readings of a bare number: 8 digits may be an ISSN or LCCN, 10 an ISBN, OCLC number or LCCN.

    `recognise_identifier` has to pick one; when that one finds nothing, the others are tried.
    """
    compact = query.strip().replace(" ", "")
    if not compact.isdigit():
        return []
    readings = (
        ("isbn", normalize_isbn(compact) if len(compact) in (10, 13) else None),
        ("issn", normalize_issn(compact) if len(compact) == 8 else None),
        ("oclc", normalize_oclc(compact)),
        ("lccn", normalize_lccn(compact) if len(compact) in (8, 10) else None),
    )
    return [(name, value) for name, value in readings if value and name != kind]


def _holding_order(holding: Holding) -> tuple[str, str, str]:
    return (holding.library_name or holding.library_code, holding.location, holding.call_number)


CSV_COLUMNS = ("query", "kind", "normalized", "cluster_id", "title", "year", "format", "library_code",
               "library", "location", "call_number", "status", "copies", "lendable", "summary", "error")


def answers_to_csv(answers: Sequence[HoldingsAnswer]) -> str:
    """One row per holding (one row for an identifier nothing matched), for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for answer in answers:
        head = [answer.query, answer.kind, answer.normalized]
        if not answer.items:
            writer.writerow(_safe([*head, "", "", "", "", "", "", "", "", "", "", "", "", answer.error]))
        for item in answer.items:
            about = [item.cluster_id, item.title, "" if item.year is None else str(item.year), item.format]
            for h in item.holdings:
                writer.writerow(_safe([*head, *about, h.library_code, h.library_name, h.location,
                                       h.call_number, h.status, str(h.copies), "yes" if h.lendable else "no",
                                       h.summary, ""]))
    return out.getvalue()


def _safe(row: list[str]) -> list[str]:
    """Neutralise cells a spreadsheet would run as formulas (CSV injection)."""
    return ["'" + cell if cell[:1] in ("=", "+", "@", "\t", "\r") else cell for cell in row]
