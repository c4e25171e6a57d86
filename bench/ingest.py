"""Ingest benchmark: records/s and peak memory of parse + normalize + store, beside bare pymarc parsing.

    python bench/ingest.py ../shared/data/marc                 # the shared real MARC, one source per folder
    python bench/ingest.py --synthetic 200000                  # a generated corpus of 200,000 bib records
    python bench/ingest.py --synthetic 200000 --workers 1 2    # per core, and with both cores

Each measurement runs in a fresh subprocess so that its peak RSS (ru_maxrss) is its own. Bare pymarc
is `MARCReader(to_unicode=True, permissive=True)` for ISO 2709 and `parse_xml_to_array` for MARCXML.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = (
    "history theory practice introduction handbook studies science art music law medicine war peace "
    "economics philosophy religion language literature poetry novel letters journal essays women "
    "children education politics society culture nature water energy city country world early modern"
).split()
SURNAMES = "Smith Müller García Łukasiewicz Tanaka Dubois Rossi Novák Johansson O'Brien Kowalski".split()


def generate_corpus(path: Path, count: int, seed: int = 1) -> None:
    """Write `count` synthetic bibliographic records (UTF-8 ISO 2709, ~1 KB each) with pymarc."""
    import pymarc

    rng = random.Random(seed)
    with path.open("wb") as out:
        for n in range(count):
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7))).capitalize()
            year = rng.randint(1850, 2025)
            record = pymarc.Record(force_utf8=True)
            record.leader = pymarc.Leader("00000nam a2200000 a 4500")
            record.add_field(
                pymarc.Field(tag="001", data=f"syn{n:08d}"),
                pymarc.Field(tag="008", data=f"200101s{year}    xxu           000 0 eng d"),
                pymarc.Field(tag="020", indicators=pymarc.Indicators(" ", " "),
                             subfields=[pymarc.Subfield("a", f"978{rng.randint(10**9, 10**10 - 1)}")]),
                pymarc.Field(tag="035", indicators=pymarc.Indicators(" ", " "),
                             subfields=[pymarc.Subfield("a", f"(OCoLC)ocm{rng.randint(10**7, 10**8):08d}")]),
                pymarc.Field(tag="100", indicators=pymarc.Indicators("1", " "),
                             subfields=[pymarc.Subfield("a", f"{rng.choice(SURNAMES)}, {rng.choice(WORDS).title()}."),
                                        pymarc.Subfield("d", f"{year - 40}-")]),
                pymarc.Field(tag="245", indicators=pymarc.Indicators("1", "0"),
                             subfields=[pymarc.Subfield("a", title + " :"),
                                        pymarc.Subfield("b", " ".join(rng.choice(WORDS) for _ in range(4)) + " /"),
                                        pymarc.Subfield("c", "edited by someone.")]),
                pymarc.Field(tag="264", indicators=pymarc.Indicators(" ", "1"),
                             subfields=[pymarc.Subfield("a", "New York :"), pymarc.Subfield("b", "Press,"),
                                        pymarc.Subfield("c", f"{year}.")]),
                pymarc.Field(tag="300", indicators=pymarc.Indicators(" ", " "),
                             subfields=[pymarc.Subfield("a", f"xii, {rng.randint(50, 900)} pages ;")]),
                pymarc.Field(tag="650", indicators=pymarc.Indicators(" ", "0"),
                             subfields=[pymarc.Subfield("a", rng.choice(WORDS).title()),
                                        pymarc.Subfield("x", rng.choice(WORDS).title())]),
                pymarc.Field(tag="852", indicators=pymarc.Indicators("0", " "),
                             subfields=[pymarc.Subfield("b", "MAIN"), pymarc.Subfield("h", f"QA{n % 900}"),
                                        pymarc.Subfield("i", f".S{n % 97}")]),
            )
            out.write(record.as_marc())


def measure_bare(paths: list[Path]) -> dict[str, float]:
    import logging
    import warnings

    import pymarc

    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    count = 0
    started = time.perf_counter()
    for path in paths:
        if path.suffix.lower() == ".xml":
            try:
                count += len(pymarc.parse_xml_to_array(str(path), strict=False))
            except Exception:  # noqa: BLE001 - bare pymarc rejects some files whole; it counts nothing then
                pass
            continue
        with path.open("rb") as handle:
            for record in pymarc.MARCReader(handle, to_unicode=True, permissive=True, utf8_handling="replace"):
                count += record is not None
    seconds = time.perf_counter() - started
    return {"records": count, "seconds": seconds}


def measure_ingest(sources: list[tuple[str, Path]], workers: int) -> dict[str, float]:
    from harvester.run import harvest_sources
    from harvester.settings import parse_settings
    from harvester.store import RecordStore

    with tempfile.TemporaryDirectory() as tmp:
        config = {"data_dir": tmp, "workers": workers,
                  "sources": [{"id": sid, "path": str(path)} for sid, path in sources]}
        settings = parse_settings(config, Path(tmp) / "bench.toml")
        with RecordStore(settings.store_path) as store:
            started = time.perf_counter()
            results = harvest_sources(settings, store, settings.sources, workers=workers, show_progress=False)
            seconds = time.perf_counter() - started
        read = sum(r.counts.get("read", 0) for r in results)
        stored = sum(r.counts.get("new", 0) + r.counts.get("updated", 0) for r in results)
        quarantined = sum(r.counts.get("quarantined", 0) for r in results)
    return {"records": read, "stored": stored, "quarantined": quarantined, "seconds": seconds}


def _child(kind: str, payload: str) -> dict[str, float]:
    """Run one measurement in a fresh process; returns its figures plus peak RSS in MB."""
    out = subprocess.run([sys.executable, __file__, "--_measure", kind, payload], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _marc_files(path: Path) -> list[Path]:
    from harvester.files import list_files

    return list_files(path)


def _sources_for(paths: list[Path]) -> list[tuple[str, Path]]:
    """One source per folder given (or per sub-folder when given a folder of folders)."""
    sources: list[tuple[str, Path]] = []
    for path in paths:
        subdirs = [p for p in sorted(path.iterdir()) if p.is_dir()] if path.is_dir() else []
        for item in subdirs or [path]:
            sources.append((item.name.replace(".", "-"), item))
    return sources


def report(label: str, sources: list[tuple[str, Path]], workers: list[int]) -> None:
    files = [f for _, p in sources for f in _marc_files(p)]
    size = sum(f.stat().st_size for f in files)
    print(f"\n== {label}: {len(sources)} source(s), {len(files)} file(s), {size / 1e6:.1f} MB")
    bare = _child("bare", json.dumps([str(f) for f in files]))
    bare_rate = bare["records"] / bare["seconds"]
    print(f"bare pymarc parse:          {bare['records']:>9,} records  {bare_rate:>9,.0f} rec/s  "
          f"peak {bare['peak_mb']:,.0f} MB")
    for count in workers:
        res = _child("ingest", json.dumps({"sources": [[s, str(p)] for s, p in sources], "workers": count}))
        rate = res["records"] / res["seconds"]
        per_core = rate / count
        print(f"parse+normalize+store, {count} worker(s): {res['records']:>9,} read ({res['stored']:,} stored, "
              f"{res['quarantined']:,} quarantined)  {rate:>9,.0f} rec/s  ({per_core:,.0f}/core = "
              f"{per_core / bare_rate:.0%} of bare pymarc)  peak {res['peak_mb']:,.0f} MB")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_measure":
        kind, payload = sys.argv[2], json.loads(sys.argv[3])
        if kind == "bare":
            figures = measure_bare([Path(p) for p in payload])
        else:
            figures = measure_ingest([(s, Path(p)) for s, p in payload["sources"]], payload["workers"])
        figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="MARC files or folders (a folder of folders = many sources)")
    parser.add_argument("--synthetic", type=int, default=0, help="also generate and ingest N synthetic records")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 2])
    args = parser.parse_args()
    if args.paths:
        report(", ".join(map(str, args.paths)), _sources_for(args.paths), args.workers)
    if args.synthetic:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "synthetic"
            folder.mkdir()
            started = time.perf_counter()
            generate_corpus(folder / "synthetic.mrc", args.synthetic)
            print(f"\n(generated {args.synthetic:,} synthetic records in {time.perf_counter() - started:.0f}s)")
            report(f"synthetic corpus of {args.synthetic:,} records", [("synthetic", folder)], args.workers)


if __name__ == "__main__":
    main()
