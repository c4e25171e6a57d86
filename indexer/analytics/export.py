"""CSV for spreadsheets: every figure table, and the title lists behind the numbers.

A collection librarian acts on a list ("the 412 titles only we hold, in LC class Q"), so each count
has a CSV of its titles with the cluster permalink, who holds it and what it is. The lists are read
from the stored profiles, one streaming scan, so they also cover counts no search filter can express
("decade unknown").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from indexer.analytics.profile import TitleProfile
from indexer.csv_safe import safe_row

TITLE_COLUMNS = ("cluster_id", "url", "title", "held_by_count", "libraries", "online", "format", "decade",
                 "languages", "lc_class", "ddc_class", "items")


@dataclass(frozen=True, slots=True)
class TitleFilter:
    """Which titles a count covers (the query parameters of ``/analytics/titles.csv``)."""

    library: str = ""
    held_by: tuple[int, ...] = ()
    dimension: str = ""
    value: str | None = None
    with_library: str = ""
    online: bool = False

    def matches(self, p: TitleProfile) -> bool:
        if self.library and self.library not in p.libraries:
            return False
        if self.with_library and self.with_library not in p.libraries:
            return False
        if self.held_by and p.held_by not in self.held_by:
            return False
        if not self.held_by and p.held_by == 0 and not self.online:
            return False  # consortium lists are of member holdings unless "online only" is asked
        if self.online and not p.online:
            return False
        return self.value is None or not self.dimension or _has(p, self.dimension, self.value)


def _has(p: TitleProfile, dimension: str, value: str) -> bool:
    if dimension == "language":
        return value in p.languages if value else not p.languages
    return str(getattr(p, dimension, "")) == value


def title_rows(profiles: Iterable[TitleProfile], where: TitleFilter) -> Iterator[list[Any]]:
    for p in profiles:
        if where.matches(p):
            yield [p.cluster_id, f"/record/{p.cluster_id}", p.title, p.held_by, " ".join(p.libraries),
                   "yes" if p.online else "", p.format, p.decade, "; ".join(p.languages), p.lc, p.ddc,
                   sum(n for _, n in p.items) if p.items else ""]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(safe_row(row) for row in rows)
    return buffer.getvalue()


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The same CSV, streamed (title lists can be long)."""
    yield _line(header)
    for row in rows:
        yield _line(row)


def _line(row: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(safe_row(row))
    return buffer.getvalue()


def overview_csv(report: dict[str, Any]) -> str:
    """One row per member, then the matrix, then each breakdown: a tidy long table."""
    rows: list[list[Any]] = []
    for lib in report["libraries"]:
        for name in ("held", "unique", "unique_pct", "shared", "item_count", "item_titles"):
            rows.append(["member", lib["code"], lib["name"], name, "", lib[name]])
    for row in report["distribution"]:
        rows.append(["held_by", "*", "consortium", f"held_by_{row['held_by']}", "", row["titles"]])
    for row in report["matrix"]["rows"]:
        for cell in row["cells"]:
            rows.append(["overlap", row["code"], row["name"], f"with {cell['with']}", cell["pct"], cell["count"]])
    rows += _breakdown_rows("*", report["breakdowns"])
    return csv_text(("table", "library", "name", "measure", "percent", "count"), rows)


def library_csv(report: dict[str, Any]) -> str:
    rows: list[list[Any]] = [["member", report["code"], report["name"], name, "", report[name]]
                             for name in ("held", "unique", "shared", "item_count", "item_titles")]
    rows += [["held_by", report["code"], report["name"], f"held_by_{r['held_by']}", r["pct"], r["titles"]]
             for r in report["distribution"]]
    rows += [["overlap", report["code"], report["name"], f"with {o['code']}", o["pct_of_mine"], o["count"]]
             for o in report["overlap"]]
    rows += _breakdown_rows(report["code"], report["breakdowns"])
    return csv_text(("table", "library", "name", "measure", "percent", "count"), rows)


def _breakdown_rows(scope: str, breakdowns: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for dimension, table in breakdowns.items():
        for row in table["rows"]:
            rows.append([dimension, scope, row["label"], "titles", "", row["titles"]])
            rows.append([dimension, scope, row["label"], "unique", row["unique_pct"], row["unique"]])
    return rows


def retention_csv(report: dict[str, Any]) -> str:
    rows = [[r["code"], r["name"], r["titles"], r["held"]] for r in report["libraries"]]
    rows.append(["*", "consortium", report["titles"], ""])
    return csv_text(("library", "name", f"held_by_at_most_{report['at_most']}", "held"), rows)


def feeds_csv(feeds: list[dict[str, Any]]) -> str:
    rows = [[f["id"], r["id"], r["status"], r["started_at"], r["finished_at"] or "", r["read"], r["added"],
             r["updated"], r["deleted"], r["quarantined"], r["error"]] for f in feeds for r in f["runs"]]
    return csv_text(("source", "run", "status", "started_at", "finished_at", "read", "added", "updated",
                     "deleted", "quarantined", "error"), rows)
