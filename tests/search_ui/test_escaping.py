"""Record text is data, never markup: a hostile record renders escaped on every page and in every twin.

The West record's title is ``<script>alert(1)</script>``, its subtitle an ``<img onerror>``, its author,
publisher, subject, note, edition, location and call number carry tags, and its 856 is ``javascript:``.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.search_ui.dataset import XSS, Dataset
from tests.search_ui.html import tree

INJECTED = ("<script", "<img", "<b>", "<i>", "<svg", "<iframe", "<u>", "<marquee", "<em>")


OWN_SCRIPT = '<script src="/static/autocomplete.js" defer></script>'  # the site's one script, from base.html


def _assert_inert(html: str) -> None:
    assert html.count(OWN_SCRIPT) <= 1
    html = html.replace(OWN_SCRIPT, "")
    for needle in INJECTED:
        assert needle not in html, needle
    doc = tree_of(html)
    assert not doc.xpath("//script | //img | //svg | //iframe | //marquee | //em | //u | //b | //i")
    assert not doc.xpath("//*[@onerror or @onload]")
    assert not doc.xpath("//*[starts-with(normalize-space(@href), 'javascript:')]")  # text is fine, links not


def tree_of(html: str):  # type: ignore[no-untyped-def]
    import lxml.html

    return lxml.html.fromstring(html)


def test_hostile_record_is_escaped_in_results(client: TestClient, dataset: Dataset) -> None:
    response = client.get("/search", params={"q": "alert"})
    assert f"/record/{dataset.xss}" in response.text
    _assert_inert(response.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    title = tree(response).xpath(f"//a[@href='/record/{dataset.xss}']")[0].text_content()
    assert title.startswith(XSS)  # shown to the patron as the literal text it is


def test_hostile_record_is_escaped_on_its_record_and_raw_pages(client: TestClient, dataset: Dataset) -> None:
    page = client.get(f"/record/{dataset.xss}")
    _assert_inert(page.text)
    assert tree(page).xpath("//h1")[0].text_content().startswith(XSS)
    assert (
        "&lt;marquee&gt;loc&lt;/marquee&gt;" in page.text and "&lt;iframe src=//evil.example&gt;" in page.text
    )
    assert not tree(page).xpath("//section[@aria-labelledby='links-heading']")  # javascript: link dropped
    _assert_inert(client.get(f"/record/{dataset.xss}?explain=1").text)
    _assert_inert(client.get(f"/record/{dataset.xss}/raw/west:x1").text)


def test_hostile_record_is_escaped_in_holdings_check_and_facets(client: TestClient) -> None:
    _assert_inert(client.get("/holdings", params={"ids": "9780306406157"}).text)
    _assert_inert(client.get("/search", params={"q": "alert", "subject_facet": "<svg onload=alert(1)>"}).text)
    _assert_inert(
        client.get("/search", params={"q": "<script>alert(1)</script>", "title": "<img src=x>"}).text
    )
    _assert_inert(client.get("/holdings", params={"ids": "<script>alert(1)</script>"}).text)
    _assert_inert(client.get("/partners").text)  # the quarantine reason has "<bad>"


def test_json_twins_carry_the_text_verbatim_as_json(client: TestClient, dataset: Dataset) -> None:
    response = client.get("/search.json", params={"q": "alert"})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["hits"][0]["title"].startswith(XSS)
    assert client.get(f"/record/{dataset.xss}.json").json()["record"]["title"] == XSS


def test_pages_forbid_inline_script_and_sniffing(client: TestClient, dataset: Dataset) -> None:
    headers = client.get(f"/record/{dataset.xss}").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
