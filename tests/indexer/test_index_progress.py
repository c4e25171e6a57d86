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
    assert "cluster: deciding pairs: 1,234" in text and "cluster: joining: 99" in text
