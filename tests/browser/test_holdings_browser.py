"""Holdings and lenders in real chromium, axe-core on every page with ZERO violations of any impact.

The record page at 1280 px and at 390 px (a phone: the key holdings columns must be on screen without
sideways scrolling), results with their availability line and the Availability facet, and the ILL
holdings check with a pasted list, a requesting library and the batch (one row per request) table.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_patron_flow import screenshot

pytestmark = pytest.mark.browser

UNC_ISBN = "9780984711611"  # samples/unc: "El cantar de la memoria", one lendable UNC item on the shelf
KEY_COLUMNS = ("Library", "Copies", "Status", "Lending")


def no_violations(page: Any, name: str) -> None:
    """axe-core finds nothing at all (not only nothing serious)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["violations"] == [], f"axe on the {name}:\n" + results.generate_report()


def open_record(page: Any, server: str, isbn: str, requester: str = "") -> None:
    page.goto(server + f"/holdings?ids={isbn}")
    page.locator("section.answer .item a").first.click()
    page.wait_for_selector("#holdings-heading")
    if requester:
        page.get_by_label("Requesting library").select_option(requester)
        page.get_by_role("button", name="Rank lenders").click()
        page.wait_for_url(re.compile(r"requester=" + requester))


def test_record_page_holdings_and_lenders_at_1280(page: Any, server: str) -> None:
    open_record(page, server, UNC_ISBN, requester="NcD")
    summary = page.locator("li.lib-summary").all_inner_texts()
    assert any(s.startswith("UNC Chapel Hill: ") and "in item records" in s for s in summary), summary
    lenders = page.locator("ol.lender-list li").all_inner_texts()
    assert lenders and lenders[0].startswith("UNC Chapel Hill NOC: available now, 14 km"), lenders
    string = page.locator("input.lending-string-value").input_value()
    assert string.split(",")[0] == "NOC" and len(string.split(",")) <= 5
    assert "Duke University" not in " ".join(lenders)  # the requester is never a lender
    no_violations(page, "record page at 1280 px")
    screenshot(page, "record-holdings-1280")


def test_record_page_holdings_at_390_keep_the_key_columns_on_screen(page: Any, server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_record(page, server, UNC_ISBN)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    row = page.locator("table.holdings tbody tr").first
    for label in KEY_COLUMNS:
        cell = row.locator(f"[data-label='{label}']")
        box = cell.bounding_box()
        assert box is not None and box["width"] > 0, label
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
        assert cell.is_visible()
    assert "Lending:" in row.locator("[data-label='Lending']").inner_text().replace("\n", " ") or \
        row.locator("[data-label='Lending']").evaluate("el => getComputedStyle(el, '::before').content") != "none"
    no_violations(page, "record page at 390 px")
    screenshot(page, "record-holdings-390")


def test_results_show_availability_and_the_online_access_facet(page: Any, server: str) -> None:
    page.goto(server + "/search?q=history")
    lines = page.locator("li.hit p.availability").all_inner_texts()
    assert lines and all(re.match(r"^(Available to borrow at \d+ librar(y|ies)( / online)?|Online access)$", t)
                         for t in lines), lines
    facet = page.locator("fieldset#facet-access")
    assert facet.locator("legend").inner_text() == "Availability"
    facet.get_by_label(re.compile(r"^Online access \(\d+\)$")).check()
    facet.get_by_role("button").first.click()
    page.wait_for_url(re.compile(r"access=Online"))
    online = page.locator("li.hit p.availability").all_inner_texts()
    assert online and all("nline" in t for t in online), online
    no_violations(page, "results with availability")
    screenshot(page, "results-availability")


def test_holdings_check_with_a_pasted_list_and_a_requester(page: Any, server: str) -> None:
    page.goto(server + "/holdings")
    page.get_by_label("Identifiers").fill(f"{UNC_ISBN}\n0-226-06565-X\n(OCoLC) 1\nnot-a-number")
    page.get_by_label("Requesting library").select_option("NcD")
    page.get_by_role("button", name="Check holdings").click()
    page.wait_for_selector("#answers-heading")
    rows = page.locator("table.requests tbody tr")
    assert rows.count() == 4  # one row per pasted line
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first[0].startswith("ISBN 9780984711611: held by 1 library, 1 can lend") and first[1] == "NOC"
    assert "ISBN with a bad check digit (did you mean 0-226-06565-0?)" in rows.nth(1).inner_text()
    assert "not an ISBN, ISSN, OCLC number or LCCN" in rows.nth(3).inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Requests with lending strings (CSV)").click()
    assert download.value.suggested_filename == "ill-requests.csv"
    no_violations(page, "holdings check")
    screenshot(page, "holdings-check")
