"""Input shapes found in other systems' exports and feeds (issue "feeds"), each written here as a record
of our own that reproduces the pattern:

- a saved OAI-PMH ListRecords response given as a MARCXML file (VuFind/Alma harvests, pyoai's DSpace
  pages): its ``<record>`` wrappers were read as MARC records too, so every MARC record came with a
  bogus "MARCXML record has no fields" quarantine, and a Dublin Core page said only that;
- an XML file with no MARC record at all (marc4j's MODS output, a qualified-DC file, MARC::XML's
  ``<collection>`` of bare datafields): harvested as "ok, read 0", silently;
- qualified Dublin Core payloads (CONTENTdm ``oai_qdc``, DSpace ``qdc``, RecordManager's qdc records):
  refused as an unsupported metadata format, every record of the feed quarantined;
- an ISO 2709 record over 99,999 bytes (marc4j's ``bad_too_long_plus_2.mrc``, a serial with 1,500 item
  fields) whose directory offsets wrap at 100,000: its fields were shifted (the 008 read as the 005, the
  title lost) with no word of a repair;
- MARCBreaker / MarcEdit ``.mrk`` text of MARC-8 records (marc4j's and MARC::File::MARCMaker's test
  files): the character mnemonics (``{acute}e``, ``{Lstrok}``, ``{llig}``) were kept as written, so the
  same record read from ``.mrk`` and from its ISO 2709 original had different titles and notes;
- text encoded to UTF-8 twice ("Ã©" for "é", Boston University's Alma records in Catmandu-MARC): kept
  as mojibake, its C1 bytes stripped ("PeÃÂtain"); now decoded once more (ftfy) and noted;
- MARC-in-JSON with a raw line break inside a string (pymarc's ``test.json``): quarantined as invalid
  JSON; pymarc reads it, and so do we now, with a note;
- UNIMARC records (national libraries: ICCU's in pymarc, a Greek one in Catmandu-MARC) read through the
  MARC 21 rules: no title, the ISBN (010) taken for an LCCN, the coded data (100) for an author;
- "MARC line" text with the leader alone on a record's first line (Catmandu-MARC's ``code4lib.line``):
  sniffed as ISO 2709 and the whole file quarantined;
- repository language codes missing from the vocabulary's short table ("hu_HU", "et", "Hungarian"):
  dropped (found reading the DC map, not in a sample).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pytest

from harvester.errors import RecordRejected
from harvester.marc.files import read_record, sniff_format
from harvester.oai.payload import to_incoming
from harvester.record import Record
from harvester.run import Stored, _process_one, harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from harvester.text import MOJIBAKE_REPAIR
from harvester.types import RecordId, SourceId
from tests.harvester.conftest import oai_source
from tests.harvester.mutations import SOURCE as MUTANTS

NS = "http://www.loc.gov/MARC21/slim"
OAI = "http://www.openarchives.org/OAI/2.0/"
SOURCE = oai_source("http://127.0.0.1/oai")


def _marc(local_id: str, title: str) -> str:
    return (f'<marc:record xmlns:marc="{NS}"><marc:leader>00000nam a2200000   4500</marc:leader>'
            f'<marc:controlfield tag="001">{local_id}</marc:controlfield>'
            f'<marc:datafield tag="245" ind1="0" ind2="0"><marc:subfield code="a">{title}</marc:subfield>'
            f"</marc:datafield></marc:record>")


def _oai_record(identifier: str, payload: str = "", deleted: bool = False) -> str:
    status = ' status="deleted"' if deleted else ""
    metadata = f"<metadata>{payload}</metadata>" if payload else ""
    return (f"<record><header{status}><identifier>{identifier}</identifier>"
            f"<datestamp>2026-11-30</datestamp></header>{metadata}</record>")


def _harvest(tmp_path: Path, data: bytes) -> tuple[dict[str, int], RecordStore]:
    feed = tmp_path / "feed"
    feed.mkdir(exist_ok=True)
    (feed / "export.xml").write_bytes(data)
    (tmp_path / "unioncat.toml").write_text('data_dir = "var"\n[[sources]]\nid = "feed"\npath = "feed"\n')
    settings = load_settings(tmp_path / "unioncat.toml")
    store = RecordStore(settings.store_path)
    [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
    assert result.status == "ok", result.error
    return result.counts, store


def test_a_saved_oai_response_yields_its_marc_records_and_says_what_the_others_are(tmp_path: Path) -> None:
    dc = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A thesis</dc:title></oai_dc:dc>')
    doc = (f'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="{OAI}"><responseDate>2026-12-01T00:00:00Z'
           f'</responseDate><ListRecords>\n{_oai_record("oai:x:b1", _marc("b1", "First"))}\n'
           f'{_oai_record("oai:x:b2", deleted=True)}\n{_oai_record("oai:x:b3", _marc("b3", "Third"))}\n'
           f'{_oai_record("oai:x:d4", dc)}\n</ListRecords></OAI-PMH>\n').encode()
    counts, store = _harvest(tmp_path, doc)
    with store:
        assert store.get(RecordId("feed:b1")).normalized.title == "First"  # type: ignore[union-attr]
        assert store.get(RecordId("feed:b3")).normalized.title == "Third"  # type: ignore[union-attr]
        reasons = sorted(entry.reason for entry in store.quarantined(SourceId("feed")))
    assert counts["new"] == 2 and counts["quarantined"] == 2 and counts["read"] == 4
    assert "deleted header (oai:x:b2)" in reasons[0] and 'type = "oai-pmh"' in reasons[0]
    assert "(oai:x:d4) holding no MARCXML record (its payload is <dc>)" in reasons[1]


def test_an_xml_file_without_marc_records_is_quarantined_and_its_old_records_kept(tmp_path: Path) -> None:
    good = f'<?xml version="1.0"?>\n<collection xmlns="{NS}">{_marc("m1", "Kept")}</collection>\n'.encode()
    _harvest(tmp_path, good)
    mods = (b'<?xml version="1.0"?>\n<modsCollection xmlns="http://www.loc.gov/mods/v3"><mods><titleInfo>'
            b"<title>Kept</title></titleInfo></mods></modsCollection>\n")
    counts, store = _harvest(tmp_path, mods)  # the partner's export job switched to MODS by mistake
    with store:
        record = store.get(RecordId("feed:m1"))
        assert record is not None and not record.deleted  # an unreadable file deletes nothing
        [entry] = store.quarantined(SourceId("feed"))
    assert counts["quarantined"] == 1 and counts["deleted"] == 0
    assert "no MARCXML <record> element in the file (its root is <modsCollection>" in entry.reason
    assert b"modsCollection" in (entry.raw or b"")


def test_a_collection_of_bare_fields_is_reported_and_an_empty_collection_is_not(tmp_path: Path) -> None:
    bare = (f'<collection xmlns="{NS}"><datafield tag="245" ind1="0" ind2="0"><subfield code="a">Lost'
            f"</subfield></datafield></collection>").encode()
    counts, store = _harvest(tmp_path, bare)
    with store:
        [entry] = store.quarantined(SourceId("feed"))
    assert counts["quarantined"] == 1 and "<collection>, holding other elements" in entry.reason
    counts, store = _harvest(tmp_path, f'<?xml version="1.0"?>\n<collection xmlns="{NS}"/>\n'.encode())
    with store:
        assert store.quarantined(SourceId("feed")) == []  # an empty export: zero records, not an error
    assert counts["read"] == 0


# CONTENTdm (oai_qdc) and DSpace (qdc) serve qualified Dublin Core: the DC elements beside dcterms
# refinements, under a root of their own; every record of such a feed was quarantined as an
# "unsupported metadata format".
CONTENTDM_QDC = b"""<oai_qdc:qualifieddc xmlns:oai_qdc="http://worldcat.org/xmlschemas/qdc-1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
  <dc:title>Harbour at dusk, looking north</dc:title>
  <dcterms:alternative>Harbor view</dcterms:alternative>
  <dc:creator>Lindqvist, Ada</dc:creator>
  <dcterms:created>1923</dcterms:created>
  <dcterms:abstract>Glass plate negative of the inner harbour.</dcterms:abstract>
  <dc:description>Digitized in 2019.</dc:description>
  <dcterms:extent>1 negative : glass ; 4 x 5 in.</dcterms:extent>
  <dc:type>Still Image</dc:type>
  <dc:language>eng</dc:language>
  <dc:identifier>http://cdm.example.org/cdm/ref/collection/harbour/id/17</dc:identifier>
  <dcterms:accessRights>Public domain</dcterms:accessRights>
