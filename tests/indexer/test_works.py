"""Work keys: versions of one work share a key; editions, reprints and part numbers do not change it."""

from __future__ import annotations

from harvester.record import Author, Record
from indexer.dedup.works import work_key

MELVILLE = (Author("Melville, Herman, 1819-1891", primary=True),)


def book(title: str, authors: tuple[Author, ...] = MELVILLE, **fields: object) -> Record:
    return Record(id="a:1", source_id="a", local_id="1", title=title, authors=authors, **fields)  # type: ignore[arg-type]


def test_editions_and_subtitles_share_the_work_key() -> None:
    key = work_key(book("Moby Dick", subtitle="or, The whale", edition="2nd ed.", year=1851))
    assert key == "melville|moby dick"
    assert work_key(book("Moby-Dick : or, The whale", year=1930)) == key
    assert work_key(book("Moby Dick, 2nd edition", edition="2nd ed.")) == key
    assert work_key(book("Moby Dick. Revised edition")) == key


def test_another_author_or_title_is_another_work() -> None:
    assert work_key(book("Moby Dick", authors=(Author("Smith, John", primary=True),))) != work_key(book("Moby Dick"))
    assert work_key(book("Typee")) != work_key(book("Moby Dick"))


def test_short_titles_without_an_author_relate_nothing() -> None:
    assert work_key(book("Proceedings", authors=())) == ""
    assert work_key(book("Annual report", authors=())) == ""
    assert work_key(book("A history of the county of Middlesex", authors=())) == ""
    long_title = book("A topographical history of the county of Middlesex", authors=())
    assert work_key(long_title) == "|topographical history county middlesex"
