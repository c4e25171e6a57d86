"""The index run's cheaper per-record paths give exactly what the plain ones gave: the stored JSON
decoded by `record_from_json` equals `Record.from_dict(json.loads(...))`, the ASCII shortcuts of the keys
equal the keys, and `merge_records` equals the plain merge it replaced (kept here as the reference) on
generated clusters of one to five records with Unicode, all-caps and brief records, MFHD holdings."""

from __future__ import annotations

import dataclasses
import json
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from harvester.record import AltScript, Author, Holding, Link, Record
from harvester.record_json import record_from_json, record_json
from harvester.text import name_key, title_sort_key
from indexer import merge
from indexer.merge import MergedRecord, _all_caps, _member, _name_key, merge_records
from indexer.search import documents
from indexer.search.backends.embedded import tantivy_schema
from indexer.search.documents import build_document
from indexer.search.headings import heading_fields

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dedup_data import synthetic_records  # noqa: E402

NAMES = ["Müller, Karl, 1901-1980.", "Dvořák, Antonín", "O'Brien, Flann", "Ŝevĉenko", "Smith, J. (John)",
         "東野圭吾", "Łukasz Ąę", "", "Mann, Thomas, 1875-1955", "A" * 3, "van der Berg, Ann-Marie"]
TITLES = ["THE HISTORY OF ART", "Éclair and café", "e\u0301clair", "ABC", "ABCD", "Война и мир",
          "ÀÉÎÕÜ TITLE", "  Spaces   inside\ttitle ", "", "中文 TITLE", "The Hobbit", "ǅemal", "ß straße"]


def varied(records: list[Record], seed: int = 5) -> list[Record]:
    """The generated records with Unicode names and titles, all-caps and brief ones, 880s and links."""
    rng = random.Random(seed)
    out: list[Record] = []
    for n, record in enumerate(records):
        changes: dict[str, Any] = {}
        if n % 3 == 0:
            changes["title"] = rng.choice(TITLES)
            changes["authors"] = (*record.authors, Author(rng.choice(NAMES), roles=("editor",)))
        if n % 5 == 0:
            changes.update(publisher="", extent="", subjects=())
        if n % 7 == 0:
            changes["alternate_scripts"] = (AltScript("245", "Новая нива / ред."), AltScript("500", "примечание"))
            changes["links"] = (Link("http://example.org/a", "Full text", True), Link("http://example.org/a"))
            changes["isbns"] = ("9780000000002", "9780000000002")
            changes["notes"] = ("Note", "NOTE", "")
        out.append(replace(record, **changes))
    return out


def clusters(records: list[Record], seed: int = 9) -> list[list[Record]]:
    """Records in groups of one to five, as clusters of any size."""
    rng = random.Random(seed)
    groups: list[list[Record]] = []
    at = 0
    while at < len(records):
        size = rng.choice([1, 1, 1, 2, 2, 3, 5])
        groups.append(records[at : at + size])
        at += size
    return groups


def test_record_from_json_is_from_dict_of_the_stored_json() -> None:
    records = varied(synthetic_records(300, seed=3)[0])
    for record in records:
        text = record_json(record)
        assert record_from_json(text) == Record.from_dict(json.loads(text)) == record
    data = json.loads(record_json(records[0]))
    data["from_a_later_version"] = [1, 2]  # ignored, as from_dict ignores it
    data["page_count"] = 2**70  # beyond orjson: the standard library reads it
    del data["rights"]  # written by an earlier version: the default
    data["holdings"] = [{"library_code": "L", "note": ["a list", "where text goes"], "unmapped": ["x:y"]}]
    data["authors"] = [{"name": "A", "roles": ["editor"]}, {"name": "B", "roles": []}]
    text = json.dumps(data, ensure_ascii=False)
    assert record_from_json(text) == Record.from_dict(json.loads(text))
    assert record_from_json(text).page_count == 2**70 and record_from_json(text).rights == ""
    assert record_from_json(text).holdings[0].note == ("a list", "where text goes")


def test_the_clusterers_records_are_the_stored_ones_without_the_fields_no_matcher_reads() -> None:
    from indexer.dedup.cluster_pool import UNUSED_FOR_MATCHING, matching_record

    records = varied(synthetic_records(200, seed=5)[0])
    records = [dataclasses.replace(r, holdings=(Holding(library_code="L", barcode=str(n)),)) if n % 3 else r
               for n, r in enumerate(records)]
    for record in records:
        data = json.loads(record_json(record))
        for name in UNUSED_FOR_MATCHING:
            data.pop(name, None)
        assert matching_record(record_json(record)) == Record.from_dict(data)
        assert not matching_record(record_json(record)).holdings
    assert sum(1 for r in records if r.holdings and r.notes) > 5  # the dropped fields were there to drop