</oai_qdc:qualifieddc>"""

DSPACE_QDC = b"""<qdc:qualifieddc xmlns:qdc="http://dspace.org/qualifieddc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
  <dc:title>Soil moisture under mixed cover crops</dc:title>
  <dc:creator>Okafor, Chidi</dc:creator>
  <dcterms:available>2024-02-01T10:00:00Z</dcterms:available>
  <dcterms:issued>2019</dcterms:issued>
  <dcterms:abstract>We measured soil moisture across three seasons.</dcterms:abstract>
  <dc:identifier>http://hdl.handle.net/1234/5678</dc:identifier>
  <dc:type>Thesis</dc:type>
  <dc:language>en</dc:language>
</qdc:qualifieddc>"""


@pytest.mark.parametrize("prefix", ["oai_qdc", "qdc", "anything"])
def test_qualified_dublin_core_from_contentdm_maps_like_dublin_core(prefix: str) -> None:
    incoming = to_incoming(SOURCE, "oai:cdm:harbour/17", CONTENTDM_QDC, prefix)
    record = Record.from_dict(json.loads(incoming.normalized_json))
    assert incoming.raw_format == "qdc"
    assert record.title == "Harbour at dusk, looking north" and record.year == 1923
    assert record.format == "image" and record.languages == ("eng",)
    assert record.authors[0].name == "Lindqvist, Ada" and record.authors[0].primary
    assert record.summary == "Glass plate negative of the inner harbour." and record.notes == ("Digitized in 2019.",)
    assert record.extent == "1 negative : glass ; 4 x 5 in."
    assert [link.url for link in record.links] == ["http://cdm.example.org/cdm/ref/collection/harbour/id/17"]


def test_qualified_dublin_core_from_dspace_takes_the_issued_year_not_the_accession_date() -> None:
    record = Record.from_dict(json.loads(to_incoming(SOURCE, "oai:d:1234/5678", DSPACE_QDC, "qdc").normalized_json))
    assert record.year == 2019 and record.format == "thesis" and record.languages == ("eng",)
    assert record.other_ids == ("hdl:1234/5678",) and record.summary.startswith("We measured")


def test_a_payload_that_is_neither_dc_nor_qdc_under_a_qdc_prefix_is_still_refused() -> None:
    with pytest.raises(RecordRejected, match="expected an oai_dc:dc or qualifieddc payload"):
        to_incoming(SOURCE, "x", b'<thing xmlns="urn:x"><title>T</title></thing>', "qdc")


def _iso_wrapped(fields: Sequence[tuple[str, str | bytes]], coding: str = "a", kind: str = "as") -> bytes:
    """An ISO 2709 record written as exports write one over 99,999 bytes: the leader's length and every
    directory offset modulo 100,000 (five digits each), lengths modulo 10,000."""
    data, directory, offset = b"", b"", 0
    for tag, text in fields:
        body = (text.encode() if isinstance(text, str) else text) + b"\x1e"
        directory += f"{tag}{len(body) % 10_000:04d}{offset % 100_000:05d}".encode()
        data += body
        offset += len(body)
    base = 24 + len(directory) + 1
    total = base + len(data) + 1
    leader = f"{total % 100_000:05d}n{kind} {coding}22{base:05d} a 4500".encode()
    return leader + directory + b"\x1e" + data + b"\x1d"


def test_a_record_over_99999_bytes_keeps_every_field_in_its_place() -> None:
    items = [("991", f"  \x1faQA76.{n} c. 1\x1fi{n:07d}\x1flmain") for n in range(4000)]
    fields = [("001", "big1"), ("005", "20090228041800.0"), ("008", "860627u19109999enkuu        0   eng d"),
              ("245", "10\x1faReports and memoranda."), *items, ("500", "  \x1faLast note.")]
    raw = _iso_wrapped(fields)
    assert len(raw) > 100_000
    marc, _ = read_record(raw, "iso2709")
    assert [f.tag for f in marc.fields] == [tag for tag, _ in fields]
    assert marc["005"].data == "20090228041800.0" and str(marc["008"].data).startswith("860627u1910")
    assert marc["245"]["a"] == "Reports and memoranda." and marc.get_fields("991")[3999]["i"] == "0003999"
    assert marc["500"]["a"] == "Last note."


def test_marcbreaker_mnemonics_read_as_the_marc8_record_they_were_broken_from() -> None:
    # the same record twice: ISO 2709 in MARC-8 (0xE2 = combining acute, written before its letter;
    # 0xA1 = L with stroke; 0xEB/0xEC the two halves of a ligature) and MARCBreaker's text of it
    marc8 = [("001", b"mk1"), ("245", b"10\x1faCaf\xe2e in \xa1\xe2od\xe2z :\x1fbthe t\xebs\xecx story, "
                                          b"\xe8uber {curly} \x24 5"),
             ("500", b"  \x1faPrice \xb9 3, \xc3 1999, \xe4n\xe3o\xf0card.")]
    mrk = (b"=LDR  00000nas  22000000a 4500\n=001  mk1\n"
           b"=245  10$aCaf{acute}e in {Lstrok}{acute}od{acute}z :$bthe t{llig}s{rlig}x story, "
           b"{uml}uber {lcub}curly{rcub} {dollar} 5\n"
           b"=500  \\\\$aPrice {pound} 3, {copy} 1999, {tilde}n{circ}o{cedil}card.\n")
    from_iso, _ = read_record(_iso_wrapped(marc8, coding=" "), "iso2709")
    from_mrk, repairs = read_record(mrk, "mrk")
    assert repairs == []
    for tag in ("245", "500"):
        assert from_mrk[tag].subfields == from_iso[tag].subfields, tag
    assert from_mrk["245"]["a"] == "Café in Łódź :"
    assert from_mrk["245"]["b"] == "the ts\ufe20x\ufe21 story, über {curly} $ 5"  # each half on its letter
    assert from_mrk["500"]["a"] == "Price £ 3, © 1999, ñôçard."


def test_an_unknown_mnemonic_is_kept_as_written_and_a_dangling_diacritic_is_not_lost() -> None:
    mrk = b"=LDR  00000nam  22000000a 4500\n=245  10$aA {notaname} title{acute}\n"
    marc, _ = read_record(mrk, "mrk")
    assert marc["245"]["a"] == unicodedata.normalize("NFC", "A {notaname} title\u0301")  # kept, composed


# Text encoded to UTF-8 twice (Boston University's Alma export in Catmandu-MARC's test data: "Pétain"
# stored as "PeÌ\x81tain", its C1 byte then stripped as a control character, leaving "PeÃÂtain").
DOUBLE = "Pétain, Fernández, Über, Friedländer".encode().decode("latin-1")  # each é as "Ã©"
DECOMPOSED_DOUBLE = unicodedata.normalize("NFD", "Pétain").encode("utf-8").decode("latin-1")  # "PeÌ\x81tain"


@pytest.mark.parametrize("text", [DOUBLE, DECOMPOSED_DOUBLE, "Itâ€™s a café"])
def test_double_encoded_utf8_in_an_iso2709_record_is_decoded_once_more_and_noted(text: str) -> None:
    raw = _iso_wrapped([("001", "mj1"), ("245", f"10\x1fa{text}")])
    marc, repairs = read_record(raw, "iso2709")
    fixed = marc["245"]["a"]
    assert "Ã" not in fixed and "â€" not in fixed
    assert fixed in ("Pétain, Fernández, Über, Friedländer", "Pétain", "It’s a café")
    assert repairs == [MOJIBAKE_REPAIR]


def test_real_latin1_letters_and_signs_are_left_alone() -> None:
    text = "naïve « café » Ñandú, 25 °C ± 2, © 1999"  # "é »" and "Ñ" are not mojibake
    marc, repairs = read_record(_iso_wrapped([("001", "ok1"), ("245", f"10\x1fa{text}")]), "iso2709")
    assert marc["245"]["a"] == text and repairs == []


def test_double_encoded_utf8_in_marcxml_json_and_mnemonic_text_is_repaired_too() -> None:
    xml = (f'<record xmlns="{NS}"><leader>00000nam a2200000   4500</leader>'
           f'<controlfield tag="001">mj2</controlfield><datafield tag="245" ind1="1" ind2="0">'
           f'<subfield code="a">{DOUBLE}</subfield></datafield></record>').encode()
    mij = json.dumps({"leader": "00000nam a2200000   4500",
                      "fields": [{"001": "mj3"}, {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": DOUBLE}]}}]})
    mrk = f"=LDR  00000nam a2200000   4500\n=001  mj4\n=245  10$a{DOUBLE}\n".encode()
    for fmt, raw in (("marcxml", xml), ("marcjson", mij.encode()), ("mrk", mrk)):
        marc, repairs = read_record(raw, fmt)
        assert marc["245"]["a"] == "Pétain, Fernández, Über, Friedländer", fmt
        assert MOJIBAKE_REPAIR in repairs, fmt


def test_marc_in_json_with_a_raw_line_break_in_a_string_is_read_and_noted(tmp_path: Path) -> None:
    # pymarc's own test.json has one; strict JSON forbids it, pymarc's reader accepts it
    def record(local_id: str, title: str) -> str:
        field = '{"245": {"ind1": "0", "ind2": "0", "subfields": [{"a": "' + title + '"}]}}'
        return '{"leader": "00000nam a2200000   4500", "fields": [{"001": "' + local_id + '"}, ' + field + "]}"
    doc = f"[{record('j1', 'Two' + chr(10) + '   lines')},\n {record('j2', 'Next')}]\n"
    counts, store = _harvest(tmp_path, doc.encode())
    with store:
        first = store.get(RecordId("feed:j1"))
        assert first is not None and first.normalized.title == "Two lines"
        assert any("raw control characters" in note for note in first.normalized.repairs)
        assert store.get(RecordId("feed:j2")) is not None
    assert counts["new"] == 2 and counts["quarantined"] == 0


def process_record(raw: bytes) -> dict[str, str]:
    """One ISO 2709 record through the harvest's own per-record step (read, normalize, serialize)."""
    outcome = _process_one(MUTANTS, "f", "iso2709", "record 1", raw)
    assert isinstance(outcome, Stored), outcome
    return {"normalized": outcome.record.normalized_json}  # type: ignore[union-attr]


