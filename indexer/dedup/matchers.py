"""Which `Matcher` decides duplicates: the one place that choice is made.

`indexer.run`, `indexer.catalog` and the CLI ask `matcher_for(settings)` and never name a matcher
class, so replacing the identifier-only grouping with the full deduplicator is a change here only.
"""

from __future__ import annotations

from harvester.settings import Settings
from indexer.dedup.decide import DedupMatcher
from indexer.dedup.matching import Matcher


def matcher_for(settings: Settings) -> Matcher:
    """The deduplicator; sources with ``dedup_within_source = true`` may merge their own records."""
    return DedupMatcher(within_source=frozenset(s.id for s in settings.sources if s.dedup_within_source))
