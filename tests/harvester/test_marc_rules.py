"""Normalization of real records from seven libraries, pinned field by field (tests/data/marc/README.md).

Laurentian (MARC-8, 949 items), Michigan (852), Chicago (880 CJK, 852), Cornell (score, serial, video),
Duke (serial, 852), Johns Hopkins (Hebrew 880s), a FOLIO Reservoir OCLC bib with its MFHD record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pymarc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.errors import RecordSkipped
from harvester.marc.files import iter_raw_records, parse_raw_record, sniff_format
from harvester.marc.mapping import local_id_of, normalize_marc
from harvester.marc.rules import MarcView, marc, parse_spec, to_field, trim_punctuation
from harvester.record import AltScript, Author, Link, Record, Subject
from harvester.settings import SourceConfig, parse_settings
from harvester.text import sort_key

MARC = Path(__file__).resolve().parents[1] / "data" / "marc"
HARVEST = Path(__file__).resolve().parents[1] / "data" / "harvest"


def source(holdings: Any = "marc21", **extra: Any) -> SourceConfig:
    table = {"id": "lib", "path": "x", "library": {"code": "LIB", "name": "Library"}, "holdings": holdings,
             **extra}
    return parse_settings({"sources": [table]}, Path("/tmp/unioncat.toml")).sources[0]


def records(path: Path, src: SourceConfig | None = None) -> list[Record]:
    src = src or source()
    fmt = sniff_format(path)
    out = []
    for chunk in iter_raw_records(path, fmt):
        marc_record = parse_raw_record(chunk.raw, fmt, src.encoding)
        out.append(normalize_marc(marc_record, src, local_id_of(marc_record) or "?"))
    return out


def test_laurentian_marc8_french_book() -> None:
    [r] = records(MARC / "laurentian_marc8_949_items.mrc", source({"profile": "symphony", "tag": "949"}))
    assert (r.id, r.local_id, r.kind) == ("lib:01-0118795", "01-0118795", "bib")
    assert (r.title, r.title_sort, r.format) == ("Sur mer et sur terre", "sur mer et sur terre", "book")
    assert r.authors == (Author("Chouinard, Ernest", "person", (), "1856-1924", True),)
    assert (r.place, r.publisher, r.year, r.languages) == ("Québec, Qué", "Le Soleil", 1919, ("fre",))
    assert (r.extent, r.page_count, r.lccns) == ("250 p.", 250, ("20004418",))
    assert r.leader == "00582nam  2200217 a 4500"


def test_michigan_record_with_852_holdings_and_subject_subdivisions() -> None:
    [r] = records(MARC / "michigan_852_holdings.mrc")
    assert (r.title, r.title_sort) == ("The descent of manuscripts", "descent of manuscripts")  # ind2 = 4
    assert r.format == "e-book"  # 007 "cr": a digitized copy, "Mode of access: Internet."
    assert r.subjects[:2] == (Subject(("Cicero, Marcus Tullius", "Manuscripts"), "600", "lcsh"),
                              Subject(("Plato. Critias", "Manuscripts"), "600", "lcsh"))
    assert r.subjects[3].heading == "Criticism, Textual"
    assert (r.oclc_numbers, r.lccns, r.year) == (("67181",), ("78011026",), 1970)
    assert r.notes == ("Reprint of the 1918 ed.", "Includes bibliographical references.",
                       "Mode of access: Internet.")


def test_chicago_cjk_record_pairs_880_fields_with_their_fields() -> None:
    [r] = records(MARC / "uchicago_880_852.xml")
    assert r.title == "Fu Xihua cang gu dian xi qu qu pu shen duan pu cong kan"
    assert (r.isbns, r.oclc_numbers, r.year) == (("9787507741155",), ("775658364",), 2013)
    assert (r.publisher, r.place) == ("Xue yuan chu ban she", "Beijing Shi")
    assert r.format == "book"  # its 008 is 28 characters long: positions past 17 are not trusted
    title_880 = "傅惜华藏古典戏曲曲谱身段谱丛刊 / 主编王文章 ; 副主编刘文峰"
    assert r.alternate_scripts[0] == AltScript("245", title_880, "01", "")
    assert r.alternate_scripts[2] == AltScript("264", "北京市 : 学苑出版社, 2013", "03", "")
    assert [a.name for a in r.authors] == ["Fu, Xihua", "Liu, Wenfeng", "Wang, Wenzhang"]


def test_johns_hopkins_hebrew_record_with_script_codes() -> None:
    [r] = records(MARC / "hebrew880s.marc")
    assert r.title == 'Anarkhizm be-"Tsiyon"' and r.subtitle == "ben Marṭin Buber le-Aharon Daṿid Gordon"
    assert r.isbns == ("9789651321337",)  # 020s 9789651321337 and 9651321334 are one ISBN
    assert r.oclc_numbers == ("710973037",)  # "ocn710973037" and "(OCoLC)710973037"
    assert r.other_ids == ("other:0003200213195", "other:3221319")
    assert r.alternate_scripts[0] == AltScript("100", "רצבי, שלום", "01", "(2")
    assert r.alternate_scripts[1].tag == "245" and r.alternate_scripts[1].text.startswith("אנרכיזם")
    assert r.subjects[0].parts == ("Buber, Martin, 1878-1965", "Religion")


def test_cornell_score_serial_and_video() -> None:
    [score] = records(MARC / "cornell_score.mrc")
    assert (score.format, score.title, score.year) == ("score", "Neue Ausgabe sämtlicher Werke", 1955)
    assert score.languages == ("lat", "ita", "ger")
    assert score.responsibility == "Hrsg. von der Internationalen Stiftung Mozarteum, Salzburg"
    [serial] = records(MARC / "cornell_serial_issn.mrc")
    assert (serial.format, serial.issns, serial.lccns) == ("serial", ("0022-0469",), ("58020553",))
    assert serial.authors == (Author("Dugmore, C. W. (Clifford William)", "person", ("editor",)),)
    [video] = records(MARC / "cornell_video.mrc")
    assert (video.format, video.year, video.languages) == ("video", 2009, ("spa", "eng"))
    assert video.other_ids == ("upc:885444214585",)
    assert video.subjects[1] == Subject(("Musicians", "Dominican Republic"), "650", "lcsh")


def test_duke_serial_with_a_padded_leader_and_852() -> None:
    duke = source({"profile": "marc21", "library": "b", "location": "c", "call_number": "hi"})
    [r] = records(MARC / "duke_serial_852.xml", duke)
    assert (r.format, r.title, r.lccns) == ("serial", "Annual financial report", ("2003230283",))
    assert r.year is None  # 008 says "19uu" and there is no 260 $c
    assert r.oclc_numbers == ()  # 035 "53879208" has no OCLC prefix, and 001 is Duke's own number
    assert r.links == (Link("http://purl.access.gpo.gov/GPO/LPS41424", "Current issue", True),)


def test_reservoir_mfhd_record_attaches_to_its_bib() -> None:
    bib, mfhd = records(MARC / "reservoir_bib_and_mfhd_866.mrc")
    assert (bib.kind, bib.local_id, bib.title) == ("bib", "ocn244067492", "Journals")
    assert bib.authors[0] == Author("Smith, Joseph, Jr.", "person", ("author",), "1805-1844", True)
    assert bib.authors[3].roles == ("editor",)
    assert (mfhd.kind, mfhd.parent_local_id, mfhd.title) == ("holdings", "ocn244067492", "")
    [holding] = mfhd.holdings
    assert (holding.location, holding.call_number, holding.summary) == (
        "LFM — LFMM General Collection", "BX8695 .S6 A3 2008", "V.1; V.2; V.3")


def test_authority_records_are_skipped_with_the_reason() -> None:
    path = HARVEST / "lib-b" / "lc_authorities_3.mrc"
    chunk = next(iter(iter_raw_records(path, "iso2709")))
    with pytest.raises(RecordSkipped, match="authority record"):
        normalize_marc(parse_raw_record(chunk.raw, "iso2709"), source(), "a1")


def test_isbns_invalid_ones_apart_and_cancelled_ones_not_identifiers() -> None:
    r = build([("020", "  ", [("a", "0-19-852663-6 (pbk.)")]), ("020", "  ", [("a", "0198526637")]),
               ("020", "  ", [("z", "9780316769174")]),
               ("022", "  ", [("a", "0317-8471"), ("y", "0022-0460")]),
               ("035", "  ", [("a", "(OCoLC)ocm00012345")]), ("035", "  ", [("a", "(DLC)12345")]),
               ("010", "  ", [("a", "n  78-89035 ")]), ("024", "7 ", [("a", "10.1000/182"), ("2", "doi")])])
    assert r.isbns == ("9780198526636",)
    assert r.invalid_isbns == ("0198526637", "9780316769174")
    assert (r.issns, r.oclc_numbers, r.lccns, r.other_ids) == (("0317-8471",), ("12345",), ("n78089035",),
                                                               ("doi:10.1000/182",))


def test_title_part_nonfiling_and_punctuation() -> None:
    r = build([("245", "14", [("a", "The Hobbit, or, There and back again :"), ("b", "a tale /"),
                              ("n", "Part 2,"), ("p", "The return."), ("c", "by J.R.R. Tolkien.")]),
               ("490", "1 ", [("a", "Tolkien classics ;"), ("v", "v. 3.")]),
               ("830", " 0", [("a", "Tolkien classics ;"), ("v", "v. 3.")]),
               ("250", "  ", [("a", "1st ed.")]), ("300", "  ", [("a", "xii, 310, [2] p. :")])])
    assert (r.title, r.subtitle) == ("The Hobbit, or, There and back again", "a tale")
    assert r.part == "Part 2. The return"
    assert r.title_sort == "hobbit or there and back again a tale"
    assert r.full_title == "The Hobbit, or, There and back again : a tale. Part 2. The return"
    assert r.responsibility == "by J.R.R. Tolkien"
    assert (r.series, r.volumes) == (("Tolkien classics",), ("Part 2", "v. 3"))
    assert (r.edition, r.extent, r.page_count) == ("1st ed.", "xii, 310, [2] p.", 310)


def test_year_falls_back_from_008_to_264_and_languages_to_041() -> None:
    r = build([("008", None, "000000n uuuu    xx            000 0 und d"),
               ("041", "0 ", [("a", "engfre")]), ("264", " 1", [("a", "Paris :"), ("b", "Gallimard,"),
                                                               ("c", "[1985?]")])])
    assert (r.year, r.languages, r.publisher, r.place) == (1985, ("eng", "fre"), "Gallimard", "Paris")


@pytest.mark.parametrize(
    ("leader", "f007", "f008_form", "expected"),
    [("nam", "", " ", "book"), ("nam", "cr", " ", "e-book"), ("nam", "", "o", "e-book"),
     ("nas", "", " ", "serial"), ("nas", "cr", " ", "e-journal"), ("ncm", "", " ", "score"),
     ("nem", "", " ", "map"), ("njm", "", " ", "music-recording"), ("nim", "", " ", "audio"),
     ("ngm", "vd", " ", "video"), ("ntm", "", " ", "manuscript"), ("npc", "", " ", "mixed"),
     ("nmm", "", " ", "computer-file"), ("nkm", "", " ", "image"), ("nrm", "", " ", "object"),
     ("nom", "", " ", "kit"), ("nam", "he", " ", "microform"), ("naa", "", " ", "chapter"),
         ("nab", "", " ", "article"), ("nab", "cr", " ", "article")],
)
def test_format_from_leader_007_and_008(leader: str, f007: str, f008_form: str, expected: str) -> None:
    f008 = "0" * 23 + f008_form + " " * 16
    fields: list[tuple[str, Any, Any]] = [("008", None, f008)]
    if f007:
        fields.append(("007", None, f007))
    assert build(fields, leader=f"00000{leader} a2200000 a 4500").format == expected


def test_rules_name_themselves_and_bad_specs_fail_at_definition() -> None:
    with pytest.raises(ValueError, match="bad MARC spec"):
        parse_spec("24")
    rule = to_field("broken", lambda view: 1 / 0)
    view = MarcView(pymarc.Record())
    with pytest.raises(Exception, match=r"rule broken at test_marc_rules.py:\d+: ZeroDivisionError"):
        rule.apply(view)
    view = MarcView(_marc([("245", "10", [("a", "A :"), ("b", "b /"), ("c", "c")])]))
    assert marc("245ab")(view) == ["A : b /"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Moby Dick /", "Moby Dick"), ("Smith, John.", "Smith, John"), ("Jr.", "Jr."), ("Hunt, A.", "Hunt, A."),
    ("[Paris] :", "[Paris]"), ("[Paris :", "Paris"), ("Oxford ;", "Oxford"), ("1985.", "1985"),
])
def test_trim_punctuation(text: str, expected: str) -> None:
    assert trim_punctuation(text) == expected


def test_sort_key_folds_case_accents_and_punctuation() -> None:
    assert sort_key("L'Été : ʻAm ʻoved!") == "lete am oved"


def _marc(fields: list[tuple[str, Any, Any]], leader: str = "00000nam a2200000 a 4500") -> pymarc.Record:
    record = pymarc.Record()
    record.leader = pymarc.Leader(leader)
    record.add_field(pymarc.Field(tag="001", data="t1"))
    for tag, indicators, content in fields:
        if indicators is None:
            record.add_field(pymarc.Field(tag=tag, data=content))
        else:
            record.add_field(pymarc.Field(tag=tag, indicators=pymarc.Indicators(*indicators),
                                          subfields=[pymarc.Subfield(c, v) for c, v in content]))
    return record


def build(fields: list[tuple[str, Any, Any]], leader: str = "00000nam a2200000 a 4500") -> Record:
    """A record built field by field, for rules that need a case the real fixtures do not show."""
    return normalize_marc(_marc(fields, leader), source(), "t1")


def test_subject_thesaurus_from_the_second_indicator_or_subfield_2() -> None:
    import pymarc

    from harvester.marc.headings import thesaurus

    def field(tag: str, ind2: str, *subfields: str) -> pymarc.Field:
        codes = [pymarc.Subfield(subfields[i], subfields[i + 1]) for i in range(0, len(subfields), 2)]
        return pymarc.Field(tag=tag, indicators=pymarc.Indicators(" ", ind2), subfields=codes)

    assert thesaurus("650", field("650", "0", "a", "Research")) == "lcsh"
    assert thesaurus("650", field("650", "2", "a", "Research")) == "mesh"
    assert thesaurus("650", field("650", "7", "a", "Forskningsmetodik", "2", "sao")) == "sao"
    assert thesaurus("650", field("650", "7", "a", "Onderzoek")) == "unspecified"
    assert thesaurus("650", field("650", "4", "a", "Vetenskap")) == "unspecified"
    assert thesaurus("653", field("653", " ", "a", "keyword")) == "uncontrolled"


_SPACES = "  \t\n\r\x0b\x0c\xa0\u2007\u3000"


@given(st.lists(st.tuples(st.sampled_from("abc6"), st.text(alphabet=st.sampled_from("ab.:" + _SPACES), max_size=8)),
                min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_the_one_tag_fast_path_collapses_white_space_like_the_general_one(subfields: list[tuple[str, str]]) -> None:
    """`marc("245ab")` takes a shortcut; with a second tag that no record has it takes the general path.
    Both must give the same text for any white space a library sends (a no-break space, a carriage
    return, an ideographic space: the shortcut used to keep these, so a title compared differently)."""
    view = MarcView(_marc([("245", "10", subfields)]))
    assert marc("245ab")(view) == marc("245ab:999a")(view)
    assert marc("245ab").first(view) == (marc("245ab:999a")(view) or [""])[0]  # type: ignore[attr-defined]
