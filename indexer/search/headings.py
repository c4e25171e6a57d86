"""The heading fields of an index document: what browse lists and autocomplete read.

Each heading is one keyword term "<key>\\x1f<display>" (`analysis.heading_term`) in ``title_heading``,
``author_heading``, ``subject_heading`` or ``callnumber_heading``. The embedded engine answers
browse and autocomplete from tables of these terms written at commit
(`indexer.search.backends.embedded.heading_table`). ``heading_prefix`` ("<kind>:<first 2 or 3 key
characters>" per heading, `SHORT_PREFIX`) lets an engine without such a table count the headings of just
the documents holding a short prefix instead of walking every matching term.
"""

from __future__ import annotations

from collections.abc import Iterable

from indexer.search.analysis import callnumber_key, heading_key, heading_term

PREFIX_FIELD = "heading_prefix"
SHORT_PREFIX = 3
"""Prefixes up to this many key characters are looked up through `PREFIX_FIELD`."""
KIND_OF_FIELD = {"title_heading": "t", "author_heading": "a", "subject_heading": "s"}


def prefix_term(field: str, prefix: str) -> str:
    """The `PREFIX_FIELD` term for a short key prefix of a heading field ("a:mel")."""
    return f"{KIND_OF_FIELD[field]}:{prefix}"


def heading_fields(
    titles: Iterable[str], authors: Iterable[str], subjects: Iterable[str], call_numbers: Iterable[str]
) -> dict[str, list[str]]:
    """The five heading fields for a record's titles, author names, subject headings and call numbers."""
    fields = {
        "title_heading": _terms(titles),
        "author_heading": _terms(authors),
        "subject_heading": _terms(subjects),
        "callnumber_heading": _terms((c.strip() for c in call_numbers), callnumber=True),
    }
    prefixes: dict[str, None] = {}
    for field, kind in KIND_OF_FIELD.items():
        for term in fields[field]:
            key = term.partition("\x1f")[0]
            for size in range(2, SHORT_PREFIX + 1):
                if len(key) >= size:
                    prefixes[f"{kind}:{key[:size]}"] = None
    fields[PREFIX_FIELD] = list(prefixes)
    return fields


def _terms(values: Iterable[str], callnumber: bool = False) -> list[str]:
    key = callnumber_key if callnumber else heading_key
    out: dict[str, None] = {}
    for value in values:
        if value:
            folded = key(value)  # once: it is a tokenizer pass (a regex scan for call numbers)
            if folded:
                out[heading_term(folded, value)] = None
    return list(out)
