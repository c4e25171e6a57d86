"""The holdings check for interlibrary-loan staff: "who holds these, and whom do I ask?" for a pasted list.

Staff paste ISBNs, ISSNs, OCLC numbers, LCCNs, WorldCat or lccn.loc.gov links, in whatever form their
request system shows; each line is read by `harvester.identifiers.read_identifier`, which says what it
is and what is wrong with it (a bad check digit is reported, with the likely intended number, and the
number is still looked up as typed). Look-ups go to the identifier table `ClusterStore` keeps for every
live record (exact and indexed, independent of the search engine). Each answer lists the matching
item(s) — whole clusters — with every holding and the ranked lender list for the requesting library
(`indexer.lenders`), whose lending string is ready to paste into an ILL system.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from harvester.identifiers import KIND_LABELS, Reading, read_identifier
from harvester.marc.holdings import holding_sort_key
from harvester.record import Holding
from harvester.store import RecordStore
from harvester.types import ClusterId
from indexer.csv_safe import safe_row
from indexer.dedup.clusters import ClusterStore
from indexer.labels import format_label
from indexer.lenders import Directory, LenderList, rank_lenders
from indexer.merge import load_merged, source_libraries


@dataclass(frozen=True, slots=True)
class HoldingsItem:
    """One item (cluster) carrying the identifier, with every library's holdings and its lenders."""

    cluster_id: ClusterId
    title: str
    year: int | None
    format: str
    holdings: tuple[Holding, ...]
    lenders: LenderList


@dataclass(frozen=True, slots=True)
class HoldingsAnswer:
    """The answer for one pasted line: what it was read as, one message saying so, and the items.

    ``error`` is set when nothing could be looked up or nothing was found (kept for scripts);
    ``message`` is the one sentence shown for the line; ``suggestion`` a corrected number to try.
    """

    query: str
    kind: str
    normalized: str
    items: tuple[HoldingsItem, ...]
    error: str = ""
    message: str = ""
    suggestion: str = ""

    @property
    def lending_string(self) -> str:
        """The first item's lending string (the usual case: one identifier, one item)."""
        return self.items[0].lenders.lending_string if self.items else ""


MAX_IDENTIFIERS = 500
"""Identifiers answered per request: an ILL batch, not a catalog dump."""
TOO_MANY = f"not checked: more than {MAX_IDENTIFIERS} identifiers in one request; send the rest separately"
_SEPARATORS = re.compile(r"[\t,;]+")


def parse_identifier_list(text: str) -> list[str]:
    """Split a pasted list into identifiers, in order, once each: one per line; a single line may
    separate them by commas, semicolons or tabs (a spreadsheet row)."""
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1:
        lines = [part.strip() for part in _SEPARATORS.split(lines[0]) if part.strip()]
    return list(dict.fromkeys(lines))


def check_holdings(store: RecordStore, identifiers: Sequence[str], clusters: ClusterStore | None = None,
                   directory: Directory | None = None, requester: str = "") -> list[HoldingsAnswer]:
    """Answer each identifier with its items, holdings and lenders (past `MAX_IDENTIFIERS`: an error each)."""
    clusters = clusters or ClusterStore(store)
    libraries = source_libraries(store)
    directory = directory or Directory()
    answers: list[HoldingsAnswer] = []
    for number, query in enumerate(identifiers):
        if number < MAX_IDENTIFIERS:
            answers.append(_answer(store, clusters, libraries, directory, requester, query))
        else:
            answers.append(HoldingsAnswer(query, "", "", (), error=TOO_MANY, message=TOO_MANY))
    return answers


def _answer(store: RecordStore, clusters: ClusterStore, libraries: dict[str, tuple[str, str]],
            directory: Directory, requester: str, query: str) -> HoldingsAnswer:
    reading = read_identifier(query)
    if not reading.kind:
        return HoldingsAnswer(query, "", "", (), error=reading.problem, message=reading.problem)
    kind, normalized = reading.kind, reading.normalized
    record_ids = clusters.records_with_identifier(kind, normalized)
    for alt_kind, alt in reading.alternatives if not record_ids else ():
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
            holdings=tuple(sorted(merged.record.holdings, key=holding_sort_key)),
            lenders=rank_lenders(merged.record.holdings, directory, requester, request_key=f"{kind}:{normalized}"),
        )
        for merged in load_merged(store, batch, libraries)
    )
    message = _message(reading, kind, normalized, items)
    error = "" if items else (reading.problem or "not held by any library")
    return HoldingsAnswer(query, kind, normalized, items, error=error, message=message,
                          suggestion=reading.suggestion)


