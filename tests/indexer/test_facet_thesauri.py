"""The Subject facet's thesauri are a setting (``[search] facet_thesauri``, LCSH by default): a configured
thesaurus is honoured end to end, and changing the setting rebuilds every document's facet."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harvester.errors import ConfigError
from harvester.settings import SearchSettings, load_settings
from harvester.store import RecordStore
from indexer.run import update_index
from indexer.search.backends import open_backend
from indexer.search.backends.base import SearchRequest
from indexer.search.documents import FACET_THESAURI
from tests.indexer.test_query_judged import build_demo


def test_the_default_is_lcsh_declared_once() -> None:
    assert SearchSettings().facet_thesauri == ("lcsh",)
    assert FACET_THESAURI == frozenset({"lcsh"})


def write_config(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "unioncat.toml"
    path.write_text(f'data_dir = "var"\n[search]\n{line}\n', encoding="utf-8")
    return path


def test_the_setting_is_read_folded_and_checked(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, 'facet_thesauri = ["LCSH", "sao", " mesh ", "sao"]'))
    assert settings.search.facet_thesauri == ("lcsh", "sao", "mesh")
    assert load_settings(write_config(tmp_path, "facet_thesauri = []")).search.facet_thesauri == ()
    with pytest.raises(ConfigError, match="search.facet_thesauri"):
        load_settings(write_config(tmp_path, 'facet_thesauri = "lcsh"'))
    with pytest.raises(ConfigError, match="search.facet_thesauri"):
        load_settings(write_config(tmp_path, 'facet_thesauri = ["lcsh", 7]'))


def subject_facet(settings) -> set[str]:  # type: ignore[no-untyped-def]
    backend = open_backend(settings)
    try:
        found = backend.search(SearchRequest(text="", facets=("subject_facet",), facet_size=1000, per_page=1))
        return {f.value for f in found.facets["subject_facet"]}
    finally:
        backend.close()


def test_a_configured_thesaurus_is_honoured_and_a_change_rebuilds(tmp_path: Path) -> None:
    settings = build_demo(tmp_path)  # the demo config: the default, LCSH only
    assert "Forskningsmetodik" not in subject_facet(settings) and "Art" in subject_facet(settings)
    with_sao = dataclasses.replace(settings, search=dataclasses.replace(settings.search,
                                                                        facet_thesauri=("lcsh", "sao")))
    with RecordStore(settings.store_path) as store:
        backend = open_backend(with_sao)
        try:
            changed = update_index(with_sao, store, backend, show_progress=False)
            again = update_index(with_sao, store, backend, show_progress=False)
        finally:
            backend.close()
    assert changed.full and not again.full  # a new choice rebuilds once; the next run is incremental
    faceted = subject_facet(with_sao)
    assert "Forskningsmetodik" in faceted and "Art" in faceted  # sao (650 _7 $2 sao) beside LCSH
    assert not faceted & {"Onderzoek", "Methodologie", "Vetenskap"}  # gtt, gnd, 650 _4 still left out
