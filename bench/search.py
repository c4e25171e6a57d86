"""Search benchmark: index N synthetic merged records, time a fixed mixed query set with facets, and
(optionally) measure HTTP throughput of ``/search``.

    .venv/bin/python bench/search.py                       # 1,000,000 docs in a temp folder
    .venv/bin/python bench/search.py --docs 100000 --index var/bench-index   # keep/reuse the index
    .venv/bin/python bench/search.py --index var/bench-index --http          # + uvicorn & wrk
    .venv/bin/python bench/search.py --docs 200000 --backend opensearch      # + the same on OpenSearch
    .venv/bin/python bench/search.py --index var/bench-1m --backend opensearch --opensearch-index bench-1m
                                                                    # both corpora kept and reused

Why synthetic: the figures must be reproducible on a fresh clone, at a size no sample set reaches. The
generator is seeded, Zipf-distributed like real catalogue vocabulary, and plants known words at known
rates so every query class means something: "history" is in ~30% of records (the broad query), "civil
war" is a real phrase in ~1% of titles, typo queries have no exact match and so exercise the fuzzy path.

Figures printed: build rate (docs/s, including Python document conversion), in-process latency p50/p95/
p99 per query class with counts on the search page's facet fields (and without facets, for comparison), and with
``--http`` requests/s of ``/search`` (wrk if installed, else a bounded asyncio load on 127.0.0.1).
With ``--backend opensearch`` the same corpus and mix also run on OpenSearch (`search_opensearch.py`:
the local node of `make opensearch-start` unless ``--opensearch-url`` or UNIONCAT_OPENSEARCH_URL names
one), followed by both engines' memory and their agreement (top-10 overlap, totals, facet counts).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.analytics.classes import DDC_CLASSES, LC_CLASSES, ddc_label, lc_label  # noqa: E402
from indexer.lenders import BORROW_FACET, ONLINE_FACET  # noqa: E402
from indexer.search.backends.base import SearchBackend, SearchRequest  # noqa: E402
from indexer.search.backends.embedded import EmbeddedBackend  # noqa: E402

SEED = 20261124
LIBRARIES = [
    "Duke University", "NC State University", "Laurentian University", "University of Michigan",
    "UNC Chapel Hill", "Wake Forest University", "Davidson College", "Elon University",
    "Appalachian State University", "East Carolina University", "UNC Greensboro", "Guilford College",
]  # fmt: skip
FORMATS = [
    ("Book", 70),
    ("E-book", 12),
    ("Serial", 6),
    ("Music recording", 4),
    ("Video", 3),
    ("Score", 3),
    ("Map", 2),
]
LANGUAGES = [
    ("English", 70),
    ("French", 9),
    ("German", 7),
    ("Spanish", 6),
    ("Italian", 3),
    ("Polish", 2),
    ("und", 3),
]
TOPICS = [
    "Whales", "Gardening", "Poetry", "Chemistry", "Economics", "Music", "Children", "France", "Photography",
    "Architecture", "Medicine", "Law", "Religion", "Philosophy", "Mathematics", "Physics", "Education",
    "Agriculture", "Painting", "Theater", "Railroads", "Women", "Slavery", "Geology", "Birds", "Cooking",
]  # fmt: skip
TOPIC_WORDS = ["whale", "garden", "poetry", "chemistry", "economics", "music", "children", "france"]
SYLLABLES = "ka lo mi ne ru sa ti vo ber dan gor hil jen kor lum mar nor pel quin ros tam vel wis zan".split()
FIRST_NAMES = "Anna John Mary James Ruth Paul Helen George Ada Jean Pierre Marie Hans Eva Jan Zoë Łucja".split()
PHRASE = "civil war"


def pseudo_words(count: int, rng: random.Random) -> list[str]:
    """Distinct pronounceable non-words: a vocabulary with no accidental overlap with query words."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(seen)


def isbn13(n: int) -> str:
    body = f"978{n:09d}"
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


