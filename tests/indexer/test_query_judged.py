"""The judged query set (tests/data/judged/queries.toml) against the demo catalog, end to end.

The catalog is built the way `make demo` builds it: the real harvester reads `samples/`, the real index
pipeline clusters and indexes into the embedded engine. Each case names the item a patron expects on
top (by a member record id, stable across re-clustering); a relevance change that loses one fails here.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.search.backends.base import SearchBackend, SearchRequest

ROOT = Path(__file__).resolve().parents[2]
CASES: list[dict[str, Any]] = tomllib.loads((ROOT / "tests/data/judged/queries.toml").read_text("utf-8"))["case"]
KINDS = {"known-item", "title-stopwords", "author-title", "subject", "identifier", "non-latin"}


def build_demo(data_dir: Path) -> Any:
    """Harvest `samples/` with the demo config and index it; returns the settings."""
    from harvester.run import harvest_sources
    from harvester.settings import load_settings
    from harvester.store import RecordStore
    from indexer.run import update_index
    from indexer.search.backends import open_backend

    settings = dataclasses.replace(load_settings(ROOT / "config" / "unioncat.toml"), data_dir=data_dir)
    with RecordStore(settings.store_path) as store:
        results = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
        assert all(r.status == "ok" for r in results), [r.error for r in results]
        backend = open_backend(settings)
        try:
            update_index(settings, store, backend, show_progress=False)
        finally:
            backend.close()
    return settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    from indexer.search.backends import open_backend

    backend = open_backend(build_demo(tmp_path_factory.mktemp("judged")))
    yield backend
    backend.close()


def test_the_set_covers_every_kind_of_query() -> None:
    assert {case["kind"] for case in CASES} == KINDS
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[f"{c['kind']}:{c['query']}" for c in CASES])
def test_judged_query(demo: SearchBackend, case: dict[str, Any]) -> None:
    results = demo.search(SearchRequest(text=case["query"], facets=(), per_page=10))
    found = [member for hit in results.hits for member in [hit.doc.get("members", [])]]
    if "top" in case:
        ranks = [i for i, members in enumerate(found, start=1) if case["top"] in members]
        titles = [hit.doc.get("title") for hit in results.hits[:5]]
        assert ranks and ranks[0] <= case.get("within", 1), f"{case['top']} not on top: {titles}"
    assert results.relaxed == case.get("relaxed", False)
    assert results.total <= case.get("total_at_most", results.total)
    assert results.total >= case.get("total_at_least", 1)


def test_subject_facet_keeps_to_lcsh_but_other_thesauri_stay_searchable(demo: SearchBackend) -> None:
    everything = demo.search(SearchRequest(text="", facets=("subject_facet",), facet_size=1000, per_page=1))
    faceted = {f.value for f in everything.facets["subject_facet"]}
    assert "Art" in faceted and "United States" in faceted  # LCSH (650 _0)
    assert not faceted & {"Forskningsmetodik", "Onderzoek", "Methodologie", "Vetenskap"}  # sao, gtt, gnd, 650 _4
    found = demo.search(SearchRequest(text="forskningsmetodik", facets=("subject_facet",)))
    assert [h.doc["members"] for h in found.hits] == [["duke:DUKE003991688"]]
    assert "Research" in {f.value for f in found.facets["subject_facet"]}


def test_languages_and_formats_use_one_label_each(demo: SearchBackend) -> None:
    everything = demo.search(SearchRequest(text="", facets=("language", "format"), facet_size=1000, per_page=1))
    languages = {f.value for f in everything.facets["language"]}
    assert not any(", " in name for name in languages), languages  # "French, Old" is "Old French"
    formats = {f.value for f in everything.facets["format"]}
    assert "E-book" in formats and "E book" not in formats
