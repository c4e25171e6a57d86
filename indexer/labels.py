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


def format_label(code: str) -> str:
    """"music-recording" → "Music recording"; an unknown code is title-cased rather than hidden."""
    return FORMAT_LABELS.get(code, code.replace("-", " ").capitalize() if code else "Other")


@cache
def _languages() -> dict[str, str]:
    text = resources.files("indexer").joinpath("data/labels_languages.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def language_name(code: str) -> str:
    """"fre" → "French"; unknown codes come back as typed (lower-cased), empty stays empty."""
    code = code.strip().lower()
    return _languages().get(code, code)
