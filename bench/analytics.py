"""Collection analytics at scale: full recompute and incremental update, on synthetic clusters.

    python bench/analytics.py                  # 1,000,000 titles (several minutes on 2 cores)
    python bench/analytics.py --titles 100000  # quicker

How the clusters are generated: title i is drawn from its own seeded random generator (so the same
i always gives the same title, and an "incremental" run can regenerate just the changed ones). It is
held by k member libraries out of 10, k skewed as in union catalogs (1: 55 %, 2: 20 %, 3: 10 %,
4-10 the rest), libraries weighted so that big members hold more; a format from 8 weighted labels,
a year 1850-2025 (5 % none), one or two of 12 languages (5 % none), an LC class number (70 %) and
a Dewey number (40 %), and item-level holdings (1-3 items, 949) at half the libraries. Each title
is a real `MergedRecord` (members, holdings), streamed, never all in memory.

Printed, per phase, with the baseline in the same run:

- generate: making the synthetic merged records only (subtracted from the others);
- index baseline: `build_document` on each (what `unioncat index` already does per cluster);
- full recompute: `AnalyticsPass(full=True)`: a profile per title, staging, tally, cells, commit;
- incremental: re-profiling 1 % of the titles (their holdings changed) and removing 0.1 %;
- page: loading the stored figures and building the /analytics report (what a page view costs).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harvester.record import Holding, Record  # noqa: E402
from harvester.settings import Settings  # noqa: E402
from harvester.store import RecordStore  # noqa: E402
from indexer.analytics.config import AnalyticsConfig  # noqa: E402
from indexer.analytics.reader import load_figures  # noqa: E402
from indexer.analytics.refresh import AnalyticsPass  # noqa: E402
from indexer.analytics.report import overview  # noqa: E402
from indexer.merge import Member, MergedRecord  # noqa: E402
from indexer.search.documents import build_document  # noqa: E402

LIBRARIES = [(f"L{i:02d}", f"Member library {i}", 10 - i) for i in range(10)]
ITEM_LIBRARIES = {code for code, _, _ in LIBRARIES[::2]}
HELD_BY = [1] * 55 + [2] * 20 + [3] * 10 + [4] * 5 + [5] * 4 + [6] * 2 + [7] * 2 + [8, 9, 10]
FORMATS = ["book"] * 70 + ["e-book"] * 8 + ["serial"] * 6 + ["score"] * 4 + ["video"] * 4 + ["map"] * 3 + \
    ["music-recording"] * 3 + ["thesis"] * 2
LANGUAGES = ["eng"] * 60 + ["fre"] * 8 + ["ger"] * 8 + ["spa"] * 6 + ["ita", "rus", "chi", "jpn", "por", "ara", "heb",
                                                                        "lat"] * 2
LC = "ABCDEFGHJKLMNPQRSTUVZ"


def synthetic(i: int, version: int = 0) -> MergedRecord:
    """Title i (``version`` > 0: the same title after a re-harvest changed who holds it)."""
    rng = random.Random(i * 7919 + version * 1_000_003)
    k = rng.choice(HELD_BY)
    codes = sorted(set(rng.choices([c for c, _, _ in LIBRARIES], [w for *_, w in LIBRARIES], k=k)))
    holdings: list[Holding] = []
    members: list[Member] = []
    names = dict((c, n) for c, n, _ in LIBRARIES)
    for code in codes:
        rid = f"{code.lower()}:{i}"
        members.append(Member(rid, code.lower(), code, names[code], f"Title {i}"))
        if code in ITEM_LIBRARIES:
            holdings += [Holding(code, names[code], barcode=f"{code}{i}-{n}", source_tag="949", kind="item")
                         for n in range(rng.randint(1, 3))]
        else:
            holdings.append(Holding(code, names[code], call_number="QA1", source_tag="852", kind="holding"))
    classes = []
    if rng.random() < 0.7:
        classes.append(f"lcc:{rng.choice(LC)}{rng.randint(1, 999)}")
    if rng.random() < 0.4:
        classes.append(f"ddc:{rng.randint(0, 999):03d}.{rng.randint(1, 99)}")
    langs = () if rng.random() < 0.05 else tuple(dict.fromkeys(rng.choices(LANGUAGES, k=rng.choice([1, 1, 1, 2]))))
    record = Record(id=f"c{i}", source_id="", local_id=f"c{i}", title=f"Title {i}", format=rng.choice(FORMATS),
                    year=None if rng.random() < 0.05 else rng.randint(1850, 2025), languages=langs,
                    holdings=tuple(holdings), **_classification(tuple(classes)))
    return MergedRecord(f"c{i:09d}", record, tuple(members), members[0].record_id, {})


def _classification(classes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {"classification": classes}


def titles(n: int, version: int = 0, every: int = 1) -> Iterator[MergedRecord]:
    for i in range(0, n, every):
        yield synthetic(i, version)


def timed(label: str, work: object, baseline: float = 0.0) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    net = f"  ({seconds - baseline:7.1f} s beyond generating)" if baseline else ""
    print(f"{label:<44} {seconds:8.1f} s{net}", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--titles", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.titles
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(config_file=Path(tmp) / "unioncat.toml", data_dir=Path(tmp), sources=())
        store = RecordStore(Path(tmp) / "unioncat.sqlite")
        for code, name, _ in LIBRARIES:
            store.upsert_source(code.lower(), name, "marc", code, name)
        config = AnalyticsConfig()
        print(f"collection analytics, {n:,} synthetic titles over {len(LIBRARIES)} members")
        gen = timed("generate merged records (baseline)", lambda: sum(1 for _ in titles(n)))
        timed("index baseline: build_document each", lambda: [build_document(m) for m in titles(n)] and None, gen)

        def full() -> None:
            analytics = AnalyticsPass(store, settings, config).begin(full=True)
            for merged in titles(n):
                analytics.see(merged)
            analytics.finish()

        timed("full recompute (AnalyticsPass full)", full, gen)
        changed, removed = max(1, n // 100), max(1, n // 1000)

        def incremental() -> None:
            analytics = AnalyticsPass(store, settings, config).begin(full=False)
            for merged in titles(n, version=1, every=n // changed):
                analytics.see(merged)
            analytics.finish([f"c{i:09d}" for i in range(1, n, n // removed)])

        gen_inc = timed(f"generate {changed:,} changed records (baseline)",
                        lambda: sum(1 for _ in titles(n, version=1, every=n // changed)))
        timed(f"incremental: {changed:,} changed, {removed:,} removed", incremental, gen_inc)
        timed("page view: load figures + overview report",
              lambda: overview(load_figures(store, settings)[0]))  # type: ignore[arg-type]
        cells = len(load_figures(store, settings)[0].cells)  # type: ignore[union-attr]
        size = Path(store.path).stat().st_size / 1e6
        print(f"stored: {cells:,} cells; store file {size:,.0f} MB")
        store.close()


if __name__ == "__main__":
    main()
