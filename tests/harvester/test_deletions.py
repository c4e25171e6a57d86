"""Deletions by absence come from one run's own complete read, never from another run's writes (issue 19,
item 1, independent of the harvest lock): two runs interleaved with the lock bypassed delete nothing
that is there, a run that fails half way deletes nothing, and a complete read still deletes what went.

The interleavings are forced, not timed: each harvest runs in a thread with its own store connection
(as two processes would), and pauses after its first batch until the test lets it go on.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymarc import Field, Record, Subfield

from harvester import run
from harvester.run import SourceResult, harvest_sources
from harvester.settings import Settings, load_settings
from harvester.store import RecordStore

FILES = 6
PER_FILE = 30


def _write_source(folder: Path, files: int = FILES) -> int:
    folder.mkdir(exist_ok=True)
    for number in range(files):
        with (folder / f"part-{number:02d}.mrc").open("wb") as handle:
            for item in range(PER_FILE):
                record = Record(force_utf8=True)
                record.add_field(Field(tag="001", data=f"r{number:02d}-{item:04d}"))
                record.add_field(Field(tag="245", indicators=["0", "0"],
                                       subfields=[Subfield("a", f"Title {number} {item}")]))
                handle.write(record.as_marc())
    return files * PER_FILE


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "unioncat.toml").write_text('data_dir = "var"\n[[sources]]\nid = "src"\npath = "src"\n')
    return load_settings(tmp_path / "unioncat.toml")


def _harvest(settings: Settings) -> SourceResult:
    with RecordStore(settings.store_path) as store:
        [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
    return result


def _live(settings: Settings) -> int:
    with RecordStore(settings.store_path) as store:
        return store.live_count()


class _Gates:
    """Pause the named harvest threads after their first batch until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
        self.reached = {name: threading.Event() for name in names}
        self.go = {name: threading.Event() for name in names}
        real = run._store_outcomes

        def store_then_pause(*args: Any, **kwargs: Any) -> bool:
            ok = real(*args, **kwargs)
            name = threading.current_thread().name
            if name in self.reached and not self.reached[name].is_set():
                self.reached[name].set()
                assert self.go[name].wait(60), f"{name} was never released"
            return ok

        monkeypatch.setattr(run, "_store_outcomes", store_then_pause)
        monkeypatch.setattr(run, "harvest_lock", lambda data_dir: contextlib.nullcontext())  # bypassed

    def wait(self, name: str) -> None:
        assert self.reached[name].wait(60), f"{name} never reached its pause"

    def release(self, name: str) -> None:
        self.go[name].set()


@contextlib.contextmanager
def _thread(name: str, settings: Settings, results: dict[str, SourceResult]) -> Iterator[threading.Thread]:
    thread = threading.Thread(target=lambda: results.__setitem__(name, _harvest(settings)), name=name)
    thread.start()
    try:
        yield thread
    finally:
        thread.join(120)


def test_a_newer_run_finishing_inside_an_older_one_deletes_nothing(settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    total = _write_source(settings.sources[0].path)  # type: ignore[arg-type]
    assert _harvest(settings).counts["new"] == total  # the nightly base
    gates = _Gates(monkeypatch, "older")
    results: dict[str, SourceResult] = {}
    with _thread("older", settings, results):
        gates.wait("older")  # the older run has read its first file
        with _thread("newer", settings, results) as newer:
            newer.join(120)  # the newer run reads everything (and re-stamps the older run's first file)
        gates.release("older")
    assert [results[n].status for n in ("older", "newer")] == ["ok", "ok"]
    assert results["older"].counts["deleted"] == results["newer"].counts["deleted"] == 0
    assert _live(settings) == total


def test_an_older_run_finishing_inside_a_newer_one_deletes_nothing(settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    total = _write_source(settings.sources[0].path)  # type: ignore[arg-type]
    _harvest(settings)
    gates = _Gates(monkeypatch, "older", "newer")
    results: dict[str, SourceResult] = {}
    with _thread("older", settings, results), _thread("newer", settings, results):
        gates.wait("older")
        gates.wait("newer")  # both have read their first file; the newer one last
        gates.release("older")
        while "older" not in results:  # the older run finishes and decides its deletions ...
            threading.Event().wait(0.01)
        gates.release("newer")  # ... then the newer one does
    assert [results[n].status for n in ("older", "newer")] == ["ok", "ok"]
    assert results["older"].counts["deleted"] == results["newer"].counts["deleted"] == 0
    assert _live(settings) == total


def test_two_data_dir_handles_harvesting_at_once_lose_nothing(settings: Settings,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    total = _write_source(settings.sources[0].path)  # type: ignore[arg-type]
    _harvest(settings)
    monkeypatch.setattr(run, "harvest_lock", lambda data_dir: contextlib.nullcontext())
    results: dict[str, SourceResult] = {}
    for _ in range(3):  # free-running threads: whatever interleaving the scheduler picks
        with _thread("a", settings, results), _thread("b", settings, results):
            pass
        assert results["a"].counts["deleted"] == results["b"].counts["deleted"] == 0
        assert _live(settings) == total


def test_a_run_that_fails_half_way_deletes_nothing(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = settings.sources[0].path
    assert folder is not None
    total = _write_source(folder)
    _harvest(settings)
    for number in range(FILES // 2, FILES):  # the second half of the export has gone ...
        (folder / f"part-{number:02d}.mrc").unlink()
    real = run._store_outcomes
    calls = [0]

    def fail_at_the_second_batch(*args: Any, **kwargs: Any) -> bool:
        calls[0] += 1
        if calls[0] == 2:
            raise OSError("disk went away")  # ... and the run breaks off after one file
        return bool(real(*args, **kwargs))

    monkeypatch.setattr(run, "_store_outcomes", fail_at_the_second_batch)
    result = _harvest(settings)
    assert result.status == "failed" and "disk went away" in (result.error or "")
    assert result.counts["deleted"] == 0 and _live(settings) == total
    monkeypatch.setattr(run, "_store_outcomes", real)
    complete = _harvest(settings)  # a complete read of what is left does delete the rest
    assert complete.status == "ok" and complete.counts["deleted"] == total // 2
    assert _live(settings) == total // 2
