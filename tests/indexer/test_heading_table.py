"""Heading tables (autocomplete and browse at catalog scale): same answers as a term walk, exact live
counts, one table per commit, and a stale or damaged file never used."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.search.analysis import split_heading
from indexer.search.backends.base import SearchRequest
from indexer.search.backends.embedded import EmbeddedBackend, heading_table
from indexer.search.headings import heading_fields


def walk(pairs: list[tuple[str, int]], prefix: str, limit: int) -> list[tuple[str, int]]:
    """What a term-dictionary walk answers: matching terms, count descending, then term order."""
    return sorted((p for p in pairs if p[0].startswith(prefix)), key=lambda p: (-p[1], p[0]))[:limit]


terms_st = st.dictionaries(st.text("abé\x1fz", min_size=1, max_size=6), st.integers(1, 5), max_size=60)


@settings(max_examples=150, deadline=None)
@given(terms_st, st.integers(1, 12), st.integers(1, 4))
def test_completions_equal_a_term_walk_heavy_or_light(table: dict[str, int], limit: int, light: int) -> None:
    pairs = sorted(table.items())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(heading_table, "LIGHT", light)  # small: most prefixes are "heavy" (precomputed)
        patch.setattr(heading_table, "MAX_DEPTH", 3)  # deeper heavy prefixes are ranked at query time
        built = heading_table.build(pairs, opstamp=1)
    prefixes = {t[:n] for t in table for n in range(1, len(t) + 1)} | {"b", "zz", "a\x1f"}
    for prefix in prefixes:
        assert built.complete(prefix, limit) == walk(pairs, prefix, limit), prefix
    assert built.alphabetical() == pairs


def test_saved_table_reads_back_the_same_and_only_for_its_commit(tmp_path: Path) -> None:
    rng = random.Random(3)
    pairs = sorted({f"{rng.choice('abc')}{rng.randint(0, 999)}\x1fÄ {i}": rng.randint(1, 9)
                    for i in range(2000)}.items())
    built = heading_table.build(pairs, opstamp=7)
    assert built._heavy  # 2000 terms over three letters: the one-letter prefixes are precomputed
    path = tmp_path / "headings-x"
    built.save(path)
    loaded = heading_table.load(path, 7)
    assert loaded is not None and loaded.alphabetical() == pairs
    for prefix in ("a", "b1", "c99", "a5", "d"):
        assert loaded.complete(prefix, 10) == walk(pairs, prefix, 10) == built.complete(prefix, 10)
    assert heading_table.load(path, 8) is None  # another commit's table is never used
    path.write_bytes(path.read_bytes()[:-100])  # cut short: refused, not half read
    assert heading_table.load(path, 7) is None
    path.write_bytes(b"\x00garbage")
    assert heading_table.load(path, 7) is None
    assert heading_table.load(tmp_path / "missing", 7) is None


def doc(doc_id: str, title: str, authors: list[str], subjects: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"id": doc_id, "title": title, "authors": authors,
            **heading_fields([title], authors, subjects, [f"PS{doc_id}"])}


def displays(found: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(split_heading(term)[1], count) for term, count in found]


def test_counts_are_live_documents_after_deletions(tmp_path: Path) -> None:
    engine = EmbeddedBackend(tmp_path / "index")
    engine.rebuild([doc(str(i), f"Book {i}", ["Melville, Herman"] + (["Hawthorne, N"] if i < 2 else []))
                    for i in range(6)])
    assert displays(engine.terms("author_heading", "me", 4)) == [("Melville, Herman", 6)]
    engine.delete(["0", "1", "2"])
    engine.commit()  # tantivy's doc_freq still says 6 (and 2 for Hawthorne) until a merge
    assert displays(engine.terms("author_heading", "me", 4)) == [("Melville, Herman", 3)]
    assert engine.terms("author_heading", "ha", 4) == []  # no live document: not suggested
    assert "Hawthorne, N" not in [split_heading(t)[1] for t, _ in engine.terms("author_heading")]
    hits = engine.search(SearchRequest(text='author:"Melville, Herman"', facets=()))
    assert hits.total == 3  # the count a suggestion shows is what its link finds


def test_each_commit_writes_its_tables_and_readers_follow(tmp_path: Path) -> None:
    writer = EmbeddedBackend(tmp_path / "index")
    writer.rebuild([doc("1", "Moby Dick", ["Melville, Herman"], ("Whales",))])
    version = tmp_path / "index" / writer.info()["version"]
    assert {p.name for p in version.glob("headings-*")} == {
        "headings-title_heading", "headings-author_heading", "headings-subject_heading",
        "headings-callnumber_heading"}
    reader = EmbeddedBackend(tmp_path / "index")  # another process: the web server
    assert displays(reader.terms("title_heading", "mo", 4)) == [("Moby Dick", 1)]
    writer.index([doc("2", "Moby Dick", ["Melville, Herman"]), doc("3", "Mobile homes", ["Smith, A"])])
    writer.commit()
    assert displays(reader.terms("title_heading", "mo", 4)) == [("Moby Dick", 2), ("Mobile homes", 1)]
    assert displays(reader.terms("subject_heading", "wh", 4)) == [("Whales", 1)]


def test_a_missing_or_damaged_table_is_rebuilt_from_the_index(tmp_path: Path) -> None:
    engine = EmbeddedBackend(tmp_path / "index")
    engine.rebuild([doc("1", "Moby Dick", ["Melville, Herman"]), doc("2", "Typee", ["Melville, Herman"])])
    version = tmp_path / "index" / engine.info()["version"]
    (version / "headings-author_heading").unlink()
    (version / "headings-title_heading").write_bytes(b"not a table")
    fresh = EmbeddedBackend(tmp_path / "index")
    assert displays(fresh.terms("author_heading", "melville", 4)) == [("Melville, Herman", 2)]
    assert displays(fresh.terms("title_heading", "ty", 4)) == [("Typee", 1)]
    assert heading_table.load(version / "headings-title_heading", fresh_opstamp(version)) is not None


def fresh_opstamp(version: Path) -> int:
    commit = heading_table.read_commit(version)
    assert commit is not None
    return commit[0]
