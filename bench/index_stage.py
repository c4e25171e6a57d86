"""The `unioncat index` stage after clustering (merge, documents, tantivy, analytics), this code beside a
baseline checkout, on copies of the same clustered store, with a check that both give the same output.

    python bench/index_stage.py --source /work/scratch/indexperf/s100k --baseline ../baseline/repo \
        --work /work/scratch/indexperf/cmp

``--source`` is a `bench/scale.py` work folder after its ``index`` stage (a store with clusters). For each
side (the baseline's own ``.venv``, then this checkout's) the data folder is copied, the store is told a
full rebuild is pending (the state a killed rebuild leaves), and ``unioncat index`` runs in a child
process: clustering finds nothing changed, so the run is the post-clustering phase alone, rebuilding
every document into a fresh index and recomputing the analytics from scratch. Printed per side: wall
and CPU seconds (the child and its worker processes, from ``wait4``: fairer than wall time on a shared
machine), merged records per CPU second and wall second, peak RSS.

Then the outputs are compared: every stored index document (sorted by id, canonical JSON), the analytics
cells and per-title profiles; their digests must be equal. ``--kill-after-step`` also kills this
checkout's run with SIGKILL once it recorded a committed step, runs ``unioncat index`` again, and
compares that output too (the resumed run's time is printed separately).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

REBUILD_STATE = "index.rebuild_pending"


def prepare(source: Path, target: Path) -> Path:
    """A copy of the source's data folder and config under ``target``, with a rebuild pending."""
    from harvester.settings import load_settings
    from harvester.store import RecordStore

    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copytree(source / "data", target / "data", ignore=shutil.ignore_patterns("index"))
    config = target / "unioncat.toml"
    shutil.copy(source / "unioncat.toml", config)
    with RecordStore(load_settings(config).store_path) as store:
        store.set_state(REBUILD_STATE, True)
    return config


TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _descendants(root: int) -> dict[int, tuple[float, int]]:
    """CPU seconds and RSS bytes of ``root`` and every process below it (from /proc)."""
    stats: dict[int, tuple[int, float, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, int(fields[21]) * PAGE)
    found: dict[int, tuple[float, int]] = {}
    for pid in stats:
        walk = pid
        while walk in stats and walk != root and walk > 1:
            walk = stats[walk][0]
        if walk == root:
            found[pid] = stats[pid][1:]
    return found


def timed(command: list[str], log: Path, kill_when: Callable[[], bool] | None = None) -> dict[str, float]:
    """Run ``command``: wall seconds, CPU seconds of it and of every process under it (the document
    workers are children of multiprocessing's fork server, which `wait4` may not count: /proc is
    sampled every 0.2 s and each process's last figure kept), peak RSS (largest process and the
    largest sum over the tree), in MB; killed with SIGKILL as soon as ``kill_when()`` says so."""
    started = time.monotonic()
    cpu: dict[int, float] = {}
    peak_sum = 0
    with log.open("ab") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            tree = _descendants(child.pid)
            cpu.update({pid: seconds for pid, (seconds, _) in tree.items()})
            peak_sum = max(peak_sum, sum(rss for _, rss in tree.values()))
            if kill_when is not None and kill_when():
                os.kill(child.pid, signal.SIGKILL)
                kill_when = None
            time.sleep(0.2)
    # wait4 counts the descendants that were waited for, the samples those that were not: the larger
    total = max(usage.ru_utime + usage.ru_stime, sum(cpu.values()))
    figures = {"wall": time.monotonic() - started, "cpu": total,
               "peak_mb": usage.ru_maxrss / 1024, "peak_tree_mb": peak_sum / 2**20}
    if os.waitstatus_to_exitcode(status) not in (0, -signal.SIGKILL):
        raise SystemExit(f"failed: {' '.join(command)} (see {log})")
    return figures


def _step_recorded(config: Path, report: bool = False) -> Any:
    """Whether (with ``report``: how far) a run recorded a committed step of its rebuild."""
    import sqlite3

    from harvester.settings import load_settings

    try:
        with contextlib.closing(sqlite3.connect(load_settings(config).store_path, timeout=1)) as db:
            row = db.execute("SELECT value FROM state WHERE key = 'index.rebuild_checkpoint'").fetchone()
    except sqlite3.Error:
        return False
    if report:
        return f"{json.loads(row[0])['clusters']:,} clusters" if row else "no step recorded"
    return row is not None


def digests(config: Path) -> dict[str, object]:
    """Digests of every index document (by id), the analytics cells and profiles, and the counts."""
    import tantivy

    from harvester.settings import load_settings
    from harvester.store import RecordStore
    from indexer.analytics.store import AnalyticsStore, encode
    from indexer.search.backends import open_backend
    from indexer.search.backends.embedded import tantivy_schema

    settings = load_settings(config)
    backend = open_backend(settings)
    searcher = backend._open().searcher()  # type: ignore[attr-defined]
    total = int(searcher.num_docs)
    result = searcher.search(tantivy.Query.all_query(), max(total, 1))
    docs = sorted((json.dumps(tantivy_schema.from_tantivy(searcher.doc(a).to_dict()), sort_keys=True,
                              ensure_ascii=False) for _, a in result.hits))
    doc_digest = hashlib.sha256("\n".join(docs).encode()).hexdigest()[:16]
    backend.close()
    with RecordStore(settings.store_path) as store:
        tables = AnalyticsStore(store)
        cells = sorted((json.dumps(list(cell)), n) for cell, n in tables.cells().items())
        profiles = [(p.cluster_id, encode(p)) for p in tables.iter_profiles()]
        complete = bool(tables.state().get("complete"))
        pending = store.get_state(REBUILD_STATE)
    return {"documents": total, "doc_digest": doc_digest,
            "cells": len(cells), "cell_digest": hashlib.sha256(repr(cells).encode()).hexdigest()[:16],
            "profiles": len(profiles), "profile_digest": hashlib.sha256(repr(profiles).encode()).hexdigest()[:16],
            "analytics_complete": complete, "rebuild_pending": bool(pending)}


def show(name: str, figures: dict[str, float], clusters: int) -> None:
    print(f"{name:<22} wall {figures['wall']:8.1f} s  CPU {figures['cpu']:8.1f} s  "
          f"{clusters / figures['cpu']:7,.0f} merged/CPU-s  {clusters / figures['wall']:7,.0f} merged/s  "
          f"peak RSS {figures['peak_mb']:6,.0f} MB (all processes {figures['peak_tree_mb']:6,.0f} MB)  "
          f"load {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, required=True, help="a scale.py work folder after `index`")
    parser.add_argument("--baseline", type=Path, help="a checkout with its own .venv (omit: this code only)")
    parser.add_argument("--work", type=Path, required=True, help="where the copies go")
    parser.add_argument("--kill-after-step", action="store_true",
                        help="also kill this code's run (SIGKILL) once it recorded a step, then run it again")
    args = parser.parse_args()
    sides = [("this", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    results: dict[str, dict[str, object]] = {}
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    for name, checkout in reversed(sides):  # baseline first
        config = prepare(args.source, args.work / name)
        unioncat = str(checkout / ".venv" / "bin" / "unioncat")
        figures = timed([unioncat, "--config", str(config), "index", "-q"], args.work / f"{name}.log")
        result = digests(config)
        show(name, figures, int(result["documents"]))  # type: ignore[call-overload]
        results[name] = {**result, **figures}
    if args.kill_after_step:
        config = prepare(args.source, args.work / "killed")
        unioncat = str(ROOT / ".venv" / "bin" / "unioncat")
        killed = timed([unioncat, "--config", str(config), "index", "-q"], args.work / "killed.log",
                       lambda: _step_recorded(config))
        print(f"  killed after its first recorded step: {_step_recorded(config, report=True)}")
        resumed = timed([unioncat, "--config", str(config), "index", "-q"], args.work / "killed.log")
        result = digests(config)
        show("killed, then resumed", resumed, int(result["documents"]))  # type: ignore[call-overload]
        print(f"  (killed after {killed['wall']:.1f} s, {killed['cpu']:.1f} CPU s)")
        results["killed"] = {**result, **resumed}
    keys = ("documents", "doc_digest", "cells", "cell_digest", "profiles", "profile_digest",
            "analytics_complete", "rebuild_pending")
    for name, result in results.items():
        print(f"{name:<10} " + "  ".join(f"{k}={result[k]}" for k in keys))
    same = len({tuple(r[k] for k in keys) for r in results.values()}) == 1
    print("same output" if same else "OUTPUT DIFFERS")
    (args.work / "results.json").write_text(json.dumps(results, indent=1))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
