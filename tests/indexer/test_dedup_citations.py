"""Citation-style damage the first robustness set did not have (issue 12, `dedup_sets.noisy_set`):
typos in the title, author lists reordered or cut with "et al.", years one off.

Each pair is written the way a scraped citation and a publisher's record of one paper differ (the
titles, names and venues are real DBLP-ACM records; the damage is the noisy set's kinds).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from indexer.dedup.decide import DedupMatcher
from indexer.dedup.keys import blocking_keys, name_surname

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dedup_sets import article_record  # noqa: E402

MATCHER = DedupMatcher()


def vetoes_of(a, b) -> set[str]:  # noqa: ANN001 - Records
    return {r.rule for r in MATCHER.explain(a, b).reasons if r.veto}


def test_a_typo_and_reordered_authors_still_share_a_blocking_key() -> None:
    """A two-word title with a typo in its second word and the authors in another order: every
    title key differs, the first author differs, so only the co-authors + year can bring them together."""
    clean = article_record("dblp", "1", "Comprehension syntax", "Limsoon Wong, Dan Suciu, Val Tannen, "
                           "Peter Buneman, Leonid Libkin", "SIGMOD Record", "1994")  # fmt: skip
    typo = article_record("acm", "2", "Comprehension syutax", "Dan Suciu, Limsoon Wong, Peter Buneman, "
                          "Leonid Libkin, Val Tannen", "ACM SIGMOD Record", "1994")  # fmt: skip
    shared = set(blocking_keys(clean)) & set(blocking_keys(typo))
    assert {"py:wong|1994", "py:suciu|1994"} <= shared
    assert [sorted(g) for g in MATCHER.cluster([clean, typo])] == [sorted([clean.id, typo.id])]


def test_a_dateless_citation_meets_by_author_and_first_letter() -> None:
    clean = article_record("dblp", "1", "Data modelling in the large", "Martin Bertram", "SIGMOD Record", "1994")
    cut = article_record("acm", "2", "Dta in he large", "Martin Bertram", "ACM SIGMOD Rec.", "")
    assert "pa:bertram|d" in set(blocking_keys(clean)) & set(blocking_keys(cut))


def test_author_keys_are_for_component_parts_only() -> None:
    book = replace(article_record("a", "1", "Comprehension syntax", "Limsoon Wong", "", "1994"), format="book")
    assert not [k for k in blocking_keys(book) if k.startswith(("pa:", "py:"))]


def test_et_al_names_nobody() -> None:
    """A citation's "et al." is where its author list was cut, not an author called "Al"."""
    assert name_surname("et al.") == "" and name_surname("Et Al") == "" and name_surname("and others") == ""
    assert name_surname("Alan Al") == "al"
    full = article_record("dblp", "1", "Strudel", "Mary F. Fernandez, Daniela Florescu, Jaewoo Kang",
                          "SIGMOD Conference", "1997")  # fmt: skip
    cut = article_record("acm", "2", "Strudel", "Mary Fernandez, et al.", "", "1997")
    reasons = {r.rule: r for r in MATCHER.explain(full, cut).reasons}
    assert "author_conflict" not in reasons and reasons["author_overlap"].detail.endswith("/ fernandez)")


def test_one_year_apart_is_left_to_the_evidence_not_vetoed() -> None:
    """A part is printed once, but citations give a year one off (the preprint's, a late volume's):
    one year apart is strong evidence against (`year_off`), not a veto, so that a DOI in common can
    still say it is one paper; two years apart is a veto."""
    dblp = article_record("dblp", "1", "Hierarchies and relative operators in the OLAP environment",
                          "Elaheh Pourabbas, Maurizio Rafanelli", "SIGMOD Record", "2000")  # fmt: skip
    acm = article_record("acm", "2", "Hierarchies and relative operators in the OLAP environment",
                         "Maurizio Rafanelli, Elaheh Pourabbas", "ACM SIGMOD Record", "2001")  # fmt: skip
    explanation = MATCHER.explain(dblp, acm)
    assert "year-veto" not in vetoes_of(dblp, acm)
    assert [r.score < -1 for r in explanation.reasons if r.rule == "year_off"] == [True]
    assert not explanation.same  # the title and names alone do not outweigh the year
    doi = ("doi:10.1145/344788.344799",)
    assert MATCHER.explain(replace(dblp, other_ids=doi), replace(acm, other_ids=doi)).same
    assert "year-veto" in vetoes_of(dblp, replace(acm, year=2002))


def test_a_journal_and_a_conference_a_year_apart_are_versions() -> None:
    paper = article_record("dblp", "1", "Online dynamic reordering for interactive data processing",
                           "Vijayshankar Raman, Joseph M. Hellerstein", "VLDB Conference", "1999")  # fmt: skip
    journal = article_record("acm", "2", "Online dynamic reordering", "Vijayshankar Raman, Joseph M. Hellerstein",
                             "The VLDB Journal", "2000")  # fmt: skip
    assert "year-veto" in vetoes_of(paper, journal)
    from indexer.dedup.parts import host_kind

    assert (host_kind("proc int conf manag data"), host_kind("acm trans database syst"), host_kind("vldb")) == (
        "conference", "journal", "")


def test_given_names_of_a_pasted_author_list_are_not_title_words() -> None:
    """The dirty citation pastes "stefan seltzsam , donald kossmann …" into its title; the other
    record gives "s. seltzsam": the spelled-out given names are names, not extra title words."""
    from indexer.dedup.parts import title_cores
    from indexer.dedup.profiles import profile

    pasted = article_record("dblp", "1", "objectglobe : ubiquitous query processing on the internet stefan "
                            "seltzsam , donald kossmann , markus keidl , alfons kemper", "", "", "2001")  # fmt: skip
    initials = article_record("acm", "2", "ObjectGlobe: ubiquitous query processing on the Internet",
                              "S. Seltzsam, D. Kossmann, M. Keidl, A. Kemper", "The VLDB Journal", "2001")  # fmt: skip
    core_pasted, core_clean = title_cores(profile(pasted), profile(initials))
    assert core_pasted == core_clean == ["objectglobe", "ubiquitous", "query", "processing", "internet"]
    assert MATCHER.explain(pasted, initials).same
    # a given name stays a title word when no author of either record follows it
    plain = article_record("acm", "3", "Markus and the query processing", "S. Seltzsam", "", "2001")
    assert "markus" in title_cores(profile(plain), profile(initials))[0]


def test_one_editors_columns_in_two_journals_are_two_items() -> None:
    """Richard Snodgrass edited both ACM TODS and (with others) the VLDB Journal: two "Editorial"s
    of one year, one signer, two journals."""
    tods = article_record("acm", "1", "Editorial", "Richard Snodgrass", "ACM Transactions on Database Systems (TODS)",
                          "2002")  # fmt: skip
    vldb = article_record("dblp", "2", "Editorial", "Peter M. G. Apers, Stefano Ceri, Richard T. Snodgrass",
                          "VLDB J.", "2002")  # fmt: skip
    assert "column-veto" in vetoes_of(tods, vldb)
    same_journal = article_record("dblp", "3", "Editorial", "Richard T. Snodgrass", "ACM Trans. Database Syst.", "2002")
    assert "column-veto" not in vetoes_of(tods, same_journal)
    keynote = article_record("dblp", "4", "Keynote address", "Jim Gray", "SIGMOD Conference", "1995")
    other_name = article_record("acm", "5", "Keynote address", "Jim Gray",
                                "International Conference on Management of Data", "1995")  # fmt: skip
    assert "column-veto" not in vetoes_of(keynote, other_name)  # one meeting, two names
