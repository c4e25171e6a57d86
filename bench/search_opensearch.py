"""The OpenSearch half of `bench/search.py --backend opensearch`: build, memory, and agreement figures.

Why a module of its own: `search.py` times the embedded engine; this file adds the same corpus and the
same query mix on a live OpenSearch node (the local one from `make opensearch-start`, or any URL) and
the figures that say whether the engines are interchangeable: equal totals, equal facet counts, and
the share of queries whose top 10 overlap by at least 9 of 10.

Top-10 overlap is reported twice. *By id*: the raw share of the same ids. *Tie-aware*: records with
equal sort keys (the same relevance score to 3 decimals, the same year, the same title key) count as
interchangeable. Both engines order equal relevance scores by cluster id (the shared tie-break), so
for relevance the two figures differ only where the engines' scores themselves differ; the year and
title sorts still break their ties differently (OpenSearch: score, then id; tantivy: document address).
Every query whose top 10 differ by id is listed with both engines' top scores, to show why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harvester.settings import SearchSettings
from indexer.search.backends.base import SearchBackend, SearchHit, SearchRequest, SearchResults
from indexer.search.backends.opensearch.backend import OpenSearchBackend

REPO = Path(__file__).resolve().parents[1]
CTL = REPO / "tests" / "opensearch_node" / "ctl.py"
TOP = 10
OVERLAP = 0.9


def node_url(explicit: str | None) -> str:
    """The URL to benchmark: --opensearch-url, else UNIONCAT_OPENSEARCH_URL, else the local node (started
    with `tests/opensearch_node/ctl.py start` if none runs; it is left running for the next run)."""
    url = explicit or os.environ.get("UNIONCAT_OPENSEARCH_URL", "")
    if url:
        return url
    found = subprocess.run([sys.executable, str(CTL), "url"], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        subprocess.run([sys.executable, str(CTL), "start"], check=True, stdout=subprocess.DEVNULL)
        found = subprocess.run([sys.executable, str(CTL), "url"], capture_output=True, text=True, check=True)
    return found.stdout.strip().split(",")[0]


def open_backend(url: str, alias: str | None = None) -> OpenSearchBackend:
    """A backend on `alias`, or on a fresh alias of its own (dropped after the run); one shard: the
    embedded engine's layout."""
    prefix = alias or f"unioncat-bench-{uuid.uuid4().hex[:8]}"
    return OpenSearchBackend(SearchSettings(backend="opensearch", url=url, index_prefix=prefix))


def build(backend: SearchBackend, docs: Iterable[dict[str, Any]]) -> tuple[int, float]:
    """Rebuild `backend` from `docs`; (documents, seconds), refresh included."""
    start = time.perf_counter()
    built = backend.rebuild(iter(docs))
    backend.commit()
    return built, time.perf_counter() - start


def node_memory(url: str) -> str:
    """Heap used / heap max, resident memory of the JVM process and the index size on disk."""
    stats = _get(url, "/_nodes/stats/jvm,indices")
    pids = {key: node.get("process", {}).get("id") for key, node in _get(url, "/_nodes/process")["nodes"].items()}
    lines = []
    for key, node in stats.get("nodes", {}).items():
        heap = node["jvm"]["mem"]
        rss = _rss(pids.get(key))
        store = node["indices"]["store"]["size_in_bytes"]
        lines.append(f"heap {heap['heap_used_in_bytes'] / 1e6:,.0f} of {heap['heap_max_in_bytes'] / 1e6:,.0f} MB, "
                     f"RSS {rss}, index on disk {store / 1e6:,.0f} MB")
    return "; ".join(lines)


def process_rss() -> str:
    return _rss(os.getpid())


def _rss(pid: object) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return f"{int(line.split()[1]) / 1024:,.0f} MB"
    except (OSError, ValueError):
        pass
    return "n/a (node not on this machine)"


def _get(url: str, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.rstrip("/") + path, timeout=60) as response:
        return dict(json.load(response))


