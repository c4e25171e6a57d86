"""Match keys: folding, title/author keys, identifier and composite keys, edition and volume numbers."""

from __future__ import annotations

from dataclasses import replace

from harvester.record import Author, Record
from indexer.dedup.keys import (
    blocking_keys,
    composite_keys,
    edition_number,
    fold,
    identifier_keys,
    name_surname,
    numbers_in,
    title_proper,
    volume_numbers,
    words,
)
from indexer.dedup.profiles import profile


def rec(record_id: str = "a:1", **fields: object) -> Record:
    source, _, local = record_id.partition(":")
    return Record(id=record_id, source_id=source, local_id=local, **fields)  # type: ignore[arg-type]


def test_fold_strips_diacritics_punctuation_and_special_letters() -> None:
    assert fold("Études sur l'œuvre de Łódź — Straße!") == "etudes sur loeuvre de lodz strasse"
    assert fold("Hélène Joséphine") == fold("Helene Josephine")
    assert fold("Writing & illuminating") == "writing and illuminating"


def test_words_drop_articles_and_stopwords_in_several_languages() -> None:
    assert words("The History of the Decline") == ["history", "decline"]
    assert words("Les misérables") == ["miserables"]
    assert words("Die Räuber") == ["rauber"]
    assert words("The") == ["the"]  # a title made only of stopwords keeps them


def test_title_proper_cuts_a_subtitle_carried_in_245a() -> None:
    assert title_proper("Highways: acquiring land for federal-aid projects") == "Highways"
    assert title_proper("Italy; handbook for travellers") == "Italy"
    assert title_proper("Moby Dick") == "Moby Dick"


def test_surnames_from_inverted_and_direct_forms() -> None:
    assert name_surname("Melville, Herman, 1819-1891.") == "melville"
    assert name_surname("Herman Melville") == "melville"
    assert name_surname("Marsé, Juan") == "marse"
    assert name_surname("Boston Public Library", "corporate") == "boston"


def test_edition_numbers_in_words_and_digits_first_edition_counts_as_none() -> None:
    assert edition_number("2nd ed.") == "2"
    assert edition_number("Second edition") == "2"
    assert edition_number("[2d ed.]") == "2"
    assert edition_number("3. Aufl.") == "3"
    assert edition_number("1st ed.") == ""
    assert edition_number("Rev. ed.") == ""
    assert edition_number("5th impression") == ""  # an impression is not an edition


def test_volume_numbers_read_roman_numerals_but_not_the_abbreviation_v() -> None:
    assert volume_numbers(rec(volumes=("v. 7",))) == volume_numbers(rec(volumes=("vol. VII",)))
    assert volume_numbers(rec(part="Part II")) == frozenset({"2"})
    assert numbers_in("v. 5") == ["5"]


def test_identifier_and_composite_keys() -> None:
    record = rec(
        isbns=("9780306406157",),
        issns=("0317-8471",),
        oclc_numbers=("12345",),
        lccns=("n78890351",),
        other_ids=("ISMN:979-0-2600-0043-8",),
        year=1990,
        format="book",
        volumes=("v. 2",),
    )
    assert identifier_keys(record) == [
        "isbn:9780306406157",
        "issn:0317-8471",
        "oclc:12345",
        "lccn:n78890351",
        "ismn:979-0-2600-0043-8",
    ]
    assert composite_keys(record) == ["isbnyf:9780306406157|1990|book|2"]
    other_volume = rec(isbns=("9780306406157",), year=1990, format="book", volumes=("v. 3",))
    assert composite_keys(other_volume) != composite_keys(record)


def test_fuzzy_keys_meet_despite_cataloging_differences() -> None:
    a = rec("a:1", title="The Hobbit", authors=(Author("Tolkien, J. R. R.", primary=True),), year=1937)
    b = rec(
        "b:1",
        title="Hobbit :",
        subtitle="or, There and back again",
        authors=(Author("J.R.R. Tolkien", primary=True),),
        year=1938,
    )
    assert set(blocking_keys(a)) & set(blocking_keys(b))
    typo_a = rec("a:2", title="Hydraulic characteristics near streamside structures", year=1995)
    typo_b = rec("b:2", title="Hydraulic charactertistics near streamside structures", year=1995)
    assert set(blocking_keys(typo_a)) & set(blocking_keys(typo_b))  # the initials key


