"""The shared search-behaviour contract: every backend must give these answers over the same documents.

Runs against the embedded tantivy backend always, and against OpenSearch when
``UNIONCAT_OPENSEARCH_URL`` names a cluster (`make opensearch-start` runs a real node locally).
Otherwise that parameter is reported as SKIPPED, never silently passed; `.ci/run` makes a skip a
failure. The documents are plain dicts in the index-document shape of
`indexer.search.documents`, so the suite tests the engines, not the pipeline that feeds them.

Multi-select facets: counts for a facet field that is itself filtered are computed without that
field's own filter (so a patron can add a second library); every other facet counts all matches.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.errors import QueryError
from indexer.search.analysis import analyze_folded, split_heading
from indexer.search.backends.base import MAX_PAGE, SearchBackend, SearchRequest, SearchResults, TermLister
from indexer.search.headings import heading_fields
from search_ui.views.autocomplete import suggestions
from search_ui.views.browse import browse_page
from tests.indexer.opensearch_live import require_opensearch

DUKE, NCSU, LUL, UMICH = (
    "Duke University",
    "NC State University",
    "Laurentian University",
    "University of Michigan",
)


def make_doc(doc_id: str, title: str, **fields: Any) -> dict[str, Any]:
    """An index document with every field present, as `indexer.search.documents` builds them."""
    year = fields.get("year")
    doc: dict[str, Any] = {
        "id": doc_id,
        "title": title,
        "subtitle": "",
        "authors": [],
        "subjects": [],
        "publisher": [],
        "series": [],
        "notes": [],
        "isbn": [],
        "issn": [],
        "oclc": [],
        "lccn": [],
        "other_ids": [],
        "year": year,
        "title_sort": title.lower(),
        "library": [DUKE],
        "format": ["Book"],
        "language": ["English"],
        "decade": f"{year // 10 * 10}s" if year else "",
        "subject_facet": [],
        "members": [f"duke:{doc_id}"],
    }
    doc.update(fields)
    doc["library_count"] = len(doc["library"])
    doc["display"] = {"title": title, "authors": doc["authors"], "year": year, "format": doc["format"][0]}
    return doc


DOCS = [
    make_doc(
        "c-moby",
        "Moby Dick",
        subtitle="or, The whale",
        authors=["Melville, Herman"],
        subjects=["Whaling -- Fiction", "Sea stories"],
        subject_facet=["Whaling", "Sea stories"],
        publisher=["Harper & Brothers"],
        isbn=["9780306406157"],
        year=1851,
        library=[DUKE, NCSU],
        members=["duke:1", "ncsu:7"],
        title_sort="moby dick",
    ),
    make_doc(
        "c-ahab",
        "Ahab's wife",
        subtitle="or, The star-gazer",
        authors=["Naslund, Sena Jeter"],
        subjects=["Whaling -- Fiction"],
        subject_facet=["Whaling"],
        notes=["A novel inspired by Moby Dick and its captain."],
        year=1999,
        library=[NCSU],
    ),
    make_doc(
        "c-history",
        "A history of the American whale fishery",
        authors=["Starbuck, Alexander"],
        subjects=["Whaling -- History"],
        subject_facet=["Whaling"],
        year=1878,
        library=[LUL],
        language=["English"],
    ),
    make_doc(
        "c-muller",
        "Die Wale der Nordsee",
        authors=["Müller, Jürgen"],
        subjects=["Whales -- North Sea"],
        subject_facet=["Whales"],
        year=1990,
        language=["German"],
    ),
    make_doc(
        "c-lodz",
        "Łódź: portrait of a city",
        authors=["Kowalski, Jan"],
        subjects=["Cities and towns -- Poland"],
        subject_facet=["Cities and towns"],
        year=2005,
        library=[UMICH],
        format=["E-book"],
    ),
    make_doc(
        "c-journal",
        "Journal of cetacean research",
        issn=["0317-8471"],
        format=["Serial"],
        year=1975,
        library=[DUKE, UMICH],
        subject_facet=["Whales"],
        subjects=["Whales -- Periodicals"],
    ),
    make_doc(
        "c-glass",
        "The sea of glass",
        authors=["Ferrer, Ana"],
        oclc=["12345"],
        lccn=["n78890351"],
        year=2010,
        library=[LUL, UMICH],
        language=["French"],
    ),
    make_doc(
        "c-running",
        "Running with whales",
        authors=["Smith, Anna"],
        year=2015,
        format=["Music recording"],
        library=[NCSU],
    ),
    make_doc("c-noyear", "Zoological notebook", authors=["Anonymous"], year=None, library=[LUL]),
    make_doc(
        "c-photo",
        "Photography in the nineteenth century",
        subjects=["Photography -- History"],
        subject_facet=["Photography"],
        publisher=["Aperture"],
        year=1960,
        library=[LUL],
        language=["French"],
    ),
]
FILLERS = [
    make_doc(
        f"c-fill{n:02d}",
        f"Atlas of ferns volume {n}",
        subjects=["Ferns -- Atlases"],
        subject_facet=["Ferns"],
        year=1900 + n,
        library=[DUKE] if n % 2 else [DUKE, NCSU],
    )
    for n in range(1, 26)
]
ALL_DOCS = DOCS + FILLERS


def _embedded(tmp: Path) -> SearchBackend:
    from indexer.search.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(tmp / "index")


def _opensearch() -> SearchBackend:
    url = require_opensearch("UNIONCAT_OPENSEARCH_URL", "the OpenSearch half of the contract")
    from harvester.settings import SearchSettings
    from indexer.search.backends.opensearch.backend import OpenSearchBackend

    settings = SearchSettings(backend="opensearch", url=url, index_prefix=f"unioncat-test-{uuid.uuid4().hex[:8]}")
    return OpenSearchBackend(settings)


BACKENDS = [pytest.param("embedded"), pytest.param("opensearch", marks=pytest.mark.opensearch)]


def _make(kind: str, tmp: Path) -> SearchBackend:
    return _embedded(tmp) if kind == "embedded" else _opensearch()


def _drop(backend: SearchBackend) -> None:
    """OpenSearch test indices are removed; the embedded one lives in a pytest temp folder."""
    drop = getattr(backend, "drop_index", None)
    if backend.name != "embedded" and callable(drop):
        drop()
    backend.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    """One backend holding ALL_DOCS, shared by the read-only tests of this module."""
    instance = _make(request.param, tmp_path_factory.mktemp("contract"))
    instance.rebuild(iter(ALL_DOCS))
    yield instance
    _drop(instance)


def _holding(request: pytest.FixtureRequest, tmp_path: Path, docs: list[dict[str, Any]]) -> Iterator[SearchBackend]:
    """A backend of its own (the fixture's parameter) rebuilt from `docs`, dropped afterwards."""
    instance = _make(request.param, tmp_path)
    instance.rebuild(iter(docs))
    yield instance
    _drop(instance)


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    """A backend of its own, for tests that change the index."""
    yield from _holding(request, tmp_path, DOCS)


def search(backend: SearchBackend, text: str = "", **kwargs: Any) -> SearchResults:
    return backend.search(SearchRequest(text=text, **kwargs))


def ids(results: SearchResults) -> list[str]:
    return [hit.id for hit in results.hits]


def facet(results: SearchResults, name: str) -> dict[str, int]:
    return {f.value: f.count for f in results.facets[name]}


# ------------------------------------------------------------------ relevance


def test_words_are_anded_and_title_outranks_notes(backend: SearchBackend) -> None:
    results = search(backend, "moby dick")
    assert ids(results)[:2] == [
        "c-moby",
        "c-ahab",
    ]  # title match first, the novel whose notes mention it next
    assert results.total == 2
    assert not results.relaxed and not results.fuzzy


def test_author_outranks_subject_and_notes(backend: SearchBackend) -> None:
    results = search(backend, "whale")
    assert {"c-moby", "c-history", "c-running", "c-muller", "c-journal"} <= set(ids(results))
    assert ids(results).index("c-running") < ids(results).index("c-journal")  # title beats subject


def test_phrase_needs_adjacent_words(backend: SearchBackend) -> None:
    assert ids(search(backend, '"moby dick"'))[0] == "c-moby"
    assert search(backend, '"dick moby"').total == 0


def test_fielded_title_author_subject_publisher(backend: SearchBackend) -> None:
    assert set(ids(search(backend, "title:whales"))) == {"c-running", "c-history", "c-moby"}  # stemmed
    assert ids(search(backend, "title:herman")) == []
    assert ids(search(backend, "author:melville")) == ["c-moby"]
    assert set(ids(search(backend, "subject:photography"))) == {"c-photo"}
    assert ids(search(backend, "publisher:aperture")) == ["c-photo"]
    assert ids(search(backend, "title:(moby dick)")) == ["c-moby"]
    assert "c-ahab" not in ids(search(backend, 'title:"moby dick"'))


def test_exclusion_and_or(backend: SearchBackend) -> None:
    assert "c-ahab" not in ids(search(backend, "moby -wife"))
    assert "c-moby" in ids(search(backend, "moby -wife"))
    assert set(ids(search(backend, "ahab OR photography"))) == {"c-ahab", "c-photo"}
    assert set(ids(search(backend, "moby NOT wife"))) == {"c-moby"}


def test_prefix_matches_unstemmed_words(backend: SearchBackend) -> None:
    assert "c-running" in ids(search(backend, "runn*"))
    assert ids(search(backend, "melvi*")) == ["c-moby"]
    assert set(ids(search(backend, "photograph*"))) == {"c-photo"}


def test_and_falls_back_to_or(backend: SearchBackend) -> None:
    results = search(backend, "moby xylophone")
    assert results.relaxed
    assert "c-moby" in ids(results)


def test_typo_tolerance(backend: SearchBackend) -> None:
    results = search(backend, "melvile")
    assert results.fuzzy
    assert ids(results) == ["c-moby"]
    assert "c-photo" in ids(search(backend, "photografy"))


def test_typo_in_one_of_two_words_still_finds_the_item(backend: SearchBackend) -> None:
    results = search(backend, "moby dikc")
    assert ids(results)[0] == "c-moby"


def test_diacritics_fold_both_ways(backend: SearchBackend) -> None:
    assert ids(search(backend, "Muller")) == ["c-muller"]
    assert ids(search(backend, "müller")) == ["c-muller"]
    assert ids(search(backend, "Lodz")) == ["c-lodz"]
    assert ids(search(backend, "łódź")) == ["c-lodz"]
    assert ids(search(backend, "JURGEN")) == ["c-muller"]


def test_english_stemming(backend: SearchBackend) -> None:
    assert "c-running" in ids(search(backend, "run"))
    assert "c-photo" in ids(search(backend, "photographies"))
    assert "c-history" in ids(search(backend, "whaling"))  # "whaling" and "whale" share a stem


def test_nothing_found_is_empty_not_an_error(backend: SearchBackend) -> None:
    results = search(backend, "qqqqzzzzxxxx")
    assert results.total == 0 and results.hits == []
    assert all(values == [] for values in results.facets.values())


def test_odd_input_never_fails(backend: SearchBackend) -> None:
    for text in [
        '"unbalanced',
        "((moby",
        "moby)",
        "title:",
        "AND OR NOT",
        "*",
        "-",
        "+++",
        "foo:bar",
        "&&",
        "?",
    ]:
        search(backend, text)  # must not raise
    assert "c-moby" in ids(search(backend, '"moby dick'))


def test_invalid_year_is_a_query_error(backend: SearchBackend) -> None:
    with pytest.raises(QueryError, match="year"):
        search(backend, "year:abc")


# ------------------------------------------------------------------ identifiers


@pytest.mark.parametrize(
    "text",
    [
        "isbn:0-306-40615-2",
        "isbn:0306406152",
        "isbn:978-0-306-40615-7",
        "9780306406157",
        "0-306-40615-2",
        "ISBN 0306406152",
    ],
)
def test_isbn_in_any_hyphenation_and_isbn10_finds_isbn13(backend: SearchBackend, text: str) -> None:
    results = search(backend, text)
    assert ids(results) == ["c-moby"]
    assert not results.relaxed and not results.fuzzy


def test_issn_oclc_lccn(backend: SearchBackend) -> None:
    assert ids(search(backend, "issn:03178471")) == ["c-journal"]
    assert ids(search(backend, "0317-8471")) == ["c-journal"]
    assert ids(search(backend, "oclc:(OCoLC)ocm00012345")) == ["c-glass"]
    assert ids(search(backend, "ocm00012345")) == ["c-glass"]
    assert ids(search(backend, 'lccn:"n 78-890351"')) == ["c-glass"]
    assert ids(search(backend, "lccn:n78-890351")) == ["c-glass"]


# ------------------------------------------------------------------ years


def test_year_ranges(backend: SearchBackend) -> None:
    assert ids(search(backend, "year:1851")) == ["c-moby"]
    assert set(ids(search(backend, "whale year:1800-1900"))) == {"c-moby", "c-history"}
    assert set(ids(search(backend, "whale year:[1800 TO 1900]"))) == {"c-moby", "c-history"}
    assert set(ids(search(backend, "whale year:>1990"))) == {"c-running", "c-ahab"}
    assert set(ids(search(backend, "whale year:>1999"))) == {"c-running"}
    assert set(ids(search(backend, "fiction", year_from=1900))) == {"c-ahab"}
    assert set(ids(search(backend, "whale", year_from=1850, year_to=1880))) == {"c-moby", "c-history"}


# ------------------------------------------------------------------ facets and filters


def test_facets_count_all_matches_not_just_the_page(backend: SearchBackend) -> None:
    results = search(backend, "ferns", per_page=5)
    assert results.total == 25 and len(results.hits) == 5
    assert facet(results, "library") == {DUKE: 25, NCSU: 12}
    assert sum(facet(results, "decade").values()) == 25
    assert facet(results, "decade") == {"1900s": 9, "1910s": 10, "1920s": 6}
    assert facet(results, "format") == {"Book": 25}
    assert list(results.facets) == ["library", "format", "language", "decade", "subject_facet", "classification",
                                    "held_by_count", "access"]


def test_facet_values_sorted_by_count(backend: SearchBackend) -> None:
    results = search(backend, "")
    counts = [f.count for f in results.facets["library"]]
    assert counts == sorted(counts, reverse=True)
    assert results.total == len(ALL_DOCS)
    assert facet(results, "library")[DUKE] == sum(DUKE in d["library"] for d in ALL_DOCS)


def test_filter_values_of_one_field_or_fields_and(backend: SearchBackend) -> None:
    one = search(backend, "whale", filters={"library": (NCSU,)})
    assert set(ids(one)) == {"c-moby", "c-ahab", "c-running"}
    two = search(backend, "whale", filters={"library": (NCSU, LUL)})
    assert set(ids(two)) == {"c-moby", "c-ahab", "c-running", "c-history"}
    both = search(backend, "whale", filters={"library": (NCSU, LUL), "format": ("Music recording",)})
    assert ids(both) == ["c-running"]


def test_multi_select_facet_ignores_its_own_filter(backend: SearchBackend) -> None:
    results = search(backend, "whale", filters={"library": (NCSU,)})
    libraries = facet(results, "library")
    assert libraries[NCSU] == 3
    assert libraries[LUL] == 1  # still offered, so a second library can be added
    assert facet(results, "format") == {"Book": 2, "Music recording": 1}  # other facets: filtered matches
    assert sum(facet(results, "language").values()) == results.total


def test_facet_filter_on_empty_query_browses(backend: SearchBackend) -> None:
    results = search(backend, "", filters={"language": ("French",)})
    assert set(ids(results)) == {"c-glass", "c-photo"}


def test_facet_size_limits_values(backend: SearchBackend) -> None:
    results = search(backend, "", facet_size=2, facets=("library",))
    assert len(results.facets["library"]) == 2
    assert list(results.facets) == ["library"]


# ------------------------------------------------------------------ sort and paging


def test_sorts(backend: SearchBackend) -> None:
    newest = search(backend, "whale", sort="newest")
    years = [h.doc["year"] for h in newest.hits]
    assert years == sorted(years, reverse=True)
    oldest = search(backend, "", sort="oldest", per_page=100)
    years = [h.doc["year"] for h in oldest.hits]
    assert years[0] == 1851 and years[-1] is None  # no year sorts last
    titled = search(backend, "whale", sort="title")
    assert [h.doc["title_sort"] for h in titled.hits] == sorted(h.doc["title_sort"] for h in titled.hits)


def test_paging_is_disjoint_and_capped(backend: SearchBackend) -> None:
    pages = [ids(search(backend, "ferns", sort="oldest", page=p, per_page=10)) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert len(set(pages[0] + pages[1] + pages[2])) == 25
    assert pages[0][0] == "c-fill01"
    deep = search(backend, "ferns", page=10_000)
    assert deep.page == MAX_PAGE and deep.hits == [] and deep.total == 25


def test_hits_carry_stored_fields_and_display(backend: SearchBackend) -> None:
    hit = search(backend, "moby dick").hits[0]
    assert hit.doc["title"] == "Moby Dick"
    assert hit.doc["authors"] == ["Melville, Herman"]
    assert hit.doc["year"] == 1851
    assert hit.doc["library"] == [DUKE, NCSU]
    assert hit.doc["members"] == ["duke:1", "ncsu:7"]
    assert hit.doc["display"]["title"] == "Moby Dick"
    assert hit.score > 0
    as_json = search(backend, "moby dick").to_json()
    assert as_json["hits"][0]["libraries"] == [DUKE, NCSU]


# ------------------------------------------------------------------ documents


def test_get_and_count(backend: SearchBackend) -> None:
    assert backend.count() == len(ALL_DOCS)
    doc = backend.get("c-lodz")
    assert doc is not None and doc["title"] == "Łódź: portrait of a city" and doc["format"] == ["E-book"]
    assert backend.get("c-missing") is None
    assert backend.info()["documents"] == len(ALL_DOCS)


def test_index_replaces_by_id_and_delete_removes(fresh: SearchBackend) -> None:
    changed = dict(DOCS[0], title="Moby Dick revised edition", title_sort="moby dick revised edition")
    fresh.index([changed])
    fresh.delete(["c-ahab"])
    assert fresh.get("c-ahab") is not None  # not visible before commit
    fresh.commit()
    assert fresh.get("c-ahab") is None
    assert fresh.count() == len(DOCS) - 1
    assert ids(search(fresh, "revised")) == ["c-moby"]
    assert search(fresh, "moby").total == 1


def test_rebuild_replaces_everything(fresh: SearchBackend) -> None:
    assert fresh.rebuild(iter(FILLERS[:3])) == 3
    assert fresh.count() == 3
    assert search(fresh, "moby").total == 0
    assert search(fresh, "ferns").total == 3


# ------------------------------------------------------------------ the tie-break: equal scores by cluster id

TIE_LIBRARY = "Tie Test Library"
# Ids out of order, some sharing their first 8 bytes ("c-tie-00…"), so the embedded engine's 8-byte
# id_order key is not enough alone and the full id has to decide.
TIE_IDS = [
    "c-tie-0000000b", "a-tie", "c-tie-0000000a", "z-tie", "c-tie-00000010", "b",
    "c-tie-000000009", "m-tie-x", "c-tie-0000000", "ctie",
]  # fmt: skip
WIDE_TIE = [f"c{n * 7919 % 1000:016x}" for n in range(150)]
"""More equal scores than the embedded engine's first collection depth (100), in a scrambled order."""


def _tied(doc_id: str, title: str) -> dict[str, Any]:
    """Documents that differ only by id: every engine gives them exactly the same score."""
    return make_doc(doc_id, title, library=[TIE_LIBRARY], members=["tie:1"], year=2001)


TIED_DOCS = [_tied(i, "Quillwort atlas") for i in TIE_IDS] + [_tied(i, "Hornwort survey") for i in WIDE_TIE]
TIED_DOCS.append(_tied("c-tie-top", "Quillwort atlas of quillwort"))  # scores higher: ranks first


@pytest.fixture(params=BACKENDS)
def tied(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    yield from _holding(request, tmp_path, TIED_DOCS)


def _all_pages(backend: SearchBackend, text: str, per_page: int, **kwargs: Any) -> list[str]:
    found: list[str] = []
    for page in range(1, 100):
        hits = ids(search(backend, text, page=page, per_page=per_page, **kwargs))
        if not hits:
            return found
        found += hits
    raise AssertionError("paging did not end")


def test_equal_scores_are_ordered_by_cluster_id(tied: SearchBackend) -> None:
    results = search(tied, "quillwort", per_page=50)
    assert ids(results)[0] == "c-tie-top"
    assert len({round(h.score, 5) for h in results.hits[1:]}) == 1  # the others tie exactly
    assert ids(results)[1:] == sorted(TIE_IDS)
    assert _all_pages(tied, "quillwort", per_page=3) == ["c-tie-top", *sorted(TIE_IDS)]


def test_a_tie_deeper_than_the_first_collection_is_still_ordered_by_id(tied: SearchBackend) -> None:
    assert ids(search(tied, "hornwort", per_page=20)) == sorted(WIDE_TIE)[:20]
    assert ids(search(tied, "hornwort", page=7, per_page=20)) == sorted(WIDE_TIE)[120:140]
    assert _all_pages(tied, "hornwort", per_page=40) == sorted(WIDE_TIE)


def test_a_search_without_words_lists_by_cluster_id(tied: SearchBackend) -> None:
    everything = sorted(TIE_IDS + WIDE_TIE + ["c-tie-top"])
    assert _all_pages(tied, "", per_page=25, filters={"library": (TIE_LIBRARY,)}) == everything
    assert ids(search(tied, "", per_page=5)) == everything[:5]


def test_order_survives_rebuilds_in_other_orders_and_updates(tied: SearchBackend) -> None:
    """The same documents fed in another order, then partly re-indexed (a new segment for the embedded
    engine), give the same result lists: the order depends on scores and ids, not on indexing."""
    before = [_all_pages(tied, text, per_page=7) for text in ("quillwort", "hornwort", "atlas")]
    tied.rebuild(iter(reversed(TIED_DOCS)))
    assert [_all_pages(tied, text, per_page=7) for text in ("quillwort", "hornwort", "atlas")] == before
    shuffled = TIED_DOCS[1::2] + TIED_DOCS[::2]
    tied.rebuild(iter(shuffled[:80]))
    tied.index(shuffled[80:])
    tied.commit()
    tied.index(shuffled[::5])  # replaced by id: deleted from their segment, added to a new one
    tied.commit()
    assert [_all_pages(tied, text, per_page=7) for text in ("quillwort", "hornwort", "atlas")] == before


# ------------------------------------------------------------------ browse and autocomplete (TermLister)

HEADED_SPECS = [
    ("h1", "Moby Dick", ["Melville, Herman"], ["Whaling -- Fiction", "Sea stories"], ["PS2384 .M6 1851"]),
    ("h2", "Moby-Dick, or, The whale", ["Melville, Herman", "Hawthorne, Nathaniel"], ["Whaling -- Fiction"], []),
    ("h3", "Typee", ["Melville, Herman"], ["Sea stories"], ["PS2384 .T8"]),
    ("h4", "The scarlet letter", ["Hawthorne, Nathaniel"], ["Puritans -- Fiction"], ["PS1868 .A1"]),
    ("h5", "Łódź: portrait of a city", ["Müller, Karl"], ["Łódź (Poland) -- History"], ["DK4670 .M8"]),
    ("h6", "Mélodies", ["Muller, Karl", "Melis, Ana"], ["Music -- France"], ["M1621 .M4"]),
    ("h7", "Whale songs", ["Melis, Ana"], ["Whales", "Music -- France"], ["QL737 .C4 W5"]),
    ("h8", "Whaling voyages", ["Mel, Jo"], ["Whaling -- History"], ["G545 .W4"]),
]  # fmt: skip


def _headed(doc_id: str, title: str, authors: list[str], subjects: list[str], calls: list[str]) -> dict[str, Any]:
    return make_doc(doc_id, title, authors=authors, subjects=subjects,
                    **heading_fields([title], authors, subjects, calls))  # fmt: skip


HEADED_DOCS = [_headed(*spec) for spec in HEADED_SPECS]
HEADING_NAMES = ("title_heading", "author_heading", "subject_heading", "callnumber_heading")


def _oracle(field: str, prefix: str = "") -> list[tuple[str, int]]:
    """What any engine must answer, counted from the documents themselves."""
    counts: dict[str, int] = {}
    for doc in HEADED_DOCS:
        for term in set(doc[field] if field in doc else _words(doc, field)):
            counts[term] = counts.get(term, 0) + 1
    if not prefix:
        return sorted(counts.items())
    return sorted(((t, n) for t, n in counts.items() if t.startswith(prefix)), key=lambda tc: (-tc[1], tc[0]))


def _words(doc: dict[str, Any], field: str) -> list[str]:
    source = doc[field.removesuffix("_exact")]
    return [word for value in ([source] if isinstance(source, str) else source) for word in analyze_folded(value)]


@pytest.fixture(scope="module", params=BACKENDS)
def headed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    instance = _make(request.param, tmp_path_factory.mktemp("headed"))
    instance.rebuild(iter(HEADED_DOCS))
    yield instance
    _drop(instance)


def _lister(backend: SearchBackend) -> TermLister:
    assert isinstance(backend, TermLister), f"{backend.name} cannot list terms (browse, autocomplete)"
    return backend


@pytest.mark.parametrize("field", HEADING_NAMES)
def test_browse_lists_every_heading_in_key_order_with_counts(headed: SearchBackend, field: str) -> None:
    listed = _lister(headed).terms(field)
    assert listed == _oracle(field)
    assert [split_heading(t)[0] for t, _ in listed] == sorted(split_heading(t)[0] for t, _ in listed)


@pytest.mark.parametrize(
    ("field", "prefix", "limit"),
    [
        ("author_heading", "me", 10),  # short prefix (the embedded engine's heading_prefix path)
        ("author_heading", "mel", 2),  # the limit keeps the most frequent
        ("author_heading", "melville", 10),  # long prefix (a term-dictionary walk)
        ("author_heading", "haw", 10),  # a co-author of a Melville record, not Melville
        ("author_heading", "mu", 10),  # "Müller" and "Muller" fold to one key, two display forms
        ("title_heading", "moby", 10),
        ("subject_heading", "whaling", 10),
        ("subject_heading", "lodz", 10),
        ("subject_heading", "zz", 10),
        ("title_exact", "wh", 50),  # "did you mean" reads the folded words of titles
        ("authors_exact", "me", 50),
    ],
)
def test_autocomplete_most_frequent_with_a_prefix(headed: SearchBackend, field: str, prefix: str, limit: int) -> None:
    assert _lister(headed).terms(field, prefix, limit) == _oracle(field, prefix)[:limit]


def test_browse_and_autocomplete_pages_read_the_same(headed: SearchBackend) -> None:
    """The web views' own functions over the backend: the page shape both engines must produce."""
    page = browse_page(headed, "author", "mel", size=3)
    assert page is not None
    assert [row["heading"] for row in page["rows"]] == ["Mel, Jo", "Melis, Ana", "Melville, Herman"]
    assert page["total_headings"] == len(_oracle("author_heading"))
    found = suggestions(headed, "Mel", ("author", "title"), 4)
    assert found is not None
    assert [(s["kind"], s["value"], s["count"]) for s in found] == [
        ("author", "Melville, Herman", 3),
        ("author", "Melis, Ana", 2),
        ("author", "Mel, Jo", 1),
        ("title", "Mélodies", 1),
    ]


def test_unlistable_field_is_a_query_error(headed: SearchBackend) -> None:
    with pytest.raises(QueryError):
        _lister(headed).terms("display", "a", 5)


def test_browse_list_follows_commits(fresh: SearchBackend) -> None:
    """A cached whole-field list is the list of what searches see: new after a commit, not before."""
    lister = _lister(fresh)
    assert lister.terms("author_heading") == []
    fresh.index(HEADED_DOCS[:2])
    assert lister.terms("author_heading") == []
    fresh.commit()
    assert [(split_heading(t)[1], n) for t, n in lister.terms("author_heading")] == [
        ("Hawthorne, Nathaniel", 1),
        ("Melville, Herman", 2),
    ]
    fresh.delete(["h2"])
    fresh.commit()
    assert [split_heading(t)[1] for t, _ in lister.terms("author_heading")] == ["Melville, Herman"]


@pytest.mark.parametrize("sort", ["newest", "oldest", "title"])
def test_equal_years_and_titles_are_ordered_by_cluster_id(tied: SearchBackend, sort: str) -> None:
    """Every tied document has year 2001 and one of two titles: within equal sort values, the id decides,
    whatever the score (the top-scored "c-tie-top" is no exception) and however deep the tie."""
    listed = _all_pages(tied, "quillwort OR hornwort", per_page=30, sort=sort)
    everything = sorted(TIE_IDS + WIDE_TIE + ["c-tie-top"])
    if sort == "title":
        everything = sorted(WIDE_TIE) + sorted(TIE_IDS) + ["c-tie-top"]  # hornwort … < quillwort atlas < … of …
    assert listed == everything


def test_records_without_a_year_come_last_by_id_in_both_year_sorts(tied: SearchBackend) -> None:
    undated = [make_doc(doc_id, "Quillwort atlas", library=[TIE_LIBRARY]) for doc_id in ("c-nd-b", "c-nd-a")]
    tied.index(undated)
    tied.commit()
    for sort in ("newest", "oldest"):
        assert _all_pages(tied, "quillwort", per_page=4, sort=sort)[-2:] == ["c-nd-a", "c-nd-b"]


# ------------------------------------------------------------------ CJK text (no spaces between words)

CJK_DOCS = [
    make_doc("c-cjk-history", "中国近代史研究", authors=["李, 明"], year=1990,
             notes=["東京大学出版会の中国近代史研究叢書第三巻所収論文集成"]),  # 23 characters: one "word" of 69 bytes
    make_doc("c-cjk-modern", "中国现代文学史", year=1995),
    make_doc("c-cjk-korean", "한국어 문법 연구", year=2001),
    make_doc("c-cjk-latin", "History of China", year=1980),
    # long words: 22 Cyrillic letters are 44 bytes, the compound 42 letters
    make_doc("c-long-ru", "Высокопроизводительные вычислительные системы", year=2010),
    make_doc("c-long-de", "Der Donaudampfschifffahrtsgesellschaftskapitän", year=1920),
]


@pytest.fixture(params=BACKENDS)
def cjk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    yield from _holding(request, tmp_path, CJK_DOCS)


@pytest.mark.parametrize("text, expected", [
    ("中国近代史研究", ["c-cjk-history"]),  # the whole title
    ("近代史", ["c-cjk-history"]),  # a word inside it
    ("中国", ["c-cjk-history", "c-cjk-modern"]),
    ("文学史", ["c-cjk-modern"]),
    ("史研究 李", ["c-cjk-history"]),  # with the author
    ("叢書第三巻", ["c-cjk-history"]),  # inside a run too long to be one indexed term
    ("近代文学", []),  # the characters, but not together
    ("문법", ["c-cjk-korean"]),
    ("china", ["c-cjk-latin"]),
    ("высокопроизводительные системы", ["c-long-ru"]),
    ("donaudampfschifffahrtsgesellschaftskapitan", ["c-long-de"]),
])
def test_cjk_text_is_found_by_any_run_of_its_characters(cjk: SearchBackend, text: str, expected: list[str]) -> None:
    """Chinese, Japanese (and Korean within a word) are written without spaces: a typed run of
    characters must find the records where those characters stand together, not only whole titles.
    And a long word in any script is a word (tantivy's length limit counts bytes, not letters)."""
    assert sorted(ids(search(cjk, text))) == sorted(expected)


def test_cjk_title_match_ranks_first_and_hits_show_the_text_unchanged(cjk: SearchBackend) -> None:
    results = search(cjk, "中国")
    [hit] = [h for h in results.to_json()["hits"] if h["id"] == "c-cjk-history"]
    assert hit["title"] == "中国近代史研究" and hit["authors"] == ["李, 明"]
    assert "cjk" not in {k for h in results.hits for k, v in h.doc.items() if v}
