"""Isolating the records an OAI-PMH server fails on, in seconds rather than hours.

Some servers (DSpace among them) answer HTTP 500 for every ``ListRecords`` page that holds one broken
item, while ``ListIdentifiers`` (no metadata to build) still works. Halving the date window blindly,
with the full retry backoff at every level, took minutes for 300 records and would take days for
100,000. Instead, once a page keeps failing and Identify shows the server is up:

1. list the window's identifiers and datestamps (``ListIdentifiers``, with the full retry policy);
2. leave out what this run already stored from the window's earlier pages;
3. ask for the rest with ``ListRecords`` restricted to the datestamps of a group of records, and when
   that fails, halve the *group* at a datestamp boundary — a binary search that costs a handful of
   requests per broken record and keeps every healthy page a full page;
4. fetch a group that cannot be cut any more (one record, or records sharing a datestamp) one by one
   with ``GetRecord``; what still fails is quarantined under its identifier (kind ``server_failure``)
   and fetched again on the next run.

Probes are made with a server-error budget of no retry (`HarvestClient.server_error_budget`): the
server has already shown that it fails on these records every time, so no backoff is paid again at each
level. A record a restricted listing should have returned but did not (servers that read ``until`` as
midnight) is fetched with ``GetRecord`` too, so nothing is lost to a server's date arithmetic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from harvester.oai.checkpoint import DAY, Checkpoint, Window, save_checkpoint
from harvester.oai.client import MalformedPage, ServerFailure
from harvester.oai.commit import PreparedPage, apply_page, prepare_page
from harvester.oai.pages import OAIRecord, PageIterator, page_records

GET_RETRIES = 1  # a record fetched alone gets one more chance before it is quarantined


def isolate_window(harvest: Any, cp: Checkpoint, window: Window, failure: ServerFailure) -> bool:
    """Store every record of the failing window the server can deliver, quarantine the others, close
    the window. False when even ListIdentifiers fails (the caller then halves the window by date)."""
    params = {"verb": "ListIdentifiers", "metadataPrefix": harvest.prefix}
    if cp.current_set is not None:
        params["set"] = cp.current_set
    params.update({k: v for k, v in (("from", window.start), ("until", window.end)) if v})
    try:
        headers = [r for page in PageIterator(harvest.client, params) for r in page.records]
    except (ServerFailure, MalformedPage):
        return False
    rest = PreparedPage()
    live: list[OAIRecord] = []
    for header in headers:
        if header.identifier in harvest.window_ids:
            continue
        if header.deleted:
            rest.deleted.extend(prepare_page(harvest.source, [header], harvest.prefix).deleted)
        else:
            live.append(header)
    live.sort(key=lambda r: (r.datestamp, r.identifier))
    harvest.warnings.append(f"{failure}; isolating {len(live)} records of window {window.describe()} "
                            "by their datestamps")
    with harvest.client.server_error_budget(0):
        _search(harvest, cp, window, live, rest)
    with harvest.store.transaction():
        apply_page(harvest.store, harvest.source.id, harvest.run_id, rest, harvest.counts,
                   harvest.excerpt_bytes)
        cp.listed += rest.live
        harvest.isolated.update(identifier for identifier, _ in rest.failed)
        harvest.warnings.append(f"isolated window {window.describe()}: {len(rest.failed)} record(s) the "
                                "server fails on quarantined")
        harvest._close_window(cp)
        save_checkpoint(harvest.store, harvest.source.id, cp)
    return True


def _search(harvest: Any, cp: Checkpoint, window: Window, live: list[OAIRecord], rest: PreparedPage) -> None:
    """Binary search over groups of records (in datestamp order) for the ones the server fails on."""
    groups: deque[list[OAIRecord]] = deque([live] if live else [])
    while groups:
        group = groups.popleft()
        halves = _halve(group, cp.granularity)
        if halves is None:
            _fetch_each(harvest, cp, window, group, rest)
            continue
        records = _list(harvest, cp, group)
        if records is None:
            harvest.counts["windows_split"] += 1
            groups.extendleft(reversed(halves))
            continue
        wanted = {r.identifier for r in group}
        found = [r for r in records if r.identifier in wanted]
        _store(harvest, cp, prepare_page(harvest.source, found, harvest.prefix))
        missing = wanted - {r.identifier for r in found}
        if missing:
            _fetch_each(harvest, cp, window, [r for r in group if r.identifier in missing], rest)


def _halve(group: Sequence[OAIRecord], granularity: str) -> tuple[list[OAIRecord], list[OAIRecord]] | None:
    """Two halves cut at the datestamp boundary nearest the middle; None when no boundary exists."""
    if len(group) < 2:
        return None
    stamps = [_stamp(r.datestamp, granularity) for r in group]
    middle = len(group) // 2
    for offset in range(len(group)):
        for cut in (middle - offset, middle + offset):
            if 0 < cut < len(group) and stamps[cut - 1] != stamps[cut]:
                return list(group[:cut]), list(group[cut:])
    return None


def _list(harvest: Any, cp: Checkpoint, group: Sequence[OAIRecord]) -> list[OAIRecord] | None:
    """Every page of a ListRecords restricted to the group's datestamps; None when a page fails."""
    params = {"verb": "ListRecords", "metadataPrefix": harvest.prefix,
              "from": _stamp(group[0].datestamp, cp.granularity),
              "until": _stamp(group[-1].datestamp, cp.granularity)}
    if cp.current_set is not None:
        params["set"] = cp.current_set
    try:
        return [r for page in PageIterator(harvest.client, params) for r in page.records]
    except (ServerFailure, MalformedPage):
        return None


def _fetch_each(harvest: Any, cp: Checkpoint, window: Window, group: Sequence[OAIRecord],
                rest: PreparedPage) -> None:
    for header in group:
        try:
            with harvest.client.server_error_budget(GET_RETRIES):
                page = harvest.client.harvest(verb="GetRecord", identifier=header.identifier,
                                              metadataPrefix=harvest.prefix)
        except (ServerFailure, MalformedPage) as exc:
            reason = f"GetRecord failed ({exc}); isolated in window {window.describe()}"
            rest.failed.append((header.identifier, reason))
            continue
        records = list(page_records(page.xml, harvest.client.oai_namespace))
        _store(harvest, cp, prepare_page(harvest.source, records, harvest.prefix))


def _store(harvest: Any, cp: Checkpoint, prepared: PreparedPage) -> None:
    with harvest.store.transaction():
        apply_page(harvest.store, harvest.source.id, harvest.run_id, prepared, harvest.counts,
                   harvest.excerpt_bytes)
        cp.listed += prepared.live


def _stamp(datestamp: str, granularity: str) -> str:
    return datestamp[:10] if granularity == DAY else datestamp
