"""A small union catalog built the way the harvester builds one, for the web UI tests.

Four member libraries with overlapping holdings, written to a real SQLite record store with
`RecordStore.write_batch` (raw ISO 2709 made with pymarc + normalized `Record` JSON, as
`harvester.run` stores them), then clustered and indexed by `indexer.run.update_index` into the
embedded tantivy backend. No mocks: the app under test reads exactly what `unioncat serve` would.

The cases, by record:
- "Moby Dick" (ISBN 9780142437247) held by North, South and East: one item, three libraries;
- "Journal of testing" (ISSN 0317-8471) held by North and West, West's copy not lendable;
- a hostile record from West whose title is ``<script>alert(1)</script>`` (and worse in every field);
- 45 "history" books spread over the libraries, years, formats and languages, for paging and facets;
- "Whales of the north" (North) and "Rivers of the south" (South): two items until a re-harvest
  corrects South's record into a copy of North's (same OCLC number, title, author, year), so one
  cluster id is retired and must redirect;
- one quarantined input and a failed run at East, for the partners page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pymarc

from harvester.record import Author, Holding, Link, Record, Subject
from harvester.settings import Settings, load_settings
from harvester.store import IncomingRecord, RecordStore

LIBRARIES = {
    "north": ("NOR", "North University"),
    "south": ("SOU", "South College"),
    "east": ("EAS", "East Public Library"),
    "west": ("WES", "West Institute"),
}
XSS = "<script>alert(1)</script>"
TOPICS = (
    "rivers mountains deserts forests oceans islands glaciers volcanoes prairies canyons lakes swamps "
    "caves reefs tundra savannas rainforests coasts valleys plateaus marshes dunes fjords estuaries "
    "geysers waterfalls lagoons steppes moors heaths bogs deltas atolls cliffs springs meadows gorges "
    "highlands lowlands peninsulas archipelagos straits bays capes headlands"
).split()
SURNAMES = (
    "Abbott Baker Carter Dalton Ellis Foster Garner Hughes Irving Jensen Keller Lawson Morgan Nolan "
    "Owens Parker Quinn Rivera Sawyer Turner Underwood Vaughn Walker Xavier Young Zimmer Archer Brooks "
    "Collins Dixon Emerson Fleming Gibson Harper Ingram Jordan Kendall Lambert Mercer Norris Osborne "
    "Prescott Ramsey Sterling Thornton"
).split()
WHALES: dict[str, object] = {
    "oclc_numbers": ("1234567",),
    "year": 1999,
    "format": "book",
    "publisher": "Sea Press",
    "authors": (Author("Smith, Jo", primary=True),),
}
FORMATS = ("book", "book", "e-book", "book", "serial")
LANGUAGES = ("eng", "eng", "fre", "eng", "ger")


@dataclass(frozen=True, slots=True)
class Dataset:
    settings: Settings
    moby: str  # cluster ids
    journal: str
    xss: str
    retired: str
    survivor: str
    history_total: int


def holding(
    source: str,
    location: str = "Main stacks",
    call_number: str = "",
    status: str = "Available",
    lendable: bool = True,
    copies: int = 1,
    unmapped: tuple[str, ...] = (),
) -> Holding:
    code, name = LIBRARIES[source]
    return Holding(
        code, name, location, call_number, status=status, copies=copies, lendable=lendable, source_tag="852",
        kind="item", available=status == "Available", basis=f"status {status}", unmapped=unmapped,
    )


def make(source: str, local_id: str, title: str, **fields: object) -> Record:
    fields.setdefault("holdings", (holding(source, call_number=f"CALL {local_id.upper()}"),))
    fields.setdefault("title_sort", title.lower())
    return Record(id=f"{source}:{local_id}", source_id=source, local_id=local_id, title=title, **fields)  # type: ignore[arg-type]


def marc_of(record: Record) -> bytes:
    """The record as ISO 2709, so the raw view shows real MARC."""
    marc = pymarc.Record(force_utf8=True)
    marc.leader = pymarc.Leader("00000nam a2200000 a 4500")
    marc.add_field(pymarc.Field(tag="001", data=record.local_id))
    for isbn in record.isbns:
        marc.add_field(_field("020", "  ", "a", isbn))
    for author in record.authors[:1]:
        marc.add_field(_field("100", "1 ", "a", author.name))
    marc.add_field(_field("245", "10", "a", record.title))
    if record.publisher or record.year:
        marc.add_field(_field("260", "  ", "b", record.publisher, "c", str(record.year or "")))
    for subject in record.subjects:
        marc.add_field(_field("650", " 0", "a", subject.parts[0]))
    for link in record.links:
        marc.add_field(_field("856", "40", "u", link.url, "y", link.label))
    for h in record.holdings:
        marc.add_field(_field("852", "  ", "a", h.library_code, "b", h.location, "h", h.call_number))
    return marc.as_marc()


def _field(tag: str, indicators: str, *pairs: str) -> pymarc.Field:
    subfields = [
        pymarc.Subfield(code=pairs[i], value=pairs[i + 1]) for i in range(0, len(pairs), 2) if pairs[i + 1]
    ]
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(*indicators), subfields=subfields)


def records() -> list[Record]:
    moby = {
        "isbns": ("9780142437247",),
        "authors": (Author("Melville, Herman", primary=True),),
        "year": 1851,
        "format": "book",
        "languages": ("eng",),
        "subjects": (Subject(("Whaling", "Fiction")),),
        "publisher": "Penguin",
    }
    found = [
        make(
            "north",
            "m1",
            "Moby Dick",
            edition="Penguin classics ed.",
            **moby,
            links=(Link("https://example.org/moby", "Full text"), Link("javascript:alert(2)", "bad link")),
        ),
        make(
            "south",
            "m2",
            "Moby-Dick",
            **moby,
            holdings=(holding("south", "Annex", "PS2384 .M6", status="Checked out", copies=2),),
        ),
        make(
            "east",
            "m3",
            "Moby Dick, or, The whale",
            **moby,
            holdings=(holding("east", "Reference", "813.3 MEL", lendable=False, status="Library use only",
                              unmapped=("location:Reference", "item_type:7")),),
        ),
        make(
            "north",
            "j1",
            "Journal of testing",
            issns=("0317-8471",),
            format="serial",
            year=1990,
            languages=("eng",),
            subjects=(Subject(("Testing",)),),
        ),
        make(
            "west",
            "j2",
            "Journal of testing",
            issns=("0317-8471",),
            format="serial",
            year=1990,
            languages=("eng",),
            holdings=(holding("west", "Periodicals", "J TEST", lendable=False),),
        ),
        make(
            "west",
            "x1",
            XSS,
            subtitle="<img src=x onerror=alert(1)>",
            year=2001,
            format="book",
            authors=(Author('Evil "><b>Hacker</b>', primary=True),),
            publisher="<i>Pub</i>",
            subjects=(Subject(("<svg onload=alert(1)>",)),),
            edition="<u>2nd</u>",
            isbns=("9780306406157",),
            notes=("<iframe src=//evil.example>",),
            links=(Link("javascript:alert(3)", "<b>click</b>"),),
            holdings=(holding("west", "<marquee>loc</marquee>", "<em>CALL</em>"),),
        ),
        make("north", "r1", "Whales of the north", **WHALES),
        make(
            "south",
            "r2",
            "Rivers of the south",
            year=1985,
            format="book",
            authors=(Author("Jones, Ann", primary=True),),
        ),
    ]
    sources = list(LIBRARIES)
    for i, (topic, surname) in enumerate(zip(TOPICS, SURNAMES, strict=False)):
        source = sources[i % 4]
        found.append(
            make(
                source,
                f"h{i}",
                f"A history of {topic}",
                authors=(Author(f"{surname}, Pat", primary=True),),
                year=1950 + i,
                format=FORMATS[i % 5],
                languages=(LANGUAGES[i % 5],),
                subjects=(Subject(("History", topic.capitalize())),),
                publisher="Atlas Press",
            )
        )
    return found


def write(store: RecordStore, batch: list[Record]) -> None:
    by_source: dict[str, list[Record]] = {}
    for record in batch:
        by_source.setdefault(record.source_id, []).append(record)
    for source, recs in by_source.items():
        code, name = LIBRARIES[source]
        store.upsert_source(source, f"{name} catalog", "marc", code, name)
        run = store.start_run(source)
        incoming = [
            IncomingRecord(
                r.id,
                r.source_id,
                r.local_id,
                marc_of(r),
                "iso2709",
                json.dumps(r.to_dict()),
                file=f"{source}.mrc",
                position=str(n),
            )
            for n, r in enumerate(recs, start=1)
        ]
        counts, _ = store.write_batch(run, incoming)
        store.finish_run(run, "ok", {"read": len(recs), "new": counts.new, "updated": counts.updated})


CONFIG = """
data_dir = "var"
[[sources]]
id = "north"
name = "North University catalog"
path = "feeds/north"
library = { code = "NOR", name = "North University" }
[[sources]]
id = "south"
name = "South College catalog"
path = "feeds/south"
library = { code = "SOU", name = "South College" }
[[sources]]
id = "east"
name = "East Public Library catalog"
path = "feeds/east"
library = { code = "EAS", name = "East Public Library" }
[[sources]]
id = "feed"
name = "Consortium OAI feed"
type = "oai-pmh"
url = "http://127.0.0.1:9/oai"
[[sources]]
id = "west"
name = "West Institute catalog"
path = "feeds/west"
library = { code = "WES", name = "West Institute" }
"""


def build(root: Path) -> Dataset:
    """Write the config, the store and the index under ``root``; return the ids tests ask about."""
    from indexer.dedup.clusters import ClusterStore
    from indexer.run import update_index
    from indexer.search.backends import open_backend

    (root / "unioncat.toml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(root / "unioncat.toml")
    store = RecordStore(settings.store_path)
    backend = open_backend(settings)
    try:
        write(store, records())
        update_index(settings, store, backend, show_progress=False)
        clusters = ClusterStore(store)
        before = {rid: clusters.cluster_of(rid) for rid in ("north:r1", "south:r2")}
        # A re-harvest of South: its record r2 was corrected and now describes North's r1.
        again = make("south", "r2", "Whales of the north", **WHALES)
        write(store, [again])
        _failed_run(store)
        update_index(settings, store, backend, show_progress=False)
        survivor = clusters.cluster_of("north:r1")
        assert survivor and clusters.cluster_of("south:r2") == survivor, "the corrected record did not merge"
        retired = next(c for c in before.values() if c != survivor)
        return Dataset(
            settings=settings,
            moby=_cluster(clusters, "north:m1"),
            journal=_cluster(clusters, "north:j1"),
            xss=_cluster(clusters, "west:x1"),
            retired=str(retired),
            survivor=str(survivor),
            history_total=len(TOPICS),
        )
    finally:
        backend.close()
        store.close()


def _cluster(clusters: object, record_id: str) -> str:
    cluster_id = clusters.cluster_of(record_id)  # type: ignore[attr-defined]
    assert cluster_id, record_id
    return str(cluster_id)


def _failed_run(store: RecordStore) -> None:
    run = store.start_run("east")
    reason = "leader length 99999 does not match <bad> data"
    store.quarantine("east", run, "east.mrc", "record 7", reason, b"x")
    store.finish_run(run, "failed", {"read": 1, "quarantined": 1}, error="feed truncated at byte 4096")
