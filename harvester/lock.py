"""One harvest at a time per data folder: an exclusive `flock` on ``data_dir/harvest.lock``.

Two overlapping harvests of one source each mark as deleted what *they* did not see, including what
the other run wrote (a nightly cron overlapping a slow harvest lost ~95% of a source's live records).
The lock makes the second run stop at once with `HarvestRunning` instead. `flock` is released by the
kernel when the holding process dies, so the lock of a killed run is never stale: the next harvest
simply takes it. The same property tells `unioncat status` that a run row still saying "running" while
nobody holds the lock belongs to a run that was killed ("interrupted").

    with harvest_lock(settings.data_dir):
        ...
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from harvester.errors import HarvestRunning

LOCK_FILE = "harvest.lock"


@contextlib.contextmanager
def exclusive_lock(path: Path, busy: Callable[[], Exception]) -> Iterator[None]:
    """Hold an exclusive `flock` on ``path`` for the block, or raise ``busy()`` at once if another
    process holds it (the harvest lock here, the index lock in `indexer.run`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise busy() from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def harvest_lock(data_dir: Path) -> contextlib.AbstractContextManager[None]:
    """Hold this data folder's harvest lock for the block; `HarvestRunning` if another run holds it."""
    path = data_dir / LOCK_FILE
    return exclusive_lock(path, lambda: HarvestRunning(
        f"another `unioncat harvest` is running on {data_dir} (lock {path}); "
        "nothing was harvested — try again when it has finished"
    ))


def show_interrupted(rows: Iterable[dict[str, Any]], data_dir: Path) -> None:
    """Per source status rows (`RecordStore.source_status`): a last run still saying "running" while no
    harvest holds the lock was killed mid-run; say "interrupted" (the CLI and the partners page)."""
    running: bool | None = None
    for row in rows:
        last = row.get("last_run")
        if last and last.get("status") == "running":
            running = harvest_running(data_dir) if running is None else running
            if not running:
                last["status"] = "interrupted"


def harvest_running(data_dir: Path) -> bool:
    """Whether some harvest holds this data folder's lock right now (a probe: takes and drops it)."""
    path = data_dir / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False
