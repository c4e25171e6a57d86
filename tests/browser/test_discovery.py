"""Discovery in real chromium on the demo catalog: the issue's three queries, autocomplete and browse with
and without JavaScript, and the record page's similar items, permalink and "back to results".

axe-core checks the pages (serious or critical violations fail, as in test_patron_flow); it runs as a
script, so only in the JavaScript contexts: the no-JS pages are the same server-rendered HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import pytest

from tests.browser.test_patron_flow import check_accessibility, result_total

pytestmark = pytest.mark.browser


@pytest.fixture
def no_js(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def search(page: Any, server: str, q: str) -> None:
    page.goto(f"{server}/search?q={quote_plus(q)}")


def hit_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("li.hit h3").all_inner_texts()]


def test_moby_dick_is_not_respelled_into_moby_rick(page: Any, server: str) -> None:
    search(page, server, "moby dick")
    text = page.locator("main").inner_text()
    assert "moby rick" not in text.lower()
    offered = page.locator("a#did-you-mean")
    if offered.count():  # any respelling offered must find items with every word
        offered.click()
        assert result_total(page) > 0
        assert "some of them" not in page.locator("main").inner_text()
    check_accessibility(page, "moby dick results")


def test_war_and_peace_does_not_match_every_record_with_and(page: Any, server: str) -> None:
    search(page, server, "and")
    with_and = result_total(page)
    search(page, server, "war and peace")
    total = result_total(page)
    assert "match some of them" in page.locator("main").inner_text()  # no record has both words
    assert 0 < total < with_and / 4, (total, with_and)
    search(page, server, "war peace")
    assert result_total(page) == total  # "and" decided nothing


def test_history_and_art_finds_the_history_of_british_art_first(page: Any, server: str) -> None:
    search(page, server, "history and art")
    assert hit_titles(page)[0] == "The history of British art"
    search(page, server, "The History of British Art")
    assert hit_titles(page)[0] == "The history of British art"
    check_accessibility(page, "history and art results")


def test_autocomplete_with_javascript(page: Any, server: str) -> None:
    page.goto(server + "/")
    box = page.get_by_label("Search for")
    assert box.get_attribute("role") == "combobox"
    box.press_sequentially("stephens", delay=40)
    option = page.get_by_role("option", name=re.compile(r"Stephens, Chris"))
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    check_accessibility(page, "home with suggestions open")
    while box.get_attribute("aria-activedescendant") != option.get_attribute("id"):
        box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(re.compile(r"author_heading=Stephens"))
    assert "The history of British art" in hit_titles(page)
    page.goto(server + "/")
    box = page.get_by_label("Search for")
    box.press_sequentially("history", delay=40)
    page.get_by_role("option").first.wait_for()  # suggestions shown, none chosen
    box.press_sequentially(" and art", delay=20)
    box.press("Enter")  # the form submits what was typed
    page.wait_for_url(re.compile(r"/search\?q=history\+and\+art"))
    assert hit_titles(page)[0] == "The history of British art"
    page.goto(server + "/autocomplete?q=stephens")  # the no-JS suggestion page (axe needs JavaScript)
    check_accessibility(page, "suggestions page")


def test_autocomplete_and_search_without_javascript(no_js: Any, server: str) -> None:
    page = no_js
    page.goto(server + "/")
    box = page.get_by_label("Search for")
    assert box.get_attribute("role") is None  # nothing enhanced: a plain search box
    box.fill("history and art")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=history"))
    assert hit_titles(page)[0] == "The history of British art"
    page.goto(server + "/autocomplete?q=stephens")
    link = page.get_by_role("link", name="Stephens, Chris")
    link.click()
    page.wait_for_url(re.compile(r"author_heading="))
    assert "The history of British art" in hit_titles(page)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_browse_lists_page_and_jump(browser: Any, server: str, js: bool) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=js)
    page = context.new_page()
    try:
        page.goto(server + "/browse/author")
        rows = page.locator("table.browse-list tbody tr")
        assert rows.count() == 25
        if js:  # axe runs as a script in the page; the no-JS page is the same HTML
            check_accessibility(page, "author browse")
        page.get_by_role("link", name=re.compile("Next")).first.click()
        page.wait_for_url(re.compile(r"/browse/author\?from="))
        page.get_by_label(re.compile("Jump to author")).fill("Stephens, Chris")
        page.get_by_role("button", name="Go").click()
        page.wait_for_url(re.compile(r"from=Stephens"))
        current = page.locator("table.browse-list tr.current")
        assert current.inner_text().startswith("Stephens, Chris")
        current.get_by_role("link").click()
        assert "The history of British art" in hit_titles(page)
        page.goto(server + "/browse/callnumber")
        assert page.locator("table.browse-list tbody tr").count() > 0
        if js:
            check_accessibility(page, "call number browse")
        page.goto(server + "/browse/subject?from=art")
        assert page.locator("table.browse-list tbody tr").first.inner_text().lower().startswith("art")
    finally:
        context.close()


def test_record_page_similar_items_permalink_and_back(page: Any, server: str) -> None:
    search(page, server, "history and art")
    page.locator("li.hit h3 a").first.click()
    page.wait_for_url(re.compile(r"/record/"))
    similar = page.locator("section#similar ul.similar li")
    assert similar.count() >= 1
    permalink = page.get_by_label(re.compile("Permalink")).input_value()
    assert permalink == page.url.split("?")[0]
    check_accessibility(page, "record with similar items")
    page.get_by_role("link", name=re.compile("Back to results")).click()
    page.wait_for_url(re.compile(r"/search\?q=history"))
    page.goto(permalink)
    page.get_by_role("link", name=re.compile(r"^Authors near")).first.click()
    page.wait_for_url(re.compile(r"/browse/author\?from="))
    assert page.locator("table.browse-list tr.current").count() == 1


def test_skip_link_reaches_the_filters(page: Any, server: str) -> None:
    search(page, server, "history")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link", has_text="Skip to filters")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "facets"
