"""A worker process of an index run that exits when the run is gone.

A run killed with ``kill -9`` cannot shut its pools down, and their workers (children of the fork
server, waiting for work that never comes) would stay behind; each pool's initializer calls
`watch_run` so that its workers notice within `WATCH_SECONDS` and leave.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

WATCH_SECONDS = 1.0
"""How often a worker checks that the run that started it is still there."""


def watch_run(run_pid: int, name: str) -> None:
    """Start the daemon thread that ends this process once `run_pid` has exited."""
    threading.Thread(target=_watch, args=(run_pid,), name=name, daemon=True).start()


def _watch(run_pid: int) -> None:
    while alive(run_pid):
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a killed run its parent has not reaped yet, a zombie, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"