def _message(reading: Reading, kind: str, normalized: str, items: tuple[HoldingsItem, ...]) -> str:
    """One sentence per line: what it was read as, what is wrong with it, what was found."""
    label = f"{KIND_LABELS[kind]} {normalized}"
    if kind != reading.kind:
        label += f" (read as {KIND_LABELS[kind]}: no {KIND_LABELS[reading.kind]} {reading.normalized} is held)"
    if not items:
        found = "not held by any library"
    else:
        held = {h.library_code for item in items for h in item.holdings}
        found = f"held by {len(held)} librar{'y' if len(held) == 1 else 'ies'}"
        lenders = items[0].lenders
        found += f", {len(lenders.lenders)} can lend" if lenders.lenders else ", none says it lends"
    if reading.problem:
        return f"{reading.problem}; searched as typed ({label}): {found}"
    return f"{label}: {found}"


CSV_COLUMNS = ("query", "kind", "normalized", "message", "cluster_id", "title", "year", "format",
               "library_code", "library", "kind_of_holding", "location", "call_number", "status", "copies",
               "lendable", "lending_basis", "summary", "lender_rank", "lending_string", "error")
REQUEST_COLUMNS = ("query", "kind", "normalized", "message", "cluster_id", "title", "lenders",
                   "lending_string", "error")


def answers_to_csv(answers: Sequence[HoldingsAnswer]) -> str:
    """One row per holding (one row for an identifier nothing matched), for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for answer in answers:
        head = [answer.query, answer.kind, answer.normalized, answer.message]
        if not answer.items:
            writer.writerow(safe_row([*head, *[""] * (len(CSV_COLUMNS) - 5), answer.error]))
        for item in answer.items:
            about = [item.cluster_id, item.title, "" if item.year is None else str(item.year), item.format]
            ranks = {lender.code: str(lender.rank) for lender in item.lenders.lenders}
            for h in item.holdings:
                writer.writerow(safe_row([*head, *about, h.library_code, h.library_name, h.kind, h.location,
                                       h.call_number, h.status, copies_text(h), lendable_text(h), h.basis,
                                       h.summary, ranks.get(h.library_code, ""), item.lenders.lending_string,
                                       ""]))
    return out.getvalue()


def requests_to_csv(answers: Sequence[HoldingsAnswer]) -> str:
    """One row per request (pasted identifier) with its lender string: the batch form's answer."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REQUEST_COLUMNS)
    for answer in answers:
        item = answer.items[0] if answer.items else None
        lenders = "; ".join(f"{lender.rank}. {lender.symbol} ({lender.reason})"
                            for lender in item.lenders.lenders) if item else ""
        writer.writerow(safe_row([answer.query, answer.kind, answer.normalized, answer.message,
                               item.cluster_id if item else "", item.title if item else "", lenders,
                               answer.lending_string, answer.error]))
    return out.getvalue()


def copies_text(holding: Holding) -> str:
    """The count the source gives, or "" when it gives none."""
    return "" if holding.copies is None else str(holding.copies)


def lendable_text(holding: Holding) -> str:
    """yes / no / online / unknown, with "(policy)" when the library's stated policy decides."""
    if holding.kind == "online":
        return "online"
    if holding.lendable is None:
        return "unknown"
    word = "yes" if holding.lendable else "no"
    return f"{word} (policy)" if holding.policy else word


UNMAPPED_SHOWN = 50
"""Unmapped codes listed per source on the partners page (most frequent first; the total is exact)."""


def unmapped_codes(store: RecordStore, source_id: str) -> list[tuple[str, int]]:
    """The codes of a source's live holdings that no translation map names, with how many holdings
    carry each ("status:o", 12), most frequent first: what a partner adds to its map.

    Reads every record of the source (a staff page, not a patron one).
    """
    counts: dict[str, int] = {}
    for stored in store.iter_records(source_id=source_id):
        if stored.deleted:
            continue
        for holding in stored.normalized.holdings:
            for code in holding.unmapped:
                counts[code] = counts.get(code, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
