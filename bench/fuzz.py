"""The long fuzz run: random MARC records through the normalizer, mutated real records through a worker.

    python bench/fuzz.py                          # 20,000 random records + 200 mutants per real record
    python bench/fuzz.py --examples 2000 --mutants 20

Two campaigns, the same properties as the bounded tests in `make test`:

- property (hypothesis): random but structurally valid records (tests/harvester/test_fuzz_normalize.py
  strategies: random tags, indicators, subfield codes, control fields of any length, empty subfields,
  880s linking nowhere, any leader) normalized directly and after an ISO 2709 round trip — a result or
  a named refusal, never another exception;
- mutation: every real record in tests/data flipped, cut, inserted into, duplicated and truncated
  (tests/harvester/mutations.py), each run through exactly what a harvest worker runs — stored,
  repaired, skipped or quarantined, never "normalization failed" (a crash of our own code).

Prints the number of inputs tried, where they ended and the crashes (0 is the only passing figure);
exits 1 when there was any.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20000, help="random records (hypothesis)")
    parser.add_argument("--mutants", type=int, default=200, help="mutants per real record")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    tried, crashes = property_campaign(args.examples)
    print(f"property: {tried:,} random records tried, {len(crashes)} crashes "
          f"({time.monotonic() - started:.0f}s)")
    started = time.monotonic()
    mutated, buckets, mutation_crashes = mutation_campaign(args.mutants, args.seed)
    ended = ", ".join(f"{k} {v:,}" for k, v in sorted(buckets.items()))
    print(f"mutation: {mutated:,} mutants of real records tried ({ended}), {len(mutation_crashes)} crashes "
          f"({time.monotonic() - started:.0f}s)")
    for line in (crashes + mutation_crashes)[:20]:
        print("  crash:", line)
    return 1 if crashes or mutation_crashes else 0


if __name__ == "__main__":
    sys.exit(main())
