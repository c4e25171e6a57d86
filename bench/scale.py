"""End-to-end scale benchmark: a multi-library corpus on disk, then `unioncat harvest`, `unioncat index`
and a small search load, each stage timed with its wall time, records/s, peak RSS and disk use.

    python bench/scale.py --records 1000000 --workdir /work/scratch/cluster/s1m
    python bench/scale.py --records 100000 200000 --workdir /tmp/scale      # several sizes, one after the other
    python bench/scale.py --records 10000000 --workdir DIR --stages generate harvest
    python bench/scale.py --plot DIR/results.jsonl bench/scale.svg          # the README's plot

The corpus is `bench/scale_corpus.py` (ten libraries, a long tail of holdings, duplicates with copy
cataloguing variation). Each stage runs the real command line in a child process; its peak RSS is the
largest process of the stage (`wait4`'s ``ru_maxrss``: the stage's process or one of its workers),
disk is what the data folder holds afterwards. ``incremental`` changes 1% of the records
(a delta file per library: a new note on each, every tenth also retitled), harvests the deltas and
re-runs `unioncat index`, which reports how many records it re-clustered. The
load average is printed with each stage: on a shared machine wall times are inflated, memory and disk
are not. Every figure is also appended as one JSON line to ``WORKDIR/results.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from scale_corpus import LIBRARIES, write_part  # noqa: E402

UNIONCAT = str(Path(sys.executable).parent / "unioncat")
STAGES = ("generate", "harvest", "cluster", "cluster-baseline", "index", "search", "incremental")
QUERIES = ("history", "poetry children", "kalo", "music law", "the", "ne ru", "water energy", "mi*",
           "science", "women politics")


def du(path: Path) -> int:
    """Bytes under ``path`` (apparent sizes of regular files)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def run_stage(command: list[str], log: Path) -> dict[str, float]:
    """Run one stage's command; wall seconds and its peak RSS (largest process, MB)."""
    started = time.monotonic()
    with log.open("ab") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage failed ({' '.join(command)}): see {log}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}


def write_config(workdir: Path) -> Path:
    config = workdir / "unioncat.toml"
    lines = ['data_dir = "data"', "workers = 2", ""]
    for library in LIBRARIES:
        lines += ["[[sources]]", f'id = "{library}"', f'path = "corpus/{library}"', ""]
    config.write_text("\n".join(lines))
    return config


def generate(workdir: Path, records: int) -> dict[str, float]:
    started = time.monotonic()
    parts = os.cpu_count() or 2
    with ProcessPoolExecutor(parts) as pool:
        written = sum(pool.map(write_part, [workdir / "corpus"] * parts, [records] * parts, range(parts),
                               [parts] * parts))
    return {"seconds": time.monotonic() - started, "records": written, "peak_mb": 0.0}


def change_one_percent(workdir: Path) -> int:
    """Change 1% of every library's records through a delta file (a later record with the same id
    replaces the earlier one): a new 500 note on each, and every tenth retitled. Returns how many."""
    import pymarc

    changed = 0
    for library in LIBRARIES:
        source = workdir / "corpus" / library
        with (source / "zz-delta.mrc").open("wb") as out:
            for k, record in enumerate(r for path in sorted(source.glob("part*.mrc")) for r in _records(path)):
                if k % 100:
                    continue
                record.add_field(pymarc.Field(tag="500", indicators=pymarc.Indicators(" ", " "),
                                              subfields=[pymarc.Subfield("a", f"Changed copy {k}.")]))
                if changed % 10 == 0:
                    for field in record.get_fields("245"):
                        field["a"] = f"Revised {field['a']}"
                out.write(record.as_marc())
                changed += 1
    return changed


def _records(path: Path):  # type: ignore[no-untyped-def]
    import pymarc

    with path.open("rb") as handle:
        yield from (r for r in pymarc.MARCReader(handle, to_unicode=True, force_utf8=True) if r is not None)


