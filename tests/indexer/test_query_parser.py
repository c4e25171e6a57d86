"""The query language → the backend-neutral tree (`indexer.search.query`); odd input degrades, never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import QueryError
from indexer.search.query import Bool, ExactTitle, IdentifierMatch, Phrase, Prefix, Term, YearRange
from indexer.search.query_parser import MAX_CLAUSES, parse_query

TITLE = ("title", "subtitle")


def test_words_are_required_by_default() -> None:
    parsed = parse_query("moby dick")
    assert parsed.root == Bool(must=(Term("moby"), Term("dick")), should=(ExactTitle("moby dick"),))
    assert parsed.words == ("moby", "dick")


def test_the_query_tree_does_not_know_the_parser() -> None:
    # The tree is the engine-neutral model both backends read; the parser builds it, never the reverse.
    import indexer.search.query as tree

    assert not hasattr(tree, "parse_query")
    assert "query_parser" not in Path(tree.__file__).read_text(encoding="utf-8")


def test_relaxed_turns_must_into_should() -> None:
    relaxed = parse_query("moby dick -whale").relaxed()
    either = Bool(should=(Term("moby"), Term("dick")))
    assert relaxed.root == Bool(must=(either,), should=(ExactTitle("moby dick"),), must_not=(Term("whale"),))


def test_phrase_and_fielded_phrase() -> None:
    assert parse_query('"moby dick"').root.must == (Phrase("moby dick"),)
    assert parse_query('title:"moby dick"').root.must == (Phrase("moby dick", TITLE),)


def test_single_quoted_word_is_a_term() -> None:
    assert parse_query('"whale"').root.must == (Term("whale"),)


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("title:whale", TITLE),
        ("ti:whale", TITLE),
        ("author:melville", ("authors",)),
        ("AU:melville", ("authors",)),
        ("subject:whaling", ("subjects",)),
        ("publisher:harper", ("publisher",)),
        ("series:penguin", ("series",)),
        ("library:duke", ("library",)),
    ],
)
def test_field_aliases_resolve_through_the_schema(text: str, fields: tuple[str, ...]) -> None:
    (node,) = parse_query(text).root.must
    assert isinstance(node, Term) and node.fields == fields


def test_field_group_applies_to_every_word() -> None:
    assert parse_query("title:(moby dick) melville").root.must == (
        Term("moby", TITLE),
        Term("dick", TITLE),
        Term("melville"),
    )


def test_unknown_field_is_read_as_words() -> None:
    assert parse_query("foo:bar").root.must == (Term("foo:bar"),)
    assert parse_query("http://example.org").root.must == (Term("http://example.org"),)


def test_prefix() -> None:
    assert parse_query("whal*").root.must == (Prefix("whal"),)
    assert parse_query("author:melv*").root.must == (Prefix("melv", ("authors",)),)
    assert parse_query("w*").root.must == (Term("w"),)  # too short to expand
    assert parse_query("*").root.empty


def test_not_minus_and_plus() -> None:
    moby = Bool(must=(Term("moby"),), should=(ExactTitle("moby"),), must_not=(Term("whale"),))
    assert parse_query("moby -whale").root == moby
    assert parse_query("moby NOT whale").root == moby
    assert parse_query("+moby").root.must == (Term("moby"),)
    assert parse_query("-whale").root == Bool(must_not=(Term("whale"),))
    assert parse_query("moby -whale").words == ("moby",)


def test_or_binds_tighter_than_implicit_and() -> None:
    assert parse_query("whale moby OR ahab").root.must == (Term("whale"), Bool(should=(Term("moby"), Term("ahab"))))
    assert parse_query("moby OR ahab").root == Bool(should=(Term("moby"), Term("ahab")))
    assert parse_query("a || b").root == Bool(should=(Term("a"), Term("b")))


def test_lowercase_operators_are_words() -> None:
    parsed = parse_query("war or peace")
    assert parsed.root.must == (Term("war"), Term("peace")) and Term("or") in parsed.root.should


def test_stopwords_are_optional_but_still_score() -> None:
    parsed = parse_query("war and peace")
    assert parsed.root.must == (Term("war"), Term("peace"))
    assert parsed.root.should == (Term("and"), ExactTitle("war and peace"))
    assert parsed.words == ("war", "and", "peace")
    fielded = parse_query("title:(history of art)").root
    assert fielded.must == (Term("history", TITLE), Term("art", TITLE))
    assert Term("of", TITLE) in fielded.should


def test_stopwords_kept_in_phrases_when_insisted_and_when_alone() -> None:
    assert parse_query('"war and peace"').root.must == (Phrase("war and peace"),)
    assert parse_query("+the history").root.must == (Term("the"), Term("history"))
    assert parse_query('"the" history').root.must == (Term("the"), Term("history"))
    assert parse_query("to be or not to be").root.must == (Term("not"),)
    assert parse_query("the of").root.must == (Term("the"), Term("of"))  # nothing else: all required


def test_relaxing_keeps_stopwords_optional() -> None:
    relaxed = parse_query("war and peace").relaxed().root
    assert relaxed.must == (Bool(should=(Term("war"), Term("peace"))),)
    assert Term("and") in relaxed.should


def test_ampersand_is_and() -> None:
    assert parse_query("war & peace").root == parse_query("war and peace").root
    assert parse_query('"war & peace"').root.must == (Phrase("war and peace"),)


def test_exact_title_key_is_folded() -> None:
    assert ExactTitle("the history of british art") in parse_query("The History of British Art.").root.should
    assert ExactTitle("moby dick") in parse_query("Moby-Dick").root.should
    assert not any(isinstance(c, ExactTitle) for c in parse_query("moby OR dick").root.should)
    assert parse_query("-whale").root.should == ()


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("year:1990", 1990, 1990),
        ("year:1990-2000", 1990, 2000),
        ("year:2000-1990", 1990, 2000),
        ("year:[1990 TO 2000]", 1990, 2000),
        ("year:[1990 TO *]", 1990, None),
        ("year:>1990", 1991, None),
        ("year:>=1990", 1990, None),
        ("year:<2000", None, 1999),
        ("year:<=2000", None, 2000),
        ("year:1990-", 1990, None),
        ("date:1851", 1851, 1851),
    ],
)
def test_year_ranges(text: str, low: int | None, high: int | None) -> None:
    assert parse_query(text).root.must == (YearRange(low, high),)


@pytest.mark.parametrize("text", ["year:abc", "year:[1990 TO x]", "year:19900", "year:[1990]"])
def test_invalid_year_raises_a_safe_query_error(text: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(text)
    assert "year" in str(info.value) and "<" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("isbn:0-306-40615-2", "isbn", "9780306406157"),
        ("isbn:978-0-306-40615-7", "isbn", "9780306406157"),
        ('isbn:"0 306 40615 2"', "isbn", "9780306406157"),
        ("issn:03178471", "issn", "0317-8471"),
        ("oclc:(OCoLC)ocm00012345", "oclc", "12345"),
        ("lccn:n78-890351", "lccn", "n78890351"),
    ],
)
def test_fielded_identifiers_are_normalized(text: str, field: str, value: str) -> None:
    assert parse_query(text).root.must == (IdentifierMatch(field, (value,)),)


def test_invalid_fielded_isbn_falls_back_to_the_cleaned_text() -> None:
    assert parse_query("isbn:123-45").root.must == (IdentifierMatch("isbn", ("12345",)),)


def test_bare_isbn_and_issn_are_recognised_but_still_words() -> None:
    assert parse_query("0-306-40615-2").root == Bool(
        should=(IdentifierMatch("isbn", ("9780306406157",)), Term("0-306-40615-2"))
    )
    (node,) = parse_query("0317-8471 journal").root.must[:1]
    assert node == Bool(should=(IdentifierMatch("issn", ("0317-8471",)), Term("0317-8471")))


def test_bare_number_alone_may_be_an_oclc_number_or_a_title_word() -> None:
    assert parse_query("1984").root == Bool(should=(IdentifierMatch("oclc", ("1984",)), Term("1984")))
    # among words: a word, or the year of the edition ("craft of research 2008")
    assert parse_query("1984 orwell").root.must == (Bool(should=(Term("1984"), YearRange(1984, 1984))), Term("orwell"))


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced phrase',
        "((moby dick",
        "moby dick))",
        ")(",
        "title:",
        "AND OR NOT",
        "a OR",
        "OR a",
        "NOT",
        '"',
        "-",
        "+",
        "&&",
        "title:(",
        "year:[1990 TO 2000",
        "\x00moby\x07",
        "😀 whale",
        "a:b:c",
        "((((((((x",
    ],
)
def test_odd_input_degrades_gracefully(text: str) -> None:
    parsed = parse_query(text)
    assert isinstance(parsed.root, Bool)


def test_unbalanced_quote_runs_to_the_end() -> None:
    assert parse_query('"moby dick').root.must == (Phrase("moby dick"),)
    assert parse_query('title:"moby').root.must == (Term("moby", TITLE),)


def test_unbalanced_brackets_close_at_the_end() -> None:
    assert parse_query("(moby dick").root.must == (Term("moby"), Term("dick"))
    assert parse_query("moby) dick").root.must == (Term("moby"), Term("dick"))


def test_empty_and_punctuation_only_queries_match_everything() -> None:
    for text in ("", "   ", "!!!", "- + ?"):
        assert parse_query(text).root.empty


def test_very_long_input_is_bounded() -> None:
    parsed = parse_query(" ".join(f"w{i}" for i in range(1000)))
    assert len(parsed.root.must) == MAX_CLAUSES


def test_excluded_group_words_are_not_query_words() -> None:
    assert parse_query("moby -(whale ahab)").words == ("moby",)


def test_identifier_label_before_a_number_is_a_field() -> None:
    assert parse_query("ISBN 0-306-40615-2").root.must == (IdentifierMatch("isbn", ("9780306406157",)),)
    assert parse_query("oclc 12345 moby").root.must == (IdentifierMatch("oclc", ("12345",)), Term("moby"))
    assert parse_query("isbn history").root.must == (Term("isbn"), Term("history"))  # no number: plain words


def test_deep_nesting_is_bounded() -> None:
    parsed = parse_query("(" * 900 + "moby")
    assert parsed.words == ("moby",)
