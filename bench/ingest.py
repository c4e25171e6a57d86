"""Ingest benchmark: records/s and peak memory of parse + normalize + store, beside bare pymarc parsing.

    python bench/ingest.py ../shared/data/marc                 # the shared real MARC, one source per folder
    python bench/ingest.py --synthetic 200000                  # a generated corpus of 200,000 bib records
    python bench/ingest.py --synthetic 200000 --workers 1 2    # per core, and with both cores
    python bench/ingest.py ../shared/data/marc --memory        # peak RSS on 1x and 10x the largest sample
    python bench/ingest.py --synthetic 20000 --workers 1 --baseline ../baseline/repo --repeats 5
                                # an older checkout (with its own .venv) timed in the same run, interleaved

With ``--baseline REPO`` each repeat times bare pymarc, then the baseline and this code in alternating
order (so a load spike hurts both alike), and the summary gives medians over the repeats and the median
of the per-repeat ratios (this code / baseline, paired within a repeat: the fairest figure on a shared
machine).

"per core" divides the rate by the number of parsing workers (the harvesting process that cuts records
and writes SQLite comes on top, so with 2 workers on 2 cores the figure is conservative).

Each measurement runs in a fresh subprocess so that its peak RSS (ru_maxrss) is its own. Bare pymarc
is `MARCReader(to_unicode=True, permissive=True)` for ISO 2709 and `parse_xml_to_array` for MARCXML.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A measurement child runs with the code of the checkout it is given (`--baseline`): its ROOT comes first.
ROOT = Path(os.environ.get("UNIONCAT_BENCH_ROOT") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))

WORDS = (
    "history theory practice introduction handbook studies science art music law medicine war peace "
    "economics philosophy religion language literature poetry novel letters journal essays women "
    "children education politics society culture nature water energy city country world early modern"
).split()
SURNAMES = "Smith Müller García Łukasiewicz Tanaka Dubois Rossi Novák Johansson O'Brien Kowalski".split()


def generate_corpus(path: Path, count: int, seed: int = 1) -> None:
    """Write `count` synthetic bibliographic records (UTF-8 ISO 2709, ~1.8 KB each, streamed to disk).

    Shaped like the shared real records (100.mrc, Cornell, LoC): ~30 fields with identifiers, names,
    imprint, description, notes, subjects, series, links and 852 holdings, so that the ingest rate is
    measured on the kind of record a library exports, not on a toy.
    """
    import pymarc

    def field(tag: str, ind: str, *pairs: str) -> pymarc.Field:
        subfields = [pymarc.Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
        return pymarc.Field(tag=tag, indicators=pymarc.Indicators(ind[0], ind[1]), subfields=subfields)

    rng = random.Random(seed)
    words = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))  # noqa: E731
    with path.open("wb") as out:
        for n in range(count):
            title = words(rng.randint(2, 7)).capitalize()
            year = rng.randint(1850, 2025)
            surname, given = rng.choice(SURNAMES), rng.choice(WORDS).title()
            record = pymarc.Record(force_utf8=True)
            record.leader = pymarc.Leader("00000cam a2200000 i 4500")
            record.add_field(
                pymarc.Field(tag="001", data=f"syn{n:08d}"),
                pymarc.Field(tag="003", data="SYN"),
                pymarc.Field(tag="005", data="20240101120000.0"),
                pymarc.Field(tag="008", data=f"240101s{year}    nyua     b    001 0 eng d"),
                field("010", "  ", "a", f"  {rng.randint(10**7, 10**8 - 1)}"),
                field("020", "  ", "a", _isbn(rng), "q", "hardcover"),
                field("020", "  ", "a", _isbn(rng), "q", "ebook"),
                field("035", "  ", "a", f"(OCoLC)ocm{rng.randint(10**7, 10**8):08d}"),
                field("040", "  ", "a", "DLC", "b", "eng", "e", "rda", "c", "DLC"),
                field("050", "00", "a", f"QA{n % 900}", "b", f".S{n % 97} {year}"),
                field("082", "00", "a", f"{rng.randint(0, 999)}.{rng.randint(0, 99)}", "2", "23"),
                field("100", "1 ", "a", f"{surname}, {given},", "d", f"{year - 40}-", "e", "author."),
                field("245", "10", "a", title + " :", "b", words(5) + " /", "c", f"{given} {surname}."),
                field("250", "  ", "a", f"{rng.randint(1, 5)}nd edition."),
                field("264", " 1", "a", "New York :", "b", f"{rng.choice(WORDS).title()} Press,",
                      "c", f"{year}."),
                field("300", "  ", "a", f"xii, {rng.randint(50, 900)} pages :", "b", "illustrations ;",
                      "c", "24 cm"),
                field("336", "  ", "a", "text", "b", "txt", "2", "rdacontent"),
                field("337", "  ", "a", "unmediated", "b", "n", "2", "rdamedia"),
                field("338", "  ", "a", "volume", "b", "nc", "2", "rdacarrier"),
                field("490", "1 ", "a", f"{words(3).title()} series ;", "v", f"v. {rng.randint(1, 40)}"),
                field("504", "  ", "a", "Includes bibliographical references and index."),
                field("505", "0 ", "a", " -- ".join(words(3) for _ in range(6)) + "."),
                field("520", "  ", "a", words(40).capitalize() + "."),
                field("650", " 0", "a", rng.choice(WORDS).title(), "x", rng.choice(WORDS).title(),
                      "v", "Handbooks, manuals, etc."),
                field("650", " 0", "a", rng.choice(WORDS).title(), "z", "United States", "x", "History",
                      "y", "20th century."),
                field("651", " 0", "a", "United States", "x", "Politics and government."),
                field("700", "1 ", "a", f"{rng.choice(SURNAMES)}, {rng.choice(WORDS).title()},",
                      "e", "editor."),
                field("830", " 0", "a", f"{words(3).title()} series ;", "v", f"v. {rng.randint(1, 40)}."),
                field("856", "41", "3", "Table of contents", "u", f"https://example.org/toc/{n}"),
                field("852", "0 ", "a", "SYN", "b", "MAIN", "c", "STACKS", "h", f"QA{n % 900}",
                      "i", f".S{n % 97} {year}", "p", f"3900{n:010d}"),
            )
            out.write(record.as_marc())


def _isbn(rng: random.Random) -> str:
    body = f"978{rng.randint(10**8, 10**9 - 1)}"
    check = (10 - sum((ord(c) - 48) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def measure_bare(paths: list[Path]) -> dict[str, float]:
    import logging
    import warnings

    import pymarc

    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    count = 0
    cpu = _cpu_seconds()
    started = time.perf_counter()
    for path in paths:
        if path.suffix.lower() == ".xml":
            try:
                count += len(pymarc.parse_xml_to_array(str(path), strict=False))
            except Exception:  # noqa: BLE001 - bare pymarc rejects some files whole; it counts nothing then
                pass
            continue
        with path.open("rb") as handle:
            reader = pymarc.MARCReader(handle, to_unicode=True, permissive=True, utf8_handling="replace")
            for record in reader:
                count += record is not None
    seconds = time.perf_counter() - started
    return {"records": count, "seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu}


def _cpu_seconds(who: int | None = None) -> float:
    """CPU time of this process and its finished children (the worker pool), or of `who` alone: less
    disturbed by other work on a shared machine than wall time, so reported beside it."""
    if who is not None:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime
    return _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN)


def measure_ingest(sources: list[tuple[str, Path]], workers: int) -> dict[str, float]:
    from harvester.run import harvest_sources
    from harvester.settings import parse_settings
    from harvester.store import RecordStore

    with tempfile.TemporaryDirectory() as tmp:
        config = {"data_dir": tmp, "workers": workers,
                  "sources": [{"id": sid, "path": str(path.resolve())} for sid, path in sources]}
        settings = parse_settings(config, Path(tmp) / "bench.toml")
        with RecordStore(settings.store_path) as store:
            main, pool = _cpu_seconds(resource.RUSAGE_SELF), _cpu_seconds(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            results = harvest_sources(settings, store, settings.sources, workers=workers, show_progress=False)
            seconds = time.perf_counter() - started
            main = _cpu_seconds(resource.RUSAGE_SELF) - main
            pool = _cpu_seconds(resource.RUSAGE_CHILDREN) - pool
        read = sum(r.counts.get("read", 0) for r in results)
        stored = sum(r.counts.get("new", 0) + r.counts.get("updated", 0) for r in results)
        quarantined = sum(r.counts.get("quarantined", 0) for r in results)
    return {"records": read, "stored": stored, "quarantined": quarantined, "seconds": seconds,
            "cpu_seconds": main + pool, "main_cpu_seconds": main, "pool_cpu_seconds": pool}


def _child(kind: str, payload: str, root: Path | None = None) -> dict[str, float]:
    """Run one measurement in a fresh process (with the code and .venv of `root` when given); returns
    its figures plus peak RSS in MB."""
    python, env = sys.executable, dict(os.environ)
    if root is not None:
        python = str(root / ".venv" / "bin" / "python")
        env["UNIONCAT_BENCH_ROOT"] = str(root)
    out = subprocess.run([python, __file__, "--_measure", kind, payload],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _marc_files(path: Path) -> list[Path]:
    from harvester.marc.files import list_files

    return list_files(path)


def compare(label: str, sources: list[tuple[str, Path]], workers: list[int], baseline: Path,
            repeats: int) -> None:
    """This code against `baseline` (another checkout) on the same files, interleaved, `repeats` times."""
    files = [f for _, p in sources for f in _marc_files(p)]
    print(f"\n== {label}: {len(files)} file(s), {sum(f.stat().st_size for f in files) / 1e6:.1f} MB; "
          f"this code ({ROOT}) against {baseline}, {repeats} repeat(s); load {os.getloadavg()[0]:.1f}")
    payload = {"sources": [[s, str(p)] for s, p in sources]}
    rates: dict[str, list[tuple[float, float]]] = {"bare": []}  # (wall rec/s, CPU rec/s) per repeat
    split: dict[str, list[tuple[float, float]]] = {}  # CPU µs a record: (harvesting process, workers)
    for repeat in range(repeats):
        rates["bare"].append(_rates(_child("bare", json.dumps([str(f) for f in files]))))
        line = [f"bare {rates['bare'][-1][0]:,.0f}"]
        for count in workers:
            sides = [("baseline", baseline), ("this", None)]
            for side, root in sides if repeat % 2 == 0 else sides[::-1]:
                figures = _child("ingest", json.dumps({**payload, "workers": count}), root)
                rates.setdefault(f"{side} {count}", []).append(_rates(figures))
                split.setdefault(f"{side} {count}", []).append(_split(figures))
                line.append(f"{side} w{count} {rates[f'{side} {count}'][-1][0]:,.0f}")
        print(f"  repeat {repeat + 1}: " + ", ".join(line) + f" rec/s (load {os.getloadavg()[0]:.1f})")
    for axis, unit in ((0, "rec/s of wall time"), (1, "records per CPU second (all processes)")):
        bare = statistics.median(r[axis] for r in rates["bare"])
        print(f"{unit}: median bare pymarc {bare:,.0f}")
        for count in workers:
            this = [r[axis] for r in rates[f"this {count}"]]
            base = [r[axis] for r in rates[f"baseline {count}"]]
            paired = statistics.median(t / b for t, b in zip(this, base, strict=True))
            cores = count if axis == 0 else 1  # CPU seconds are already per core
            print(f"  {count} worker(s): median this {statistics.median(this):,.0f} "
                  f"({statistics.median(this) / cores / bare:.0%} of bare pymarc per core), baseline "
                  f"{statistics.median(base):,.0f} ({statistics.median(base) / cores / bare:.0%}); "
                  f"this/baseline: median of paired ratios {paired:.3f}, "
                  f"ratio of medians {statistics.median(this) / statistics.median(base):.3f}")
    bare_us = 1e6 / statistics.median(r[1] for r in rates["bare"])
    print(f"CPU µs a record (medians): bare pymarc {bare_us:,.0f}")
    for key, values in split.items():
        main, pool = (statistics.median(v[i] for v in values) for i in (0, 1))
        print(f"  {key} worker(s): harvesting process {main:,.0f}, worker processes {pool:,.0f}")


def _split(figures: dict[str, float]) -> tuple[float, float]:
    """CPU µs a record in the harvesting process and in the worker processes (0 with one worker:
    it all runs in the harvesting process then)."""
    records = figures["records"] or 1
    main = figures.get("main_cpu_seconds", figures["cpu_seconds"])
    return main / records * 1e6, figures.get("pool_cpu_seconds", 0.0) / records * 1e6


def _rates(figures: dict[str, float]) -> tuple[float, float]:
    return figures["records"] / figures["seconds"], figures["records"] / figures["cpu_seconds"]


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
        print(f"parse+normalize+store, {count} worker(s): {res['records']:>9,} read "
              f"({res['stored']:,} stored, "
              f"{res['quarantined']:,} quarantined)  {rate:>9,.0f} rec/s  ({per_core:,.0f}/core = "
              f"{per_core / bare_rate:.0%} of bare pymarc)  peak {res['peak_mb']:,.0f} MB")


def memory_check(paths: list[Path], workers: list[int]) -> None:
    """Peak memory streaming a synthetic file as large as the largest sample, then one ten times larger:
    flat streaming means the two peaks are about the same."""
    largest = max((f for p in paths for f in _marc_files(p)), key=lambda f: f.stat().st_size)
    size = largest.stat().st_size
    print(f"\n== memory: largest sample {largest.name} is {size / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        for factor in (1, 10):
            folder = Path(tmp) / f"x{factor}"
            folder.mkdir()
            generate_corpus(folder / "big.mrc", max(1, factor * size // 1800))
            mb = (folder / "big.mrc").stat().st_size / 1e6
            for count in workers:
                res = _child("ingest", json.dumps({"sources": [["big", str(folder)]], "workers": count}))
                print(f"{factor:>2}x ({mb:,.0f} MB, {res['records']:,} records), {count} worker(s): "
                      f"peak RSS {res['peak_mb']:,.0f} MB, largest worker process "
                      f"{res['peak_children_mb']:,.0f} MB")
            (folder / "big.mrc").unlink()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_measure":
        kind, payload = sys.argv[2], json.loads(sys.argv[3])
        if kind == "bare":
            figures = measure_bare([Path(p) for p in payload])
        else:
            figures = measure_ingest([(s, Path(p)) for s, p in payload["sources"]], payload["workers"])
        figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures["peak_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path,
                        help="MARC files or folders (a folder of folders = many sources)")
    parser.add_argument("--synthetic", type=int, default=0,
                        help="also generate and ingest N synthetic records")
    parser.add_argument("--memory", action="store_true",
                        help="also check memory stays flat on a file 10x the largest of PATHS")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 2])
    parser.add_argument("--baseline", type=Path,
                        help="another checkout (with its .venv) to time beside this code, interleaved")
    parser.add_argument("--repeats", type=int, default=5, help="repeats with --baseline (medians reported)")
    args = parser.parse_args()

    def run(label: str, sources: list[tuple[str, Path]]) -> None:
        if args.baseline:
            compare(label, sources, args.workers, args.baseline.resolve(), args.repeats)
        else:
            report(label, sources, args.workers)

    if args.paths:
        run(", ".join(map(str, args.paths)), _sources_for(args.paths))
    if args.synthetic:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "synthetic"
            folder.mkdir()
            started = time.perf_counter()
            generate_corpus(folder / "synthetic.mrc", args.synthetic)
            seconds = time.perf_counter() - started
            print(f"\n(generated {args.synthetic:,} synthetic records in {seconds:.0f}s)")
            run(f"synthetic corpus of {args.synthetic:,} records", [("synthetic", folder)])
    if args.memory and args.paths:
        memory_check(args.paths, args.workers)


if __name__ == "__main__":
    main()
