"""A patron and an ILL librarian in real chromium, with axe-core checking each page they see.

Flow: home → search → tick a library facet → remove its chip → next page → open a record → holdings
check. axe-core (through axe-playwright-python) runs on the home/search page, the results, a record and
the holdings check; any serious or critical violation fails the test with axe's own report.
Set UNIONCAT_SCREENSHOTS=/some/dir to keep full-page screenshots of the results and record pages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
DUKE_ISBN = "978-3-290-17212-1"  # samples/duke: "Wo rührt das hin?"
UNC_ISBN = "9783791355436"  # samples/unc: "Paul Klee"


def check_accessibility(page: Any, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"axe on the {name} page:\n" + results.generate_report()


def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("UNIONCAT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def result_total(page: Any) -> int:
    heading = page.locator("h1#results-heading").inner_text()
    match = re.match(r"([\d,]+) results?", heading)
    assert match, heading
    return int(match.group(1).replace(",", ""))


def test_search_facet_chip_paging_and_record(page: Any, server: str) -> None:
    page.goto(server + "/")
    check_accessibility(page, "home")
    page.get_by_label("Search for").fill("history")
    page.get_by_label("Search for").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=history"))
    total = result_total(page)
    assert total > 20
    check_accessibility(page, "results")
    screenshot(page, "results")

    # apply a facet: tick Duke University, submit that facet's fieldset
    facet = page.locator("fieldset#facet-library")
    duke = facet.get_by_label(re.compile(r"^Duke University \(\d+\)$"))
    expected = int(
        re.findall(r"\((\d+)\)", facet.locator("label", has_text="Duke University").inner_text())[0]
    )
    duke.check()
    facet.get_by_role("button", name=re.compile("Apply")).click()
    page.wait_for_url(re.compile(r"library=Duke\+University"))
    assert result_total(page) == expected  # the facet count is the number of matching items
    chip = page.get_by_role("link", name=re.compile(r"Remove filter Library: Duke University"))
    assert chip.is_visible()
    assert page.locator("fieldset#facet-library").get_by_label(re.compile("^Duke University")).is_checked()

    # remove it again through its chip
    chip.click()
    page.wait_for_url(lambda url: "library=" not in url)
    assert result_total(page) == total

    # next page
    page.get_by_role("navigation", name="Result pages").get_by_role("link", name=re.compile("Next")).click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("#list-heading").inner_text().startswith("Showing 21–40 of")
    assert page.locator("ol.hits").get_attribute("start") == "21"

    # open a record held by several libraries: its page lists the holdings of each of them
    shared = page.locator("li.hit").filter(has_text=re.compile(r"Held by [2-4] libraries")).first
    held = shared.locator("p.held").inner_text()
    named = set(held.split(": ", 1)[1].split(", "))
    title = shared.locator("h3 a").inner_text()
    shared.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/record/c[0-9a-f]+$"))
    assert page.locator("h1").inner_text() == title
    assert set(page.locator("table.holdings tbody th").all_inner_texts()) == named
    assert page.locator("ul.members details").count() == 0  # raw MARC is for staff (test_staff_browser.py)
    check_accessibility(page, "record")
    screenshot(page, "record")


def test_holdings_check(page: Any, server: str) -> None:
    page.goto(server + "/holdings")
    page.get_by_label("Identifiers").fill(f"{DUKE_ISBN}\n{UNC_ISBN}\nnot-a-number")
    page.get_by_role("button", name="Check holdings").click()
    page.wait_for_selector("#answers-heading")
    assert page.locator("#answers-heading").inner_text() == "2 of 3 identifiers found"
    answers = page.locator("section.answer")
    assert answers.nth(0).locator("tbody th").all_inner_texts() == ["Duke University"]
    assert answers.nth(1).locator("tbody th").all_inner_texts() == ["UNC Chapel Hill"]
    assert "not an ISBN" in answers.nth(2).inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Every holding (CSV)").click()
    assert download.value.suggested_filename == "holdings.csv"
    check_accessibility(page, "holdings check")
    screenshot(page, "holdings")


def test_skip_link_and_keyboard_focus_are_visible(page: Any, server: str) -> None:
    page.goto(server + "/search?q=war")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link").first  # then "Skip to filters" on results pages
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.evaluate("el => el.getBoundingClientRect().top >= 0")  # moved on screen when focused
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_narrow_screen_has_no_horizontal_scroll(page: Any, server: str) -> None:
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(server + "/search?q=history")
    record = page.locator("li.hit h3 a").first.get_attribute("href")
    for path in ("/", "/search?q=history", record + "?explain=1", "/holdings?ids=9783290172121", "/partners"):
        page.goto(server + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)


def test_everything_works_without_javascript(browser: Any, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server + "/")
        page.get_by_label("Search for").fill("war")
        page.get_by_role("button", name="Search", exact=True).first.click()
        page.wait_for_url(re.compile(r"q=war"))
        page.locator("fieldset#facet-format").get_by_label(re.compile(r"^Book \(")).check()
        page.locator("fieldset#facet-format").get_by_role("button").click()
        page.wait_for_url(re.compile(r"format=Book"))
        page.get_by_label("Sort by").select_option("oldest")
        page.get_by_role("button", name="Sort").click()
        page.wait_for_url(re.compile(r"sort=oldest"))
        years = [
            int(y)
            for y in re.findall(
                r"\b(1\d{3}|20\d\d)\b", " ".join(page.locator("p.hit-meta").all_inner_texts())
            )
        ]
        assert years == sorted(years)
        page.locator("details.advanced summary").click()
        page.get_by_label("Year from").fill("1900")
        page.get_by_label("Year to").fill("1950")
        page.locator("form.advanced-form").get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r"year_from=1900"))
        assert page.get_by_role("link", name=re.compile("Remove filter Year: 1900–1950")).is_visible()
    finally:
        context.close()
