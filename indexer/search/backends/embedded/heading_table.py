"""Heading tables: each heading field's terms, sorted, with exact counts, written beside the index at commit.

Why: autocomplete must answer a keystroke in milliseconds at 1M documents, and a two-letter prefix
matches a twentieth of a million titles. Walking (or aggregating) those terms per keystroke cost
hundreds of milliseconds; this table makes a keystroke a binary search plus a look-up:

- the field's terms ("<key>\\x1f<display>", `analysis.heading_term`) in term order (= browse order),
  each with the number of *live* documents holding it (deleted documents are not counted, so a count is
  what the heading's link finds);
- for every "heavy" prefix (one more than `LIGHT` terms start with it) its `TOP_K` most frequent terms,
  computed once at build time. A prefix that is not heavy spans at most `LIGHT` terms, ranked on the spot.

One file per field in the index version's folder (``headings-<field>``), stamped with the commit's
``opstamp`` (tantivy's `meta.json`): a table from another commit is never used. Layout: a JSON header
line, padding to 8 bytes, then the term byte offsets (uint64), the counts (uint32), the UTF-8 term bytes
and the heavy prefixes (JSON). It is read through ``mmap`` (nothing is decoded until asked for), so
opening it costs microseconds whatever the catalog's size. It is derived data: a missing, stale or
damaged file is rebuilt from the index.
"""

from __future__ import annotations

import bisect
import heapq
import json
import mmap
import os
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any

import tantivy

MAGIC = "unioncat-headings"
FORMAT = 1
LIGHT = 256
"""A prefix matched by at most this many terms is ranked at query time (a few hundred comparisons)."""
TOP_K = 10
"""Terms kept per heavy prefix: the most any caller asks for (the autocomplete's per-kind maximum)."""
MAX_DEPTH = 64
"""Heavy prefixes are kept up to this many characters; a longer one is ranked over its (rare) range."""


def table_path(version_dir: Path, field: str) -> Path:
    return version_dir / f"headings-{field}"


def read_commit(version_dir: Path) -> tuple[int, bool] | None:
    """(opstamp, whether any segment has deleted documents) of the version's last commit, or None."""
    try:
        meta = json.loads((version_dir / "meta.json").read_text(encoding="utf-8"))
        deletes = any(segment.get("deletes") for segment in meta.get("segments", []))
        return int(meta["opstamp"]), deletes
    except (OSError, ValueError, KeyError, TypeError):
        return None


def live_terms(searcher: tantivy.Searcher, field: str, deletes: bool) -> list[tuple[str, int]]:
    """Every term of `field` with its count of live documents, in term order (no term with zero live).

    tantivy's document frequency still counts deleted documents until a merge drops them, so when the
    commit has deletions each term is counted over the live documents instead (slower, exact)."""
    live = tantivy.Query.all_query() if deletes else None
    pairs = searcher.terms_with_prefix(field, "", filter_query=live)
    return sorted((str(term), int(count)) for term, count in pairs if count > 0)


