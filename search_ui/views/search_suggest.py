""""Did you mean": respellings built from the index's own words, offered only when they help.

The old suggestion respelled the query after the words of whatever a typo-tolerant search happened to
show, so "moby dick" (nothing by that name in the demo) offered "moby rick" for three authors called
Rick. Now:

1. never when the query already found strong matches (every word, exactly: not relaxed, not fuzzy);
2. each word the index does not know (or knows rarely) is replaced by the index term closest to it
   (title, subtitle and author words; edits, a transposition counting one, within `analysis.fuzzy_distance`), the most
   frequent one winning among equally close ones: document frequency is the evidence of what people
   catalogue, so "histroy" becomes "history", not "histrio";
3. the respelled query is searched, and offered only if it matches exactly (no fallback) and finds
   more than the original did exactly. Quotes, fields and operators are kept as typed, so a phrase is
   respelled as a phrase and checked as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rapidfuzz.distance import OSA

from indexer.search.analysis import analyze_folded, fuzzy_distance, is_stopword
from indexer.search.backends.base import SearchResults

if TYPE_CHECKING:
    from indexer.catalog import Catalog
    from search_ui.views.search_form import SearchForm

SPELL_FIELDS = ("title_exact", "subtitle_exact", "authors_exact")
PREFIX = 2
"""Candidates share the first two letters: typos rarely hit them, and it bounds the dictionary walk."""
CANDIDATES = 2000
MAX_WORDS = 8
_WORD = re.compile(r'(?<![\w])(?!(?:AND|OR|NOT)\b)([^\W_]+)(?![\w:])')


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    url: str
    total: int


def strong(results: SearchResults) -> bool:
    """Found with every word as typed: nothing to suggest."""
    return results.total > 0 and not results.relaxed and not results.fuzzy


def did_you_mean(catalog: Catalog, form: SearchForm, results: SearchResults) -> Suggestion | None:
    """A respelled query that finds more, exactly; None when there is none (or no need for one)."""
    if not form.q or strong(results):
        return None
    counts: dict[str, int] = {}
    text = _WORD.sub(lambda m: respell(catalog, m.group(1), counts), form.q, count=MAX_WORDS)
    if text == form.q or counts.get("\x00unsupported"):
        return None
    better = replace(form, q=text, page=1, asked_page=1)
    found = catalog.search(replace(better.to_request(facets=()), per_page=1))
    before = 0 if results.relaxed or results.fuzzy else results.total
    if not strong(found) or found.total <= before:
        return None
    return Suggestion(text=text, url=better.url(), total=found.total)


def respell(catalog: Catalog, word: str, counts: dict[str, int]) -> str:
    """`word` or the most frequent close index term, cased like the word was typed."""
    tokens = analyze_folded(word)
    if len(tokens) != 1 or word.isdigit() or is_stopword(word):
        return word
    token = tokens[0]
    allowed = fuzzy_distance(token)
    if allowed == 0:
        return word
    known = _frequencies(catalog, token[:PREFIX], counts)
    if known is None:
        return word
    own = known.get(token, 0)
    close = [
        (OSA.distance(token, term, score_cutoff=allowed), -df, term)
        for term, df in known.items()
        if term != token and df > own and abs(len(term) - len(token)) <= allowed
    ]
    close = [c for c in close if c[0] <= allowed]
    if not close:
        return word
    best = min(close)[2]
    return best.upper() if word.isupper() and len(word) > 1 else best.capitalize() if word[:1].isupper() else best


def _frequencies(catalog: Catalog, prefix: str, counts: dict[str, int]) -> dict[str, int] | None:
    """Document frequency of every spell-field term starting with `prefix` (summed over the fields)."""
    known: dict[str, int] = {}
    for field in SPELL_FIELDS:
        listed = catalog.terms(field, prefix, CANDIDATES)
        if listed is None:
            counts["\x00unsupported"] = 1
            return None
        for term, df in listed:
            known[term] = known.get(term, 0) + df
    return known