def compare(
    embedded: SearchBackend, other: SearchBackend, requests: list[tuple[str, SearchRequest]]
) -> Iterator[str]:
    """Lines of the agreement report: top-10 overlap share, equal totals, equal facet counts."""
    agree = by_id = same_total = same_facets = 0
    for cls, request in requests:
        a, b = embedded.search(request), other.search(request)
        overlap = _overlap(a, b, request.sort)
        agree += overlap >= OVERLAP
        by_id += _overlap(a, b, None) >= OVERLAP
        same_total += a.total == b.total
        facets_equal = _facets(a) == _facets(b)
        same_facets += facets_equal
        exact = _overlap(a, b, None)
        if min(overlap, exact) < OVERLAP or a.total != b.total or not facets_equal:
            yield (f"  differs: [{cls}] {request.text or dict(request.filters)!r} ({request.sort}): totals "
                   f"{a.total} / {b.total}, top-{TOP} overlap {overlap:.0%} tie-aware, {exact:.0%} by id, "
                   f"facets {'equal' if facets_equal else _facet_diff(a, b)}")
            yield f"      embedded   {_keys(a, request.sort)}"
            yield f"      OpenSearch {_keys(b, request.sort)}"
    n = len(requests)
    yield f"  top-{TOP} overlap >= {OVERLAP:.0%}, tie-aware: {agree}/{n} queries = {100 * agree / n:.0f}%"
    yield f"  top-{TOP} overlap >= {OVERLAP:.0%}, by id only: {by_id}/{n} queries = {100 * by_id / n:.0f}%"
    yield f"  equal totals: {same_total}/{n}; every facet count equal: {same_facets}/{n}"


def _overlap(a: SearchResults, b: SearchResults, sort: str | None) -> float:
    """Share of the top 10 both engines hold; with a `sort`, an id held by one engine only still counts
    when the other holds a different id with the same sort key in its place (a tie either may break)."""
    top_a, top_b = a.hits[:TOP], b.hits[:TOP]
    if not top_a and not top_b:
        return 1.0
    same = {h.id for h in top_a} & {h.id for h in top_b}
    matched = len(same)
    if sort is not None:
        rest_b = [_key(h, sort) for h in top_b if h.id not in same]
        for hit in (h for h in top_a if h.id not in same):
            key = _key(hit, sort)
            if key in rest_b:
                rest_b.remove(key)
                matched += 1
    return matched / max(len(top_a), len(top_b))


def _keys(results: SearchResults, sort: str) -> str:
    """The top 10's sort keys and ids' last 4 characters, to show where two lists part."""
    return " ".join(f"{_key(h, sort)}:{h.id[-4:]}" for h in results.hits[:TOP])


def _key(hit: SearchHit, sort: str) -> object:
    if sort == "relevance":
        return round(hit.score, 3)
    if sort in ("newest", "oldest"):
        return hit.doc.get("year")
    return hit.doc.get("title_sort")


def _facets(results: SearchResults) -> dict[str, dict[str, int]]:
    return {name: {f.value: f.count for f in counts} for name, counts in results.facets.items()}


def _facet_diff(a: SearchResults, b: SearchResults) -> str:
    fa, fb = _facets(a), _facets(b)
    for name in sorted(set(fa) | set(fb)):
        if fa.get(name) != fb.get(name):
            va, vb = fa.get(name, {}), fb.get(name, {})
            keys = [k for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)][:3]
            return f"{name} differs, e.g. " + ", ".join(f"{k}: {va.get(k)} / {vb.get(k)}" for k in keys)
    return "equal"


def side_by_side(
    embedded: SearchBackend,
    docs: Iterable[dict[str, Any]],
    requests: list[tuple[str, SearchRequest]],
    url: str | None,
    timed: Any,
    report: Any,
    rounds: int,
    alias: str | None = None,
    expected: int = 0,
) -> None:
    """Build the same corpus on OpenSearch (or reuse `alias` when it holds `expected` documents), time
    the same query mix (`timed` is search.py's `run_queries`, `report` its table), print memory of both
    engines and their agreement. A named `alias` is kept for the next run; a fresh one is dropped."""
    target = node_url(url)
    backend = open_backend(target, alias)
    try:
        if alias and backend.count() == expected:
            print(f"\nOpenSearch at {target}: reusing {backend.count():,} documents under {alias}", flush=True)
        else:
            print(f"\nOpenSearch at {target}: building the same documents …", flush=True)
            built, seconds = build(backend, docs)
            print(f"built {built:,} docs in {seconds:.1f}s = {built / seconds:,.0f} docs/s end to end "
                  "(generator, Python document preparation, _bulk over HTTP, refresh)")
        with_facets, _ = timed(backend, requests, rounds, facets=True)
        report("OpenSearch search WITH facets (same five fields)", with_facets)
        without, _ = timed(backend, requests, max(1, rounds // 2), facets=False)
        report("OpenSearch search WITHOUT facets", without)
        print("\nmemory:")
        print(f"  embedded: this Python process RSS {process_rss()} (the tantivy index is mmapped)")
        print(f"  OpenSearch: {node_memory(target)}")
        print(f"\nagreement over the {len(requests)} queries of the mix (embedded vs OpenSearch):")
        for line in compare(embedded, backend, requests):
            print(line)
    finally:
        if not alias:
            backend.drop_index()
        backend.close()
