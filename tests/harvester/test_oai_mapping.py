"""Dublin Core and MODS payloads from real repositories → the shared record model; `unioncat status`.

Payloads come from recorded responses (Science History Institute and Erasmus DSpace oai_dc, Montana
Memory Project and Harvard LibraryCloud MODS; see tests/data/oai/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harvester.errors import RecordRejected
from harvester.oai.dc import dc_to_record
from harvester.oai.mods import mods_to_record
from harvester.oai.pages import OAIRecord, page_records
from harvester.oai.payload import payload_kind, record_json, to_incoming
from harvester.oai.vocab import Identifiers
from harvester.record import Record
from harvester.store import RecordStore
from harvester.xml import parse_bytes
from tests.harvester.conftest import oai_source
from tests.harvester.oai_servers import OAI, marc_catalog, oaipmh_handler, read_data, serving

SOURCE = oai_source("http://127.0.0.1/oai")


def records_of(name: str) -> dict[str, OAIRecord]:
    return {r.identifier: r for r in page_records(parse_bytes(read_data(name)), OAI)}


def test_dc_from_science_history_maps_every_field() -> None:
    record = records_of("traject/sample-oai-pmh.xml")["oai:sciencehistoryorg:fq977t769"]
    mapped = dc_to_record(record.metadata, SOURCE, record.identifier)
    assert mapped.id == "repo:oai:sciencehistoryorg:fq977t769"
    assert mapped.title == "Spice Storage" and mapped.year == 1950 and mapped.format == "image"
    assert mapped.authors[0].name == "Norda Essential Oil and Chemical Company" and mapped.authors[0].primary
    assert mapped.subjects[0].parts == ("Research, Industrial", "Laboratories")
    assert mapped.rights == "http://rightsstatements.org/vocab/NKC/1.0/"
    landing = [link for link in mapped.links if not link.resource]
    assert landing[0].url == "https://digital.sciencehistory.org/works/fq977t769"
    assert any(link.resource and "download" in link.url for link in mapped.links)
    assert [(h.library_code, h.library_name) for h in mapped.holdings] == [("REPO", "Library repo")]


def test_dc_from_erasmus_dspace_keeps_handles_and_isbns() -> None:
    record = records_of("pyoai/fake1-listrecords.xml")["hdl:1765/308"]
    mapped = dc_to_record(record.metadata, SOURCE, record.identifier)
    assert mapped.other_ids == ("hdl:1765/308",) and mapped.isbns == ("9789058920362",)
    assert mapped.year == 2003 and mapped.authors[0].primary  # only contributors: the first one leads
    paper = records_of("pyoai/fake2-listrecords.xml")["hdl:1765/9"]
    mapped = dc_to_record(paper.metadata, SOURCE, paper.identifier)
    assert "repec:dgr:eureri:2001134" in mapped.other_ids
    assert "Supply relationships" in [s.heading for s in mapped.subjects]
    assert not [s for s in mapped.subjects if s.heading in ("M;M10;L2;L14", "85A;100B;240B;260N;270K")]
    assert [(link.url, link.resource) for link in mapped.links] == [
        ("http://hdl.handle.net/1765/9", False),  # landing page
        ("https://ep.eur.nl/retrieve/6/erimrs20020104123434.pdf", True),  # DSpace's bitstream, in dc:format
    ]


def test_mods_maps_names_subjects_links_and_rights() -> None:
    [record] = records_of("dpla/mt.xml").values()
    mapped = mods_to_record(record.metadata, SOURCE, record.identifier)
    assert mapped.title == "Reading notes for 2nd Wind 2001" and mapped.year == 2001
    assert mapped.authors[0].name == "Goedicke, Patricia" and mapped.authors[0].primary
    assert ("American literature", "Montana") in [s.parts for s in mapped.subjects]
    assert mapped.rights.startswith("Copyright to this collection")
    harvard = records_of("dpla/oai-page.xml")["arn00007c00001"]
    plate = mods_to_record(harvard.metadata, SOURCE, harvard.identifier)
    full = [link for link in plate.links if link.resource]
    assert [link.label for link in full] == ["Full Image"]
    assert "Thumbnail" not in [link.label for link in plate.links]


@pytest.mark.parametrize("text, scheme, field, value", [
    ("https://doi.org/10.1000/XYZ123", "", "other", "doi:10.1000/xyz123"),
    ("doi:10.1234/abc.", "", "other", "doi:10.1234/abc"),
    ("http://hdl.handle.net/1765/9", "", "other", "hdl:1765/9"),
    ("urn:ISBN:0-306-40615-2", "", "isbns", "9780306406157"),
    ("ISSN 0317-8471", "", "issns", "0317-8471"),
    ("978-0-306-40615-7", "isbn", "isbns", "9780306406157"),
])
def test_identifiers_are_sorted_and_normalized(text: str, scheme: str, field: str, value: str) -> None:
    ids = Identifiers()
    ids.add(text, scheme)
    assert value in getattr(ids, field)


def test_payload_kind_and_rejections() -> None:
    assert payload_kind("marc21", "") == "marcxml"
    assert payload_kind("whatever", "http://www.loc.gov/mods/v3") == "mods"
    with pytest.raises(RecordRejected, match="unsupported metadata format"):
        payload_kind("oai_doaj", "http://doaj.org/features/oai_doaj/1.0/")
    with pytest.raises(RecordRejected, match="not well-formed"):
        to_incoming(SOURCE, "x", b"<oai_dc:dc", "oai_dc")


def test_record_json_equals_the_models_own_serialization() -> None:
    pages = (("dpla/oai-page.xml", mods_to_record), ("pyoai/fake1-listrecords.xml", dc_to_record))
    for name, mapper in pages:
        for record in records_of(name).values():
            mapped = mapper(record.metadata, SOURCE, record.identifier)
            expected = json.dumps(mapped.to_dict(), ensure_ascii=False, separators=(",", ":"))
            assert record_json(mapped) == expected
            assert Record.from_dict(json.loads(record_json(mapped))) == mapped


def test_status_command_shows_watermark_and_last_run(tmp_path: Path) -> None:
    from harvester.cli import status

    with serving(oaipmh_handler(marc_catalog(5))) as server:
        (tmp_path / "unioncat.toml").write_text(
            f'data_dir = "var"\n[[sources]]\nid = "repo"\ntype = "oai-pmh"\nurl = "{server.url}"\n'
            "rate_limit = 0\n"
        )
        from harvester.run import harvest_sources
        from harvester.settings import load_settings

        settings = load_settings(tmp_path / "unioncat.toml")
        with RecordStore(settings.store_path) as store:
            harvest_sources(settings, store, settings.sources, show_progress=False)
    runner = CliRunner(env={"UNIONCAT_CONFIG": str(tmp_path / "unioncat.toml")})
    text = runner.invoke(status, []).output
    assert "watermark: {'*': '20" in text and "last_run_records: 5" in text
    data = json.loads(runner.invoke(status, ["--json"]).output)
    assert data[0]["oai"]["last_run_records"] == 5 and data[0]["oai"]["checkpoint"] is None


def test_mfhd_holdings_records_over_oai_attach_to_their_bib(store: RecordStore) -> None:
    """FOLIO's bibs + MFHD records as MARCXML: 004 names the bib's 001, the store keys by OAI identifier."""
    from pymarc import record_to_xml

    from harvester.marc.files import iter_raw_records, parse_raw_record
    from tests.harvester.conftest import run_harvest
    from tests.harvester.oai_servers import DATA, Catalog

    catalog = Catalog("marc21")
    for chunk in iter_raw_records(DATA / "records" / "mfhd.marc", "iso2709"):
        marc = parse_raw_record(chunk.raw, "iso2709")
        control = marc.get_fields("001")[0].data.strip()
        catalog.put(f"oai:folio:{control}", record_to_xml(marc, namespace=True))
    with serving(oaipmh_handler(catalog, page_size=5)) as server:
        counts = run_harvest(store, oai_source(server.url))
    assert counts["new"] == 14
    holdings = store.query("SELECT id, parent_id FROM records WHERE kind = 'holdings'")
    assert len(holdings) == 7
    for row in holdings:
        assert store.get(row["parent_id"]) is not None, row["parent_id"]
        assert row["id"] in [r.id for r in store.holdings_records(row["parent_id"])]
