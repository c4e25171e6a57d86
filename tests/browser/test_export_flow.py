"""Exports and citations in real chromium: tick records, export them, cite one; axe on every new part.

The result-list export is a plain GET form (checkboxes tied to it with ``form="export-form"``), so it
is driven with JavaScript off; the downloads are read back with rispy and bibtexparser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
import rispy

from tests.browser.test_patron_flow import check_accessibility, screenshot

pytestmark = pytest.mark.browser


def downloaded(download: Any) -> str:
    return Path(download.path()).read_text(encoding="utf-8")


def test_export_selected_and_all_on_the_page_without_javascript(browser: Any, server: str) -> None:
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(server + "/search?q=history")
        boxes = page.locator("ol.hits input[type=checkbox][form=export-form]")
        assert boxes.count() == 20
        chosen = [boxes.nth(i).get_attribute("value") for i in (0, 2)]
        boxes.nth(0).check()
        boxes.nth(2).check()
        page.get_by_label("Export as").select_option("ris")
        with page.expect_download() as download:
            page.get_by_role("button", name="Export selected").click()
        assert [entry["id"] for entry in rispy.loads(downloaded(download.value))] == chosen
        page.get_by_label("Export as").select_option("bibtex")
        with page.expect_download() as download:
            page.get_by_role("button", name="Export all on this page").click()
        library = bibtexparser.parse_string(downloaded(download.value))
        assert len(library.entries) == 20 and not library.failed_blocks
    finally:
        context.close()


def test_results_with_export_form_are_accessible(page: Any, server: str) -> None:
    page.goto(server + "/search?q=history")
    page.locator("ol.hits input[type=checkbox]").first.check()
    check_accessibility(page, "results with export form")


def test_cite_a_record_in_another_style(page: Any, server: str) -> None:
    page.goto(server + "/search?q=history")
    page.locator("li.hit h3 a").first.click()
    page.wait_for_url(re.compile(r"/record/c[0-9a-f]+$"))
    cite = page.locator("section#cite")
    assert cite.locator("figcaption").inner_text() == "APA (7th edition)"
    cite.get_by_label("Citation style").select_option("modern-language-association")
    cite.get_by_role("button", name="Show citation").click()
    page.wait_for_url(re.compile(r"style=modern-language-association"))
    assert page.locator("section#cite figcaption").inner_text() == "MLA (9th edition)"
    assert page.locator("section#cite .citation-text").inner_text().strip()
    check_accessibility(page, "record with citation")
    screenshot(page, "record-cite")


def test_api_page_is_accessible_and_its_examples_answer(page: Any, server: str) -> None:
    page.goto(server + "/api")
    assert page.locator("h1").inner_text().endswith("API")
    check_accessibility(page, "API documentation")
    example = page.locator("#op-search a").first.get_attribute("href")
    response = page.request.get(server + example)
    assert response.status == 200 and response.json()["total"] > 0
