"""Progress of long index runs: a line per clustering stage with its rate, and an ETA where the total is known."""

from __future__ import annotations

import io

from harvester.progress import Progress, _clock
from indexer.run import _Stages


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_known_total_gives_percent_and_eta() -> None:
    out = Terminal()
    progress = Progress("index", stream=out, unit="clusters", total=1000)
    progress.started -= 10.0  # ten seconds in
    progress.update(250)
    assert "250 clusters" in out.getvalue() and "25% of 1,000" in out.getvalue()
    assert "ETA 0:3" in out.getvalue()  # 750 left at 25/s: about 30 s
    assert _clock(3725) == "1:02:05" and _clock(65) == "1:05"


def test_stages_each_get_their_line(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = Terminal()
    monkeypatch.setattr("sys.stderr", out)
    stages = _Stages(True, records=10_000)
    stages.reading(5000)
    stages.reading(5000)
    stages.stage("cluster: deciding pairs", 1234)
    stages.stage("cluster: joining", 99)
    stages.close()
    text = out.getvalue()
    assert "cluster: reading records: 10,000 records" in text and "100% of 10,000" in text
    assert "cluster: deciding pairs: 1,234 pairs" in text and "cluster: joining: 99 matching pairs" in text


def test_off_a_terminal_a_logged_stage_writes_plain_lines_with_its_elapsed_time() -> None:
    out = io.StringIO()  # a log file: no carriage returns, one line a minute and one at the end
    progress = Progress("cluster: deciding pairs", stream=out, log=True)
    progress.update(10)
    assert out.getvalue() == ""  # not yet a minute in
    progress.started -= 61.0
    progress.update(10)
    progress.update(10)  # the next line waits another minute
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cluster: deciding pairs: 20 records") and "after 1:01" in lines[0]
    progress.close()
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("cluster: deciding pairs: 30 records") and last.endswith("(done)")
    assert "\r" not in out.getvalue()


def test_off_a_terminal_unlogged_or_quiet_progress_writes_nothing() -> None:
    for progress in (Progress("lib01", stream=io.StringIO()), Progress("x", stream=io.StringIO(), log=True,
                                                                       enabled=False)):
        progress.started -= 120.0
        progress.update(5)
        progress.close()
        assert progress.stream.getvalue() == ""  # type: ignore[attr-defined]


def test_index_stages_are_logged_off_a_terminal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    stages = _Stages(True, records=100)
    stages.reading(100)
    stages.stage("cluster: joining", 7)
    stages.close()
    lines = out.getvalue().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["reading records", "joining"]
    assert all(line.endswith("(done)") for line in lines)