def search_load(config: str) -> dict[str, float]:
    """A small in-process load: each query with facets, twice (cold then warm), p50/p95 of the warm."""
    from harvester.settings import load_settings
    from indexer.catalog import Catalog
    from indexer.search.backends.base import SearchRequest

    catalog = Catalog.open(load_settings(config))
    try:
        cold, warm = [], []
        for rounds, sink in ((1, cold), (5, warm)):
            for _ in range(rounds):
                for text in QUERIES:
                    start = time.perf_counter()
                    catalog.search(SearchRequest(text=text))
                    sink.append((time.perf_counter() - start) * 1000)
    finally:
        catalog.close()
    warm.sort()
    return {"cold_ms_p50": sorted(cold)[len(cold) // 2], "warm_ms_p50": warm[len(warm) // 2],
            "warm_ms_p95": warm[int(0.95 * (len(warm) - 1))], "queries": len(cold) + len(warm)}


def cluster_only(config: str, mode: str) -> dict[str, float]:
    """Clustering alone over the store's live records, bounded or in memory (the baseline), without
    writing: seconds, records, pairs decided and a digest of the groups (both modes must agree)."""
    import hashlib
    import resource

    from harvester.settings import load_settings
    from harvester.store import RecordStore
    from indexer.dedup.bounded import Counts, cluster_stream
    from indexer.dedup.clustering import cluster_records
    from indexer.dedup.clusters import matching_record
    from indexer.dedup.matchers import matcher_for
    from indexer.dedup.matching import Overrides

    settings = load_settings(config)
    matcher = matcher_for(settings)
    with RecordStore(settings.store_path) as store:
        stored = (j for rows in store.iter_live_bib_json() for _, j in rows)
        started = time.monotonic()
        counts = Counts()
        if mode == "bounded":  # the stored JSON, decoded by the clusterer's workers as `unioncat index` does
            groups = cluster_stream(matcher, stored, Overrides(), settings.data_dir, counts=counts,
                                    workers=settings.workers or None)
        else:
            groups = iter(cluster_records(matcher, [matching_record(j) for j in stored], Overrides()))
        digest, total = hashlib.sha1(), 0
        for group in groups:
            digest.update(repr(group).encode())
            total += 1
        seconds = time.monotonic() - started
    return {"seconds": seconds, "groups": total, "pairs": counts.pairs, "digest": digest.hexdigest()[:16],
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # type: ignore[dict-item]


def _index_summary(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.startswith("index (")]
    return lines[-1] if lines else ""


def run_size(records: int, workdir: Path, stages: list[str]) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    config = str(write_config(workdir))
    results = workdir / "results.jsonl"
    for stage in stages:
        load_before = os.getloadavg()[0]
        log = workdir / f"{stage}.log"
        if stage == "generate":
            figures = generate(workdir, records)
        elif stage == "harvest":
            figures = run_stage([UNIONCAT, "--config", config, "harvest"], log)
        elif stage in ("index", "incremental"):
            if stage == "incremental":
                figures_changed = change_one_percent(workdir)
                run_stage([UNIONCAT, "--config", config, "harvest"], workdir / "incremental-harvest.log")
            figures = run_stage([UNIONCAT, "--config", config, "index"], log)
            figures["summary"] = _index_summary(log)  # type: ignore[assignment]
            if stage == "incremental":
                figures["changed"] = figures_changed
        else:
            mode = {"search": ["--_search"], "cluster": ["--_cluster", "bounded"],
                    "cluster-baseline": ["--_cluster", "memory"]}[stage]
            out = subprocess.run([sys.executable, __file__, mode[0], config, *mode[1:]], capture_output=True,
                                 text=True, check=True)
            figures = json.loads(out.stdout.strip().splitlines()[-1])
        figures.update(size=records, stage=stage, load=round((load_before + os.getloadavg()[0]) / 2, 1),
                       corpus_bytes=du(workdir / "corpus"), data_bytes=du(workdir / "data"))
        rate = records / figures["seconds"] if figures.get("seconds") else 0
        print(f"{records:>11,} {stage:<12} wall {figures.get('seconds', 0):8.1f} s  {rate:>9,.0f} rec/s  "
              f"peak RSS {figures.get('peak_mb', 0):8,.0f} MB  corpus {figures['corpus_bytes'] / 1e9:6.2f} GB  "
              f"data {figures['data_bytes'] / 1e9:6.2f} GB  load {figures['load']}", flush=True)
        extra = {k: v for k, v in figures.items()
                 if k in ("summary", "changed", "groups", "pairs", "digest") or k.startswith(("cold", "warm"))}
        if extra:
            print(f"{'':>12} {extra}", flush=True)
        with results.open("a") as out:
            out.write(json.dumps(figures) + "\n")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--_search":
        print(json.dumps(search_load(sys.argv[2])))
        return
    if len(sys.argv) > 3 and sys.argv[1] == "--_cluster":
        print(json.dumps(cluster_only(sys.argv[2], sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[100_000], help="corpus sizes to run")
    parser.add_argument("--workdir", type=Path, help="where corpus, store and index go (one folder per size)")
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--plot", nargs=2, metavar=("RESULTS", "SVG"),
                        help="draw time and memory against size from results.jsonl files")
    args = parser.parse_args()
    if args.plot:
        from scale_plot import plot

        plot(args.plot[0], Path(args.plot[1]))
        return
    if args.workdir is None:
        parser.error("--workdir is required")
    for records in args.records:
        run_size(records, args.workdir / f"n{records}", args.stages)


if __name__ == "__main__":
    main()
