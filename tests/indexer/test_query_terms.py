"""Index terms as data (browse lists, completions, spelling) and the "similar items" query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harvester.record import Author, Holding, Record, Subject
from indexer.search.analysis import callnumber_key, split_heading, title_keys
from indexer.search.backends.embedded import EmbeddedBackend
from indexer.search.headings import heading_fields
from indexer.search.query_parser import parse_query
from indexer.search.similar import similar_query


def doc(doc_id: str, title: str, authors: list[str], subjects: list[str], calls: list[str]) -> dict[str, Any]:
    return {"id": doc_id, "title": title, "authors": authors, **heading_fields([title], authors, subjects, calls)}


def backend(tmp_path: Path) -> EmbeddedBackend:
    engine = EmbeddedBackend(tmp_path / "index")
    engine.index(
        [
            doc("a", "Moby Dick", ["Melville, Herman"], ["Whaling -- Fiction"], ["PS2384 .M6"]),
            doc("b", "Typee", ["Melville, Herman"], ["Marquesas Islands"], ["PS2384 .T8"]),
            doc("c", "Müller's garden", ["Müller, Karl"], ["Gardens"], ["SB450 .M8"]),
        ]
    )
    engine.commit()
    return engine


def test_prefix_terms_come_most_frequent_first_with_counts(tmp_path: Path) -> None:
    engine = backend(tmp_path)
    for prefix in ("m", "me", "mel", "melv"):  # a term walk (1, 4+ letters) or the prefix field (2-3)
        found = engine.terms("author_heading", prefix, 10)
        expected = [("Melville, Herman", 2)] + ([("Müller, Karl", 1)] if prefix == "m" else [])
        assert [(split_heading(t)[1], n) for t, n in found] == expected, prefix
    assert [split_heading(t)[1] for t, _ in engine.terms("author_heading", "mu", 10)] == ["Müller, Karl"]
    assert [split_heading(t)[1] for t, _ in engine.terms("title_heading", "ty", 10)] == ["Typee"]
    assert engine.terms("author_heading", "zz", 10) == []
    assert len(engine.terms("author_heading", "me", 1)) == 1


def test_whole_field_is_alphabetical_by_key(tmp_path: Path) -> None:
    engine = backend(tmp_path)
    calls = [split_heading(t)[1] for t, _ in engine.terms("callnumber_heading")]
    assert calls == ["PS2384 .M6", "PS2384 .T8", "SB450 .M8"]
    subjects = [split_heading(t)[1] for t, _ in engine.terms("subject_heading")]
    assert subjects == ["Gardens", "Marquesas Islands", "Whaling -- Fiction"]


def test_call_numbers_sort_on_the_shelf_not_as_text() -> None:
    shelf = ["QA9", "QA76.75", "QA76.9 .D25", "QA76.9 .D3 2001", "QA100"]
    assert sorted(reversed(shelf), key=callnumber_key) == shelf


def test_title_keys_fold_and_drop_a_leading_article() -> None:
    assert title_keys("The History of British Art.") == ["the history of british art", "history of british art"]
    assert title_keys("War & Peace") == ["war and peace"]


def test_similar_query_ors_subjects_authors_and_title_words() -> None:
    record = Record(
        id="x:1",
        source_id="x",
        local_id="1",
        title="The history of British art",
        authors=(Author("Stephens, Chris"),),
        subjects=(Subject(("Art, British", "History")), Subject(('Painting "modern"',))),
        holdings=(Holding(library_code="X", library_name="X"),),
    )
    text = similar_query(record)
    assert text == ('subject:"Art, British" OR subject:"Painting modern" OR author:"Stephens, Chris" '
                    "OR title:history OR title:british")
    assert not parse_query(text).root.must  # every clause optional: any shared subject or author counts


def test_short_and_long_prefixes_agree_across_segments(tmp_path: Path) -> None:
    engine = EmbeddedBackend(tmp_path / "index")
    for batch in range(3):  # three commits: three segments, each with a few Melvilles
        engine.index([doc(f"{batch}-{i}", f"Book {batch} {i}", ["Melville, Herman", f"Other{i}, A"], [], [])
                      for i in range(batch + 1)])
        engine.commit()
    short = dict(engine.terms("author_heading", "me", 5))
    walked = dict(engine.terms("author_heading", "melv", 5))
    assert short == walked and list(walked.values()) == [6]
