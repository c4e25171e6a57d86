"""The home and results pages: box, field selector, advanced form, facets, chips, sort, paging, notices."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from indexer.search.backends.base import MAX_PAGE
from tests.search_ui.dataset import Dataset
from tests.search_ui.html import params, texts, tree


def test_home_page_offers_a_labelled_search_box(client: TestClient) -> None:
    doc = tree(client.get("/"))
    box = doc.get_element_by_id("q")
    assert box.get("name") == "q"
    assert doc.xpath("//label[@for='q']") and doc.xpath("//label[@for='field']")
    assert [o.get("value") for o in doc.xpath("//select[@id='field']/option")] == [
        "all",
        "title",
        "author",
        "subject",
        "identifier",
        "publisher",
    ]
    assert doc.xpath("//form[@role='search' and @action='/search' and @method='get']")
    assert doc.xpath("//a[@class='skip-link' and @href='#main']") and doc.xpath("//main[@id='main']")
    assert client.get("/search").text == client.get("/").text  # nothing asked: the home page
    # 45 histories + Moby Dick + the journal + the hostile record + the whales (one after the merge)
    assert "49 items, each listed once" in doc.xpath("//p[@class='lede']")[0].text_content()


def test_results_show_title_link_authors_year_format_edition_and_libraries(
    client: TestClient, dataset: Dataset
) -> None:
    doc = tree(client.get("/search", params={"q": "moby dick"}))
    assert texts(doc, "//h1")[0].startswith("1 result for “moby dick”")
    hit = doc.xpath("//li[@class='hit']")[0]
    link = hit.xpath(".//h3/a")[0]
    assert link.get("href") == f"/record/{dataset.moby}" and link.text_content() == "Moby Dick"
    assert texts(hit, ".//p[@class='hit-authors']") == ["Melville, Herman"]
    meta = texts(hit, ".//p[@class='hit-meta']")[0]
    assert "Book" in meta and "1851" in meta and "Penguin classics ed." in meta
    held = texts(hit, ".//p[@class='held']")[0]
    assert held.startswith("Held by 3 libraries")
    assert all(name in held for name in ("North University", "South College", "East Public Library"))


def test_field_selector_searches_one_field(client: TestClient) -> None:
    everywhere = client.get("/search.json", params={"q": "history"}).json()
    assert everywhere["total"] == 45
    by_author = client.get("/search.json", params={"q": "Melville", "field": "author"}).json()
    assert by_author["query"] == "author:Melville" and by_author["total"] == 1
    by_title = client.get("/search.json", params={"q": "whales north", "field": "title"}).json()
    assert by_title["query"] == "title:(whales north)"
    assert [h["title"] for h in by_title["hits"]] == ["Whales of the north"]
    # "Melville" is an author, not a title word
    assert client.get("/search.json", params={"q": "melville", "field": "title"}).json()["total"] == 0


def test_identifier_field_accepts_any_hyphenation(client: TestClient, dataset: Dataset) -> None:
    data = client.get("/search.json", params={"q": "0-14-243724-7", "field": "identifier"}).json()
    assert data["query"] == "isbn:9780142437247"
    assert [h["id"] for h in data["hits"]] == [dataset.moby]


def test_advanced_form_combines_fields_years_and_format(client: TestClient) -> None:
    doc = tree(
        client.get(
            "/search", params={"subject": "history", "year_from": "1960", "year_to": "1969", "format": "Book"}
        )
    )
    years = [int(re.findall(r"\b(19\d\d)\b", t)[0]) for t in texts(doc, "//p[@class='hit-meta']")]
    assert years and all(1960 <= y <= 1969 for y in years)
    assert all("Book" in t for t in texts(doc, "//p[@class='hit-meta']"))
    chips = texts(doc, "//ul[@class='chips']/li/a")
    assert "Remove filter Subject: history×" in chips and "Remove filter Year: 1960–1969×" in chips
    assert "Remove filter Format: Book×" in chips
    assert doc.xpath("//details[@class='advanced' and @open]")  # the form stays open to adjust
    german = client.get("/search.json", params={"q": "history", "language": "german"}).json()
    assert german["total"] == 9 and german["filters"] == {"language": ["German"]}


def test_facets_count_every_match_and_multi_select_ors_within_a_field(client: TestClient) -> None:
    doc = tree(client.get("/search", params={"q": "history"}))
    libraries = dict(_facet(doc, "library"))
    assert libraries == {
        "North University": 12,
        "South College": 11,
        "East Public Library": 11,
        "West Institute": 11,
    }
    assert dict(_facet(doc, "format")) == {"Book": 27, "E-book": 9, "Serial": 9}
    assert dict(_facet(doc, "decade"))["1950s"] == 10
    one = client.get("/search.json", params={"q": "history", "library": "North University"}).json()
    two = client.get(
        "/search.json", params={"q": "history", "library": ["North University", "West Institute"]}
    )
    assert one["total"] == 12 and two.json()["total"] == 23
    both = client.get(
        "/search.json", params={"q": "history", "library": "North University", "format": "Book"}
    )
    assert both.json()["total"] == sum(1 for h in both.json()["hits"]) < 12


def test_chosen_facet_values_stay_listed_checked_with_other_values_to_add(client: TestClient) -> None:
    doc = tree(client.get("/search", params={"q": "history", "library": "West Institute"}))
    boxes = doc.xpath("//fieldset[@id='facet-library']//input[@type='checkbox']")
    state = {b.get("value"): b.get("checked") is not None for b in boxes}
    assert state["West Institute"] is True
    assert state["North University"] is False  # still offered: multi-select within the field
    # the facet form carries the rest of the search along, but not its own fields or the page
    hidden = doc.xpath("//form[@class='facet-form']/input[@type='hidden']")
    assert [(h.get("name"), h.get("value")) for h in hidden] == [("q", "history")]


def test_chips_remove_one_value_and_clear_all(client: TestClient) -> None:
    doc = tree(
        client.get(
            "/search",
            params={"q": "history", "library": ["North University", "West Institute"], "language": "French"},
        )
    )
    chips = {
        a.text_content().split(": ", 1)[1].rstrip("×"): a.get("href")
        for a in doc.xpath(
            "//ul[@class='chips']/li/a[contains(@class,'chip') and not(contains(@class,'clear'))]"
        )
    }
    assert params(chips["West Institute"]) == [
        ("q", "history"),
        ("library", "North University"),
        ("language", "French"),
    ]
    clear = doc.xpath("//a[contains(@class,'chip-clear')]")[0].get("href")
    assert params(clear) == [("q", "history")]
    assert client.get(chips["West Institute"]).status_code == 200


def test_sort_orders(client: TestClient) -> None:
    def years(sort: str) -> list[int]:
        hits = client.get("/search.json", params={"q": "history", "sort": sort, "per_page": 45}).json()[
            "hits"
        ]
        return [h["year"] for h in hits]

    assert years("newest") == sorted(years("newest"), reverse=True) and years("newest")[0] == 1994
    assert years("oldest") == sorted(years("oldest")) and years("oldest")[0] == 1950
    titles = [
        h["title"]
        for h in client.get("/search.json", params={"q": "history", "sort": "title"}).json()["hits"]
    ]
    assert titles == sorted(titles) and titles[0] == "A history of archipelagos"
    doc = tree(client.get("/search", params={"q": "history", "sort": "oldest"}))
    assert doc.xpath("//select[@id='sort']/option[@selected]")[0].get("value") == "oldest"
    assert client.get("/search.json", params={"q": "history", "sort": "bogus"}).json()["total"] == 45


def test_pagination_links_and_numbers(client: TestClient) -> None:
    doc = tree(client.get("/search", params={"q": "history", "page": "2"}))
    assert texts(doc, "//h2[@id='list-heading']") == ["Showing 21–40 of 45"]
    assert doc.xpath("//ol[@class='hits']")[0].get("start") == "21"
    nav = doc.xpath("//nav[@aria-label='Result pages']")[0]
    assert nav.xpath(".//a[@aria-current='page']")[0].text_content().strip() == "Page 2"
    assert params(nav.xpath(".//a[@rel='prev']")[0].get("href")) == [("q", "history")]
    assert params(nav.xpath(".//a[@rel='next']")[0].get("href")) == [("q", "history"), ("page", "3")]
    last = tree(client.get("/search", params={"q": "history", "page": "3"}))
    assert len(last.xpath("//li[@class='hit']")) == 5 and not last.xpath("//a[@rel='next']")


def test_paging_is_capped(client: TestClient) -> None:
    data = client.get("/search.json", params={"q": "history", "page": str(MAX_PAGE + 500)}).json()
    assert data["page"] == MAX_PAGE and data["max_page"] == MAX_PAGE
    doc = tree(client.get("/search", params={"q": "history", "page": "9999"}))
    notices = texts(doc, "//p[@class='notice']")
    assert len(notices) == 1 and "Go to the last page" in notices[0]  # one notice, not two contradicting
    assert doc.xpath("//a[text()='Go to the last page']")[0].get("href").endswith("page=3")
    assert client.get("/search", params={"q": "history", "page": "-4"}).status_code == 200
    assert client.get("/search", params={"q": "history", "page": "abc"}).status_code == 200


def test_zero_results_page_suggests_ways_out(client: TestClient) -> None:
    # German books at West are from 1969 and 1989: none from the 1990s
    doc = tree(
        client.get(
            "/search",
            params={
                "q": "history",
                "field": "title",
                "language": "German",
                "library": "West Institute",
                "year_from": "1990",
            },
        )
    )
    assert texts(doc, "//h1")[0].startswith("No results")
    suggestions = {a.text_content(): a.get("href") for a in doc.xpath("//div[@class='zero']//a")}
    assert params(suggestions["Remove all filters (45 results)"]) == [("q", "history"), ("field", "title")]
    assert params(suggestions["Search all fields instead"])[0] == ("q", "history")
    assert client.get(suggestions["Remove all filters (45 results)"]).text.count('class="hit"') == 20
    plain = tree(client.get("/search", params={"q": "zzzqqqxxv"}))
    assert "Check the spelling" in plain.text_content()


def test_relaxed_and_fuzzy_results_say_so(client: TestClient) -> None:
    relaxed = tree(client.get("/search", params={"q": "history zebra"}))
    assert "match some of them" in " ".join(texts(relaxed, "//p[@role='status']"))
    fuzzy = tree(client.get("/search", params={"q": "histroy rivres"}))
    assert "similar spellings" in " ".join(texts(fuzzy, "//p[@role='status']"))
    did_you_mean = fuzzy.xpath("//p[@role='status']/a")[0]
    assert did_you_mean.text_content() == "history rivers"
    respelled = client.get(did_you_mean.get("href").replace("/search", "/search.json")).json()
    assert not respelled["fuzzy"] and respelled["hits"][0]["title"] == "A history of rivers"
    exact = tree(client.get("/search", params={"q": "history rivers"}))
    assert not exact.xpath("//p[@role='status']")


def test_a_query_the_parser_rejects_gets_its_message(client: TestClient) -> None:
    response = client.get("/search", params={"q": "year:abc"})
    assert response.status_code == 400
    assert "year: expects a year" in " ".join(texts(tree(response), "//div[@role='alert']"))
    data = client.get("/search.json", params={"q": "year:abc"})
    assert data.status_code == 400 and data.json()["error"]["message"].startswith("year: expects")


def test_pages_link_their_json_twins(client: TestClient, dataset: Dataset) -> None:
    doc = tree(client.get("/search", params={"q": "moby", "library": "South College"}))
    twin = doc.xpath("//link[@rel='alternate' and @type='application/json']")[0].get("href")
    assert twin == "/search.json?q=moby&library=South+College"
    assert client.get(twin).json()["hits"][0]["id"] == dataset.moby
    record = tree(client.get(f"/record/{dataset.moby}"))
    twin = record.xpath("//link[@rel='alternate' and @type='application/json']")[0].get("href")
    assert client.get(twin).json()["id"] == dataset.moby


def test_search_json_twin(client: TestClient, dataset: Dataset) -> None:
    data = client.get("/search.json", params={"q": "moby", "library": "South College"}).json()
    assert data["total"] == 1 and data["filters"] == {"library": ["South College"]}
    hit = data["hits"][0]
    assert hit["id"] == dataset.moby and hit["year"] == 1851
    assert sorted(hit["members"]) == ["east:m3", "north:m1", "south:m2"]
    assert {"value": "South College", "count": 1} in data["facets"]["library"]
    assert client.get("/search.json", params={"q": "history", "per_page": 1000}).json()["per_page"] == 100


def _facet(doc: object, name: str) -> list[tuple[str, int]]:
    labels = doc.xpath(f"//fieldset[@id='facet-{name}']//label")  # type: ignore[attr-defined]
    found = []
    for label in labels:
        match = re.fullmatch(r"(.+) \(([\d,]+)\)", " ".join(label.text_content().split()))
        assert match, label.text_content()
        found.append((match.group(1), int(match.group(2).replace(",", ""))))
    return found
