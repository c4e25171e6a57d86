"""The analytics pages in real chromium: axe-core finds no violation at all, the charts render.

Runs on the demo catalog (`tests/browser/conftest.py`). Each page is checked with axe (every impact
level, not just serious ones), the SVG charts must have drawn boxes of real size, and with
UNIONCAT_SCREENSHOTS=/some/dir full-page screenshots are kept for a human look at the charts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PAGES = (
    ("analytics-overview", "/analytics"),
    ("analytics-library", "/analytics/library/HT-A"),
    ("analytics-retention", "/analytics/retention?at_most=2"),
    ("analytics-feeds", "/analytics/feeds"),
)


def no_violations(page: Any, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    assert not violations, f"axe on {name}:\n" + results.generate_report()


def keep_screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("UNIONCAT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
        for index, figure in enumerate(page.locator("div.figure-pair").all()[:8]):
            figure.screenshot(path=str(Path(folder) / f"{name}-figure{index + 1}.png"))


@pytest.mark.parametrize(("name", "path"), PAGES)
def test_analytics_page_is_accessible_and_draws_its_charts(page: Any, server: str, name: str, path: str) -> None:
    response = page.goto(server + path)
    assert response is not None and response.status == 200
    no_violations(page, name)
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 1
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 60 and box["height"] > 20
    assert charts.first.locator("rect").count() >= 1
    keep_screenshot(page, name)


def test_a_number_leads_to_the_search_listing_its_titles(page: Any, server: str) -> None:
    page.goto(server + "/analytics")
    link = page.locator("section[aria-labelledby=members-h] tbody tr td:nth-child(3) a").first
    unique = int(link.inner_text().replace(",", ""))
    link.click()
    page.wait_for_url("**/search?**")
    heading = page.locator("h1#results-heading").inner_text()
    assert heading.startswith(f"{unique:,} result")
    no_violations(page, "search from analytics")
