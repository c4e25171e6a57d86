"""The cycle collector is off while a clustering pass runs and back on after it (indexer.dedup.gc_pause).

Pausing it saves about a third of a large pass's time; these tests make sure the pause covers the
pass (in memory and bounded), never outlives it, survives a failing pass, and nests.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.record import Record
from indexer.dedup import bounded, clustering
from indexer.dedup.clustering import cluster_records
from indexer.dedup.decide import DedupMatcher
from indexer.dedup.gc_pause import collector_paused
from indexer.dedup.matching import NO_OVERRIDES

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dedup_data import synthetic_records  # noqa: E402


def test_paused_inside_restored_after_also_on_error_and_when_nested() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one wants it
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a pass that fails")
    assert gc.isenabled()


def test_left_off_when_the_caller_had_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_in_memory_pass_runs_paused_and_gives_the_same_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = synthetic_records(300)
    assert gc.isenabled()
    expected = clustering._cluster(DedupMatcher(), clustering._unique(records), NO_OVERRIDES)  # collector on
    seen: list[bool] = []
    real = clustering._pair_codes

    def watched(*args: object) -> Iterator[int]:
        seen.append(gc.isenabled())
        yield from real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(clustering, "_pair_codes", watched)
    assert cluster_records(DedupMatcher(), records, NO_OVERRIDES) == expected
    assert seen == [False]
    assert gc.isenabled()


def test_bounded_pass_runs_paused_and_the_groups_stream_after(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    states: list[tuple[str, bool]] = []

    def fake_stream(*args: object, **kwargs: object) -> Iterator[list[str]]:
        states.append(("clustering", gc.isenabled()))
        yield ["a"]
        states.append(("second group", gc.isenabled()))
        yield ["b"]

    monkeypatch.setattr(bounded, "BOUNDED_FROM", 0)
    monkeypatch.setattr(bounded, "cluster_stream", fake_stream)
    records: list[Record] = synthetic_records(3)[0]
    groups, _ = bounded.cluster_all(DedupMatcher(), iter(records), NO_OVERRIDES, tmp_path, expected=3)
    assert gc.isenabled()  # the clustering is done when cluster_all returns, and so is the pause
    assert list(groups) == [["a"], ["b"]]
    assert states == [("clustering", False), ("second group", True)]