def test_ascii_shortcuts_give_the_same_keys() -> None:
    for text in NAMES + TITLES + ["", "x", "The  Hobbit ", "1984", "A-B_C d.e", "UPPER lower", "ABC1 DEF"]:
        assert _name_key(text) == name_key(text), text
        assert documents._title_sort_key(text) == title_sort_key(text), text
        letters = [c for c in text if c.isalpha()]
        assert _all_caps(text) == (len(letters) >= 4 and all(c.isupper() for c in letters)), text


def test_merge_equals_the_plain_merge_it_replaced() -> None:
    records = varied(synthetic_records(600, seed=11)[0])
    libraries = {"lib00": ("L0", "Library Zero"), "lib01": ("L1", "")}
    groups = clusters(records)
    mfhd = {groups[0][0].id: [Holding("L0", "Library Zero", call_number="MFHD 1", source_tag="MFHD")]}
    assert sum(len(g) == 1 for g in groups) > 50 and sum(len(g) >= 3 for g in groups) > 20
    for number, group in enumerate(groups):
        cluster_id = f"c{number:016x}"
        got = merge_records(cluster_id, group, mfhd, libraries)
        assert got == plain_merge(cluster_id, group, mfhd, libraries)
        assert build_document(got) == build_document(plain_merge(cluster_id, group, mfhd, libraries))


def test_tantivy_fields_compose_non_ascii_text_only() -> None:
    doc = {"id": "c1", "title": "e\u0301clair", "authors": ["Plain Ascii", "Mu\u0308ller"], "year": 1999}
    fields = tantivy_schema.tantivy_fields(doc)
    assert fields["title"] == ["éclair"] and fields["authors"] == ["Plain Ascii", "Müller"]
    headings = heading_fields(["The Title", ""], ["Müller, K."], [], ["QA76.73 .P98", " "])
    assert headings["author_heading"] == ["muller k\x1fMüller, K."]
    assert headings["callnumber_heading"] == ["qa 000076 73 p 98\x1fQA76.73 .P98"]


# --- the merge as it was before the index run was made cheaper: the reference ----------------------


def plain_merge(cluster_id: str, records: list[Record], mfhd: dict[str, list[Holding]],
                libraries: dict[str, tuple[str, str]]) -> MergedRecord:
    ranked = sorted(records, key=lambda r: (-merge.completeness(r), r.id))
    base = ranked[0]
    values: dict[str, Any] = {name: getattr(base, name) for name in merge._RECORD_FIELDS}
    provenance: dict[str, tuple[str, ...]] = {}
    for name in ("title", "title_sort", "format", "leader", "volumes"):
        if getattr(base, name):
            provenance[name] = (base.id,)
    for name in merge.SCALARS:
        donor = next((r for r in ranked if getattr(r, name) not in ("", None)), None)
        if donor is not None:
            values[name] = getattr(donor, name)
            provenance[name] = (donor.id,)
    for name in merge.UNIONS:
        values[name], provenance[name] = _plain_union(ranked, name, merge._fold)
    values["subjects"], provenance["subjects"] = _plain_union(ranked, "subjects", lambda s: s.heading.casefold())
    values["links"], provenance["links"] = _plain_union(ranked, "links", lambda link: link.url)
    values["alternate_scripts"], provenance["alternate_scripts"] = _plain_union(
        ranked, "alternate_scripts", lambda alt: (alt.tag, alt.text))
    values["authors"], provenance["authors"] = _plain_union(ranked, "authors", lambda a: name_key(a.name))
    values["holdings"], provenance["holdings"] = merge._holdings(ranked, mfhd)
    values.update(id=cluster_id, source_id="", local_id=cluster_id, kind="bib", parent_local_id="")
    members = tuple(_member(r, libraries) for r in sorted(records, key=lambda r: r.id))
    return MergedRecord(cluster_id, Record(**values), members, base.id, {k: v for k, v in provenance.items() if v})


def _plain_union(ranked: list[Record], name: str, key: Any) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    seen: set[Any] = set()
    values: list[Any] = []
    sources: list[str] = []
    for record in ranked:
        for value in getattr(record, name):
            k = key(value)
            if k in seen or value in ("", None):
                continue
            seen.add(k)
            values.append(value)
            if record.id not in sources:
                sources.append(record.id)
    return tuple(values), tuple(sources)

