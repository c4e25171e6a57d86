"""Component parts, hosts, series numbers and sets: what issue 12 found the matcher getting wrong.

Real records where the case exists in our data (the two demo false merges, from samples/ via
tests/data/dedup/demo_false_merges.jsonl); MARC built with pymarc through the real mapping for 773 and
leader/07; DBLP-ACM-style rows (`bench/dedup_sets.article_record`) for citation-style articles.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pymarc
import pytest

from harvester.marc.files import parse_raw_record
from harvester.marc.host import parse_related_parts
from harvester.marc.mapping import normalize_marc
from harvester.record import Author, Record
from indexer.dedup.decide import DedupMatcher
from indexer.dedup.keys import blocking_keys

DATA = Path(__file__).resolve().parent.parent / "data" / "dedup"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dedup_sets import article_record, goldfinch_source  # noqa: E402

MATCHER = DedupMatcher()


def demo_records() -> dict[str, Record]:
    """The four demo records, normalized by the real pipeline, each in its own demo source."""
    out = {}
    for line in (DATA / "demo_false_merges.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        source = replace(goldfinch_source(Path(item["sample"]).parent.name), dedup_within_source=False)
        marc = parse_raw_record(json.dumps(item["record"]).encode(), "marcjson")
        out[marc["001"].data] = normalize_marc(marc, source, marc["001"].data)
    return out


def veto_details(a: Record, b: Record) -> list[str]:
    return [r.detail for r in MATCHER.explain(a, b).reasons if r.veto]


def test_census_reports_with_lettered_series_numbers_are_separate_items() -> None:
    records = demo_records()
    knitting, weaving = records["id.c59816010b"], records["id.6c27bf9c36"]
    assert knitting.series == ("MC 77-I ; 22 B",) and weaving.series == ("MC 77-I ; 22 A.",)
    assert not MATCHER.explain(knitting, weaving).same
    assert any("series numbers 22b vs 22a" in d for d in veto_details(knitting, weaving))
    assert [sorted(g) for g in MATCHER.cluster([knitting, weaving])] == [[knitting.id], [weaving.id]]


def test_one_volume_is_not_the_three_volume_set() -> None:
    records = demo_records()
    volume, whole = records["id.b9c82a9773"], records["id.610e465716"]
    assert whole.extent.startswith("3 volumes")
    assert "a set of 3 volumes vs a single volume" in veto_details(volume, whole)
    assert len(MATCHER.cluster([volume, whole])) == 2
    # the same set catalogued twice is still one item
    assert MATCHER.explain(whole, replace(whole, id="x:1", source_id="x", extent="3 v. : ill.")).same


def test_lettered_numbers_only_veto_inside_one_series() -> None:
    base = Record(id="a:1", source_id="a", local_id="1", title="Industry report", year=1980, format="book",
                  series=("MC 77-I ; 22 B",), page_count=51)  # fmt: skip
    other_series = replace(base, id="b:1", source_id="b", series=("Technical papers ; 22 A",))
    assert not any("series numbers" in d for d in veto_details(base, other_series))
    ordinal = replace(base, id="b:1", source_id="b", series=("MC 77-I ; 22d",))  # "22d" = 22nd
    assert not any("series numbers" in d for d in veto_details(base, ordinal))


def marc_article(leader7: str, host: str, related: str, title: str = "Editor's notes") -> pymarc.Record:
    record = pymarc.Record(leader=f"00000na{leader7} a2200000 a 4500")
    record.add_field(pymarc.Field(tag="001", data="a1"))
    record.add_field(pymarc.Field(tag="008", data="990101s1999    xxu           000 0 eng d"))
    record.add_field(pymarc.Field(tag="245", indicators=["1", "0"], subfields=[pymarc.Subfield("a", title)]))
    record.add_field(pymarc.Field(tag="773", indicators=["0", " "], subfields=[
        pymarc.Subfield("t", host), pymarc.Subfield("g", related)]))  # fmt: skip
    record.add_field(pymarc.Field(tag="711", indicators=["2", " "], subfields=[
        pymarc.Subfield("a", "Conference on Data Bases"), pymarc.Subfield("d", "(1999 :"),
        pymarc.Subfield("c", "Edinburgh)")]))  # fmt: skip
    return record


def test_component_parts_are_articles_and_chapters_with_their_host() -> None:
    source = goldfinch_source("lib")
    article = normalize_marc(marc_article("b", "Journal of documentation.", "Vol. 55, no. 3 (1999), p. 45-67"),
                             source, "a1")  # fmt: skip
    assert article.format == "article"
    assert (article.host_title, article.host_volume, article.host_issue, article.host_pages) == (
        "Journal of documentation", "55", "3", "45-67")  # fmt: skip
    assert article.host_details == "Vol. 55, no. 3 (1999), p. 45-67"
    assert article.meetings == ("Conference on Data Bases (1999 : Edinburgh)",)
    chapter = normalize_marc(marc_article("a", "Essays in honour of X", "p. 1-20"), source, "a1")
    assert chapter.format == "chapter" and chapter.host_pages == "1-20"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Vol. 12, no. 3 (1999), p. 45-67", ("12", "3", "45-67")), ("12(3):45-67", ("12", "3", "45-67")),
     ("Bd. 5 (2001), S. 10-20", ("5", "", "10-20")), ("p. 101-110", ("", "", "101-110")), ("", ("", "", ""))],
)  # fmt: skip
def test_related_parts_are_read_from_773_g(text: str, expected: tuple[str, str, str]) -> None:
    assert parse_related_parts(text) == expected


ARTICLE = Record(
    id="a:1", source_id="a", local_id="1", title="Editor's notes", format="article", year=1999,
    authors=(Author("Smith, Jane", primary=True),), host_title="Journal of documentation",
    host_volume="55", host_issue="3", host_pages="45-67",
)  # fmt: skip


def test_a_different_host_is_evidence_against_the_same_host_and_pages_for() -> None:
    other_journal = replace(ARTICLE, id="b:1", source_id="b", host_title="Library quarterly",
                            host_volume="12", host_issue="1", host_pages="1-3")  # fmt: skip
    explanation = MATCHER.explain(ARTICLE, other_journal)
    assert not explanation.same
    assert any(r.rule == "host_conflict" and r.score < 0 for r in explanation.reasons)
    assert any(r.rule == "host-veto" for r in explanation.reasons)
    unplaced = replace(other_journal, host_volume="", host_issue="", host_pages="")
    assert [r.score < 0 for r in MATCHER.explain(ARTICLE, unplaced).reasons if r.rule == "host_conflict"] == [True]
    same_place = replace(ARTICLE, id="b:1", source_id="b", host_title="J. of documentation")
    explanation = MATCHER.explain(ARTICLE, same_place)
    assert explanation.same
    assert any(r.rule == "host_place_same" and r.score > 0 for r in explanation.reasons)
    other_pages = MATCHER.explain(ARTICLE, replace(same_place, host_pages="101-104"))
    assert any(r.rule == "host_place_conflict" and r.score <= -3 for r in other_pages.reasons)
    assert other_pages.score < explanation.score - 0.15


def test_citation_pasted_into_the_title_still_matches() -> None:
    clean = article_record("dblp", "1", "Emergent semantics and the multimedia semantic web",
                           "William I. Grosky, Farshad Fotouhi, D. V. Sreenath", "SIGMOD Record", "2002")  # fmt: skip
    dirty = article_record("acm", "2", "emergent semantics and the multimedia semantic web w. i. grosky , "
                           "d. v. sreenath , f. fotouhi acm sigmod record 2002", "", "", "")  # fmt: skip
    assert set(blocking_keys(clean)) & set(blocking_keys(dirty))
    assert MATCHER.explain(clean, dirty).same
    unrelated = article_record("acm", "3", "secure buffering in firm real-time database systems 2002 "
                               "binto george , jayant r. haritsa", "", "", "")  # fmt: skip
    assert not MATCHER.explain(clean, unrelated).same


def test_a_journal_version_a_year_later_is_a_separate_item() -> None:
    """The explicit choice: conference paper and journal version are related versions (one work),
    not one item, so each keeps its holdings."""
    paper = replace(ARTICLE, title="Aurora: a new model for stream management", host_title="SIGMOD conference",
                    host_volume="", host_issue="", host_pages="", year=2002)  # fmt: skip
    journal = replace(paper, id="b:1", source_id="b", host_title="The VLDB journal", year=2003)
    assert "year-veto" in {r.rule for r in MATCHER.explain(paper, journal).reasons if r.veto}


@pytest.mark.parametrize(
    "variant",
    ["Memoirs of a tea planter in Assam and Bengal (demo)", "Smith: Memoirs of a tea planter in Assam and Bengal",
     "Memoirs of a tea planter in Assam"],
)  # fmt: skip
def test_one_added_or_removed_word_leaves_a_shared_blocking_key(variant: str) -> None:
    base = Record(id="a:1", source_id="a", local_id="1", title="Memoirs of a tea planter in Assam and Bengal")
    other = Record(id="b:1", source_id="b", local_id="1", title=variant)
    assert set(blocking_keys(base)) & set(blocking_keys(other))
