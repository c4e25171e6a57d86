"""Harvest state that must survive ``kill -9``: the checkpoint, the watermarks and the last run's figures.

Everything lives in the record store's ``state`` table (JSON values), and the checkpoint is always
written inside the same transaction as the records of the page it follows, so the store never holds
records without the token that continues after them, nor a token ahead of its records.

The checkpoint records *where* a harvest is: which set, the queue of date windows still to harvest
(one window normally; more once a window that keeps failing with 5xx has been split), the resumption
token inside the current window, the server's ``responseDate`` of the run's first page (the next
watermark) and the runs that took part (a ``--full`` harvest resumed over several runs must count all
of their records as seen).

    cp = load_checkpoint(store, "zenodo")
    save_checkpoint(store, "zenodo", cp)     # inside the page's transaction
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harvester.store import QuarantineKind, RecordStore
from harvester.types import SourceId

DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
VERSION = 1
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")


def checkpoint_key(source_id: SourceId) -> str:
    return f"oai:{source_id}:checkpoint"


def watermark_key(source_id: SourceId) -> str:
    return f"oai:{source_id}:watermarks"


def granularity_key(source_id: SourceId) -> str:
    """Set when a server refused the seconds granularity its Identify promised."""
    return f"oai:{source_id}:granularity"


def stats_key(source_id: SourceId) -> str:
    return f"oai:{source_id}:last_run"


@dataclass(slots=True)
class Window:
    """A date range ``from``..``until`` (inclusive, either end open) in the server's granularity."""

    start: str | None
    end: str | None

    def describe(self) -> str:
        return f"{self.start or 'beginning'} .. {self.end or 'now'}"


@dataclass(slots=True)
class Checkpoint:
    """Where an unfinished harvest of one source stands (see the module docstring)."""

    url: str
    prefix: str
    sets: list[str]
    full: bool
    granularity: str
    deleted_record: str
    set_index: int = 0
    windows: list[Window] = field(default_factory=list)
    token: str | None = None
    token_expires: str | None = None
    window_size: int | None = None  # completeListSize announced on the window's first page
    window_count: int = 0  # headers received in the current window so far
    window_restarts: int = 0
    pending_watermark: str | None = None  # responseDate of the current set's first page
    runs: list[int] = field(default_factory=list)
    listed: int = 0  # live records listed over the whole harvest (guards full-harvest deletions)
    pages: int = 0
    server_now: str | None = None  # responseDate at the start, the upper end of an open window
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        values = dict(data)
        values["windows"] = [Window(**w) for w in values.get("windows", [])]
        return cls(**values)

    @property
    def current_set(self) -> str | None:
        return self.sets[self.set_index] if self.sets else None

    def restart_window(self) -> None:
        """Forget the token and the window's counts: the window is harvested again from its start."""
        self.token = None
        self.token_expires = None
        self.window_size = None
        self.window_count = 0

    def describe(self) -> str:
        window = self.windows[0].describe() if self.windows else "-"
        where = f"set {self.current_set}, " if self.current_set is not None else ""
        return (f"{'full' if self.full else 'incremental'} harvest in progress: {where}window {window}, "
                f"{self.pages} page(s) committed, token {'yes' if self.token else 'no'}")


def load_checkpoint(store: RecordStore, source_id: SourceId) -> Checkpoint | None:
    data = store.get_state(checkpoint_key(source_id))
    if not data or data.get("version") != VERSION:
        return None
    try:
        return Checkpoint.from_json(data)
    except TypeError:
        return None


def save_checkpoint(store: RecordStore, source_id: SourceId, checkpoint: Checkpoint | None) -> None:
    if checkpoint is None:
        store.delete_state(checkpoint_key(source_id))
    else:
        store.set_state(checkpoint_key(source_id), checkpoint.to_json())


def set_key(set_spec: str | None) -> str:
    return set_spec if set_spec is not None else "*"


def load_watermarks(store: RecordStore, source_id: SourceId) -> dict[str, str]:
    return dict(store.get_state(watermark_key(source_id)) or {})


def save_watermark(store: RecordStore, source_id: SourceId, set_spec: str | None, value: str) -> None:
    marks = load_watermarks(store, source_id)
    marks[set_key(set_spec)] = value
    store.set_state(watermark_key(source_id), marks)


# --- dates in the server's granularity -------------------------------------------------------------


def parse_stamp(text: str) -> datetime:
    """An OAI datestamp (day or seconds; Z, an offset or fractions tolerated) as an aware UTC datetime.

    Raises ValueError when the text holds no date at all.
    """
    match = _STAMP.match(text.strip())
    if match is None:
        raise ValueError(f"not an OAI datestamp: {text!r}")
    day, clock, offset = match.group(1), match.group(2) or "00:00:00", match.group(3) or ""
    when = datetime.strptime(f"{day}T{clock}", "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    if offset and offset != "Z":
        sign = -1 if offset[0] == "+" else 1
        hours, _, minutes = offset[1:].partition(":")
        when += sign * timedelta(hours=int(hours), minutes=int(minutes or 0))
    return when


def format_stamp(when: datetime, granularity: str) -> str:
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d") if granularity == DAY else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def watermark_from(response_date: str, granularity: str) -> str:
    """The server's own clock at the run's start, cut to the granularity Identify declares."""
    return format_stamp(parse_stamp(response_date), granularity)


def next_from(watermark: str, granularity: str, overlap_seconds: float) -> str:
    """``from`` for the next incremental run: the watermark minus a small overlap (clock skew, commits
    that land while a page is served); records seen twice are simply unchanged."""
    return format_stamp(parse_stamp(watermark) - timedelta(seconds=overlap_seconds), granularity)


def split_window(
    window: Window, lower: str, upper: str, granularity: str, minimum: float
) -> list[Window] | None:
    """Halve a failing window; None when it is already as small as allowed (then isolate records).

    The halves share their boundary (``[a, m]`` and ``[m, b]``): some servers (oai-repo) read
    ``until=YYYY-MM-DD`` as midnight, so an exclusive split would lose the boundary day's records.
    """
    start = parse_stamp(window.start or lower)
    end = parse_stamp(window.end or upper)
    unit = 86400.0 if granularity == DAY else 1.0
    span = (end - start).total_seconds()
    if span <= max(minimum, unit):
        return None
    middle = start + timedelta(seconds=span / 2)
    mid = format_stamp(middle, granularity)
    if mid in (format_stamp(start, granularity), format_stamp(end, granularity)):
        return None
    return [Window(format_stamp(start, granularity), mid), Window(mid, window.end)]


def oai_status(store: RecordStore, source_id: SourceId) -> dict[str, Any]:
    """What `unioncat status` shows for an OAI source: watermarks, last run, retries, errors, checkpoint."""
    last = store.get_state(stats_key(source_id)) or {}
    counts = last.get("counts", {})
    checkpoint = load_checkpoint(store, source_id)
    pages = store.quarantine_count(source_id, QuarantineKind.BROKEN_PAGE)
    return {
        "watermark": load_watermarks(store, source_id),
        "last_run_status": last.get("status", ""),
        "last_run_records": counts.get("read", 0),
        "last_run_deleted": counts.get("deleted", 0),
        "retries": last.get("retries", 0),
        "errors": last.get("errors", [])[-5:],
        "shortfall": counts.get("shortfall", 0),
        "quarantined_pages": pages,
        "checkpoint": checkpoint.describe() if checkpoint else None,
        "granularity": last.get("granularity", ""),
        "deleted_record": last.get("deleted_record", ""),
    }