class HeadingTable:
    """One field's table (see the module docstring), built in memory or opened from its file."""

    def __init__(self, offsets: Sequence[int], counts: Sequence[int], blob: Any, heavy: dict[str, list[int]],
                 opstamp: int) -> None:
        self._offsets = offsets
        self._counts = counts
        self._blob = blob  # bytes or a memoryview over the mmap'd file
        self._heavy = heavy
        self.opstamp = opstamp
        self.terms = _TermView(self)

    def __len__(self) -> int:
        return len(self._counts)

    def term(self, ordinal: int) -> str:
        return bytes(self._blob[self._offsets[ordinal] : self._offsets[ordinal + 1]]).decode("utf-8")

    def count(self, ordinal: int) -> int:
        return int(self._counts[ordinal])

    def complete(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """The `limit` most frequent terms starting with `prefix` (count descending, then term order)."""
        if not prefix or limit <= 0:
            return []
        chosen = self._heavy.get(prefix) if limit <= TOP_K else None
        if chosen is None:
            lo = bisect.bisect_left(self.terms, prefix)
            hi = bisect.bisect_right(self.terms, prefix, lo, key=lambda term: term[: len(prefix)])
            chosen = heapq.nsmallest(limit, range(lo, hi), key=lambda i: (-self._counts[i], i))
        return [(self.term(i), self.count(i)) for i in chosen[:limit]]

    def alphabetical(self) -> list[tuple[str, int]]:
        """Every (term, count) in term order: the browse list."""
        return [(self.term(i), self.count(i)) for i in range(len(self))]

    def save(self, path: Path) -> None:
        """Write the table to `path` atomically (a reader sees the old file or the new, never half)."""
        offsets = array("Q", self._offsets)
        counts = array("I", self._counts)
        heavy = json.dumps(self._heavy, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        blob = bytes(self._blob)
        header = {"magic": MAGIC, "format": FORMAT, "opstamp": self.opstamp, "terms": len(counts),
                  "offsets": len(offsets) * offsets.itemsize, "counts": len(counts) * counts.itemsize,
                  "blob": len(blob), "heavy": len(heavy), "q": offsets.itemsize, "i": counts.itemsize}
        line = json.dumps(header).encode("ascii") + b"\n"
        line += b" " * (-len(line) % 8)  # the arrays start 8-byte aligned
        temp = path.with_name(path.name + f".tmp{os.getpid()}")
        with open(temp, "wb") as out:
            out.write(line)
            offsets.tofile(out)
            counts.tofile(out)
            out.write(b" " * (-out.tell() % 8))
            out.write(blob)
            out.write(heavy)
        os.replace(temp, path)


class _TermView(Sequence[str]):
    """The table's terms as a read-only sequence (decoded one at a time), for `bisect`."""

    def __init__(self, table: HeadingTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._table.term(i) for i in range(*index.indices(len(self)))]
        return self._table.term(index)


def build(pairs: list[tuple[str, int]], opstamp: int) -> HeadingTable:
    """The table of `pairs` ((term, count) in term order, as `live_terms` returns them)."""
    terms = [term for term, _ in pairs]
    counts = array("I", (count for _, count in pairs))
    encoded = [term.encode("utf-8") for term in terms]
    offsets = array("Q", accumulate((len(b) for b in encoded), initial=0))
    heavy: dict[str, list[int]] = {}
    _rank(terms, counts, 0, len(terms), 0, heavy)
    return HeadingTable(offsets, counts, b"".join(encoded), heavy, opstamp)


def _rank(terms: list[str], counts: Sequence[int], lo: int, hi: int, depth: int,
          heavy: dict[str, list[int]]) -> list[int]:
    """The TOP_K ordinals of terms[lo:hi] (which share their first `depth` characters), recording every
    heavy prefix under it in `heavy`. Bottom-up: a heavy range ranks its children's top lists, so each
    term is ranked once in its lightest range, not once per prefix length."""
    rank = lambda i: (-counts[i], i)  # noqa: E731
    if hi - lo <= LIGHT or depth >= MAX_DEPTH:
        return heapq.nsmallest(TOP_K, range(lo, hi), key=rank)
    start = lo
    while start < hi and len(terms[start]) == depth:  # the term equal to the prefix itself sorts first
        start += 1
    candidates = list(range(lo, start))
    while start < hi:
        char = terms[start][depth]
        end = bisect.bisect_right(terms, char, start, hi, key=lambda term: term[depth])
        candidates.extend(_rank(terms, counts, start, end, depth + 1, heavy))
        start = end
    top = heapq.nsmallest(TOP_K, candidates, key=rank)
    if depth > 0:
        heavy[terms[lo][:depth]] = top
    return top


def load(path: Path, opstamp: int) -> HeadingTable | None:
    """The table at `path` if it was built for commit `opstamp` and is whole; None otherwise."""
    try:
        with open(path, "rb") as handle:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:
        end = data.find(b"\n")
        header = json.loads(data[:end]) if end > 0 else {}
        if (header.get("magic"), header.get("format"), header.get("opstamp")) != (MAGIC, FORMAT, opstamp):
            return None
        if (header["q"], header["i"]) != (array("Q").itemsize, array("I").itemsize):
            return None
        view = memoryview(data)
        at = end + 1 + (-(end + 1) % 8)
        offsets = view[at : at + header["offsets"]].cast("Q")
        at += header["offsets"]
        counts = view[at : at + header["counts"]].cast("I")
        at += header["counts"]
        at += -at % 8
        blob = view[at : at + header["blob"]]
        heavy = json.loads(bytes(view[at + header["blob"] : at + header["blob"] + header["heavy"]]))
        if len(counts) != header["terms"] or len(offsets) != len(counts) + 1 or offsets[-1] != len(blob):
            return None
        return HeadingTable(offsets, counts, blob, heavy, opstamp)
    except (ValueError, KeyError, TypeError):
        return None


def write_tables(searcher: tantivy.Searcher, version_dir: Path, fields: Iterable[str]) -> None:
    """Build and save the tables of `fields` for the version's current commit (called at commit)."""
    commit = read_commit(version_dir)
    if commit is None:
        return
    opstamp, deletes = commit
    for field in fields:
        build(live_terms(searcher, field, deletes), opstamp).save(table_path(version_dir, field))
