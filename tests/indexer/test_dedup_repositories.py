"""Repository records (Dublin Core, MODS from OAI feeds) matched against library MARC of the same paper.

Both sides go through the real mappings: the DC and MODS payloads are parsed with the harvester's
safe XML parser and mapped by `harvester.oai.dc` / `harvester.oai.mods`; the MARC record (an article,
leader/07 b, with a 773 host and a 024 DOI) is built with pymarc and mapped by `harvester.marc.mapping`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pymarc

from harvester.marc.mapping import normalize_marc
from harvester.oai.dc import dc_to_record
from harvester.oai.mods import mods_to_record
from harvester.record import Record
from harvester.xml import parse_bytes
from indexer.dedup.decide import DedupMatcher
from indexer.dedup.keys import blocking_keys

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dedup_sets import goldfinch_source  # noqa: E402

MATCHER = DedupMatcher()
DOI = "10.1145/1007568.1007642"

DC = """<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Emergent semantics and the multimedia semantic web</dc:title>
  <dc:creator>Grosky, William I.</dc:creator>
  <dc:creator>Sreenath, D. V.</dc:creator>
  <dc:creator>Fotouhi, Farshad</dc:creator>
  <dc:date>2002-12-01</dc:date>
  <dc:type>Article</dc:type>
  <dc:identifier>{identifier}</dc:identifier>
  <dc:source>SIGMOD Record 31(4)</dc:source>
</oai_dc:dc>"""

MODS = """<mods xmlns="http://www.loc.gov/mods/v3">
  <titleInfo><title>Emergent semantics and the multimedia semantic web</title></titleInfo>
  <name type="personal"><namePart>Grosky, William I.</namePart></name>
  <name type="personal"><namePart>Fotouhi, Farshad</namePart></name>
  <typeOfResource>text</typeOfResource>
  <genre>article</genre>
  <originInfo><dateIssued>2002</dateIssued></originInfo>
</mods>"""


def marc_article(with_doi: bool = True) -> Record:
    record = pymarc.Record(leader="00000nab a2200000 a 4500")
    record.add_field(pymarc.Field(tag="001", data="m1"))
    record.add_field(pymarc.Field(tag="008", data="021201s2002    nyu           000 0 eng d"))
    if with_doi:
        record.add_field(pymarc.Field(tag="024", indicators=["7", " "],
                                      subfields=[pymarc.Subfield("a", DOI), pymarc.Subfield("2", "doi")]))  # fmt: skip
    record.add_field(pymarc.Field(tag="100", indicators=["1", " "], subfields=[pymarc.Subfield("a", "Grosky, W. I.")]))
    record.add_field(pymarc.Field(tag="245", indicators=["1", "0"], subfields=[
        pymarc.Subfield("a", "Emergent semantics and the multimedia semantic web /"),
        pymarc.Subfield("c", "William I. Grosky, D.V. Sreenath, Farshad Fotouhi.")]))  # fmt: skip
    record.add_field(pymarc.Field(tag="700", indicators=["1", " "],
                                  subfields=[pymarc.Subfield("a", "Fotouhi, Farshad")]))  # fmt: skip
    record.add_field(pymarc.Field(tag="773", indicators=["0", " "], subfields=[
        pymarc.Subfield("t", "SIGMOD record."), pymarc.Subfield("g", "Vol. 31, no. 4 (2002), p. 54-58")]))  # fmt: skip
    return normalize_marc(record, goldfinch_source("library"), "m1")


def dc_record(identifier: str) -> Record:
    element = parse_bytes(DC.replace("{identifier}", identifier).encode())
    return dc_to_record(element, goldfinch_source("repository"), "oai:repo:1")


def test_a_repository_article_and_the_library_record_share_the_doi() -> None:
    marc, dc = marc_article(), dc_record(f"https://doi.org/{DOI}")
    assert marc.format == dc.format == "article"
    assert f"doi:{DOI}" in set(blocking_keys(marc)) & set(blocking_keys(dc))
    explanation = MATCHER.explain(marc, dc)
    assert explanation.same and any(r.rule == "id_shared" for r in explanation.reasons)
    assert len(MATCHER.cluster([marc, dc])) == 1


def test_without_identifiers_title_authors_and_year_decide() -> None:
    marc, dc = marc_article(with_doi=False), dc_record("http://repository.example.org/handle/123/456")
    assert set(blocking_keys(marc)) & set(blocking_keys(dc))
    assert MATCHER.explain(marc, dc).same
    mods = mods_to_record(parse_bytes(MODS.encode()), goldfinch_source("mods"), "oai:mods:1")
    assert MATCHER.explain(marc, mods).same
    # another year is another item (a journal version of a conference paper), whatever the title says
    assert not MATCHER.explain(marc, replace(dc, year=2001)).same


def test_a_handle_is_an_identifier_too() -> None:
    dc = dc_record("http://hdl.handle.net/2027/spo.123")
    other = replace(dc, id="b:1", source_id="b", title="Emergent semantics")
    assert "hdl:2027/spo.123" in set(blocking_keys(dc)) & set(blocking_keys(other))
    assert MATCHER.explain(dc, other).same


MODS_WITH_HOST = """<mods xmlns="http://www.loc.gov/mods/v3">
  <titleInfo><title>Emergent semantics and the multimedia semantic web</title></titleInfo>
  <name type="personal"><namePart>Grosky, William I.</namePart></name>
  <genre>article</genre>
  <originInfo><dateIssued>2002</dateIssued></originInfo>
  <relatedItem type="host">
    <titleInfo><title>SIGMOD record</title></titleInfo>
    <part>
      <detail type="volume"><number>31</number></detail>
      <detail type="issue"><number>4</number></detail>
      <extent unit="pages"><start>54</start><end>58</end></extent>
    </part>
  </relatedItem>
</mods>"""


def test_a_mods_host_is_read_and_the_same_host_and_pages_count_for() -> None:
    mods = mods_to_record(parse_bytes(MODS_WITH_HOST.encode()), goldfinch_source("mods"), "oai:mods:2")
    host = (mods.host_title, mods.host_volume, mods.host_issue, mods.host_pages)
    assert host == ("SIGMOD record", "31", "4", "54-58")
    explanation = MATCHER.explain(marc_article(with_doi=False), mods)
    assert explanation.same and any(r.rule == "host_place_same" and r.score > 0 for r in explanation.reasons)
    elsewhere = replace(mods, host_title="Library trends", host_volume="7", host_issue="1", host_pages="1-9")
    assert not MATCHER.explain(marc_article(with_doi=False), elsewhere).same
