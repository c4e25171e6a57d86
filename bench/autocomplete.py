"""Autocomplete and browse benchmark at catalog scale: the synthetic generator of bench/search.py, plus
the heading fields (`indexer.search.documents`), timed through the same functions the web views call.

    .venv/bin/python bench/autocomplete.py                                   # 1,000,000 docs, temp folder
    .venv/bin/python bench/autocomplete.py --docs 100000 --index var/bench-ac  # keep/reuse the index

Figures printed: the machine's load average (the bench machine is shared), build rate, then p50/p95/p99
of (a) `autocomplete.suggestions` over titles, authors and subjects for 2–6 letter prefixes taken from
the data, (b) the baseline in the same run: the same prefix as a title-prefix *search* (``melv*`` top 8),
which is how a box without a heading index would have to complete, and (c) browse: the first page of a
list (cold, which builds the sorted list of an index generation) and jumps within it (warm).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from search import Generator  # noqa: E402  (bench/search.py's generator, reused)

from indexer.search.backends.base import SearchRequest  # noqa: E402
from indexer.search.backends.embedded import EmbeddedBackend  # noqa: E402
from indexer.search.headings import heading_fields  # noqa: E402
from search_ui.views.autocomplete import suggestions  # noqa: E402
from search_ui.views.browse import browse_page  # noqa: E402

CLASSES = "ABDEFGHJKLMNPQRSTUVZ"


def with_headings(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """The generator's document plus the heading fields `documents.build_document` writes."""
    rng = random.Random(n)
    letters = rng.choice(CLASSES) + rng.choice(CLASSES)
    call = f"{letters}{rng.randint(1, 9999)}.{rng.randint(1, 99)} .{rng.choice(CLASSES)}{rng.randint(1, 99)}"
    doc.update(heading_fields([doc["title"]], doc["authors"], doc["subjects"], [call]))
    return doc


def documents(count: int) -> Iterator[dict[str, Any]]:
    gen = Generator()
    for n in range(count):
        yield with_headings(gen.doc(n), n)


def prefixes(count: int, seed: int = 7) -> list[str]:
    """Prefixes a patron types: 2–6 letters of a real title, author surname or subject of the corpus."""
    gen, rng = Generator(), random.Random(seed)
    sample = [gen.doc(n) for n in range(2000)]
    out = []
    for _ in range(count):
        doc = rng.choice(sample)
        source = rng.choice([doc["title"], *(doc["authors"] or [doc["title"]]), doc["subjects"][0]])
        out.append(source[: rng.randint(2, 6)])
    return out


def timed(fn: Any, items: list[Any]) -> list[float]:
    spent = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def line(name: str, ms: list[float]) -> None:
    ordered = sorted(ms)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    print(f"  {name:<44} n={len(ms):>5}  p50 {statistics.median(ms):6.2f}  p95 {pick(0.95):6.2f}  "
          f"p99 {pick(0.99):6.2f}  max {max(ms):7.2f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--index", type=Path, help="index folder: reused if it holds an index, else built there")
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args(argv)
    temp = args.index is None
    index_dir = Path(tempfile.mkdtemp(prefix="unioncat-bench-ac-")) if temp else args.index
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"cpus={os.cpu_count()}")
    try:
        backend = EmbeddedBackend(index_dir)
        if temp or not (index_dir / "CURRENT").exists() or backend.count() == 0:
            start = time.perf_counter()
            built = backend.rebuild(documents(args.docs))
            print(f"built {built:,} docs in {time.perf_counter() - start:.0f}s")
        print(f"index: {backend.count():,} documents ({backend.info()['segments']} segments)")
        typed = prefixes(args.queries)
        suggestions(backend, typed[0], ("title", "author", "subject"), 4)  # open the index once
        print("autocomplete (titles + authors + subjects, 4 each; what /autocomplete.json runs):")
        every = ("title", "author", "subject")
        line("suggestions(), all three kinds", timed(lambda p: suggestions(backend, p, every, 4), typed))
        for kind in ("title", "author", "subject"):
            line(f"suggestions(), {kind} only", timed(lambda p, k=kind: suggestions(backend, p, (k,), 8), typed[:500]))
        words = [p for p in typed if len(p.split()[0]) >= 2][:500]
        line("baseline: title prefix search (word*, top 8)", timed(
            lambda p: backend.search(SearchRequest(text=f"title:{p.split()[0]}*", facets=(), per_page=8)), words))
        print("browse:")
        for kind in ("author", "subject", "callnumber"):
            start = time.perf_counter()
            page = browse_page(backend, kind, "")
            cold = (time.perf_counter() - start) * 1000
            print(f"  {kind:<11} first page, cold (builds the sorted list): {cold:8.0f} ms, "
                  f"{page['total_headings'] if page else 0:,} headings")
            line(f"{kind} jump to a heading (warm)", timed(lambda p, k=kind: browse_page(backend, k, p), typed[:500]))
        print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        backend.close()
    finally:
        if temp:
            shutil.rmtree(index_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