def test_blocked_identifiers_are_never_keys() -> None:
    record = rec(title="Anything at all", isbns=("9780306406157",))
    assert "isbn:9780306406157" in blocking_keys(record)
    assert "isbn:9780306406157" not in blocking_keys(record, frozenset({"isbn:9780306406157"}))


def test_unrelated_records_share_no_key() -> None:
    a = rec("a:1", title="Moby Dick", authors=(Author("Melville, Herman", primary=True),), year=1851)
    b = rec("b:1", title="Walden", authors=(Author("Thoreau, Henry David", primary=True),), year=1854)
    assert not set(blocking_keys(a)) & set(blocking_keys(b))


def test_profile_folds_everything_once() -> None:
    p = profile(
        rec(
            title="Les Misérables",
            subtitle="roman",
            edition="2e éd.",
            publisher="Hachette et Cie",
            languages=("fre",),
            page_count=300,
        )
    )
    assert p.title == "miserables" and p.full_title == "miserables roman"
    assert p.edition == "2" and p.language == "fre" and p.pages == 300


def test_a_typo_in_the_first_word_or_a_one_word_title_still_meets_by_pages_and_year() -> None:
    """Goldfinch patterns: the same 1897 printing catalogued once with a typo in its first word and
    another first author, and a report whose title proper is just "Report" in one record."""
    a = rec("a:1", title="The pecorone of ser Giovanni", authors=(Author("Giovanni, fiorentino", primary=True),),
            year=1897, page_count=312)  # fmt: skip
    b = rec("b:1", title="The pecrone of ser Giovanni", authors=(Author("Fiorentino, Giovanni", primary=True),),
            year=1897, page_count=312)  # fmt: skip
    assert set(blocking_keys(a)) & set(blocking_keys(b)) == {"tp:312|1897|p"}
    full = rec("a:2", title="Report of the Ontario Commission on Dehorning Cattle", year=1892, page_count=126)
    brief = rec("b:2", title="Report", year=1892, page_count=126)
    assert set(blocking_keys(full)) & set(blocking_keys(brief)) == {"tp:126|1892|r"}
    pamphlet = rec("b:3", title="Report", year=1892, page_count=8)  # too alike to block on pages
    assert not any(k.startswith("tp:") for k in blocking_keys(pamphlet))


def test_a_citation_style_part_meets_its_clean_record_by_two_words_and_the_year_in_its_title() -> None:
    """DBLP-ACM "dirty" pattern: authors, venue and year pasted into the title, no year of its own."""
    dblp = rec("a:1", title="spatial operators eliseo clementini , paolino di felice sigmod record",
               format="article", year=2000)  # fmt: skip
    acm = rec("b:1", title="spatial operators acm sigmod record 2000", format="article",
              authors=(Author("Eliseo Clementini"), Author("Paolino Di Felice")))  # fmt: skip
    assert set(blocking_keys(dblp)) & set(blocking_keys(acm)) == {"t2:spatialoperators|2000"}
    book = rec("b:2", title="Spatial operators 2000", format="book")  # a book's title is not a citation
    assert not any(k.startswith("t2:") for k in blocking_keys(book))


def test_publisher_word_is_the_first_telling_word_of_the_publisher() -> None:
    from indexer.dedup.keys import publisher_word

    assert publisher_word(rec(publisher="Macmillan and co.")) == "macmillan"
    assert publisher_word(rec(publisher="Macmillan")) == "macmillan"
    assert publisher_word(rec(publisher="D.C. Heath")) == "heath"  # initials say nothing
    assert publisher_word(rec(publisher="The Society")) == "society"
    assert publisher_word(rec(publisher="Printed for W. Miller and J. Carpenter")) == "miller"
    assert publisher_word(rec(publisher="[s.n.]")) == publisher_word(rec(publisher="")) == ""
    keyed = rec(title="Hermann und Dorothea", authors=(Author("Goethe", primary=True),), year=1917,
                publisher="Oxford University Press")
    assert "ap:goethe|1917|oxford" in blocking_keys(keyed)
    assert not any(k.startswith("ap:") for k in blocking_keys(replace(keyed, publisher="s.n.")))
