"""A progress line for long jobs: records done, records/s and, when the size is known, percent and ETA.

On a terminal it redraws one line on stderr at most a few times a second; elsewhere (CI, pipes) it
stays quiet and the caller prints a summary at the end, so logs do not fill with carriage returns.
A job whose stages matter in its log (`unioncat index` from cron, a benchmark's log file) asks for
``log=True``: off a terminal it then writes a plain line every `LOG_EVERY` seconds and one when the
stage ends, with its elapsed time, so a run of hours can be read back stage by stage.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

LOG_EVERY = 60.0  # seconds between plain log lines off a terminal


class Progress:
    """Track records and bytes processed against an optional byte total."""

    def __init__(self, label: str, total_bytes: int = 0, enabled: bool = True, stream: TextIO | None = None,
                 unit: str = "records", total: int = 0, log: bool = False) -> None:
        self.label = label
        self.total_bytes = total_bytes
        self.total = total  # items expected, when known without a byte count: percent and ETA
        self.stream = stream or sys.stderr
        terminal = self.stream.isatty()
        self.enabled = enabled and terminal
        self.logging = enabled and log and not terminal
        self.unit = unit
        self.records = 0
        self.bytes = 0
        self.started = time.monotonic()
        self._last_draw = 0.0

    def update(self, records: int, size: int = 0) -> None:
        self.records += records
        self.bytes += size
        now = time.monotonic()
        if self.enabled and now - self._last_draw >= 0.2:
            self._last_draw = now
            self._draw(now)
        elif self.logging and now - max(self._last_draw, self.started) >= LOG_EVERY:
            self._last_draw = now
            self._log(now)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.records / elapsed if elapsed > 0 else 0.0

    def _draw(self, now: float) -> None:
        self.stream.write("\r" + self._text()[:120].ljust(80))
        self.stream.flush()

    def _log(self, now: float, end: str = "") -> None:
        self.stream.write(f"{self._text()} after {_clock(now - self.started)}{end}\n")
        self.stream.flush()

    def _text(self) -> str:
        text = f"{self.label}: {self.records:,} {self.unit} ({self.rate:,.0f}/s)"
        if self.total_bytes:
            share = min(1.0, self.bytes / self.total_bytes)
            filled = int(share * 24)
            text = f"{self.label}: [{'#' * filled}{'.' * (24 - filled)}] {share:4.0%} " \
                   f"{self.records:,} {self.unit} ({self.rate:,.0f}/s)"
        elif self.total:
            share = min(1.0, self.records / self.total)
            left = (self.total - self.records) / self.rate if self.rate > 0 else 0.0
            text += f" {share:4.0%} of {self.total:,}, ETA {_clock(left)}"
        return text

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
        elif self.logging:
            self._log(time.monotonic(), " (done)")


def _clock(seconds: float) -> str:
    """``1:02:03`` / ``2:03``: an ETA a person reads at a glance."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
