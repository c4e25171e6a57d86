"""Export, citation and feed cost per record, with the JSON twin as the baseline in the same run.

Builds ``--records`` merged records in memory (two to four libraries' holdings each, authors,
subjects, identifiers: the shape of a union-catalog item) and times, per record:

- baseline: the record's JSON twin (`search_ui.views.record.record_json` + `json.dumps`), what
  `/record/ID.json` costs beyond loading the record;
- each `/export` format (RIS, BibTeX, CSL-JSON, MARCXML, ISO 2709) in batches of 100 (a result page);
- a formatted citation per style, first time (citeproc-py renders it) and remembered (the cache a
  record page hits on its next view);
- an Atom and an RSS feed page of 100 entries.

    nice -n 10 .venv/bin/python bench/exports.py --records 2000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harvester.record import Author, Holding, Record, Subject  # noqa: E402
from indexer.merge import Member, MergedRecord  # noqa: E402
from search_ui.interop.citation import STYLES, _cite_cached, cite  # noqa: E402
from search_ui.interop.export import FORMATS, export  # noqa: E402
from search_ui.interop.export_csl import csl_item  # noqa: E402
from search_ui.interop.feeds import FeedEntry, FeedPage, to_atom, to_rss  # noqa: E402
from search_ui.views.record import record_json  # noqa: E402

LIBRARIES = (("NOR", "North University"), ("SOU", "South College"), ("EAS", "East Public"), ("WES", "West"))


def make_records(count: int) -> list[MergedRecord]:
    """``count`` merged records, each held by 2-4 libraries."""
    records = []
    for n in range(count):
        held = LIBRARIES[: 2 + n % 3]
        holdings = tuple(Holding(code, name, "Main stacks", f"PS{n}.M{k}", copies=1 + k % 2, lendable=k % 3 != 0,
                                 source_tag="852") for k, (code, name) in enumerate(held))
        record = Record(
            id=f"c{n:016x}", source_id="", local_id=f"c{n:016x}", title=f"A history of topic {n}",
            subtitle="with notes & {braces}", authors=(Author(f"Surname{n}, Given", primary=True),
                                                       Author("Editor, Ed", roles=("editor",))),
            subjects=(Subject(("History", f"Topic {n}")),), isbns=(f"978030640{n % 10000:04d}",),
            publisher="Atlas Press", place="New York", year=1900 + n % 120, languages=("eng",), format="book",
            edition="2nd ed.", extent="xii, 300 p.", holdings=holdings)
        members = tuple(Member(f"{code.lower()}:{n}", code.lower(), code, name, record.title) for code, name in held)
        records.append(MergedRecord(record.id, record, members, members[0].record_id, {}))
    return records


def per_record(label: str, records: Sequence[MergedRecord], work: Callable[[Sequence[MergedRecord]], object],
               baseline: float = 0.0, batch: int = 100) -> float:
    """Time ``work`` over ``records`` in batches; print µs per record (and the ratio to ``baseline``)."""
    start = time.perf_counter()
    for offset in range(0, len(records), batch):
        work(records[offset: offset + batch])
    micros = (time.perf_counter() - start) / len(records) * 1e6
    ratio = f"  {micros / baseline:8.1f} x baseline" if baseline else ""
    print(f"  {label:<50} {micros:12.1f} µs/record{ratio}")
    return micros


def feed_page(records: Sequence[MergedRecord]) -> FeedPage:
    entries = [FeedEntry(f"http://x/record/{m.id}", m.record.full_title, ("A",), "summary", ("Book",))
               for m in records]
    return FeedPage("unioncat: x", "http://x/s.atom", "http://x/s", "http://x/o.xml", len(records), 1,
                    len(records), "x", entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="merged records to export (default 2000)")
    parser.add_argument("--citations", type=int, default=50, help="records cited per style (default 50)")
    args = parser.parse_args()
    records = make_records(args.records)
    print(f"{len(records):,} merged records, 2-4 libraries each")
    baseline = per_record("baseline: JSON twin (record_json)", records,
                          lambda batch: [json.dumps(record_json(m), default=str) for m in batch])
    for name in FORMATS:
        if name != "citation":
            per_record(f"export {name}", records, lambda batch, n=name: export(batch, n), baseline)
    cited = records[: args.citations]
    for style in STYLES:
        _cite_cached.cache_clear()
        per_record(f"citation {style}, first", cited, lambda batch, s=style: cite([csl_item(m) for m in batch], s),
                   baseline)
        per_record(f"citation {style}, remembered", cited,
                   lambda batch, s=style: cite([csl_item(m) for m in batch], s), baseline)
    page = records[:100]
    per_record("Atom feed page of 100", page, lambda batch: to_atom(feed_page(batch)), baseline)
    per_record("RSS feed page of 100", page, lambda batch: to_rss(feed_page(batch)), baseline)


if __name__ == "__main__":
    main()
