"""CQL → our query language (search_ui.interop.cql_query), on trees from the PyPI cql-parser grammar."""

from __future__ import annotations

import pytest

from search_ui.interop.cql_query import CQLDiagnostic, translate


@pytest.mark.parametrize(
    ("cql", "text"),
    [
        ("whale", "whale"),
        ('cql.anywhere = "moby dick"', '"moby dick"'),
        ("cql.serverChoice all moby", "moby"),
        ('dc.title any "whale ahab"', "title:whale OR title:ahab"),
        ('dc.title all "whale ahab"', "title:whale AND title:ahab"),
        ('dc.title = "moby dick"', 'title:"moby dick"'),
        ("dc.creator = melville", "author:melville"),
        ("DC.Title = whal*", "title:whal*"),
        ("bath.isbn = 978-0-14-243724-7", "isbn:978-0-14-243724-7"),
        ("bath.issn = 0317-8471", "issn:0317-8471"),
        ("dc.date >= 1850", "year:>=1850"),
        ("dc.date within \"1850 1860\"", "year:1850-1860"),
        ("dc.creator = melville and dc.title = whale", "author:melville AND title:whale"),
        ("dc.creator = melville not dc.title = omoo", "author:melville AND NOT title:omoo"),
        ("a and (b or c)", "a AND (b OR c)"),
        ("a and b and c", "a AND b AND c"),
        ('dc.title any "x y" and z', "(title:x OR title:y) AND z"),
        ('dc.title = "NOT (title:x)"', 'title:"not titlex"'),
        ("cql.allRecords = 1", ""),
    ],
)
def test_translation(cql: str, text: str) -> None:
    assert translate(cql).text == text


def test_id_lookups_are_not_searches() -> None:
    assert translate('id="c0123456789abcdef"').ids == ("c0123456789abcdef",)
    assert translate("rec.id = a or rec.id = b").ids == ("a", "b")
    assert translate("rec.id any \"a b\"").ids == ("a", "b")


def test_sort_keys() -> None:
    assert translate("whale sortBy dc.date/sort.ascending").sort == "oldest"
    assert translate("whale sortBy dc.date").sort == "newest"
    assert translate("whale sortBy dc.title").sort == "title"


@pytest.mark.parametrize(
    ("cql", "number"),
    [
        ("", 7),
        ("moby dick", 10),  # two terms without a boolean: not CQL
        ("dc.title = (", 10),
        ("foo.bar = x", 16),
        ("dc.title <> x", 19),
        ("dc.title =/fuzzy x", 20),
        ('dc.title = ""', 27),
        ("dc.date = soon", 36),
        ("a prox b", 37),
        ("id = a and whale", 48),
        ("whale not cql.allRecords = 1", 48),
        (" or ".join(["a"] * 65), 48),
        ("whale sortBy dc.subject", 80),
    ],
)
def test_diagnostics(cql: str, number: int) -> None:
    with pytest.raises(CQLDiagnostic) as raised:
        translate(cql)
    assert raised.value.number == number


def test_chains_of_one_boolean_are_flat() -> None:
    assert translate("a and (b and (c and d))").text == "a AND b AND c AND d"
    assert translate("a or b or c").text == "a OR b OR c"
    assert translate("a not b not c").text == "a AND NOT b AND NOT c"
    assert translate("a not (b and c)").text == "a AND NOT (b AND c)"
    assert translate("(a or b) and c").text == "(a OR b) AND c"


def test_deep_nesting_is_refused_not_recursed() -> None:
    query = "a" + "".join(f" {'and' if i % 2 else 'or'} (b{i}" for i in range(12)) + ")" * 12
    with pytest.raises(CQLDiagnostic) as raised:
        translate(query)
    assert raised.value.number == 48


def test_the_reused_parser_recovers_after_errors() -> None:
    for bad in ("dc.title = (", "a and", '"unclosed'):
        with pytest.raises(CQLDiagnostic):
            translate(bad)
        assert translate("dc.title = whale").text == "title:whale"
