"""Unexpected errors logged once, not once per request: a client cannot flood the log.

A request that trips a bug can be repeated by anyone as fast as they like; logging a full traceback
each time fills the disk and buries everything else. `ErrorLog` writes the traceback the first time an
error (its type and the line it was raised at) is seen, then at most one line per ``window`` seconds
saying how many more there were. Starlette re-raises a handled exception to the server, which would
log it a second time; `search_ui.app.UnioncatApp` stops that for errors already logged here.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable

log = logging.getLogger("unioncat.web")

MAX_KINDS = 1000
"""Distinct errors remembered; beyond that the oldest is forgotten (and would be logged in full again)."""


class ErrorLog:
    """Per-app memory of which errors were logged, and when (see the module docstring)."""

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self.seen: dict[tuple[str, str, int], tuple[float, int]] = {}
        """kind → (when last written, how many since then)."""

    def error(self, exc: BaseException, path: str) -> None:
        """Log ``exc``, raised while answering ``path``: in full if new, else counted."""
        kind = _kind(exc)
        now = self.clock()
        if kind not in self.seen:
            if len(self.seen) >= MAX_KINDS:
                self.seen.pop(next(iter(self.seen)))
            self.seen[kind] = (now, 0)
            log.error("unhandled error on %s", path, exc_info=exc)
            return
        last, repeats = self.seen[kind]
        if now - last < self.window:
            self.seen[kind] = (last, repeats + 1)
            return
        self.seen[kind] = (now, 0)
        log.error("unhandled error on %s again: %s: %s (%d more like it in the last %.0f s, traceback logged "
                  "the first time)", path, type(exc).__name__, exc, repeats, now - last)


def _kind(exc: BaseException) -> tuple[str, str, int]:
    """The error's type and the innermost line it was raised at."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return (type(exc).__qualname__, "", 0)
    return (type(exc).__qualname__, frames[-1].filename, frames[-1].lineno or 0)


class RepeatFilter(logging.Filter):
    """A logging filter passing a message once per ``window`` seconds, then with how many were dropped.

    For the HTTP server's own one-line warnings that any client can trigger at will (uvicorn's
    "Invalid HTTP request received." for each malformed request): `search_ui.serve` installs it on
    uvicorn's error logger in every worker.
    """

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self.seen: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:  # errors are ErrorLog's business, never dropped here
            return True
        key = str(record.msg)
        now = self.clock()
        last, dropped = self.seen.get(key, (-self.window - 1.0, 0))
        if now - last < self.window:
            self.seen[key] = (last, dropped + 1)
            return False
        if len(self.seen) >= MAX_KINDS and key not in self.seen:
            self.seen.pop(next(iter(self.seen)))
        self.seen[key] = (now, 0)
        if dropped:
            record.msg = f"{record.msg} ({dropped} more like it in the last {now - last:.0f} s not logged)"
        return True
