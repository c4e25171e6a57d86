"""How holdings read on a page: grouped per library, in natural order, with words that claim no more
than the source says ("3 copies, 2 lendable", "held, no item data", "online access").

Shared by the record page, the ILL holdings check and their JSON, so all three say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from harvester.marc.holdings import holding_sort_key
from harvester.record import Holding
from indexer.lenders import LenderList


def holdings_by_library(holdings: Iterable[Holding]) -> list[dict[str, Any]]:
    """Holdings grouped per library (sorted by name), rows in natural order (v. 2 before v. 10)."""
    groups: dict[str, list[Holding]] = {}
    for holding in holdings:
        groups.setdefault(holding.library_name or holding.library_code, []).append(holding)
    out = []
    for name, rows in sorted(groups.items(), key=lambda item: item[0].casefold()):
        rows = sorted(rows, key=holding_sort_key)
        out.append({"name": name, "code": rows[0].library_code, "rows": rows, "summary": library_summary(rows)})
    return out


def library_summary(rows: Sequence[Holding]) -> str:
    """One honest line per library: copies only when counted, lending only when stated."""
    online = [h for h in rows if h.kind == "online"]
    physical = [h for h in rows if h.kind != "online"]
    parts: list[str] = []
    if physical:
        counted = [h for h in physical if h.copies is not None]
        if counted and len(counted) == len(physical):
            total = sum(h.copies or 0 for h in counted)
            parts.append(f"{total} cop{'y' if total == 1 else 'ies'} in item records")
        elif counted:
            total = sum(h.copies or 0 for h in counted)
            parts.append(f"{total} cop{'y' if total == 1 else 'ies'} counted, more not counted")
        elif all(h.kind == "held" for h in physical):
            parts.append("held (no item data)")
        else:
            places = len(physical)
            parts.append(f"held at {places} location{'' if places == 1 else 's'}, copies not given")
        parts.append(_lending_words(physical))
    if online:
        parts.append("online access")
    return "; ".join(p for p in parts if p)


def _lending_words(rows: Sequence[Holding]) -> str:
    def count(hs: Iterable[Holding]) -> int:
        return sum(h.copies if h.copies is not None else 1 for h in hs)

    yes = [h for h in rows if h.lendable is True]
    no = [h for h in rows if h.lendable is False]
    unknown = [h for h in rows if h.lendable is None]
    if not yes and not no:
        return "lending not stated"
    if yes and all(h.policy for h in yes) and not no:
        return "lendable by library policy"
    bits = []
    if yes:
        bits.append(f"{count(yes)} lendable" if any(h.copies is not None for h in yes) else "lendable")
    if no:
        bits.append(f"{count(no)} not lendable" if any(h.copies is not None for h in no) else "not lendable")
    if unknown:
        bits.append(f"{count(unknown)} not stated")
    return ", ".join(bits)


def copies_label(holding: Holding) -> str:
    """The Copies cell: the counted number, or a dash with words for screen readers."""
    return "—" if holding.copies is None else str(holding.copies)


def lending_label(holding: Holding) -> str:
    """The Lending cell: Lendable / Not lendable / Online / Not stated, "(policy)" when policy decides."""
    if holding.kind == "online":
        return "Online"
    if holding.lendable is None:
        return "Not stated"
    word = "Lendable" if holding.lendable else "Not lendable"
    return f"{word} (policy)" if holding.policy else word


def holding_json(holding: Holding) -> dict[str, Any]:
    """A holding for JSON: the record fields plus the words the page shows."""
    data = asdict(holding)
    data["unmapped"] = list(holding.unmapped)
    data["lending"] = lending_label(holding)
    return data


def lenders_json(lenders: LenderList) -> dict[str, Any]:
    """The lender list for JSON: ranks with reasons, libraries not ranked and why, the lending string."""
    return {
        "requester": lenders.requester,
        "lending_string": lenders.lending_string,
        "lenders": [asdict(lender) for lender in lenders.lenders],
        "not_lending": [asdict(entry) for entry in lenders.not_lending],
    }


async def requester_of(request: Any) -> str:
    """The requesting library (``?requester=CODE``), if it is a configured library; else ""."""
    from search_ui.views.common import call, catalog_of

    wanted = (request.query_params.get("requester") or "").strip()
    if not wanted:
        return ""
    codes = {code for code, _ in await call(catalog_of(request).requesters)}
    return wanted if wanted in codes else ""
