"""CSV cells a spreadsheet will not run: the one formula guard of every CSV unioncat writes.

Titles, notes and library names come from partners' records, and a cell that starts with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return, which some spreadsheets skip before reading the
rest as a formula) is executed when the file is opened in Excel or LibreOffice ("CSV injection",
OWASP). Such a cell gets a leading apostrophe, which spreadsheets show as text and hide; numbers
written as numbers (counts) are left alone, so ``-`` in a count column is never altered.

    writer.writerow(safe_row(["=HYPERLINK(...)", 3]))     # → ["'=HYPERLINK(...)", 3]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with an apostrophe in front if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]
