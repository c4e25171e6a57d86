""""Did you mean" from index terms, checked before it is offered; and the small notices of the results page."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.search_ui.html import params, texts, tree


def suggestion(client: TestClient, q: str) -> str | None:
    links = tree(client.get("/search", params={"q": q})).xpath("//a[@id='did-you-mean']")
    return links[0].text_content() if links else None


def test_strong_matches_get_no_suggestion(client: TestClient) -> None:
    assert suggestion(client, "moby dick") is None
    assert suggestion(client, "history") is None


def test_typos_are_respelled_from_index_terms_and_the_respelling_is_checked(client: TestClient) -> None:
    assert suggestion(client, "mobby dikc") == "moby dick"
    doc = tree(client.get("/search", params={"q": "Mobby dikc"}))
    link = doc.xpath("//a[@id='did-you-mean']")[0]
    assert link.text_content() == "Moby dick"  # typed capitals kept
    respelled = client.get(link.get("href").replace("/search", "/search.json")).json()
    assert respelled["total"] >= 1 and not respelled["fuzzy"] and not respelled["relaxed"]
    assert "(1 result)" in " ".join(texts(doc, "//p[contains(@class, 'did-you-mean')]"))


def test_phrases_and_fields_are_respelled_in_place(client: TestClient) -> None:
    assert suggestion(client, '"mobby dick"') == '"moby dick"'
    assert suggestion(client, "title:mobby") == "title:moby"


def test_a_respelling_that_finds_nothing_exactly_is_not_offered(client: TestClient) -> None:
    # "mobby" alone would become "moby", but "moby zebra" matches nothing with every word
    assert suggestion(client, "mobby zebra") is None
    assert suggestion(client, "zzzqqqxxv") is None


def test_impossible_year_range_says_why_and_offers_the_swap(client: TestClient) -> None:
    response = client.get("/search", params={"q": "history", "year_from": "2020", "year_to": "1990"})
    assert response.status_code == 400
    doc = tree(response)
    alert = " ".join(texts(doc, "//div[@id='form-problem']"))
    assert "2020–1990 ends before it starts" in alert
    fix = doc.xpath("//div[@id='form-problem']//a")[0].get("href")
    assert ("year_from", "1990") in params(fix) and ("year_to", "2020") in params(fix)
    data = client.get("/search.json", params={"q": "history", "year_from": "2020", "year_to": "1990"})
    assert data.status_code == 400 and "ends before it starts" in data.json()["error"]["message"]


def test_unreadable_year_is_reported_not_ignored(client: TestClient) -> None:
    response = client.get("/search", params={"q": "history", "year_from": "abc"})
    assert response.status_code == 400
    assert "“abc” is not a year" in " ".join(texts(tree(response), "//div[@id='form-problem']"))


def test_an_empty_submitted_form_says_so(client: TestClient) -> None:
    doc = tree(client.get("/search", params={"q": "", "field": "all"}))
    assert "Your search was empty" in " ".join(texts(doc, "//p[@id='empty-form']"))
    assert not tree(client.get("/")).xpath("//p[@id='empty-form']")


def test_results_page_has_a_skip_link_to_the_filters(client: TestClient) -> None:
    doc = tree(client.get("/search", params={"q": "history"}))
    skip = doc.xpath("//a[@class='skip-link' and @href='#facets']")
    assert skip and doc.xpath("//aside[@id='facets']")