def test_a_unimarc_record_maps_its_own_tags_not_marc21s() -> None:
    # UNIMARC as a national library exports it (pymarc's ICCU record, Catmandu-MARC's Greek one): read
    # through the MARC 21 rules it had no title, its ISBN (010) became an LCCN, its 100 an "author"
    fields: list[tuple[str, str | bytes]] = [
        ("001", "IT\\ICCU\\TST\\0000001"),
        ("010", "  \x1fa88-04-40682-8\x1fdL. 30000"),
        ("100", "  \x1fa19960314d1996    km y0itay50      ba"),
        ("101", "1 \x1faita\x1fceng"),
        ("200", "1 \x1faL'altra faccia della spirale\x1feracconti\x1ffIsaac Asimov\x1fgtraduzione di Carlo Fruttero"),
        ("205", "  \x1fa2. ed."),
        ("210", "  \x1faMilano\x1fcA. Mondadori\x1fd1996"),
        ("215", "  \x1fa254 p."),
        ("225", "| \x1faOscar fantascienza"),
        ("330", "  \x1faRacconti di fantascienza."),
        ("606", "  \x1faFantascienza\x1fxRacconti\x1f2FIR"),
        ("700", " 1\x1faAsimov,\x1fb, Isaac\x1ff1920-1992\x1f4070"),
        ("702", " 1\x1faFruttero,\x1fbCarlo\x1f4730"),
        ("712", "02\x1faMondadori\x1f4650"),
    ]
    record = json.loads(process_record(_iso_wrapped(fields, kind="am"))["normalized"])
    assert record["title"] == "L'altra faccia della spirale" and record["subtitle"] == "racconti"
    assert record["responsibility"] == "Isaac Asimov" and record["edition"] == "2. ed."
    assert record["isbns"] == ["9788804406822"] and record["lccns"] == []
    assert record["year"] == 1996 and record["languages"] == ["ita"] and record["format"] == "book"
    assert record["publisher"] == "A. Mondadori" and record["place"] == "Milano" and record["extent"] == "254 p."
    assert [(a["name"], a["roles"], a["primary"]) for a in record["authors"]] == [
        ("Asimov, Isaac", ["author"], True), ("Fruttero, Carlo", ["translator"], False),
        ("Mondadori", ["publisher"], False)]
    assert record["authors"][0]["dates"] == "1920-1992"
    assert record["subjects"][0]["parts"] == ["Fantascienza", "Racconti"] and record["series"] == ["Oscar fantascienza"]
    assert record["summary"] == "Racconti di fantascienza."


