"""What patrons and ILL staff type beyond plain words, answered alike by every backend (the contract of
`tests/indexer/test_backend_contract.py`, whose documents, backends and skip rules this file shares):
joined spellings (apostrophes, hyphens, romanization marks, vowel points), call numbers, a year among the
words, identifiers pasted with their prefixes or spaces, and initials.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from indexer.search.analysis import IDENTIFIER_BOOST, VARIANT_SCORE, title_keys
from indexer.search.backends.base import SearchBackend
from indexer.search.headings import heading_fields
from indexer.search.query import EXACT_TITLE_SCORE
from tests.indexer.test_backend_contract import BACKENDS, _drop, _make, ids, make_doc, search


def shelved(doc_id: str, title: str, call_number: str = "", **fields: object) -> dict[str, object]:
    """A contract document with the title keys and heading fields `indexer.search.documents` gives it."""
    doc = make_doc(doc_id, title, title_key=title_keys(title), **fields)
    doc.update(heading_fields([title], doc["authors"], doc["subjects"], [call_number] if call_number else []))
    return doc


DOCS = [
    shelved("c-dont", "Don't think twice", authors=["Key, Keegan-Michael"], year=2016),
    shelved("c-think", "Think again", authors=["Grant, Adam"], year=2021),
    shelved("c-utbi", "Kitāb al-yamīnī", authors=["ʻUtbī, Muḥammad ibn ʻAbd al-Jabbār"], year=1206),
    shelved("c-rossiia", "Rossi︠i︡a i Balti︠i︡a", authors=["Chubarʹi͡an, A. O."], year=2000),
    shelved("c-coop", "Agricultural co-operation in the Commonwealth", year=1970),
    shelved("c-us", "Celebrating the U.S. Constitution", year=1987),
    shelved("c-shalom", "שָׁלוֹם עֲלֵיכֶם", year=1950, language=["Hebrew"]),
    shelved("c-craft", "The craft of research", "Q180.55.M4 B66 2008", authors=["Booth, Wayne C."], year=2008,
            isbn=["9780226065663"]),
    shelved("c-craft-1995", "The craft of research", "Q180.55.M4 B66 1995", authors=["Booth, Wayne C."], year=1995),
    shelved("c-robeson", "Paul Robeson live", authors=["Booth, Alan"], year=1987),
    shelved("c-rostand", "Edmund Rostand", "PQ 2635 O8 H3 1913", year=1913),
    shelved("c-klee", "Paul Klee", oclc=["946482513"], year=2016),
    shelved("c-niva", "Novai︠a︡ niva", lccn=["sn85021929"], year=1926),
]


@pytest.fixture(scope="module", params=BACKENDS)
def typed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    instance = _make(request.param, tmp_path_factory.mktemp("typed"))
    instance.rebuild(iter(DOCS))
    yield instance
    _drop(instance)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dont think twice", "c-dont"),  # typed without the apostrophe
        ("don’t think twice", "c-dont"),  # a curly one
        ("Agricultural cooperation", "c-coop"),  # co-operation without its hyphen
        ("US constitution", "c-us"),
        ("Utbi", "c-utbi"),  # ʻUtbī: the ʻayn is a letter to the tokenizer, "ʻutbi" a word of its own
        ("ʻUtbī", "c-utbi"),  # and as catalogued it still matches
        ("Rossiia i Baltiia", "c-rossiia"),  # the ligature halves of "i͡a" split the word in three
        ("Chubarian", "c-rossiia"),  # ʹ (the soft sign) and the ligature
        ("שלום", "c-shalom"),  # Hebrew typed without vowel points
    ],
)
def test_a_joined_spelling_finds_the_catalogued_one(typed: SearchBackend, text: str, expected: str) -> None:
    results = search(typed, text)
    assert ids(results)[:1] == [expected]
    assert not results.relaxed and not results.fuzzy  # found as typed, not by a fallback


def test_the_catalogued_spelling_finds_the_joined_one_too(typed: SearchBackend) -> None:
    assert ids(search(typed, "co-operation"))[:1] == ["c-coop"]
    assert ids(search(typed, "Don't"))[:1] == ["c-dont"]


def test_a_joined_spelling_scores_the_same_constant_in_every_engine(typed: SearchBackend) -> None:
    # BM25 over a field few records have is where the engines disagree (bench/README "Search")
    assert [hit.score for hit in search(typed, "Chubarian").hits] == [VARIANT_SCORE]
    assert [hit.score for hit in search(typed, "cn:Q180.55.M4 B66 2008").hits] == [IDENTIFIER_BOOST]


def test_a_title_typed_joined_still_gets_the_exact_title_bonus(typed: SearchBackend) -> None:
    results = search(typed, "dont think twice")
    assert results.hits[0].score >= EXACT_TITLE_SCORE


def test_a_call_number_typed_alone_finds_the_item_on_that_shelf(typed: SearchBackend) -> None:
    assert ids(search(typed, "Q180.55.M4 B66 2008")) == ["c-craft"]
    assert ids(search(typed, "PQ2635.O8 H3")) == ["c-rostand"]  # held as "PQ 2635 O8 H3 1913"


def test_callnumber_field_matches_from_the_start_of_the_shelf_key(typed: SearchBackend) -> None:
    assert sorted(ids(search(typed, "callnumber:Q180.55.M4"))) == ["c-craft", "c-craft-1995"]
    assert ids(search(typed, "cn:Q180.55.M4 B66 1995")) == ["c-craft-1995"]
    assert ids(search(typed, "callnumber:Q18")) == []  # Q18 is another class than Q180
    assert ids(search(typed, "callnumber:QA76")) == []


def test_a_year_among_the_words_is_the_editions_year(typed: SearchBackend) -> None:
    results = search(typed, "craft of research 2008")
    assert ids(results) == ["c-craft"]  # that edition, not the 1995 one: found, not relaxed to OR
    assert not results.relaxed
    assert ids(search(typed, "craft of research 1995")) == ["c-craft-1995"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(OCoLC)946482513", ["c-klee"]),  # a 035 as ILL staff paste it: not a bracket
        ("(DLC)sn85021929", ["c-niva"]),
        ("978 0 226 06566 3", ["c-craft"]),  # an ISBN with spaces, as printed
    ],
)
def test_identifiers_pasted_with_prefixes_or_spaces(typed: SearchBackend, text: str, expected: list[str]) -> None:
    assert ids(search(typed, text)) == expected


def test_initials_do_not_decide_but_rank(typed: SearchBackend) -> None:
    results = search(typed, "W. C. Booth")
    assert ids(results)[0] in ("c-craft", "c-craft-1995") and "c-robeson" in ids(results)
    assert not results.relaxed
    assert ids(search(typed, "author = Booth, A.")) [:1] == ["c-robeson"]


def test_invisible_characters_pasted_inside_a_word_are_ignored(typed: SearchBackend) -> None:
    assert ids(search(typed, "Rob\u00adeson"))[:1] == ["c-robeson"]  # a soft hyphen from a PDF
    assert ids(search(typed, "Edmund\u200bRostand")) == ["c-rostand"]  # a zero-width space is a space


def test_documents_keep_their_spelling(typed: SearchBackend) -> None:
    hit = search(typed, "Utbi").hits[0]
    assert hit.doc["title"] == "Kitāb al-yamīnī" and "variants" not in {k for k, v in hit.doc.items() if v}
