"""The term dictionary as data: heading lists for browse, prefix completions, and word frequencies for
"did you mean", read from tantivy (`Searcher.terms_with_prefix`) or from the heading tables written
beside the index at commit (`heading_table`), never from a second store that could drift.

A heading field's terms are "<key>\\x1f<display>" (`analysis.heading_term`), so the terms in byte order
are the alphabetical browse list, and a prefix of the key is an autocomplete query. Heading fields are
answered from their table (exact live-document counts, a keystroke is a binary search); other fields
(the spelling words) by a prefix walk, whose document frequencies may still include documents deleted
since the last merge (harmless for "did you mean", which only compares them).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import tantivy

from indexer.search.backends.embedded import heading_table
from indexer.search.schema import HEADING_FIELDS

__all__ = ["TABLE_FIELDS", "HeadingTables", "TermLists", "with_prefix"]

MAX_TERMS = 5000
"""Most terms one prefix walk returns (the most frequent); bounds the work of a one-letter prefix."""
TABLE_FIELDS = tuple(HEADING_FIELDS.values())
"""The fields with a heading table (browse lists and autocomplete sources)."""


class TermLists:
    """Cached whole-field term lists (alphabetical), one per (index generation, field)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[Any, str], list[tuple[str, int]]] = {}

    def alphabetical(self, searcher: tantivy.Searcher, generation: Any, field: str) -> list[tuple[str, int]]:
        """Every term of `field` with its document count, in term (= key) order; cached per generation."""
        key = (generation, field)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        terms = sorted(searcher.terms_with_prefix(field, ""))
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if k[0] == generation}
            self._cache[key] = terms
        return terms


def with_prefix(searcher: tantivy.Searcher, field: str, prefix: str, limit: int) -> list[tuple[str, int]]:
    """The `limit` most frequent terms of `field` starting with `prefix` (count descending, then term)."""
    if not prefix:
        return []
    return [(str(t), int(n)) for t, n in searcher.terms_with_prefix(field, prefix, limit=min(limit, MAX_TERMS))]


class HeadingTables:
    """The open heading tables of the live commit, and their browse lists; reopened when the commit changes.

    A table is opened from its file when it matches the commit (the writer built it at commit);
    otherwise (an index written before tables existed, or a reader that got ahead of the writer) it is
    built here from the index and saved for the next process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._building = threading.Lock()  # one build at a time: concurrent first keystrokes wait for it
        self._commit: tuple[Path, int] | None = None
        self._tables: dict[str, heading_table.HeadingTable] = {}
        self._lists: dict[str, list[tuple[str, int]]] = {}

    def table(self, searcher: tantivy.Searcher, version_dir: Path, field: str) -> heading_table.HeadingTable:
        commit = heading_table.read_commit(version_dir)
        opstamp, deletes = commit if commit is not None else (-1, True)
        with self._lock:
            if self._commit != (version_dir, opstamp):
                self._commit, self._tables, self._lists = (version_dir, opstamp), {}, {}
            found = self._tables.get(field)
        if found is not None:
            return found
        path = heading_table.table_path(version_dir, field)
        with self._building:
            found = heading_table.load(path, opstamp)
            if found is None:
                found = heading_table.build(heading_table.live_terms(searcher, field, deletes), opstamp)
                if commit is not None:
                    _save_quietly(found, path)
        with self._lock:
            if self._commit == (version_dir, opstamp):
                self._tables[field] = found
        return found

    def alphabetical(self, searcher: tantivy.Searcher, version_dir: Path, field: str) -> list[tuple[str, int]]:
        """The field's whole browse list (term order), decoded once per commit."""
        table = self.table(searcher, version_dir, field)
        with self._lock:
            cached = self._lists.get(field)
        if cached is not None and self._tables.get(field) is table:
            return cached
        listed = table.alphabetical()
        with self._lock:
            if self._tables.get(field) is table:
                self._lists[field] = listed
        return listed


def _save_quietly(table: heading_table.HeadingTable, path: Path) -> None:
    """Save a table built by a reader; a read-only index folder only means the next process builds it too."""
    try:
        table.save(path)
    except OSError:
        pass
