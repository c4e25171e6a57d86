"""Merged records: the richest member as base, unions with provenance, every holding incl. MFHD."""

from __future__ import annotations

from pathlib import Path

from harvester.record import Author, Holding, Link, Record, Subject
from harvester.run import harvest_sources
from harvester.settings import load_settings
from harvester.store import RecordStore
from indexer.dedup.clusters import ClusterStore
from indexer.dedup.idmatch import IdentifierMatcher
from indexer.merge import completeness, load_merged, merge_records
from tests.indexer.conftest import Catalogue, make_mfhd, make_record

ISBN = "9780306406157"


def rich(record_id: str = "lib-a:1", **extra: object) -> Record:
    fields: dict[str, object] = dict(
        title="Moby Dick",
        subtitle="a novel", responsibility="by Herman Melville", place="New York", year=1851, extent="635 p.",
        authors=(Author("Melville, Herman, 1819-1891", primary=True),),
        subjects=(Subject(("Whaling", "Fiction")), Subject(("Sea stories",))),
        isbns=(ISBN,), languages=("eng",), links=(Link("https://example.org/moby", "Full text"),),
    )
    fields.update(extra)
    return make_record(record_id, **fields)  # type: ignore[arg-type]


def test_the_richest_member_is_the_base_and_all_caps_or_brief_records_are_demoted() -> None:
    full = rich("lib-b:1")
    shouting = rich("lib-a:1", title="MOBY DICK OR THE WHALE")
    brief = make_record("lib-c:1", title="Moby Dick", isbns=(ISBN,), publisher="")
    assert completeness(shouting) < completeness(full)
    assert completeness(brief) < completeness(full)
    merged = merge_records("c1", [shouting, brief, full])
    assert merged.base_id == "lib-b:1"
    assert merged.record.title == "Moby Dick"
    assert merged.provenance["title"] == ("lib-b:1",)


def test_identifiers_subjects_links_and_authors_are_unioned_with_their_sources() -> None:
    a = rich("lib-a:1")
    b = make_record(
        "lib-b:1", title="Moby Dick", isbns=(ISBN, "9780198526636"), oclc_numbers=("12345",),
        subjects=(Subject(("whaling", "fiction")), Subject(("Whales",))),
        links=(Link("https://example.org/moby"), Link("https://example.org/other")),
        authors=(Author("Melville, Herman."),), summary="A whale of a tale.",
    )
    merged = merge_records("c1", [a, b]).record
    assert merged.isbns == (ISBN, "9780198526636")
    assert merged.oclc_numbers == ("12345",)
    assert [s.heading for s in merged.subjects] == ["Whaling -- Fiction", "Sea stories", "Whales"]
    assert [link.url for link in merged.links] == ["https://example.org/moby", "https://example.org/other"]
    assert [author.name for author in merged.authors] == ["Melville, Herman, 1819-1891"]
    assert merged.summary == "A whale of a tale."  # the base had none: filled from the next member
    provenance = merge_records("c1", [a, b]).provenance
    assert provenance["isbns"] == ("lib-a:1", "lib-b:1")
    assert provenance["oclc_numbers"] == ("lib-b:1",)
    assert provenance["summary"] == ("lib-b:1",)
    assert provenance["year"] == ("lib-a:1",)


def test_every_holding_is_kept_including_mfhd(store: RecordStore, catalogue: Catalogue) -> None:
    shelf = Holding("LB", "Library B", location="Main — Stacks", call_number="PS2384 .M6", copies=2,
                    source_tag="852")
    branch = Holding("LB", "Library B", location="Annex", call_number="PS2384 .M6 c.3", lendable=False,
                     source_tag="MFHD")
    catalogue.put(
        rich("lib-a:1"),
        make_record("lib-b:1", title="Moby Dick", isbns=(ISBN,), holdings=(shelf,)),
        make_record("lib-c:1", title="Moby Dick", isbns=(ISBN,),
                    holdings=(Holding("LC", "Library C", source_tag=""),)),
    )
    catalogue.put(make_mfhd("lib-c:h1", "lib-c:1", [Holding("LC", "Library C", call_number="X 1",
                                                           source_tag="MFHD")]))
    catalogue.put(make_mfhd("lib-b:h1", "lib-b:1", [branch]))
    clusters = ClusterStore(store)
    clusters.update(IdentifierMatcher())
    [(cluster_id, members)] = list(clusters.iter_clusters())
    [merged] = load_merged(store, [(cluster_id, members)])
    holdings = merged.record.holdings
    assert shelf in holdings and branch in holdings
    assert ("LA", "CN 1") in {(h.library_code, h.call_number) for h in holdings}
    # lib-c's placeholder holding gives way to its MFHD holding; nothing else is dropped
    assert [h.call_number for h in holdings if h.library_code == "LC"] == ["X 1"]
    assert len(holdings) == 4
    assert merged.libraries == ("Library A", "Library B", "Library C")
    assert [(m.record_id, m.library_name) for m in merged.members] == [
        ("lib-a:1", "Library A"), ("lib-b:1", "Library B"), ("lib-c:1", "Library C"),
    ]
    assert merged.id == cluster_id and merged.record.id == cluster_id


def test_deleted_members_and_mfhd_are_left_out(store: RecordStore, catalogue: Catalogue) -> None:
    catalogue.put(rich("lib-a:1"), make_record("lib-b:1", isbns=(ISBN,)))
    catalogue.put(make_mfhd("lib-a:h1", "lib-a:1", [Holding("LA", "Library A", call_number="GONE")]))
    catalogue.delete("lib-a:h1", "lib-b:1")
    [merged] = load_merged(store, [("c1", ["lib-a:1", "lib-b:1"])])
    assert [m.record_id for m in merged.members] == ["lib-a:1"]
    assert "GONE" not in {h.call_number for h in merged.record.holdings}
    assert load_merged(store, [("c2", ["lib-b:1"])]) == []


def test_real_mfhd_holdings_replace_the_bibs_placeholder(tmp_path: Path) -> None:
    """FOLIO's mfhd.marc (bibs interleaved with MFHD records), harvested for real: 852s reach the item."""
    fixture = Path(__file__).resolve().parents[1] / "data" / "harvest" / "lib-b" / "mfhd.marc"
    config = tmp_path / "unioncat.toml"
    config.write_text(f'data_dir = "var"\n[[sources]]\nid = "lib-b"\npath = "{fixture}"\n'
                      'library = { code = "LIBB", name = "Library B" }\n')
    settings = load_settings(config)
    with RecordStore(settings.store_path) as store:
        [result] = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
        assert result.status == "ok"
        clusters = ClusterStore(store)
        clusters.update(IdentifierMatcher())
        bib = "lib-b:ocm22544415"
        assert [r.id for r in store.holdings_records(bib)] == ["lib-b:203780362"]
        cluster_id = clusters.cluster_of(bib)
        assert cluster_id is not None
        [merged] = load_merged(store, [(cluster_id, clusters.members(cluster_id))])
        holdings = [(h.call_number, h.source_tag) for h in merged.record.holdings]
        assert holdings == [("DS181 .P3813 1989", "852")]
        assert merged.record.holdings[0].location == "LFM — LFMM General Collection"
