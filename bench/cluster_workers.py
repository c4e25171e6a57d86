"""The bounded clusterer alone over a `scale.py` store, on 1 and on N worker processes (issue 18).

    python bench/cluster_workers.py --config DIR/n100000/unioncat.toml --workers 1 2 [--baseline CHECKOUT]

Each side runs in a child process, like `scale.py`'s ``cluster`` stage: every live record of the store
through `indexer.dedup.bounded.cluster_stream` (no writes), with a digest of the groups, which must be
the same on every side. ``--input json`` hands the workers the records' stored JSON (what
`ClusterStore.recluster_all` does), ``records`` decodes them in the main process first (what
`scale.py`'s stage does). ``--baseline`` adds a side run with another checkout's code (one process: the
code before the workers). Printed per side: wall, CPU of the child and of every process under it (the
workers are children of the fork server: sampled from /proc, see `index_stage.timed`), peak RSS of
the largest process and of the whole tree, and the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from index_stage import timed

ROOT = Path(__file__).resolve().parents[1]


def one(config: str, workers: int, mode: str) -> dict[str, object]:
    """The clustering in this process (and its workers): seconds, groups, pairs, decisions, digest."""
    from harvester.settings import load_settings
    from harvester.store import RecordStore
    from indexer.dedup.bounded import Counts, cluster_stream
    from indexer.dedup.clusters import matching_record
    from indexer.dedup.matchers import matcher_for
    from indexer.dedup.matching import Overrides

    settings = load_settings(config)
    matcher = matcher_for(settings)
    extra = {"workers": workers} if "workers" in inspect.signature(cluster_stream).parameters else {}
    with RecordStore(settings.store_path) as store:
        rows = (j for batch in store.iter_live_bib_json() for _, j in batch)
        records = rows if mode == "json" and extra else (matching_record(j) for j in rows)
        started = time.monotonic()
        counts = Counts()
        digest, total = hashlib.sha1(), 0
        for group in cluster_stream(matcher, records, Overrides(), settings.data_dir, counts=counts, **extra):
            digest.update(repr(group).encode())
            total += 1
    return {"seconds": time.monotonic() - started, "groups": total, "pairs": counts.pairs,
            "decisions": counts.decisions, "digest": digest.hexdigest()[:16]}


def side(name: str, code: Path, config: str, workers: int, mode: str) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        command = [sys.executable, str(Path(__file__).resolve()), "--_one", config, str(workers), mode, result.name]
        env_path = os.environ.get("PYTHONPATH", "")
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), str(ROOT / "bench"), env_path) if p)
        load = os.getloadavg()[0]
        try:
            figures = timed(command, Path(result.name + ".log"))
        finally:
            os.environ["PYTHONPATH"] = env_path
        out = json.loads(Path(result.name).read_text())
    Path(result.name + ".log").unlink(missing_ok=True)
    out.update(figures, name=name, load=round((load + os.getloadavg()[0]) / 2, 1))
    print(f"{name:<28} wall {out['wall']:7.1f} s  CPU {out['cpu']:7.1f} s  peak RSS {out['peak_mb']:6,.0f} MB "
          f"(tree {out['peak_tree_mb']:6,.0f} MB)  load {out['load']}  groups {out['groups']:,}  "
          f"pairs {out['pairs']:,}  decisions {out['decisions']:,}  digest {out['digest']}", flush=True)
    return out


def main() -> None:
    if len(sys.argv) > 5 and sys.argv[1] == "--_one":
        Path(sys.argv[5]).write_text(json.dumps(one(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="a scale.py folder's unioncat.toml (after harvest)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--input", choices=("json", "records"), default="json")
    parser.add_argument("--baseline", type=Path, help="a checkout whose code runs as the 'before' side")
    args = parser.parse_args()
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    results = []
    if args.baseline:
        results.append(side("before (baseline checkout)", args.baseline.resolve(), args.config, 1, "records"))
    for workers in args.workers:
        results.append(side(f"{workers} worker(s), {args.input}", ROOT, args.config, workers, args.input))
    same = len({r["digest"] for r in results}) == 1
    print(f"same groups on every side: {same}")
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
