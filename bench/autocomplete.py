"""Autocomplete and browse benchmark at catalog scale: the synthetic generator of bench/search.py, plus
the heading fields (`indexer.search.documents`), timed through the same functions the web views call.

    .venv/bin/python bench/autocomplete.py                                   # 1,000,000 docs, temp folder
    .venv/bin/python bench/autocomplete.py --docs 100000 --index var/bench-ac  # keep/reuse the index

Figures printed: the machine's load average (the bench machine is shared), then, side by side in the
same run on the same index and the same 2-6 letter prefixes from the data:

- **new**: `autocomplete.suggestions` over the heading tables written at commit
  (`indexer.search.backends.embedded.heading_table`), with the time to build those tables;
- **baseline**: the same `suggestions` through the previous implementation (a ``heading_prefix``
  aggregation + exact ``doc_freq`` for 2-3 letter prefixes, a term-dictionary walk for longer ones), and a
  title-prefix *search* (``melv*`` top 8), which is how a box without a heading index would complete;
- **cold** (the first keystroke on a freshly opened backend, opening included; the OS file cache is not
  dropped) and **warm** (the keystrokes after), p50/p95/p99;
- browse: the first page of a list, cold (new: the table decoded; baseline: the term walk sorted) and
  jumps within it (warm).
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

import tantivy  # noqa: E402
from search import Generator  # noqa: E402  (bench/search.py's generator, reused)

from indexer.search.backends.base import SearchRequest  # noqa: E402
from indexer.search.backends.embedded import EmbeddedBackend, heading_table, terms  # noqa: E402
from indexer.search.headings import KIND_OF_FIELD, PREFIX_FIELD, SHORT_PREFIX, heading_fields, prefix_term  # noqa: E402
from search_ui.views.autocomplete import suggestions  # noqa: E402
from search_ui.views.browse import browse_page  # noqa: E402

CLASSES = "ABDEFGHJKLMNPQRSTUVZ"
EVERY = ("title", "author", "subject")
COLD_OPENS = 15
CHECKED = 60


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


class Previous:
    """The baseline: the embedded backend's term listing before heading tables (kept here, verbatim in
    effect, to be timed beside them): 2-3 letter prefixes by a terms aggregation over the documents
    holding ``heading_prefix`` "<kind>:<prefix>" plus an exact doc_freq per chosen heading, longer ones
    by a term-dictionary walk; whole lists by a sorted walk (cached per generation)."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self.backend = backend
        self.lists = terms.TermLists()

    def terms(self, field: str, prefix: str = "", limit: int = 10) -> list[tuple[str, int]]:
        searcher = self.backend._open().searcher()
        if not prefix:
            return self.lists.alphabetical(searcher, self.backend._version, field)
        if len(prefix) > SHORT_PREFIX or field not in KIND_OF_FIELD:
            return terms.with_prefix(searcher, field, prefix, limit)
        query = tantivy.Query.term_query(self.backend.schema, PREFIX_FIELD, prefix_term(field, prefix))
        size = max(50, limit * 10)
        answer = searcher.aggregate(query, {"h": {"terms": {"field": field, "size": size, "segment_size": size}}})
        buckets = [str(b["key"]) for b in answer.get("h", {}).get("buckets", [])]
        found = [(term, int(searcher.doc_freq(field, term))) for term in buckets if term.startswith(prefix)]
        return sorted(found, key=lambda tc: (-tc[1], tc[0]))[:limit]


class Walk(Previous):
    """Ground truth for the fidelity check: every matching term walked and ranked (exact, slow)."""

    def terms(self, field: str, prefix: str = "", limit: int = 10) -> list[tuple[str, int]]:
        return terms.with_prefix(self.backend._open().searcher(), field, prefix, limit)