class Generator:
    """Seeded synthetic merged records in the index-document shape of `indexer.search.documents`."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.vocab = pseudo_words(30_000, self.rng)
        self.cum = list(accumulate(1.0 / (rank + 1) for rank in range(len(self.vocab))))
        self.surnames = pseudo_words(8_000, random.Random(seed + 1))
        self.publishers = [f"{w.title()} Press" for w in pseudo_words(400, random.Random(seed + 2))]
        self.formats, self.format_cum = _weighted(FORMATS)
        self.languages, self.language_cum = _weighted(LANGUAGES)

    def words(self, k: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum, k=k)

    def doc(self, n: int) -> dict[str, Any]:
        rng = self.rng
        title_words = self.words(rng.randint(2, 6))
        if rng.random() < 0.08:
            title_words.insert(rng.randrange(len(title_words) + 1), rng.choice(TOPIC_WORDS))
        if rng.random() < 0.01:
            title_words.insert(rng.randrange(len(title_words) + 1), PHRASE)
        if rng.random() < 0.15:
            title_words.append("studies")
        title = " ".join(title_words).capitalize()
        topics = rng.sample(TOPICS, rng.randint(1, 3))
        history = rng.random() < 0.30
        subjects = [f"{t} -- History" if history and i == 0 else f"{t} -- {self.words(1)[0].title()}"
                    for i, t in enumerate(topics)]  # fmt: skip
        year = min(2025, int(1800 + 225 * rng.random() ** 0.5)) if rng.random() < 0.97 else None
        libraries = rng.sample(LIBRARIES, min(len(LIBRARIES), 1 + int(rng.expovariate(1.2))))
        fmt = rng.choices(self.formats, cum_weights=self.format_cum)[0]
        language = rng.choices(self.languages, cum_weights=self.language_cum)[0]
        authors = [f"{rng.choice(self.surnames).title()}, {rng.choice(FIRST_NAMES)}" for _ in range(rng.randint(0, 2))]
        doc_id = f"c{n:016x}"
        isbn = [isbn13(n)] if fmt in ("Book", "E-book") and rng.random() < 0.7 else []
        doc = {
            "id": doc_id,
            "title": title,
            "subtitle": " ".join(self.words(rng.randint(2, 5))) if rng.random() < 0.4 else "",
            "authors": authors,
            "subjects": subjects,
            "publisher": [rng.choice(self.publishers)],
            "series": [" ".join(self.words(2)).title()] if rng.random() < 0.15 else [],
            "notes": [" ".join(self.words(rng.randint(6, 14)))] if rng.random() < 0.3 else [],
            "isbn": isbn,
            "issn": [],
            "oclc": [str(100_000 + n)] if rng.random() < 0.8 else [],
            "lccn": [],
            "other_ids": [],
            "year": year,
            "title_sort": title.lower(),
            "library_count": len(libraries),
            "library": libraries,
            "format": [fmt],
            "language": [language],
            "decade": f"{year // 10 * 10}s" if year else "",
            "subject_facet": topics,
            "members": [f"src{LIBRARIES.index(lib)}:{n}" for lib in libraries],
            "display": {
                "title": title, "authors": authors, "year": year, "format": fmt, "edition": "",
                "publisher": "", "libraries": libraries, "library_count": len(libraries),
                "member_count": len(libraries), "isbn": isbn[0] if isbn else "", "links": [],
            },
        }  # fmt: skip
        return with_catalog_facets(doc, n)

    def docs(self, count: int) -> Iterator[dict[str, Any]]:
        for n in range(count):
            yield self.doc(n)


CLASS_LABELS = [lc_label(letter) for letter in sorted(LC_CLASSES)]
DEWEY_LABELS = [ddc_label(hundreds) for hundreds in sorted(DDC_CLASSES)]


def with_catalog_facets(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """`doc` with the facets a merged record also carries (classification, availability, held by),
    drawn from their own seed so every other field, and so the judged results, stay the same.

    Why: the search page counts these on every search, and a corpus without them hides their cost
    (until they were slotted, they cost as much as the other five facets together)."""
    rng = random.Random(SEED * 31 + n)
    classes = []
    if rng.random() < 0.7:
        classes.append(rng.choice(CLASS_LABELS))
    if rng.random() < 0.4:
        classes.append(rng.choice(DEWEY_LABELS))
    access = []
    if rng.random() < 0.8:
        access.append(BORROW_FACET)
    if rng.random() < 0.2 or not access:
        access.append(ONLINE_FACET)
    doc["classification"] = classes
    doc["access"] = access if rng.random() < 0.95 else []
    doc["held_by_count"] = str(len(doc["library"]))
    return doc


def _timed(gen: Generator, count: int, spent: list[float]) -> Iterator[dict[str, Any]]:
    """The generator's documents, adding the time spent generating them to ``spent[0]``."""
    for n in range(count):
        start = time.perf_counter()
        doc = gen.doc(n)
        spent[0] += time.perf_counter() - start
        yield doc


