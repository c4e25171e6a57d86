"""Collection analytics on the demo consortium, checked against counts made another way.

The demo (config/unioncat.toml, samples/) is harvested and indexed for real. The figures the index
run stored are then compared with:

- an independent count from ``unioncat clusters --format jsonl`` (the CLI's own listing of every
  cluster's member record ids, mapped to libraries through the config's sources): titles held, the
  held-by-k distribution, every member's held / unique / shared, and every cell of the overlap matrix;
- the search engine: every number that links to a search must be that search's total, which checks
  the breakdowns (format, decade, language, LC, Dewey) and the new ``held_by_count`` / ``held_by`` /
  ``classification`` fields at once;
- the record store: item counts from the item-level holdings of every live record;
- the CSV lists: each has as many titles as the number it stands behind.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from harvester.run import harvest_sources
from harvester.settings import Settings, load_settings
from indexer.analytics.export import TitleFilter, title_rows
from indexer.analytics.profile import is_item
from indexer.analytics.reader import load_figures
from indexer.analytics.report import Figures, library_report, overview
from indexer.analytics.store import AnalyticsStore
from indexer.catalog import Catalog
from indexer.run import update_index
from search_ui.cli import cli
from search_ui.views.search_form import SearchForm

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    text = (REPO / "config" / "unioncat.toml").read_text(encoding="utf-8")
    text = text.replace('"../samples/', f'"{REPO / "samples"}/').replace('data_dir = "../var"', 'data_dir = "var"')
    config = tmp_path_factory.mktemp("demo-analytics") / "unioncat.toml"
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config)
    catalog = Catalog.open(settings)
    results = harvest_sources(settings, catalog.store, settings.sources, workers=1, show_progress=False)
    assert all(r.status == "ok" for r in results), [r.error for r in results]
    report = update_index(settings, catalog.store, catalog.backend, show_progress=False)
    assert "analytics (full)" in report.summary()
    yield catalog
    catalog.close()


@pytest.fixture(scope="module")
def figures(demo: Catalog) -> Figures:
    found, state = load_figures(demo.store, demo.settings)
    assert found is not None and state["complete"]
    return found


def cluster_libraries(settings: Settings) -> list[set[str]]:
    """Each cluster's member libraries, from `unioncat clusters --format jsonl` and the config."""
    result = CliRunner().invoke(cli, ["--config", str(settings.config_file), "clusters", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    code_of = {source.id: source.library.code for source in settings.sources}
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert lines, "the demo has clusters"
    return [{code_of[member.partition(":")[0]] for member in line["members"]} for line in lines]


def test_overview_matches_an_independent_count_from_clusters_jsonl(demo: Catalog, figures: Figures) -> None:
    clusters = cluster_libraries(demo.settings)
    held_by = Counter(len(libs) for libs in clusters)
    report = overview(figures)
    assert report["titles"] == len(clusters) > 500
    assert {row["held_by"]: row["titles"] for row in report["distribution"]} == dict(held_by)
    assert held_by[2] > 0  # the HathiTrust sets overlap: the demo has shared titles
    for member in report["libraries"]:
        mine = [libs for libs in clusters if member["code"] in libs]
        assert member["held"] == len(mine), member["code"]
        assert member["unique"] == sum(1 for libs in mine if len(libs) == 1), member["code"]
        assert member["shared"] == member["held"] - member["unique"]
    pairs = Counter(pair for libs in clusters for pair in combinations(sorted(libs), 2))
    for row in report["matrix"]["rows"]:
        for cell in row["cells"]:
            a, b = row["code"], cell["with"]
            expected = row["held"] if a == b else pairs[tuple(sorted((a, b)))]
            assert cell["count"] == expected, (a, b)
            assert cell["pct"] == (round(100 * expected / row["held"], 1) if row["held"] else 0.0)


def test_library_pages_match_the_same_count(demo: Catalog, figures: Figures) -> None:
    clusters = cluster_libraries(demo.settings)
    for code in figures.libraries():
        report = library_report(figures, code)
        assert report is not None
        mine = [libs for libs in clusters if code in libs]
        assert {r["held_by"]: r["titles"] for r in report["distribution"]} == dict(Counter(len(x) for x in mine))
        for other in report["overlap"]:
            assert other["count"] == sum(1 for libs in mine if other["code"] in libs)
    assert library_report(figures, "no-such-library") is None


def linked_numbers(report: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """Every (number, search URL) pair a report shows."""
    for key, url_key in (("titles", "titles_url"), ("held", "url"), ("unique", "unique_url"), ("shared", "shared_url")):
        if report.get(url_key):
            yield report[key], report[url_key]
    for row in report.get("distribution", []):
        yield row["titles"], row["url"]
    for member in report.get("libraries", []):
        yield from linked_numbers(member)
    for row in report.get("matrix", {}).get("rows", []):
        yield from ((cell["count"], cell["url"]) for cell in row["cells"] if cell["url"])
    for other in report.get("overlap", []):
        if other["url"]:
            yield other["count"], other["url"]
    for table in report.get("breakdowns", {}).values():
        for row in table["rows"]:
            yield from ((row[n], row[u]) for n, u in (("titles", "url"), ("unique", "unique_url")) if row[u] and row[n])


def search_total(catalog: Catalog, url: str) -> int:
    parts = urlsplit(url)
    assert parts.path == "/search"
    params = parse_qs(parts.query)

    class Params(dict[str, list[str]]):
        def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
            return self[key][0] if key in self else default

        def getlist(self, key: str) -> list[str]:
            return list(self[key]) if key in self else []

    form = SearchForm.from_params(Params(params))
    return catalog.search(form.to_request(facets=())).total


def test_every_linked_number_is_its_search_total(demo: Catalog, figures: Figures) -> None:
    checked = 0
    reports = [overview(figures)] + [library_report(figures, c) for c in ("NcU", "HT-A", "OSUL")]
    for report in reports:
        assert report is not None
        for number, url in linked_numbers(report):
            assert search_total(demo, url) == number, url
            checked += 1
    assert checked > 200
    lc = {row["value"]: row["titles"] for row in overview(figures)["breakdowns"]["lc"]["rows"]}
    assert lc["LC P – Language and literature"] > 0 and lc[""] > 0  # 050/090 read; unclassified counted


def test_item_counts_come_from_item_level_holdings_only(demo: Catalog, figures: Figures) -> None:
    items: Counter[str] = Counter()
    for stored in demo.store.iter_records():
        if not stored.deleted:
            for holding in stored.normalized.holdings:
                if is_item(holding):
                    items[holding.library_code] += holding.copies or 1
    report = overview(figures)
    assert {m["code"]: m["item_count"] for m in report["libraries"] if m["item_count"]} == dict(items)
    assert items["NcU"] > 0  # UNC exports 999 items
    assert any(m["item_count"] == 0 for m in report["libraries"])  # the HathiTrust sets have none


def test_csv_lists_have_as_many_titles_as_their_number(demo: Catalog, figures: Figures) -> None:
    profiles = list(AnalyticsStore(demo.store).iter_profiles())
    report = overview(figures)
    for member in report["libraries"]:
        unique = TitleFilter(library=member["code"], held_by=(1,))
        assert sum(1 for _ in title_rows(profiles, unique)) == member["unique"]
    row = report["breakdowns"]["decade"]["rows"][-1]
    assert sum(1 for _ in title_rows(profiles, TitleFilter(dimension="decade", value=row["value"]))) == row["titles"]
    unknown = next(r for r in report["breakdowns"]["language"]["rows"] if r["value"] == "")
    assert unknown["url"] is None  # no search filter for "no language": the CSV list covers it
    assert sum(1 for _ in title_rows(profiles, TitleFilter(dimension="language", value=""))) == unknown["titles"]
    text = "".join(_csv(profiles))
    assert next(csv.reader(io.StringIO(text)))[0] == "cluster_id"


def _csv(profiles: list[Any]) -> Iterator[str]:
    from indexer.analytics.export import TITLE_COLUMNS, csv_lines

    return csv_lines(TITLE_COLUMNS, title_rows(profiles, TitleFilter()))
