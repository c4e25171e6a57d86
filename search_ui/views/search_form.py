"""A patron's search as URL parameters: parsed once, turned into a `SearchRequest`, and back into links.

Every link on the results page (facet toggles, chips, sort, pages) is this form with one change, so
the URL is the whole state: pages work without JavaScript and can be bookmarked.

URL parameters:
  q, field        the box and its field selector (all | title | author | subject | identifier | publisher)
  title, author, subject, publisher, identifier, year_from, year_to   the advanced form
  library, format, language, decade, subject_facet   facet filters (repeatable; OR within a field)
  sort, page      one of indexer.search.schema.SORTS; 1..MAX_PAGE

    form = SearchForm.from_params(request.query_params)
    results = catalog.search(form.to_request())
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from indexer.labels import language_name
from indexer.search.analysis import callnumber_key, heading_key, heading_term
from indexer.search.backends.base import MAX_PAGE, SearchRequest
from indexer.search.schema import FACET_FIELDS, FIELDS_BY_NAME, SORTS

FIELD_CHOICES: tuple[tuple[str, str], ...] = (
    ("all", "All fields"),
    ("title", "Title"),
    ("author", "Author"),
    ("subject", "Subject"),
    ("identifier", "ISBN / ISSN / OCLC / LCCN"),
    ("publisher", "Publisher"),
)
ADVANCED_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("author", "Author"),
    ("subject", "Subject"),
    ("publisher", "Publisher"),
    ("identifier", "ISBN, ISSN, OCLC or LCCN"),
)
SORT_LABELS = {
    "relevance": "Relevance",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "title": "Title A–Z",
}
MAX_TEXT = 500
MAX_VALUES = 20
PER_PAGE = 20


@dataclass(frozen=True, slots=True)
class SearchForm:
    """The validated search parameters (unknown or malformed values fall back to defaults)."""

    q: str = ""
    field: str = "all"
    advanced: Mapping[str, str] = dataclasses.field(default_factory=dict)
    filters: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    page: int = 1
    asked_page: int = 1
    per_page: int = PER_PAGE
    headings: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # browse links
    unreadable_years: tuple[str, ...] = ()  # year_from/year_to values that are not a year, as typed

    @classmethod
    def from_params(cls, params: Any, max_per_page: int = PER_PAGE) -> SearchForm:
        """Read a Starlette ``QueryParams``/``FormData`` (anything with ``get`` and ``getlist``)."""
        advanced = {name: _text(params.get(name)) for name, _ in ADVANCED_FIELDS}
        filters: dict[str, tuple[str, ...]] = {}
        for name in FACET_FIELDS:
            values = _unique(_facet_value(name, _text(v)) for v in params.getlist(name))
            if values:
                filters[name] = values[:MAX_VALUES]
        headings = {p: _unique(_text(v) for v in params.getlist(p))[:MAX_VALUES] for p in HEADING_PARAMS}
        field_name = params.get("field") or "all"
        asked = _int(params.get("page")) or 1
        per_page = _int(params.get("per_page")) or PER_PAGE
        sort = params.get("sort") or "relevance"
        return cls(
            q=_text(params.get("q")),
            field=field_name if field_name in dict(FIELD_CHOICES) else "all",
            advanced={k: v for k, v in advanced.items() if v},
            filters=filters,
            headings={p: v for p, v in headings.items() if v},
            year_from=_year(params.get("year_from")),
            year_to=_year(params.get("year_to")),
            sort=sort if sort in SORTS else "relevance",
            page=max(1, min(asked, MAX_PAGE)),
            asked_page=asked,
            per_page=max(1, min(per_page, max_per_page)),
            unreadable_years=tuple(
                _text(params.get(name))[:20]
                for name in ("year_from", "year_to")
                if _text(params.get(name)) and _year(params.get(name)) is None
            ),
        )

    def problem(self) -> FormProblem | None:
        """Why this search cannot be run as asked (shown instead of a silent empty result list)."""
        if self.unreadable_years:
            shown = ", ".join(f"“{v}”" for v in self.unreadable_years)
            return FormProblem(f"{shown} is not a year: use a year like 1990 (up to 9999).",
                               self.without("year").url(), "Search without the year limits")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            swapped = replace(self, year_from=self.year_to, year_to=self.year_from, page=1, asked_page=1)
            return FormProblem(
                f"The year range {self.year_from}–{self.year_to} ends before it starts, so nothing could match.",
                swapped.url(), f"Search {self.year_to}–{self.year_from} instead")
        return None

    # --- what to ask the catalog --------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        """Nothing asked at all: show the home page, not an empty result list."""
        return not (self.q or self.advanced or self.filters or self.headings or self.year_from or self.year_to)

    def query_text(self) -> str:
        """The query in unioncat's language: the box (fielded if chosen) AND each advanced field."""
        parts = [fielded(self.field, self.q)] if self.q else []
        parts += [fielded(name, self.advanced[name]) for name, _ in ADVANCED_FIELDS if name in self.advanced]
        return " ".join(p for p in parts if p)

    def to_request(self, facets: Sequence[str] = FACET_FIELDS) -> SearchRequest:
        return SearchRequest(
            text=self.query_text(),
            filters={**self.filters, **self.heading_filters()},
            year_from=self.year_from,
            year_to=self.year_to,
            facets=tuple(facets),
            sort=self.sort,
            page=self.page,
            per_page=self.per_page,
        )

    def heading_filters(self) -> dict[str, tuple[str, ...]]:
        """Browse headings as exact filters on their heading fields (the terms the index holds)."""
        return {
            HEADING_PARAMS[p].field: tuple(heading_term(HEADING_PARAMS[p].key(v), v) for v in values)
            for p, values in self.headings.items()
        }

    # --- links back to the page with one thing changed ----------------------------------------

    def params(self) -> list[tuple[str, str]]:
        """The canonical URL parameters of this search (defaults left out)."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        if self.field != "all":
            pairs.append(("field", self.field))
        pairs += [(name, self.advanced[name]) for name, _ in ADVANCED_FIELDS if name in self.advanced]
        if self.year_from is not None:
            pairs.append(("year_from", str(self.year_from)))
        if self.year_to is not None:
            pairs.append(("year_to", str(self.year_to)))
        for name in FACET_FIELDS:
            pairs += [(name, value) for value in self.filters.get(name, ())]
        for name in HEADING_PARAMS:
            pairs += [(name, value) for value in self.headings.get(name, ())]
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        if self.per_page != PER_PAGE:
            pairs.append(("per_page", str(self.per_page)))
        return pairs

    def url(self, path: str = "/search") -> str:
        query = urlencode(self.params())
        return f"{path}?{query}" if query else path

    def with_page(self, page: int) -> SearchForm:
        return replace(self, page=max(1, min(page, MAX_PAGE)), asked_page=page)

    def toggled(self, name: str, value: str) -> SearchForm:
        """This search with one facet value added (or removed if chosen), back on page 1."""
        chosen = self.filters.get(name, ())
        values = tuple(v for v in chosen if v != value) if value in chosen else (*chosen, value)
        filters = {k: v for k, v in self.filters.items() if k != name}
        if values:
            filters[name] = values
        return replace(self, filters=filters, page=1, asked_page=1)

    def without(self, name: str) -> SearchForm:
        """This search without an advanced field, the year range or the box (name: a param name)."""
        if name == "q":
            return replace(self, q="", field="all", page=1, asked_page=1)
        if name == "year":
            return replace(self, year_from=None, year_to=None, page=1, asked_page=1)
        if name in HEADING_PARAMS:
            return replace(self, headings={k: v for k, v in self.headings.items() if k != name}, page=1, asked_page=1)
        advanced = {k: v for k, v in self.advanced.items() if k != name}
        return replace(self, advanced=advanced, page=1, asked_page=1)

    def without_filters(self) -> SearchForm:
        return replace(self, filters={}, headings={}, year_from=None, year_to=None, page=1, asked_page=1)

    def chips(self) -> list[dict[str, str]]:
        """Removable filter chips: every facet value, advanced field and year bound in force."""
        chips = [
            {"label": label, "value": self.advanced[name], "url": self.without(name).url()}
            for name, label in ADVANCED_FIELDS
            if name in self.advanced
        ]
        if self.year_from is not None or self.year_to is not None:
            span = f"{self.year_from or '…'}–{self.year_to or '…'}"
            chips.append({"label": "Year", "value": span, "url": self.without("year").url()})
        for name, heading in HEADING_PARAMS.items():
            chips += [
                {"label": heading.label, "value": value, "url": self.without(name).url()}
                for value in self.headings.get(name, ())
            ]
        for name in FACET_FIELDS:
            label = FIELDS_BY_NAME[name].label
            chips += [
                {"label": label, "value": value, "url": self.toggled(name, value).url()}
                for value in self.filters.get(name, ())
            ]
        return chips


@dataclass(frozen=True, slots=True)
class HeadingParam:
    """A URL parameter naming a browse heading exactly (``author_heading=Melville, Herman``)."""

    field: str
    key: Callable[[str], str]
    label: str


HEADING_PARAMS = {
    "author_heading": HeadingParam("author_heading", heading_key, "Author heading"),
    "subject_heading": HeadingParam("subject_heading", heading_key, "Subject heading"),
    "callnumber": HeadingParam("callnumber_heading", callnumber_key, "Call number"),
}


@dataclass(frozen=True, slots=True)
class FormProblem:
    """A search form that cannot be run as filled in: what is wrong, and a link that fixes it."""

    message: str
    fix_url: str
    fix_text: str


def fielded(alias: str, text: str) -> str:
    """One box's text as a query clause: ``title:(moby dick)``, ``title:"moby dick"``, ``isbn:…``."""
    text = text.strip()
    if not text or alias == "all":
        return text
    if alias == "identifier":
        return identifier_query(text)
    if len(text) > 1 and text.startswith('"') and text.endswith('"') and text.count('"') == 2:
        return f"{alias}:{text}"
    cleaned = " ".join(re.sub(r"[()]", " ", text).split())
    if not cleaned:
        return ""
    if " " not in cleaned:
        return f"{alias}:{cleaned}"
    return f"{alias}:({cleaned})"


def identifier_query(text: str) -> str:
    """Standard numbers typed in any form → ``isbn:9780…`` clauses (OR-ed when several were typed)."""
    try:
        from harvester.identifiers import recognise_identifier
    except ImportError:  # pragma: no cover - harvester.identifiers not there yet: let the parser guess
        return text
    clauses = []
    for token in re.split(r"[\s,;]+", text):
        token = token.strip()
        if not token:
            continue
        found = recognise_identifier(token)
        clauses.append(f"{found[0]}:{found[1]}" if found else token)
    return " OR ".join(clauses)


def _facet_value(name: str, value: str) -> str:
    """Facet values are exact display strings; a language typed in the advanced form is made one.

    "fre" → "French" and "english" → "English"; values picked from facet checkboxes pass unchanged.
    """
    if name != "language" or not value.islower():
        return value
    named = language_name(value) if len(value) == 3 else value
    return named[:1].upper() + named[1:]


def _text(value: str | None) -> str:
    return " ".join((value or "").split())[:MAX_TEXT]


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _year(value: str | None) -> int | None:
    year = _int(value)
    return year if year is not None and -9999 <= year <= 9999 else None


def _unique(values: Any) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return tuple(seen)