def _weighted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


def query_set(gen: Generator) -> list[tuple[str, SearchRequest]]:
    """The fixed query set: (class, request), all with counts on the search page's facet fields (the default).

    Every class but "broad" is the everyday mix; "broad" queries match ~30% of the corpus, and are
    reported apart as well (as in the bake-off) because their cost is counting facets over 300k records.
    """
    common = gen.vocab[3]
    mid = gen.vocab[400]
    author = gen.surnames[10].title()
    known = Generator().doc(777)["title"].lower().split()  # a phrase a patron copied from a title
    isbn10 = isbn13(12_345)[3:12]
    checks = sum((10 - i) * int(c) for i, c in enumerate(isbn10))
    isbn10 += "X" if (11 - checks % 11) % 11 == 10 else str((11 - checks % 11) % 11)
    queries = [
        ("single", "whale"), ("single", "garden"), ("single", mid), ("single", "chemistry"),
        ("multi", f"garden {common}"), ("multi", "poetry children"), ("multi", f"{mid} {gen.vocab[50]}"),
        ("multi", "history studies"),
        ("phrase", f'"{PHRASE}"'), ("phrase", f'"{known[0]} {known[1]}"'),
        ("fielded", f"author:{author}"), ("fielded", "title:garden"), ("fielded", "subject:chemistry"),
        ("fielded", f"isbn:{isbn10[:1]}-{isbn10[1:4]}-{isbn10[4:9]}-{isbn10[9]}"),
        ("fielded", "music year:1990-2000"), ("fielded", f"publisher:{gen.publishers[0].split()[0]}"),
        ("prefix", "chemi*"), ("prefix", f"{mid[:4]}*"),
        ("typo", "chemsitry"), ("typo", "gardne"), ("typo", "poetyr childern"),
        ("broad", "history"), ("broad", "history -whales"),
    ]  # fmt: skip
    requests = [(cls, SearchRequest(text=text)) for cls, text in queries]
    requests += [
        (
            "filtered",
            SearchRequest(text="garden", filters={"format": ("Book", "E-book"), "language": ("English",)}),
        ),
        ("filtered", SearchRequest(text="", filters={"decade": ("1990s",)}, sort="newest")),
        ("sorted", SearchRequest(text="poetry", sort="title")),
        ("broad", SearchRequest(text="history", filters={"library": (LIBRARIES[0],)})),
        ("broad", SearchRequest(text="history", sort="newest", page=5)),
    ]
    return requests


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run_queries(backend: SearchBackend, requests: list[tuple[str, SearchRequest]], rounds: int, facets: bool):
    timings: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for _cls, req in requests:  # warm-up: first touch of each posting list and fast field
        backend.search(req if facets else _no_facets(req))
    for _ in range(rounds):
        for cls, req in requests:
            req = req if facets else _no_facets(req)
            start = time.perf_counter()
            result = backend.search(req)
            timings.setdefault(cls, []).append((time.perf_counter() - start) * 1000)
            totals[req.text or str(dict(req.filters))] = result.total
    return timings, totals


def _no_facets(req: SearchRequest) -> SearchRequest:
    return SearchRequest(req.text, req.filters, req.year_from, req.year_to, (), req.facet_size, req.sort, req.page)


