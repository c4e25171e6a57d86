"""Running a translated CQL query against the catalog: search-engine pages, id look-ups and scans.

SRU numbers records from 1 with any ``startRecord``; the search backends page in fixed pages of at
most `MAX_PER_PAGE` up to page `MAX_PAGE`, so a window is read from the (at most two) backend pages
that cover it, and a window past the deepest page is diagnostic 61 rather than a silently wrong page.
The engine's friendly fallbacks (OR when AND finds nothing, typo tolerance) are right for a search
box and wrong for a protocol whose clients test for presence ("does anyone hold this ISBN?"), so a
relaxed or fuzzy answer counts as no records.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from harvester import identifiers
from indexer.errors import QueryError
from indexer.merge import MergedRecord
from indexer.search.backends.base import MAX_PAGE, SearchRequest
from search_ui.interop.cql_query import IDENTIFIER_FIELDS, CQLDiagnostic, Translation, index_field, parse

if TYPE_CHECKING:
    from indexer.catalog import Catalog

MAX_PER_PAGE = 100
MAX_WINDOW = MAX_PAGE * MAX_PER_PAGE
"""Deepest record position a search reaches (the backends' own paging limit)."""
_SCAN_KINDS = {"isbn": "isbn", "issn": "issn", "lccn": "lccn", "oclc": "oclc"}
_NORMALIZERS = {"isbn": identifiers.normalize_isbn, "issn": identifiers.normalize_issn,
                "lccn": identifiers.normalize_lccn, "oclc": identifiers.normalize_oclc}


class CatalogSearch:
    """SRU's questions, answered by one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def run(self, translation: Translation, start: int, maximum: int) -> tuple[int, list[MergedRecord]]:
        """(number of records, the merged records at positions start … start+maximum-1)."""
        if translation.ids:
            found = self.lookup(translation.ids)
            return len(found), found[start - 1 : start - 1 + maximum]
        ids, total = self._window(translation, start, maximum)
        records = [self.catalog.record(cluster_id) for cluster_id in ids]
        return total, [record for record in records if record is not None]

    def lookup(self, ids: tuple[str, ...]) -> list[MergedRecord]:
        """Records by cluster id, retired cluster id (→ where it went) or member record id."""
        found: dict[str, MergedRecord] = {}
        for wanted in ids:
            merged = self.catalog.record(wanted)
            if merged is None:
                moved = self.catalog.redirect(wanted) or self.catalog.cluster_of(wanted)
                merged = self.catalog.record(moved) if moved else None
            if merged is not None:
                found.setdefault(merged.id, merged)
        return list(found.values())

    def _window(self, translation: Translation, start: int, maximum: int) -> tuple[list[str], int]:
        if start - 1 + maximum > MAX_WINDOW:
            raise CQLDiagnostic(61, str(start), f"First record position out of range: searches reach {MAX_WINDOW}")
        first_page = (start - 1) // MAX_PER_PAGE + 1
        last_page = max(first_page, (start - 2 + maximum) // MAX_PER_PAGE + 1)
        ids: list[str] = []
        total = 0
        for page in range(first_page, last_page + 1):
            results = self._search(translation, page)
            if results is None:
                return [], 0
            total = results.total
            ids += [hit.id for hit in results.hits]
        skip = start - 1 - (first_page - 1) * MAX_PER_PAGE
        return ids[skip : skip + maximum] if maximum else [], total

    def _search(self, translation: Translation, page: int):  # type: ignore[no-untyped-def]
        request = SearchRequest(text=translation.text, facets=(), sort=translation.sort, page=page,
                                per_page=MAX_PER_PAGE)
        try:
            results = self.catalog.search(request)
        except QueryError as exc:
            raise CQLDiagnostic(10, translation.text, f"Query syntax error ({exc})") from exc
        if results.relaxed or results.fuzzy:
            return None  # the engine could only answer a looser question than the one asked
        return results

    def scan(self, clause_text: str, position: int, maximum: int) -> list[tuple[str, int]]:
        """Identifier terms around the scan term (bath.isbn, bath.issn, bath.lccn, oclc) with item counts."""
        root = parse(clause_text).root
        if hasattr(root, "left"):
            raise CQLDiagnostic(10, clause_text, "Query syntax error: scan takes one index and term")
        field = index_field(root)
        if field not in IDENTIFIER_FIELDS:
            raise CQLDiagnostic(16, str(root.index), "Unsupported index: scan works on bath.isbn, bath.issn, "
                                "bath.lccn and oclc")
        typed = str(root.term).strip()
        normalize = _NORMALIZERS.get(field)
        term = (normalize(typed) if normalize else None) or re.sub(r"\s+", "", typed).lower()
        return self.catalog.changes().identifier_terms(_SCAN_KINDS[field], term, position, maximum)
