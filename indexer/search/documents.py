"""A merged record as a search document: the dict both backends index (keys = `indexer.search.schema.FIELDS`).

Facet values are display strings ("Duke University", "Music recording", "French"), not codes, so
that facet counts, filter chips and URLs all speak the patron's language and the web UI never needs
a second look-up. ``display`` carries what a result list shows, so a search needs no store access.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from harvester.record import Record
from harvester.settings_table import SEARCH
from harvester.text import title_sort_key
from indexer.analytics.classes import class_labels
from indexer.analytics.profile import held_by_count
from indexer.labels import format_label, language_name
from indexer.lenders import availability
from indexer.merge import MergedRecord
from indexer.search.analysis import title_keys
from indexer.search.headings import heading_fields

MAX_LINKS = 3
TITLE_TAGS = frozenset({"245", "246", "240", "130", "242"})
"""880 fields rendering these are searched with the title; other 880s with the notes (low boost), so a
patron typing Hebrew, Cyrillic or CJK finds the record without the display changing."""
MAX_SUMMARY = 600


def build_document(merged: MergedRecord, digital_sources: Collection[str] = (),
                   facet_thesauri: Collection[str] | None = None) -> dict[str, Any]:
    """The index document of one cluster.

    ``digital_sources`` (the analytics' digital collections) do not count in ``held_by_count``, the
    number of member libraries holding the title; ``held_by`` lists every holding library's code.
    ``facet_thesauri`` (the ``[search] facet_thesauri`` setting; default `FACET_THESAURI`) are the
    vocabularies whose headings the Subject facet lists.
    """
    thesauri = FACET_THESAURI if facet_thesauri is None else frozenset(facet_thesauri)
    record = merged.record
    libraries = list(merged.libraries)
    headings = _distinct(subject.heading for subject in record.subjects)
    fmt = format_label(record.format)
    access = availability(record.holdings, online_link=any(link.resource for link in record.links))
    return {
        "id": merged.id,
        "title": record.title,
        "subtitle": " ".join([record.subtitle, *_alternate(record, TITLE_TAGS)]).strip(),
        "authors": _distinct(author.name for author in record.authors),
        "subjects": headings,
        "publisher": [record.publisher] if record.publisher else [],
        "series": list(record.series),
        "notes": [*record.notes, *_alternate(record, None)],
        "isbn": list(record.isbns),
        "issn": list(record.issns),
        "oclc": list(record.oclc_numbers),
        "lccn": list(record.lccns),
        "other_ids": list(record.other_ids),
        "year": record.year,
        "title_sort": _title_sort_key(record.title_sort or record.title),
        "title_key": title_keys(record.title, record.full_title, *_alternate_titles(record)),
        "library_count": len(libraries),
        "members": [member.record_id for member in merged.members],
        **_headings(record),
        "library": libraries,
        "format": [fmt],
        "language": _distinct(language_name(code) for code in record.languages),
        "decade": f"{record.year // 10 * 10}s" if record.year else "",
        "subject_facet": _distinct(s.parts[0].strip(" .") for s in record.subjects if s.parts and faceted(s, thesauri)),
        "access": access.facet_values,
        "available_libraries": access.libraries,
        "classification": class_labels(record.classification),
        "held_by_count": str(held_by_count(merged, digital_sources)),
        "held_by": sorted({m.library_code for m in merged.members if m.library_code}),
        "display": {
            "title": record.full_title,
            "authors": _distinct(author.name for author in record.authors),
            "year": record.year,
            "format": fmt,
            "edition": record.edition,
            "publisher": record.publisher,
            "place": record.place,
            "extent": record.extent,
            "summary": _clip(record.summary, MAX_SUMMARY),
            "libraries": libraries,
            "library_count": len(libraries),
            "member_count": len(merged.members),
            "isbn": record.isbns[0] if record.isbns else "",
            "links": [{"url": link.url, "label": link.label} for link in record.links[:MAX_LINKS]],
            "availability": {"libraries": access.libraries, "online": access.online, "text": access.text},
        },
    }


FACET_THESAURI = frozenset(SEARCH["facet_thesauri"].default)
"""Subject vocabularies the Subject facet lists by default (the consortium chooses them with the
``[search] facet_thesauri`` setting, declared in `harvester.settings_table`; LCSH). Headings from
other thesauri (GND, Brinkman, Swedish "sao" …) and uncontrolled 653 keywords stay searchable in
``subjects`` but would mix languages and vocabularies in one facet ("Forskningsmetodik" beside
"Research -- Methodology"). Headings whose source is not recorded (Dublin Core feeds, records
normalized before thesauri were read) stay faceted: there is no evidence to drop them on."""


def faceted(subject: Any, thesauri: frozenset[str] = FACET_THESAURI) -> bool:
    return not subject.thesaurus or subject.thesaurus in thesauri


def _alternate(record: Record, tags: frozenset[str] | None) -> list[str]:
    """Alternate-script (880) texts: those rendering ``tags``, or with None every other one."""
    if tags is None:
        return _distinct(alt.text for alt in record.alternate_scripts if alt.tag not in TITLE_TAGS)
    return _distinct(alt.text for alt in record.alternate_scripts if alt.tag in tags)


def _headings(record: Record) -> dict[str, list[str]]:
    """Browse/autocomplete terms: every author and subject heading, the title, each call number."""
    return heading_fields(
        [record.title],
        (author.name for author in record.authors),
        (subject.heading for subject in record.subjects),
        (holding.call_number for holding in record.holdings),
    )


def _alternate_titles(record: Record) -> list[str]:
    """880 renderings of the 245 title, without the statement of responsibility ("Новая нива / ред.")."""
    titles = [alt.text.split(" / ")[0] for alt in record.alternate_scripts if alt.tag == "245"]
    return [part for title in titles for part in dict.fromkeys((title.split(" : ")[0], title))]


def _title_sort_key(title: str) -> str:
    """`harvester.text.title_sort_key`; for an ASCII title (nothing to decompose, ``casefold`` is
    ``lower``) without the per-character pass: the same key at a fraction of the cost."""
    return " ".join(title.lower().split()) if title.isascii() else title_sort_key(title)


def _distinct(values: Any) -> list[str]:
    return [v for v in dict.fromkeys(v for v in values if v)]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