def report(title: str, timings: dict[str, list[float]]) -> None:
    every = [t for ts in timings.values() for t in ts]
    mixed = [t for cls, ts in timings.items() if cls != "broad" for t in ts]
    print(f"\n{title}: {len(every)} searches")
    print(f"  {'class':<14} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [*timings.items(), ("MIXED (¬broad)", mixed), ("ALL", every)]
    for cls, ts in rows:
        print(
            f"  {cls:<14} {len(ts):>5} {percentile(ts, 50):>8.2f} {percentile(ts, 95):>8.2f}"
            f" {percentile(ts, 99):>8.2f} {max(ts):>8.2f}"
        )


# ------------------------------------------------------------------ HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER = """
import sys, uvicorn
from pathlib import Path
from harvester.settings import SearchSettings, Settings
from search_ui.app import create_app
data, index, port = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
settings = Settings(config_file=data / "bench.toml", data_dir=data, sources=(),
                    search=SearchSettings(index_dir=index))
uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def http_bench(index_dir: Path, seconds: int, connections: int) -> None:
    from urllib.request import urlopen

    data = Path(tempfile.mkdtemp(prefix="unioncat-bench-http-"))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(data), str(index_dir), str(port)], cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urlopen(base + "/search?q=garden", timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("the web app did not start (is search_ui.app.create_app importable?)")
        print(f"\nHTTP /search on {base}: 1 uvicorn worker, {connections} connections, {seconds}s per URL")
        for path in ("/search?q=garden+poetry", "/search?q=history", "/search.json?q=chemistry"):
            if shutil.which("wrk"):
                out = subprocess.run(
                    ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", base + path],
                    capture_output=True, text=True, check=True,
                ).stdout  # fmt: skip
                rps = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
                for line in out.splitlines():
                    if "Non-2xx" in line or "Socket errors" in line:
                        print(f"  wrk {path}: {line.strip()}")
                lat = {ln.split()[0]: ln.split()[1] for ln in out.splitlines() if ln.strip().startswith(("50%", "99%"))}
                print(f"  wrk {path:<28} {rps.split()[1]:>8} req/s  p50 {lat.get('50%')}  p99 {lat.get('99%')}")
            else:
                rate, p50 = asyncio.run(_python_load(base + path, seconds, connections))
                print(f"  httpx {path:<28} {rate:>8.1f} req/s   p50 {p50:.1f}ms")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


async def _python_load(url: str, seconds: int, connections: int) -> tuple[float, float]:
    import httpx

    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections)) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                (await client.get(url)).raise_for_status()
                latencies.append((time.perf_counter() - start) * 1000)

        await asyncio.gather(*(worker() for _ in range(connections)))
    return len(latencies) / seconds, statistics.median(latencies)


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000, help="synthetic documents to index")
    parser.add_argument("--index", type=Path, help="index folder: reused if it holds an index, else built there")
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if --index holds an index")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the query set")
    parser.add_argument("--http", action="store_true", help="also measure /search over HTTP (uvicorn + wrk)")
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backend", choices=("embedded", "opensearch"), default="embedded",
                        help="opensearch: also run the same corpus and mix on OpenSearch, side by side")
    parser.add_argument("--opensearch-url", help="OpenSearch to use (default: the local test node)")
    parser.add_argument("--opensearch-index", metavar="ALIAS",
                        help="keep the OpenSearch corpus under this alias and reuse it when it holds --docs "
                             "documents (build it once, untimed, then time queries on it)")
    args = parser.parse_args(argv)

    temp = args.index is None
    index_dir = Path(tempfile.mkdtemp(prefix="unioncat-bench-search-")) if temp else args.index
    gen = Generator()
    try:
        backend = EmbeddedBackend(index_dir)
        if args.rebuild or temp or not (index_dir / "CURRENT").exists() or backend.count() == 0:
            print(f"building {args.docs:,} synthetic documents into {index_dir} …", flush=True)
            generating = [0.0]
            start = time.perf_counter()
            built = backend.rebuild(_timed(gen, args.docs, generating))
            elapsed = time.perf_counter() - start
            size = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file()) / 1e6
            rate = built / elapsed
            print(f"built {built:,} docs in {elapsed:.1f}s = {rate:,.0f} docs/s end to end, {size:,.0f} MB")
            indexing = elapsed - generating[0]
            print(f"  without the synthetic generator ({generating[0]:.1f}s): {built / indexing:,.0f} docs/s")
        count = backend.count()
        print(f"index: {count:,} documents ({backend.info()['segments']} segments); cpus={os.cpu_count()}")
        requests = query_set(Generator())
        with_facets, totals = run_queries(backend, requests, args.rounds, facets=True)
        broad = totals.get("history", 0)
        print(f"broad query 'history' matches {broad:,} docs = {100 * broad / max(1, count):.0f}% of the corpus")
        report("in-process search WITH facets (library, format, language, decade, subject_facet)", with_facets)
        without, _ = run_queries(backend, requests, max(1, args.rounds // 2), facets=False)
        report("in-process search WITHOUT facets", without)
        if args.backend == "opensearch":
            from search_opensearch import side_by_side

            side_by_side(backend, Generator().docs(count), requests, args.opensearch_url,
                         run_queries, report, args.rounds, alias=args.opensearch_index, expected=count)
        backend.close()
        if args.http:
            http_bench(index_dir, args.http_seconds, args.connections)
    finally:
        if temp:
            shutil.rmtree(index_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
