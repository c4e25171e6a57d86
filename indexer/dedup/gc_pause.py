"""Python's cycle collector paused for the length of a clustering pass.

A clustering pass allocates millions of small objects that live until it ends (profiles, key lists,
blocks, candidate pairs, edges) and makes no reference cycles. The collector, started by allocation
counts, walks that whole growing heap again and again: on 300,000 synthetic records it was a third of
the clustering time (38.6 s with it, 25.2 s without, 0 objects collected). So the pass runs with it
paused, and it is switched back on afterwards (also when the pass fails); a cycle made meanwhile, if
any, is collected by its next run after the pass.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cycle collector off; restore it as it was (nesting is safe)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
