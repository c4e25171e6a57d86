"""HTTP benchmark of the web tier: `unioncat serve` under wrk, one worker without cache (the baseline)
against N workers with the page cache, in the same run, at 1M documents.

    .venv/bin/python bench/http_tier.py --index /path/to/1M-index     # a prebuilt index (copied)
    .venv/bin/python bench/http_tier.py --docs 100000                 # build one (bench/search.py generator)
    .venv/bin/python bench/http_tier.py --index IDX --seconds 20 --connections 16 --workers 2

The catalog served is the bundled samples' record store (harvested and indexed into a temp folder, so
record pages are real merged records with their holdings) over the big synthetic index of
bench/search.py (seeded, Zipf-distributed vocabulary, the search page's eight facet fields): searches, facet
counts and the record pages' "similar items" run against the 1M documents.

Workloads, each run with wrk (``-t1 -cC -dS``: one load thread, leaving the cores to the servers)
against both servers:
- ``single``: one URL, ``/search?q=history`` (a broad query, ~30% of the corpus, with facet counts)
  and ``/search?q=garden+poetry``; **warm** = repeated (the tier serves it from its cache), **cold** =
  every request with a distinct dummy parameter, so the tier's cache never hits and every request
  searches and counts facets (the search page ignores the parameter).
- ``mixed``: Zipf-distributed queries (s = 1 over 3,000 distinct queries drawn from the index's own
  vocabulary and the everyday classes of bench/search.py), 20% of them facet clicks (the same query
  plus a format/language/library/decade filter), 15% record pages of sample items; reported with
  non-2xx and socket errors, which must be 0.

Figures: requests/s, p50 and p99 latency (wrk's, from its latency histogram), errors; plus `uptime` before
and after, since the machine is shared. Take ``flock /work/coord/bench.lock`` around the run on a shared box.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from search import LIBRARIES, TOPIC_WORDS, Generator  # noqa: E402  (bench/search.py's corpus)

UNIONCAT = Path(sys.executable).with_name("unioncat")
SEED = 20261201
DISTINCT_QUERIES = 3000
PATHS_PER_SCRIPT = 20000

LUA = """
local paths = {%(paths)s}
local counter = 0
function setup(thread) thread:set("offset", math.random(#paths)) end
function request()
  counter = counter + 1
  local path = paths[(offset + counter) %% #paths + 1]
  if %(nonce)s then path = path .. "&n=" .. tostring(offset) .. "-" .. tostring(counter) end
  return wrk.format("GET", path, {["Accept-Encoding"] = "gzip"})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT {\\"requests\\": %%d, \\"seconds\\": %%.3f, \\"p50\\": %%.3f, \\"p99\\": %%.3f, " ..
    "\\"connect\\": %%d, \\"read\\": %%d, \\"write\\": %%d, \\"status\\": %%d, \\"timeout\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Result:
    requests: int
    seconds: float
    p50: float
    p99: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# ------------------------------------------------------------------ the catalog


def build_index(docs: int, into: Path) -> None:
    from indexer.search.backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(into)
    start = time.perf_counter()
    backend.rebuild(Generator().docs(docs))
    backend.close()
    print(f"built a {docs:,}-document index in {time.perf_counter() - start:.0f} s")


def sample_catalog(work: Path, index_dir: Path) -> tuple[Path, list[str]]:
    """Harvest and index the bundled samples into ``work``; return a serve config over ``index_dir``
    (the big index) with that record store, and the cluster ids of some sample items."""
    text = (REPO / "config" / "unioncat.toml").read_text(encoding="utf-8")
    text = text.replace('"../samples/', f'"{REPO}/samples/').replace('data_dir = "../var"', f'data_dir = "{work}"')
    build = work / "build.toml"
    build.write_text(text, encoding="utf-8")
    for command in ("harvest", "index"):
        subprocess.run([str(UNIONCAT), "--config", str(build), command], check=True, capture_output=True)
    serve = work / "serve.toml"
    serve.write_text(text.replace('backend = "embedded"', f'backend = "embedded"\nindex_dir = "{index_dir}"', 1),
                     encoding="utf-8")
    from harvester.settings import load_settings
    from indexer.catalog import Catalog

    catalog = Catalog.open(load_settings(build))
    try:
        ids = [cluster_id for cluster_id, _ in catalog.cluster_page(0, 400)]
    finally:
        catalog.close()
    return serve, ids


# ------------------------------------------------------------------ workloads


def query_population(rng: random.Random) -> list[str]:
    """Distinct query texts, shuffled: position = Zipf rank, so the head mixes every kind of query."""
    gen = Generator()
    texts = ["history", "garden poetry", '"civil war"', "chemistry", "history studies", "poetry children"]
    texts += TOPIC_WORDS
    for rank in range(0, 1500):
        texts.append(gen.vocab[rank])
    for rank in range(0, 1500):
        texts.append(f"{gen.vocab[rank]} {gen.vocab[(rank * 7 + 13) % 5000]}")
    unique = list(dict.fromkeys(texts))[:DISTINCT_QUERIES]
    rng.shuffle(unique)
    return unique


def zipf_choice(rng: random.Random, population: list[str], count: int) -> list[str]:
    weights = [1.0 / (rank + 1) for rank in range(len(population))]
    return rng.choices(population, weights=weights, k=count)


FACET_CLICKS = [("format", "Book"), ("format", "E-book"), ("language", "French"), ("language", "German"),
                ("library", LIBRARIES[0]), ("library", LIBRARIES[3]), ("decade", "1990s"), ("decade", "1950s")]


def mixed_paths(rng: random.Random, record_ids: list[str]) -> list[str]:
    queries = zipf_choice(rng, query_population(rng), PATHS_PER_SCRIPT)
    paths = []
    for text in queries:
        roll = rng.random()
        if roll < 0.15 and record_ids:
            paths.append(f"/record/{zipf_choice(rng, record_ids, 1)[0]}")
        elif roll < 0.35:
            name, value = rng.choice(FACET_CLICKS)
            paths.append("/search?" + urlencode({"q": text, name: value}))
        else:
            paths.append("/search?" + urlencode({"q": text}))
    return paths


def wrk(base: str, paths: list[str], seconds: int, connections: int, nonce: bool, work: Path) -> Result:
    script = work / f"wrk-{os.getpid()}-{time.monotonic_ns()}.lua"
    quoted = ",".join(json.dumps(p) for p in paths)
    script.write_text(LUA % {"paths": quoted, "nonce": "true" if nonce else "false"}, encoding="utf-8")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                          base], capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    data = json.loads(line[len("RESULT "):])
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Result(data["requests"], data["seconds"], data["p50"], data["p99"], errors)


# ------------------------------------------------------------------ servers


class Server:
    def __init__(self, config: Path, port: int, work: Path, *options: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = (work / f"serve-{port}.log").open("wb")
        self.process = subprocess.Popen([str(UNIONCAT), "--config", str(config), "serve", "--port", str(port),
                                         *options], stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(600):
            try:
                urlopen(self.base + "/robots.txt", timeout=5).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"unioncat serve {options} exited; see {self.log.name}") from None
                time.sleep(0.2)
        raise SystemExit(f"unioncat serve {options} did not start")

    def warm(self, paths: list[str]) -> None:
        for path in paths:
            urlopen(self.base + path, timeout=60).read()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=60)
        self.log.close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def line(label: str, result: Result) -> str:
    return (f"  {label:<44} {result.rate:>8.1f} req/s   p50 {result.p50:>7.1f} ms   p99 {result.p99:>7.1f} ms   "
            f"errors {result.errors}")


def run(config: Path, record_ids: list[str], args: argparse.Namespace, work: Path) -> None:
    rng = random.Random(SEED)
    mixed = mixed_paths(rng, record_ids)
    tiers = [("baseline: 1 worker, no cache", ("--workers", "1", "--cache-mb", "0")),
             (f"tier: {args.workers} workers, cache", ("--workers", str(args.workers)))]
    for label, options in tiers:
        server = Server(config, free_port(), work, *options)
        try:
            server.warm(["/search?q=history", "/search?q=garden+poetry", *mixed[:200]])  # mmap pages, caches
            print(f"\n{label}  ({uptime()})")
            for path in ("/search?q=history", "/search?q=garden+poetry"):
                print(line(f"{path} warm", wrk(server.base, [path], args.seconds, args.connections, False, work)))
                print(line(f"{path} cold (never cached)", wrk(server.base, [path], args.seconds, args.connections,
                                                             True, work)))
            print(line("mixed (Zipf queries, facet clicks, records)", wrk(server.base, mixed, args.seconds,
                                                                         args.connections, False, work)))
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="a prebuilt embedded index folder (copied, never changed)")
    parser.add_argument("--docs", type=int, default=100_000, help="without --index: build one this size")
    parser.add_argument("--seconds", type=int, default=15, help="per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder, removed)")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="unioncat-bench-http-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        index_dir = work / "index"
        if args.index:
            if not index_dir.exists():
                shutil.copytree(args.index, index_dir)
        elif not index_dir.exists():
            build_index(args.docs, index_dir)
        (work / "catalog").mkdir(exist_ok=True)
        config, record_ids = sample_catalog(work / "catalog", index_dir)
        print(f"index {index_dir}; record pages from {len(record_ids)} sample items; cpus={os.cpu_count()}")
        print(f"before: {uptime()}")
        run(config, record_ids, args, work)
        print(f"\nafter: {uptime()}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
