"""The long fuzz run: every reader end to end, random MARC records through the normalizer, mutated real
records through a worker.

    python bench/fuzz.py                          # 100,000 inputs per reader + the two older campaigns
    python bench/fuzz.py --per-reader 2000 --examples 0 --mutants 0 --jobs 2
    python bench/fuzz.py --readers marcjson,marcxml --per-reader 100000

Three campaigns, the same properties as the bounded tests in `make test`:

- readers (tests/harvester/fuzz_readers.py, the property of tests/harvester/test_fuzz_readers.py): per
  reader (iso2709, marcxml, marcjson, mrk, aleph), files of three real records with the middle one (or
  one time in four the whole file) mutated, read by the reader, processed by the worker code and written
  by the harvest's writer into a real SQLite store. Reported per reader: inputs tried, records to account
  for, where they ended, **escapes** (an exception out of the reader, the worker or the store write) and
  **lost records** (in no outcome at all: neither stored nor quarantined nor skipped);

- property (hypothesis): random but structurally valid records (tests/harvester/test_fuzz_normalize.py
  strategies: random tags, indicators, subfield codes, control fields of any length, empty subfields,
  880s linking nowhere, any leader) normalized directly and after an ISO 2709 round trip — a result or
  a named refusal, never another exception;
- mutation: every real record in tests/data flipped, cut, inserted into, duplicated and truncated
  (tests/harvester/mutations.py), each run through exactly what a harvest worker runs — stored,
  repaired, skipped or quarantined, never "normalization failed" (a crash of our own code).

Prints the number of inputs tried, where they ended, the crashes/escapes and lost records (0 is the
only passing figure for each); exits 1 when there was any.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def property_campaign(examples: int) -> tuple[int, list[str]]:
    from hypothesis import HealthCheck, given, settings

    from harvester.errors import RecordRejected
    from harvester.marc.files import read_record
    from tests.harvester.test_fuzz_normalize import _normalizes_or_refuses, marc_records

    tried = [0]
    crashes: list[str] = []

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(marc_records())
    def check(record: object) -> None:
        tried[0] += 1
        try:
            _normalizes_or_refuses(record)
            try:
                raw = record.as_marc21()  # type: ignore[attr-defined]
            except (ValueError, UnicodeError, TypeError):
                return
            try:
                parsed, _ = read_record(raw, "iso2709")
            except RecordRejected:
                return
            _normalizes_or_refuses(parsed)
        except Exception as exc:  # noqa: BLE001 - the campaign counts crashes instead of stopping at one
            crashes.append(f"{type(exc).__name__}: {exc}"[:300])

    check()
    return tried[0], crashes


def mutation_campaign(per_record: int, seed: int) -> tuple[int, dict[str, int], list[str]]:
    from tests.harvester.mutations import mutants, outcome_of, real_records

    rng = random.Random(seed)
    buckets: dict[str, int] = {}
    crashes: list[str] = []
    tried = 0
    for fmt, where, raw in real_records(limit_per_file=50):
        for what, data in mutants(raw, rng, per_record):
            tried += 1
            bucket, reason = outcome_of(fmt, data)
            buckets[bucket] = buckets.get(bucket, 0) + 1
            if bucket == "crash":
                crashes.append(f"{where} {what}: {reason}"[:300])
    return tried, buckets, crashes


def reader_campaign(job: tuple[str, int, int, int]) -> tuple[str, str, list[str], list[str], float]:
    """One reader's campaign (runs in its own process with ``--jobs``): its summary line, escapes, lost."""
    import tempfile

    from tests.harvester.fuzz_readers import ReaderFuzz, one_input, random_steps

    fmt, count, seed, every = job
    rng = random.Random(f"{seed}-{fmt}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as folder:
        fuzz = ReaderFuzz(fmt, Path(folder))
        for n in range(count):
            data, expected = one_input(fmt, rng, lambda: random_steps(rng, fmt))
            fuzz.feed(data, expected)
            if (n + 1) % every == 0:
                tally = fuzz.tally
                print(f"  {fmt}: {n + 1:,} inputs, {tally.records_in:,} records, {len(tally.escapes)} escapes, "
                      f"{len(tally.lost)} lost ({time.monotonic() - started:.0f}s)", flush=True)
        fuzz.close()
    tally = fuzz.tally
    return fmt, tally.line(fmt), tally.escapes, tally.lost, time.monotonic() - started


def run_readers(readers: list[str], count: int, seed: int, jobs: int, every: int) -> bool:
    from multiprocessing import get_context

    tasks = [(fmt, count, seed, every) for fmt in readers]
    if jobs > 1:
        with get_context("fork").Pool(jobs) as pool:
            done = pool.map(reader_campaign, tasks, chunksize=1)
    else:
        done = [reader_campaign(task) for task in tasks]
    clean = True
    print(f"readers: {count:,} inputs per reader")
    for _fmt, line, escapes, lost, seconds in done:
        print(f"  {line}  ({seconds:.0f}s)")
        for escape in sorted(set(escapes))[:10]:
            print("     escape:", escape)
        for item in lost[:10]:
            print("     lost:", item)
        clean = clean and not escapes and not lost
    return clean


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-reader", type=int, default=100_000, help="inputs per reader (0: skip)")
    parser.add_argument("--readers", default="iso2709,marcxml,marcjson,mrk,aleph")
    parser.add_argument("--jobs", type=int, default=1, help="readers fuzzed at once (processes)")
    parser.add_argument("--every", type=int, default=10_000, help="print progress every so many inputs")
    parser.add_argument("--examples", type=int, default=20000, help="random records (hypothesis)")
    parser.add_argument("--mutants", type=int, default=200, help="mutants per real record")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    readers_clean = True
    if args.per_reader:
        readers_clean = run_readers(args.readers.split(","), args.per_reader, args.seed, args.jobs, args.every)
    started = time.monotonic()
    crashes: list[str] = []
    mutation_crashes: list[str] = []
    if args.examples:
        tried, crashes = property_campaign(args.examples)
        print(f"property: {tried:,} random records tried, {len(crashes)} crashes "
              f"({time.monotonic() - started:.0f}s)")
    started = time.monotonic()
    if args.mutants:
        mutated, buckets, mutation_crashes = mutation_campaign(args.mutants, args.seed)
        ended = ", ".join(f"{k} {v:,}" for k, v in sorted(buckets.items()))
        print(f"mutation: {mutated:,} mutants of real records tried ({ended}), {len(mutation_crashes)} crashes "
              f"({time.monotonic() - started:.0f}s)")
    for line in (crashes + mutation_crashes)[:20]:
        print("  crash:", line)
    return 1 if crashes or mutation_crashes or not readers_clean else 0


if __name__ == "__main__":
    sys.exit(main())
