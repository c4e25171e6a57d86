"""URL parameters ⇄ `SearchForm` ⇄ query text: the state every link on the results page carries."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from indexer.search.backends.base import MAX_PAGE
from search_ui.views.search_form import SearchForm, fielded


def form(query: str) -> SearchForm:
    return SearchForm.from_params(QueryParams(query))


def test_box_field_and_advanced_fields_become_one_query() -> None:
    f = form("q=moby+dick&field=title&author=melville&subject=whaling+fiction&identifier=0-14-243724-7")
    assert f.query_text() == "title:(moby dick) author:melville subject:(whaling fiction) isbn:9780142437247"


def test_fielded_keeps_phrases_and_drops_stray_brackets() -> None:
    assert fielded("title", '"moby dick"') == 'title:"moby dick"'
    assert fielded("title", "moby (dick") == "title:(moby dick)"
    assert fielded("author", "()") == ""
    assert fielded("all", "moby dick") == "moby dick"
    assert fielded("identifier", "0317-8471, 0-14-243724-7") == "issn:0317-8471 OR isbn:9780142437247"


def test_params_round_trip_and_defaults_are_left_out() -> None:
    query = "q=history&library=North+University&library=West+Institute&decade=1950s&sort=oldest&page=2"
    f = form(query)
    assert form(f.url().split("?", 1)[1]) == f
    assert form("q=x&sort=relevance&page=1&field=all").url() == "/search?q=x"


def test_bad_values_fall_back_to_defaults() -> None:
    f = form("q=x&field=nope&sort=random&page=zero&year_from=abc&year_to=99999&per_page=5000")
    assert (f.field, f.sort, f.page, f.year_from, f.year_to, f.per_page) == (
        "all",
        "relevance",
        1,
        None,
        None,
        20,
    )
    assert form(f"q=x&page={MAX_PAGE + 1}").page == MAX_PAGE
    assert form(f"q=x&page={MAX_PAGE + 1}").asked_page == MAX_PAGE + 1


def test_toggling_a_facet_value_adds_or_removes_it_and_resets_the_page() -> None:
    f = form("q=x&library=A&page=3")
    assert f.toggled("library", "B").filters == {"library": ("A", "B")}
    assert f.toggled("library", "A").filters == {}
    assert f.toggled("library", "B").page == 1


def test_empty_values_and_repeats_are_ignored() -> None:
    f = form("q=+&library=&library=A&library=A&format=")
    assert f.filters == {"library": ("A",)} and f.q == ""
    assert form("").is_empty and not form("library=A").is_empty


def test_a_typed_language_becomes_the_facet_value() -> None:
    assert form("language=english").filters == {"language": ("English",)}
    assert form("language=fre").filters == {"language": ("French",)}
    assert form("language=French%2C+Old").filters == {"language": ("French, Old",)}
