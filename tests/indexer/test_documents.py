"""Index documents: exactly the shape of CONTRACTS.md, facet values as display strings."""

from __future__ import annotations

from harvester.record import AltScript, Author, Holding, Link, Subject
from harvester.text import title_sort_key
from indexer.labels import format_label, language_name
from indexer.merge import merge_records
from indexer.search.analysis import DERIVED_FIELDS
from indexer.search.documents import build_document
from indexer.search.schema import FIELDS_BY_NAME
from tests.indexer.conftest import make_record

DISPLAY_KEYS = {"title", "authors", "year", "format", "edition", "publisher", "place", "extent", "summary",
                "libraries", "library_count", "member_count", "isbn", "links", "availability"}


def sample_doc() -> dict[str, object]:
    a = make_record(
        "lib-a:1", title="Éloge de la fuite", subtitle="essai", year=1976, format="book",
        authors=(Author("Laborit, Henri", primary=True),), languages=("fre", "eng", "xxq"),
        subjects=(Subject(("Philosophy", "History")), Subject(("Philosophy.",)), Subject(("Ethics",))),
        isbns=("9782070323173",), oclc_numbers=("4321",), edition="Nouv. éd.", place="Paris",
        links=tuple(Link(f"https://example.org/{n}", f"link {n}") for n in range(5)),
        series=("Folio essais",), notes=("Bibliography: p. 201.",), summary="x" * 1000,
    )
    b = make_record("lib-b:1", title="Eloge de la fuite", isbns=("9782070323173",), issns=(),
                    holdings=(Holding("LB", "Library B"), Holding("LB", "Library B", location="Annex")))
    return build_document(merge_records("c0123456789abcdef", [a, b]))


def test_document_keys_are_schema_fields_with_the_contract_types() -> None:
    doc = sample_doc()
    assert set(doc) <= set(FIELDS_BY_NAME)
    # every field present, so both backends see a full document; the CJK bigrams are derived by the backends
    assert set(doc) == set(FIELDS_BY_NAME) - set(DERIVED_FIELDS)
    assert doc["id"] == "c0123456789abcdef"
    assert doc["title"] == "Éloge de la fuite" and doc["subtitle"] == "essai"
    assert doc["authors"] == ["Laborit, Henri"]
    assert doc["isbn"] == ["9782070323173"] and doc["oclc"] == ["4321"] and doc["issn"] == []
    assert doc["year"] == 1976 and doc["decade"] == "1970s"
    assert doc["title_sort"] == "eloge de la fuite"
    assert doc["members"] == ["lib-a:1", "lib-b:1"]
    assert doc["library"] == ["Library A", "Library B"] and doc["library_count"] == 2
    assert doc["format"] == ["Book"]
    assert doc["language"] == ["French", "English", "xxq"]
    assert doc["subjects"] == ["Philosophy -- History", "Philosophy.", "Ethics"]
    assert doc["subject_facet"] == ["Philosophy", "Ethics"]
    assert doc["publisher"] == ["A publisher"] and doc["series"] == ["Folio essais"]


def test_display_carries_what_a_result_list_shows() -> None:
    display = sample_doc()["display"]
    assert isinstance(display, dict) and set(display) == DISPLAY_KEYS
    assert display["title"] == "Éloge de la fuite : essai"
    assert display["format"] == "Book" and display["isbn"] == "9782070323173"
    assert display["libraries"] == ["Library A", "Library B"] and display["member_count"] == 2
    assert len(display["links"]) == 3
    assert display["links"][0] == {"url": "https://example.org/0", "label": "link 0"}
    assert len(display["summary"]) <= 600


def test_a_record_without_year_or_language_still_builds() -> None:
    doc = build_document(merge_records("c1", [make_record("lib-c:9", title="", format="music-recording")]))
    assert doc["year"] is None and doc["decade"] == "" and doc["language"] == []
    assert doc["format"] == ["Music recording"] and doc["display"]["isbn"] == ""


def test_labels() -> None:
    assert format_label("e-book") == "E-book" and format_label("weird-thing") == "Weird thing"
    assert language_name("ger") == "German" and language_name("DEU") == "German"
    assert title_sort_key("  Łódź  Straße ") == "łodz strasse"


def test_alternate_scripts_of_every_member_are_searchable_without_changing_the_display() -> None:
    a = make_record("lib-a:1", title="Sefer ha-Zohar",
                    alternate_scripts=(AltScript("245", "ספר הזהר"), AltScript("100", "שמעון בר יוחאי")))
    b = make_record("lib-b:1", title="Sefer ha-Zohar", alternate_scripts=(AltScript("245", "Сефер Зоар"),))
    doc = build_document(merge_records("c1", [a, b]))
    assert doc["subtitle"] == "ספר הזהר Сефер Зоар"
    assert doc["notes"] == ["שמעון בר יוחאי"]
    assert doc["display"]["title"] == "Sefer ha-Zohar" and doc["title"] == "Sefer ha-Zohar"