def test_a_marc21_record_with_a_200_field_is_still_read_as_marc21() -> None:
    raw = _iso_wrapped([("001", "m21"), ("245", "10\x1faA MARC 21 title"), ("200", "  \x1falocal data")])
    assert json.loads(process_record(raw)["normalized"])["title"] == "A MARC 21 title"


def test_marc_line_text_with_the_leader_alone_on_the_first_line_is_sniffed_and_read(tmp_path: Path) -> None:
    # Catmandu's "Line" format (its code4lib.line): before, sniffed as ISO 2709 and quarantined whole
    text = ("00000nas a2200000 c 4500\n001 ln1\n022    $a 1234-5679\n245 00 $a A journal of lines $b JL\n\n"
            "00000nam a2200000 c 4500\n001 ln2\n245 10 $a A second record\n")
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "export.line").write_text(text)
    assert sniff_format(tmp_path / "feed" / "export.line") == "mrk"
    (tmp_path / "unioncat.toml").write_text('data_dir = "var"\n[[sources]]\nid = "feed"\npath = "feed"\n')
    settings = load_settings(tmp_path / "unioncat.toml")
    store = RecordStore(settings.store_path)
    [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
    with store:
        first = store.get(RecordId("feed:ln1"))
        assert first is not None and first.normalized.title == "A journal of lines"
        assert first.normalized.issns == ("1234-5679",) and first.normalized.format == "serial"
        assert first.normalized.repairs == ()  # the leader was read, not defaulted
        assert store.get(RecordId("feed:ln2")) is not None
    assert result.counts["new"] == 2 and result.counts["quarantined"] == 0


def test_repository_language_codes_outside_the_short_table_are_read_through_iso_639() -> None:
    # DSpace writes dc.language.iso as "hu_HU", OJS as "hu", EPrints names ("Hungarian"): before, any
    # code missing from the vocabulary's short table (Hungarian, Serbian, Estonian ...) was dropped
    dc = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Többnyelvű</dc:title>'
          + "".join(f"<dc:language>{code}</dc:language>" for code in
                    ("hu_HU", "Hungarian", "et", "sr-Latn", "ces", "fre", "xx", "123"))
          + "</oai_dc:dc>").encode()
    record = Record.from_dict(json.loads(to_incoming(SOURCE, "oai:x:lang", dc, "oai_dc").normalized_json))
    assert record.languages == ("hun", "est", "srp", "cze", "fre")