def timed(fn: Any, items: list[Any]) -> list[tuple[float, float]]:
    """(wall, this thread's CPU) milliseconds per call: on a loaded machine the wall time includes
    waiting for a core, the CPU time is the work itself."""
    spent = []
    for item in items:
        start, cpu = time.perf_counter(), time.thread_time()
        fn(item)
        spent.append(((time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000))
    return spent


def _pick(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(name: str, spent: list[tuple[float, float]]) -> None:
    wall, cpu = [w for w, _ in spent], [c for _, c in spent]
    print(f"  {name:<50} n={len(wall):>5}  p50 {statistics.median(wall):7.2f}  p95 {_pick(wall, 0.95):7.2f}  "
          f"p99 {_pick(wall, 0.99):7.2f}  max {max(wall):8.2f} ms  (CPU p50 {statistics.median(cpu):6.2f} "
          f"p95 {_pick(cpu, 0.95):6.2f} p99 {_pick(cpu, 0.99):6.2f})", flush=True)


def cold(index_dir: Path, catalog: Any, typed: list[str]) -> list[tuple[float, float]]:
    """The first keystroke on a freshly opened backend (index and tables opened inside the timing)."""
    def first(prefix: str) -> None:
        backend = EmbeddedBackend(index_dir)
        suggestions(catalog(backend), prefix, EVERY, 4)
        backend.close()
    return timed(first, typed[:COLD_OPENS])


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}; cpus={os.cpu_count()}"


def build_tables(backend: EmbeddedBackend) -> None:
    """Time what a commit now adds: the four heading tables, built from the index and saved."""
    start = time.perf_counter()
    heading_table.write_tables(backend._open().searcher(), backend.index_dir / backend._version,
                               terms.TABLE_FIELDS)
    print(f"heading tables built and saved (the commit's extra work): {time.perf_counter() - start:.1f} s")


def autocomplete(index_dir: Path, backend: EmbeddedBackend, typed: list[str]) -> None:
    previous = Previous(backend)
    print("autocomplete (titles + authors + subjects, 4 each; what /autocomplete.json runs):")
    line("new: cold, first keystroke after opening", cold(index_dir, lambda b: b, typed))
    line("baseline: cold, first keystroke after opening", cold(index_dir, Previous, typed))
    suggestions(previous, typed[0], EVERY, 4)
    line("new: warm, all three kinds", timed(lambda p: suggestions(backend, p, EVERY, 4), typed))
    line("baseline: warm, all three kinds", timed(lambda p: suggestions(previous, p, EVERY, 4), typed))
    for kind in EVERY:
        line(f"new: warm, {kind} only", timed(lambda p, k=kind: suggestions(backend, p, (k,), 8), typed[:500]))
        line(f"baseline: warm, {kind} only",
             timed(lambda p, k=kind: suggestions(previous, p, (k,), 8), typed[:500]))
    words = [p for p in typed if len(p.split()[0]) >= 2][:500]
    line("baseline: title prefix search (word*, top 8)", timed(
        lambda p: backend.search(SearchRequest(text=f"title:{p.split()[0]}*", facets=(), per_page=8)), words))
    checked = typed[:CHECKED]
    walked = [suggestions(Walk(backend), p, EVERY, 4) for p in checked]
    new = sum(suggestions(backend, p, EVERY, 4) == w for p, w in zip(checked, walked, strict=True))
    old = sum(suggestions(previous, p, EVERY, 4) == w for p, w in zip(checked, walked, strict=True))
    print(f"  same suggestions and counts as a full term walk (ground truth): new {new}/{len(checked)}, "
          f"baseline {old}/{len(checked)} prefixes")


def browse(index_dir: Path, backend: EmbeddedBackend, typed: list[str]) -> None:
    print("browse:")
    for kind in ("author", "subject", "callnumber"):
        for name, catalog in (("new", EmbeddedBackend(index_dir)), ("baseline", Previous(EmbeddedBackend(index_dir)))):
            start = time.perf_counter()
            page = browse_page(catalog, kind, "")
            spent = (time.perf_counter() - start) * 1000
            print(f"  {name}: {kind:<11} first page, cold: {spent:8.0f} ms, "
                  f"{page['total_headings'] if page else 0:,} headings", flush=True)
            line(f"{name}: {kind} jump to a heading (warm)",
                 timed(lambda p, k=kind, c=catalog: browse_page(c, k, p), typed[:500]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--index", type=Path, help="index folder: reused if it holds an index, else built there")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--skip-browse", action="store_true", help="autocomplete figures only")
    args = parser.parse_args(argv)
    temp = args.index is None
    index_dir = Path(tempfile.mkdtemp(prefix="unioncat-bench-ac-")) if temp else args.index
    print(f"load average before: {load_line()}", flush=True)
    try:
        backend = EmbeddedBackend(index_dir)
        if temp or not (index_dir / "CURRENT").exists() or backend.count() == 0:
            start = time.perf_counter()
            built = backend.rebuild(documents(args.docs))
            print(f"built {built:,} docs in {time.perf_counter() - start:.0f}s (heading tables included)")
        print(f"index: {backend.count():,} documents ({backend.info()['segments']} segments)")
        build_tables(backend)
        typed = prefixes(args.queries)
        suggestions(backend, typed[0], EVERY, 4)  # open the index once
        autocomplete(index_dir, backend, typed)
        if not args.skip_browse:
            browse(index_dir, backend, typed)
        print(f"load average after: {load_line()}")
        backend.close()
    finally:
        if temp:
            shutil.rmtree(index_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
