"""Mapping OAI pages in worker processes while the harvester fetches the next page.

Parsing MARCXML and applying the MARC rules costs about a millisecond per record, far more than
fetching and storing it; on a big harvest that alone would cap throughput near 1,000 records/s. Pages
of at least ``parallel_threshold`` records are therefore cut into chunks mapped by a small pool of
worker processes (started on first need, with ``spawn`` so that forking a threaded harvester is never
an issue), while the harvester's own thread fetches the next page. Results come back in page order and
are committed page by page, so checkpoints and counts are exactly as without the pool.

    mapper = PageMapper(source, "marc21", workers=2)
    result = mapper.submit(page.records)   # returns at once
    prepared = result()                    # waits for the page's records
    mapper.close()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from harvester.oai.commit import PreparedPage, items_of, merge_pages, prepare_items, prepare_page
from harvester.oai.pages import OAIRecord
from harvester.settings import SourceConfig


class PageMapper:
    """Maps pages inline (small pages, one worker) or in a process pool (big pages)."""

    def __init__(self, source: SourceConfig, prefix: str, workers: int | None = None,
                 threshold: int = 100) -> None:
        self.source = source
        self.prefix = prefix
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self.threshold = threshold
        self._pool: ProcessPoolExecutor | None = None

    def parallel(self, records: Sequence[OAIRecord]) -> bool:
        """Whether a page this big goes to the worker pool."""
        return self.workers > 1 and len(records) >= self.threshold

    def submit(self, records: Sequence[OAIRecord]) -> Callable[[], PreparedPage]:
        """Start mapping a page; the returned callable waits for and returns the result."""
        if not self.parallel(records):
            return lambda: prepare_page(self.source, records, self.prefix)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"))
        items = items_of(records)
        size = -(-len(items) // (self.workers * 2))
        futures: list[Future[PreparedPage]] = [
            self._pool.submit(prepare_items, self.source, items[start : start + size], self.prefix)
            for start in range(0, len(items), size)
        ]
        return lambda: merge_pages(f.result() for f in futures)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
