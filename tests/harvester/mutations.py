"""Byte-level mutations of real MARC records, and the one question asked of each: where did it end?

`mutants` flips, cuts, inserts and duplicates bytes of a real record (deterministically, from a seed);
`outcome_of` runs one input through exactly what a harvest worker runs (`harvester.run._process_one`)
and names the bucket: ``stored``, ``repaired``, ``skipped`` or ``quarantined`` — or ``crash`` when the
reason is our own code failing ("normalization failed: ..."), which must never happen. Shared by the
bounded test (tests/harvester/test_fuzz_mutations.py) and the long run (bench/fuzz.py).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

from harvester.marc.files import iter_raw_records, sniff_format
from harvester.marc.profiles import PROFILES
from harvester.run import Skipped, Stored, _process_one
from harvester.settings import Library, SourceConfig
from harvester.store import IncomingRecord

DATA = Path(__file__).resolve().parents[1] / "data"
SOURCE = SourceConfig(id="mut", name="Mutants", type="marc", library=Library("MUT", "Mutants"),
                      holdings=PROFILES["marc21"], id_fields=("001", "035a"))
_INTERESTING = b"\x1d\x1e\x1f0123456789 \x00\xff\xc3\xa9<>&$a"
CRASH = "normalization failed"


def real_records(limit_per_file: int = 5) -> list[tuple[str, str, bytes]]:
    """(format, where, raw) of real records in tests/data: ISO 2709, MARCXML, MARC-in-JSON, text."""
    found: list[tuple[str, str, bytes]] = []
    for path in sorted((DATA / "marc").rglob("*")) + sorted((DATA / "harvest").rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".txt"):
            continue
        try:
            fmt = sniff_format(path)
        except Exception:  # noqa: BLE001 - a negative-case file (not MARC) has no records to mutate
            continue
        for n, chunk in enumerate(iter_raw_records(path, fmt)):
            if n >= limit_per_file:
                break
            if chunk.error is None:
                found.append((fmt, f"{path.name} {chunk.position}", chunk.raw))
    return found


def mutants(raw: bytes, rng: random.Random, count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` mutations of ``raw``: (what was done, the mutated bytes)."""
    for _ in range(count):
        data = bytearray(raw)
        steps = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(("flip", "cut", "insert", "delete", "dup", "truncate"))
            at = rng.randrange(len(data) + 1) if data else 0
            if kind == "flip" and data:
                at = min(at, len(data) - 1)
                data[at] ^= 1 << rng.randrange(8)
            elif kind == "cut" and data:
                end = min(len(data), at + rng.randint(1, 40))
                del data[at:end]
            elif kind == "insert":
                data[at:at] = bytes(rng.choice(_INTERESTING) for _ in range(rng.randint(1, 8)))
            elif kind == "delete" and data:
                del data[min(at, len(data) - 1)]
            elif kind == "dup" and data:
                end = min(len(data), at + rng.randint(1, 60))
                data[at:at] = data[at:end]
            elif kind == "truncate":
                del data[at:]
            steps.append(f"{kind}@{at}")
        yield ",".join(steps), bytes(data)


def outcome_of(fmt: str, raw: bytes) -> tuple[str, str]:
    """(bucket, reason) of one input, as a harvest worker would file it."""
    outcome = _process_one(SOURCE, "mutant", fmt, "record 1", raw)
    if isinstance(outcome, Stored):
        assert isinstance(outcome.record, IncomingRecord)
        normalized = json.loads(outcome.record.normalized_json)
        return ("repaired" if normalized.get("repairs") else "stored"), ""
    if isinstance(outcome, Skipped):
        return "skipped", outcome.reason
    reason = outcome.reason
    return ("crash" if reason.startswith(CRASH) else "quarantined"), reason
