"""Merged records as BibTeX (biblatex-flavoured entry types), for LaTeX users and reference managers.

Every value is escaped for TeX (`tex_escape`): a catalog title with ``&``, ``%``, ``_`` or an unbalanced
brace would otherwise break the whole .bib file, not just its own entry. Non-ASCII text stays UTF-8,
which biber and every current reference manager read. Entries are built with `bibtexparser`'s model
and writer, the same library the tests parse them back with.

    text = to_bibtex([merged], url_of)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import bibtexparser
from bibtexparser.model import Entry, Field

from harvester.record import Author
from indexer.merge import MergedRecord
from search_ui.interop.export_csl import is_editor, person_name, resource_links, tidy
from search_ui.interop.export_ris import one_line

BIBTEX_TYPES = {
    "book": "book",
    "e-book": "book",
    "serial": "periodical",
    "e-journal": "periodical",
    "thesis": "thesis",
    "article": "article",
    "dataset": "dataset",
    "computer-file": "software",
}
"""`Record.format` → entry type; everything else is ``@misc``."""

_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_TEX_PATTERN = re.compile("|".join(re.escape(c) for c in _TEX_SPECIALS))


def tex_escape(text: str) -> str:
    """``"50% off {sale}"`` → ``"50\\% off \\{sale\\}"``: one pass, so no escape is escaped twice."""
    return _TEX_PATTERN.sub(lambda m: _TEX_SPECIALS[m.group(0)], one_line(text))


def bibtex_names(authors: Sequence[Author]) -> str:
    """``Last, First and Last, First``; an organization in braces so BibTeX does not split it."""
    names = []
    for author in authors:
        if author.kind != "person":
            names.append("{" + tex_escape(tidy(author.name)) + "}")
            continue
        family, given = person_name(author)
        if family and given:
            names.append(tex_escape(f"{family}, {given}"))
        elif family:  # a name we could not split: kept whole, or BibTeX would take its last word as surname
            names.append("{" + tex_escape(family) + "}")
    return " and ".join(names)


def bibtex_entry(merged: MergedRecord) -> Entry:
    """The bibtexparser `Entry` of one merged record; the key is the cluster id (a stable permalink)."""
    record = merged.record
    values = {
        "title": tidy(record.full_title) or "[No title]",
        "year": str(record.year) if record.year else "",
        "publisher": tidy(record.publisher),
        "location": tidy(record.place),
        "edition": tidy(record.edition),
        "isbn": ", ".join(record.isbns),
        "issn": ", ".join(record.issns),
        "series": tidy(record.series[0]) if record.series else "",
        "language": ", ".join(record.languages),
        "keywords": ", ".join(s.heading for s in record.subjects),
        "abstract": record.summary,
        "url": next(iter(resource_links(record)), ""),
    }
    fields = [Field(key, tex_escape(value)) for key, value in values.items() if value]
    authors = bibtex_names([a for a in record.authors if not is_editor(a)])
    editors = bibtex_names([a for a in record.authors if is_editor(a)])
    fields[:0] = [Field(key, names) for key, names in (("author", authors), ("editor", editors))
                  if names]
    return Entry(BIBTEX_TYPES.get(record.format, "misc"), merged.id, fields)


def to_bibtex(records: Sequence[MergedRecord]) -> str:
    """A .bib file of the records, one entry each, in the order given (values enclosed in braces)."""
    library = bibtexparser.Library([bibtex_entry(m) for m in records])
    return str(bibtexparser.write_string(library))
