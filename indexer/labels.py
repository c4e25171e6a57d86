"""Display labels for codes: record formats and ISO 639-2 languages, as patrons read them in facets.

Facet values in the index are these display strings (the web UI filters on them verbatim), so the
tables live in one place. Language names come from `indexer/data/labels_languages.json` (the common
MARC codes, bibliographic and terminology forms); an unknown code is shown as the code itself.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

FORMAT_LABELS: dict[str, str] = {
    "book": "Book",
    "e-book": "E-book",
    "serial": "Serial",
    "e-journal": "E-journal",
    "map": "Map",
    "score": "Musical score",
    "audio": "Audio recording",
    "music-recording": "Music recording",
    "video": "Video",
    "image": "Image",
    "manuscript": "Manuscript",
    "archive": "Archival material",
    "computer-file": "Computer file",
    "kit": "Kit",
    "object": "Object",
    "microform": "Microform",
    "thesis": "Thesis",
    "article": "Article",
    "chapter": "Chapter",
    "dataset": "Dataset",
    "mixed": "Mixed materials",
    "other": "Other",
}
"""Every `harvester.record.FORMATS` value → its label."""


_LABELS = frozenset(FORMAT_LABELS.values())


def format_label(code: str) -> str:
    """"music-recording" → "Music recording"; an unknown code is title-cased rather than hidden.

    A value that already is a label passes unchanged: pages that got "E-book" from the index and ran it
    through this filter again showed "E book", so the table is the one place a label is made.
    """
    if code in _LABELS:
        return code
    return FORMAT_LABELS.get(code, code.replace("-", " ").capitalize() if code else "Other")


@cache
def _languages() -> dict[str, str]:
    text = resources.files("indexer").joinpath("data/labels_languages.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def language_name(code: str) -> str:
    """"fre" → "French", "fro" → "Old French"; unknown codes come back as typed (lower-cased).

    The MARC code list files its names inverted for alphabetical lists ("French, Old", "Greek,
    Ancient"); in a facet or a record's "English, French, Old" they read as two languages, so they
    are shown in their display form, uninverted.
    """
    code = code.strip().lower()
    return display_form(_languages().get(code, code))


def display_form(name: str) -> str:
    """ "French, Old" → "Old French", "German, Middle High" → "Middle High German"; others unchanged."""
    head, sep, qualifier = name.partition(", ")
    if not sep or "," in qualifier or "(" in name:
        return name
    return f"{qualifier} {head}"
