"""Mutation test over the real records in tests/data: flipped, cut, inserted, duplicated and truncated
bytes. Every mutant ends stored, repaired, skipped or quarantined with a reason — never a crash of our
code — and a harvest of a whole file of mutants finishes with every record accounted for.

A bounded slice runs here (``UNIONCAT_MUTANTS`` per record, default 3); ``bench/fuzz.py`` runs the long
campaign and prints the number of inputs tried.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from tests.harvester.mutations import mutants, outcome_of, real_records

PER_RECORD = int(os.environ.get("UNIONCAT_MUTANTS", "3"))


def test_every_mutant_of_a_real_record_is_stored_repaired_or_quarantined_never_a_crash() -> None:
    rng = random.Random(11)
    records = real_records()
    assert len(records) > 40 and {fmt for fmt, _, _ in records} >= {"iso2709", "marcxml", "marcjson", "mrk"}
    seen: dict[str, int] = {}
    crashes = []
    for fmt, where, raw in records:
        for what, data in mutants(raw, rng, PER_RECORD):
            bucket, reason = outcome_of(fmt, data)
            seen[bucket] = seen.get(bucket, 0) + 1
            if bucket == "crash":
                crashes.append((where, what, reason))
    assert crashes == []
    assert seen.get("stored", 0) and seen.get("quarantined", 0) and seen.get("repaired", 0), seen


def test_a_harvest_of_a_file_of_mutants_accounts_for_every_record(tmp_path: Path) -> None:
    rng = random.Random(5)
    iso = [raw for fmt, _, raw in real_records() if fmt == "iso2709"]
    blob = b"".join(data for raw in iso for _, data in mutants(raw, rng, 2))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "mutants.mrc").write_bytes(blob)
    (tmp_path / "unioncat.toml").write_text('data_dir = "var"\n[[sources]]\nid = "m"\npath = "in"\n')
    settings = load_settings(tmp_path / "unioncat.toml")
    with RecordStore(settings.store_path) as store:
        [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
        reasons = [q.reason for q in store.quarantined("m")]
    assert result.status == "ok", result.error
    c = result.counts
    buckets = ("new", "updated", "unchanged", "superseded", "duplicates", "quarantined", "skipped")
    assert c["read"] == sum(c[b] for b in buckets) and c["read"] > 0
    assert not [r for r in reasons if r.startswith("normalization failed")]
