"""Work keys: editions, reprints and versions of one work are related, not merged.

The deduplicator keeps the 2nd and the 3rd edition, a reprint forty years later, or a conference
paper and its journal version apart, because holdings must stay exact: a library that holds the
1880 printing does not hold the 1923 one. Patrons still want to see that the other versions exist,
so every record also gets a *work key*: the primary author's surname and the first words of the title
proper, edition statements and part numbers left out ("Moby Dick, or, The whale. 2nd ed." and
"Moby-Dick" by Melville share ``melville|moby dick``). Clusters whose records share a work key are
shown as "other editions / versions" on the record page (`indexer.dedup.clusters.ClusterStore.versions`).

A key needs an author or a long title: "Proceedings" or "Annual report" with no author would relate
thousands of unrelated items.
"""

from __future__ import annotations

import re

from harvester.record import Record
from indexer.dedup.keys import author_surname, title_proper, words

WORK_TITLE_WORDS = 6
"""Title words in a work key: enough to tell works apart, few enough to survive a changed subtitle."""

_EDITION_WORDS = re.compile(
    r"\b(?:\d+(?:st|nd|rd|th|d)?|first|second|third|fourth|fifth|new|revised|rev|enlarged|enl|"
    r"expanded|updated|abridged|illustrated|unabridged)\s+(?:ed|edition|edn|aufl|auflage|uppl|druk)\b"
    r"|\b(?:edition|ed)\s+\d+\b"
)


def work_key(record: Record) -> str:
    """``surname|title words`` for the work a record is a version of, "" when too weak to relate."""
    title = _EDITION_WORDS.sub(" ", title_proper(record.title).lower())
    title_words = [w for w in words(title) if not w.isdigit()][:WORK_TITLE_WORDS]
    surname = author_surname(record)
    if not title_words or (not surname and len(title_words) < 4):
        return ""
    return f"{surname}|{' '.join(title_words)}"
