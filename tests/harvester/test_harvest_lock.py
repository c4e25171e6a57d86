"""Overlapping harvests on one data folder (issue 19): the second stops at once, nothing is lost, and a
harvest killed mid-run shows "interrupted" rather than "running". Real processes, real flock, real SQLite.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pymarc import Field, Record, Subfield

from harvester.errors import HarvestError, HarvestRunning
from harvester.lock import LOCK_FILE, harvest_running
from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from search_ui.cli import cli

FILES = 20
PER_FILE = 400


def _write_source(folder: Path) -> int:
    """A 20-file ISO 2709 source with distinct ids, large enough that a harvest takes a while."""
    folder.mkdir()
    for number in range(FILES):
        with (folder / f"part-{number:02d}.mrc").open("wb") as handle:
            for item in range(PER_FILE):
                record = Record(force_utf8=True)
                record.leader = record.leader[:9] + "a" + record.leader[10:]
                record.add_field(Field(tag="001", data=f"r{number:02d}-{item:04d}"))
                record.add_field(Field(tag="245", indicators=["0", "0"],
                                       subfields=[Subfield("a", f"Title {number} {item} " + "x" * 200)]))
                handle.write(record.as_marc())
    return FILES * PER_FILE


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "unioncat.toml"
    config.write_text('data_dir = "var"\n[[sources]]\nid = "big"\npath = "big"\n')
    return config


def _unioncat(config: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", "from search_ui.cli import cli; cli()", "--config", str(config), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(config: Path, *args: str) -> int:
    process = _unioncat(config, *args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out + err
    return process.returncode


def _wait_for_lock(data_dir: Path, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not harvest_running(data_dir):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first harvest never took the lock"
        time.sleep(0.02)


def _live(config: Path) -> int:
    with RecordStore(load_settings(config).store_path) as store:
        return store.live_count()


def test_a_second_harvest_started_during_the_first_stops_and_deletes_nothing(tmp_path: Path) -> None:
    total = _write_source(tmp_path / "big")
    config = _config(tmp_path)
    settings = load_settings(config)
    _run(config, "harvest", "-q", "--workers", "1")  # the nightly base
    assert _live(config) == total
    first = _unioncat(config, "harvest", "-q", "--workers", "1", "--full")
    _wait_for_lock(settings.data_dir, first)
    # held still while it holds the lock, so the overlap never depends on how fast the first run is
    # (an unchanged 8,000-record re-read takes under a second, less than the second CLI's start-up)
    first.send_signal(signal.SIGSTOP)
    try:
        second = _unioncat(config, "harvest", "-q", "--workers", "1", "--full")
        out2, err2 = second.communicate(timeout=120)
    finally:
        first.send_signal(signal.SIGCONT)
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode != 0, out2
    assert "another `unioncat harvest` is running" in err2
    assert "deleted 0" in out1
    with RecordStore(settings.store_path) as store:
        assert store.live_count() == total  # 0 records wrongly deleted
        assert [run["status"] for run in store.runs("big")] == ["ok", "ok"]  # the second made no run


def test_the_lock_is_a_named_harvest_error_and_is_released_after_the_run(tmp_path: Path) -> None:
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "empty.mrc").write_bytes(b"")
    settings = load_settings(_config(tmp_path))
    settings.data_dir.mkdir(parents=True)
    with RecordStore(settings.store_path) as store:
        with open(settings.data_dir / LOCK_FILE, "a+b") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # another process's run, as far as flock can tell
            with pytest.raises(HarvestRunning, match="another `unioncat harvest` is running") as caught:
                harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
            assert isinstance(caught.value, HarvestError)
            assert store.runs("big") == []
            fcntl.flock(held, fcntl.LOCK_UN)
        assert [r.status for r in harvest_sources(settings, store, settings.sources, workers=1,
                                                   show_progress=False)] == ["ok"]
    assert not harvest_running(settings.data_dir)


def test_a_killed_harvest_shows_interrupted_and_its_lock_is_taken_over(tmp_path: Path) -> None:
    total = _write_source(tmp_path / "big")
    config = _config(tmp_path)
    settings = load_settings(config)
    victim = _unioncat(config, "harvest", "-q", "--workers", "1")
    _wait_for_lock(settings.data_dir, victim)
    deadline = time.monotonic() + 60
    while True:  # until its run row exists
        with RecordStore(settings.store_path) as store:
            if store.runs("big"):
                break
        assert time.monotonic() < deadline and victim.poll() is None
        time.sleep(0.02)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=30)
    status = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert status.exit_code == 0, status.output
    assert "interrupted" in status.output and " running" not in status.output
    # The kernel dropped the dead run's lock: the next harvest takes it and completes the source.
    _run(config, "harvest", "-q", "--workers", "1")
    assert _live(config) == total
    with RecordStore(settings.store_path) as store:
        assert [run["status"] for run in store.runs("big")] == ["ok", "interrupted"]
