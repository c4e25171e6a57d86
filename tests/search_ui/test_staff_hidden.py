"""The hidden-field rules: their grammar, what they cover, and what `withhold` takes out of a record."""

from __future__ import annotations

import pymarc
import pytest

from harvester.record import AltScript, Holding, Record
from harvester.settings_table import DEFAULT_HIDDEN_FIELDS
from indexer.merge import MergedRecord
from search_ui.staff.hidden import HiddenFields, parse_rule
from search_ui.staff.public import public_status, public_text, withhold

DEFAULT = HiddenFields.parse(DEFAULT_HIDDEN_FIELDS)


def field(tag: str, ind1: str, *pairs: tuple[str, str]) -> pymarc.Field:
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(ind1, " "),
                        subfields=[pymarc.Subfield(c, v) for c, v in pairs])


def test_rules_parse_and_bad_ones_say_the_grammar() -> None:
    assert parse_rule("876-878$x").to == "878" and parse_rule("9XX").tag == "9XX"
    assert parse_rule("561 ind1=0").ind1 == "0" and parse_rule("852$xz").codes == "xz"
    for bad in ("85", "852$", "878-876", "9XX-999", "561 ind1=", "abc"):
        with pytest.raises(ValueError, match="TAG\\[-TAG\\]"):
            parse_rule(bad)


def test_default_rules_cover_what_the_issue_names() -> None:
    cases = {
        ("852", " ", "x"): "x", ("852", " ", "a"): "x", ("876", " ", "x"): "x", ("878", " ", "x"): "x",
        ("949", " ", "i"): "", ("999", "9", "b"): "", ("541", "0", "a"): "", ("561", "0", "a"): "",
        ("583", "0", "a"): "",
    }
    for (tag, ind1, code), hidden in cases.items():
        assert DEFAULT.hidden_codes(field(tag, ind1, (code, "v"))) == hidden, tag
    for tag, ind1 in (("561", "1"), ("541", "1"), ("583", "1"), ("245", "1"), ("875", " "), ("879", " ")):
        assert DEFAULT.hidden_codes(field(tag, ind1, ("a", "v"))) is None, tag
    assert DEFAULT.hidden_codes(field("880", "0", ("6", "561-01"), ("a", "v"))) == ""  # renders a private 561
    assert DEFAULT.hidden_codes(field("880", "1", ("6", "245-01"), ("a", "v"))) is None


def test_values_and_redact() -> None:
    record = pymarc.Record()
    record.add_field(field("245", "1", ("a", "Title")), field("852", " ", ("b", "MAIN"), ("x", "staff  only")),
                     field("561", "0", ("a", "Bought from"), ("b", "a dealer"), ("5", "DLC")),
                     field("561", "1", ("a", "Public bookplate")))
    assert DEFAULT.values(record) == {"staff only", "Bought from", "a dealer", "Bought from a dealer"}
    kept = DEFAULT.redact(record)
    assert [f.tag for f in kept.fields] == ["245", "852", "561"]
    assert kept.get_fields("852")[0].get_subfields("x") == [] and kept.get_fields("561")[0].indicator1 == "1"


def test_withhold_takes_out_notes_barcodes_and_holding_notes_only() -> None:
    record = Record(id="s:1", source_id="s", local_id="1", title="Title", notes=("Bought from a dealer", "Index."),
                    alternate_scripts=(AltScript("561", "Bought from a dealer"), AltScript("245", "Title")),
                    holdings=(Holding("S", location="Main", call_number="QA1", barcode="3901", note="staff only"),),
                    other_ids=("3901", "(x)1"))
    merged = MergedRecord(id="c1", record=record, members=(), base_id="s:1", provenance={})
    out = withhold(merged, frozenset({"Bought from a dealer", "3901", "staff only"})).record
    assert out.notes == ("Index.",) and [a.tag for a in out.alternate_scripts] == ["245"]
    assert out.holdings[0].barcode == "" and out.holdings[0].note == "" and out.holdings[0].location == "Main"
    assert out.other_ids == ("(x)1",) and out.title == "Title" and out.id == "s:1"
    assert withhold(merged, frozenset({"Gift"})).record.notes == record.notes  # short values: exact only


def test_public_status_cuts_paths_and_redirect_targets() -> None:
    text = "cannot read /srv/unioncat/feeds/east/east.mrc: redirected to http://10.0.0.5:8080/oai?secret=1"
    assert public_text(text) == "cannot read east.mrc: redirected to [address withheld]"
    known = frozenset({"oai.partner.example"})
    assert public_text("no answer from https://OAI.partner.example/oai?verb=x", known) == \
        "no answer from https://OAI.partner.example/…"
    assert public_text("C:\\feeds\\west\\w.mrc bad") == "w.mrc bad"
    row = {"quarantine": [{"file": "/data/in/a.mrc", "position": "record 7"}], "records": 3}
    assert public_status(row) == {"quarantine": [{"file": "a.mrc", "position": "record 7"}], "records": 3}
