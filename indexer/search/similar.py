""""Similar items": a more-like-this query written in unioncat's own query language.

Written as query text (not engine calls) so both backends answer it the same way and the contract suite
covers it: the record's subject headings and authors as fielded phrases, and its most telling title words,
all OR-ed. A candidate sharing two subjects and the author scores above one sharing a title word only,
because every matching clause adds to the score (field boosts: title 5, author 3, subject 2).

    similar_query(record)  # 'subject:"Art, British" OR subject:"Painting" OR author:"Stephens, Chris" OR title:art'
"""

from __future__ import annotations

from harvester.record import Record
from indexer.search.analysis import analyze_folded, is_stopword

MAX_SUBJECTS = 5
MAX_AUTHORS = 3
MAX_TITLE_WORDS = 4
MIN_WORD = 4
"""Shorter title words ("art", "war") are kept out: alone they match too much to mean "similar"."""


def similar_query(record: Record) -> str:
    """The OR query of this record's subjects, authors and title words ("" when it has none)."""
    clauses: list[str] = []
    subjects = dict.fromkeys(s.parts[0] for s in record.subjects if s.parts and s.parts[0])
    clauses += [_phrase("subject", s) for s in list(subjects)[:MAX_SUBJECTS]]
    authors = dict.fromkeys(a.name for a in record.authors if a.name)
    clauses += [_phrase("author", a) for a in list(authors)[:MAX_AUTHORS]]
    words = [w for w in analyze_folded(record.title) if len(w) >= MIN_WORD and not is_stopword(w)]
    clauses += [f"title:{w}" for w in list(dict.fromkeys(words))[:MAX_TITLE_WORDS]]
    return " OR ".join(c for c in clauses if c)


def _phrase(alias: str, text: str) -> str:
    cleaned = " ".join(text.replace('"', " ").split()).strip(" .,;:/")
    return f'{alias}:"{cleaned}"' if cleaned else ""
