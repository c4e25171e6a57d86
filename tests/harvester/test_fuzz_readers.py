"""The bounded per-reader fuzz of `make test` (issue 19, item 5): for ISO 2709, MARCXML, MARC-in-JSON,
MARC line/mnemonic text and Aleph sequential, hypothesis draws three real records and mutations of the
middle one (or of the whole file), and the file goes through the reader, the worker code and the
harvest's writer into a real SQLite store (tests/harvester/fuzz_readers.py). The properties: no
exception escapes any stage, and every record of the input ends stored, quarantined or skipped.

A few seconds per reader (``UNIONCAT_FUZZ_READER_EXAMPLES``, default 100); ``make fuzz`` (bench/fuzz.py)
runs 100,000 inputs per reader and prints the counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harvester.fuzz_readers import FORMATS, KINDS, TOKENS, ReaderFuzz, make_input, seeds

EXAMPLES = int(os.environ.get("UNIONCAT_FUZZ_READER_EXAMPLES", "100"))


def _steps(fmt: str) -> st.SearchStrategy[list[tuple[str, float, float, bytes]]]:
    payload = st.one_of(st.sampled_from(TOKENS[fmt]), st.binary(min_size=1, max_size=8))
    step = st.tuples(st.sampled_from(KINDS), st.floats(0, 1), st.floats(0, 1), payload)
    return st.lists(step, min_size=1, max_size=4)


@pytest.fixture(scope="module")
def fuzzers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ReaderFuzz]]:
    made = {fmt: ReaderFuzz(fmt, tmp_path_factory.mktemp(fmt)) for fmt in FORMATS}
    yield made
    for fuzz in made.values():
        fuzz.close()


def test_every_reader_has_real_seeds() -> None:
    counts = {fmt: len(seeds(fmt)) for fmt in FORMATS}
    assert all(count >= 15 for count in counts.values()), counts


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_mutated_file_loses_no_record_and_nothing_escapes(fmt: str, fuzzers: dict[str, ReaderFuzz]) -> None:
    fuzz = fuzzers[fmt]
    pool = seeds(fmt)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(chosen=st.lists(st.integers(0, len(pool) - 1), min_size=3, max_size=3, unique=True),
           whole=st.booleans(), array=st.booleans(), steps=_steps(fmt))
    def check(chosen: list[int], whole: bool, array: bool, steps: list[tuple[str, float, float, bytes]]) -> None:
        data, expected = make_input(fmt, [pool[k] for k in chosen], whole, array and fmt == "marcjson", steps)
        escape, lost = fuzz.feed(data, expected)
        fuzz.flush()  # the store write of this very input, so an escape there fails this example
        assert escape is None and not fuzz.tally.escapes, fuzz.tally.escapes
        assert lost == [], (lost, data[:300])

    check()
    assert fuzz.tally.inputs >= EXAMPLES and fuzz.tally.records_in > 0


def test_the_fuzzer_sees_a_lost_record_and_an_escape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two figures can fail: a reader that drops a record, and a store write that raises."""
    from tests.harvester import fuzz_readers

    fuzz = ReaderFuzz("iso2709", tmp_path)
    good = seeds("iso2709")[:3]
    data, expected = make_input("iso2709", good, False, False, [])
    assert fuzz.feed(data, expected) == (None, [])
    fuzz.flush()
    real = fuzz_readers.iter_raw_records
    monkeypatch.setattr(fuzz_readers, "iter_raw_records", lambda path, fmt: list(real(path, fmt))[1:])  # drops one
    assert fuzz.feed(data, expected)[1] == [good[0].local_id]
    fuzz.flush()
    monkeypatch.setattr(fuzz_readers, "iter_raw_records", real)
    monkeypatch.setattr(fuzz, "_write", lambda outcomes: (_ for _ in ()).throw(ValueError("refused")))
    fuzz.feed(data, expected)
    fuzz.flush()
    assert fuzz.tally.escapes == ["iso2709 store: ValueError: refused"]
