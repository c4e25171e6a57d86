"""Measure the deduplicator: pairwise precision / recall / F1 of "same cluster" on labelled data.

    .venv/bin/python bench/dedup_eval.py [--data /work/shared/data/dedup] [--synthetic N]

(a) **Goldfinch** (HathiTrust, ``goldfinch/val.json.zip`` + ``val_labels.csv``: 18,976 MARC-in-JSON
    records, 10,208 labelled pairs). The ``CID`` field encodes the answer and is dropped from every
    record before anything else sees it. Records go through the real harvester normalization
    (`harvester.marc.files.parse_raw_record(raw, "marcjson")` + `harvester.marc.mapping.normalize_marc`) and
    are clustered all together in ONE `DedupMatcher.cluster` call; a labelled pair is predicted
    "same" when both records end up in one cluster.

    Sources: Goldfinch does not say which library contributed a record, and a pair's two records are
    not guaranteed to come from different libraries, so every record is put in one source
    ``goldfinch`` configured with ``dedup_within_source = true``. The one-record-per-source rule
    therefore never helps here (no free negatives, no cheating by putting id1 and id2 in different
    sources) and never hurts (no duplicate is forbidden).

    Honest split: each labelled pair goes to the *tuning* half when the first byte of
    sha1("<smaller id>|<larger id>") is even, else to the *held-out* half (about 50/50, deterministic,
    independent of the label). `bench/train_dedup.py` fits the model weights and picks the threshold
    on the tuning half only; the held-out figures are the ones to report. Clustering, of course, sees
    all records (it has no labels); only the scoring is split. The full-set figures are printed too.

(b) **DBLP-ACM** (Leipzig, ``dblp-acm/``; DBLP2.csv is latin-1, ACM.csv ASCII): each row becomes a
    Record (title, authors split on ",", venue as the series, year; format "article"), DBLP rows in
    source ``dblp`` and ACM rows in source ``acm`` (one-per-source rule on: each table is duplicate
    free). All 4,910 records are clustered together; every same-cluster cross-source pair is compared
    with the perfect mapping. No pair of the reported DBLP-ACM task is used for tuning: the two
    article rules in `indexer.dedup.decide` (articles of different years, article titles below a rapidfuzz
    ratio of 70 are different items) were derived from the dblp-acm-magellan *train* split only
    (``--magellan train`` prints the pairwise check on it; valid/test were never looked at).

Development note: the first runs of this script (before any tuning) printed every line at once;
after that, only the tuning-half line was looked at while changing keys, features or vetoes
(``--tuning-only`` does that), and the held-out figures were printed at the end for the report.

Both print records/s of the clustering step (profiling + blocking + decisions + clustering).
``--synthetic N`` clusters N synthetic records (see `bench/dedup_data.py`) and prints the time.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harvester.record import Author, Record  # noqa: E402
from indexer.dedup.decide import DedupMatcher  # noqa: E402
from indexer.dedup.matching import NO_OVERRIDES  # noqa: E402

DATA = Path("/work/shared/data/dedup")
Pair = tuple[str, str, int]


def is_tuning(a: str, b: str) -> bool:
    """The deterministic split: first byte of sha1 of the sorted pair even → tuning half."""
    lo, hi = sorted((a, b))
    return hashlib.sha1(f"{lo}|{hi}".encode()).digest()[0] % 2 == 0


def goldfinch_raw(data: Path = DATA) -> Iterable[dict]:
    """Goldfinch records as MARC-in-JSON dicts with the answer-bearing CID field removed."""
    with zipfile.ZipFile(data / "goldfinch" / "val.json.zip") as archive:
        name = archive.namelist()[0]
        with archive.open(name) as handle:
            for line in io.TextIOWrapper(handle, encoding="utf-8"):
                if line.strip():
                    raw = json.loads(line)
                    raw["fields"] = [f for f in raw["fields"] if "CID" not in f]
                    yield raw


def goldfinch_records(data: Path = DATA, source_id: str = "goldfinch") -> list[Record]:
    """Every distinct Goldfinch record through the real harvester normalization."""
    from harvester.marc.files import parse_raw_record
    from harvester.marc.mapping import normalize_marc

    source = goldfinch_source(source_id)
    records: dict[str, Record] = {}
    for raw in goldfinch_raw(data):
        local_id = next(f["001"] for f in raw["fields"] if "001" in f)
        if local_id in records:
            continue
        marc = parse_raw_record(json.dumps(raw).encode("utf-8"), "marcjson")
        records[local_id] = normalize_marc(marc, source, local_id)
    return list(records.values())


def goldfinch_source(source_id: str = "goldfinch"):  # noqa: ANN201 - SourceConfig
    from harvester.marc.profiles import resolve_profile
    from harvester.settings import Library, SourceConfig

    return SourceConfig(
        id=source_id,
        name="HathiTrust Goldfinch",
        type="marc",
        library=Library(code=source_id, name="HathiTrust member library"),
        holdings=resolve_profile("auto") if _has_auto() else _first_profile(),
        format="marcjson",
        dedup_within_source=True,
    )


def _has_auto() -> bool:
    from harvester.marc.profiles import PROFILES

    return "auto" in PROFILES


def _first_profile():  # noqa: ANN202
    from harvester.marc.profiles import PROFILES

    return next(iter(PROFILES.values()))


def goldfinch_labels(data: Path = DATA, source_id: str = "goldfinch") -> list[Pair]:
    with open(data / "goldfinch" / "val_labels.csv", encoding="utf-8") as handle:
        return [
            (f"{source_id}:{r['id1']}", f"{source_id}:{r['id2']}", int(r["label"]))
            for r in csv.DictReader(handle)
        ]


def dblp_acm_records(data: Path = DATA) -> tuple[list[Record], set[tuple[str, str]]]:
    """Both DBLP-ACM tables as Records (sources dblp / acm) and the perfect mapping as id pairs."""
    records: list[Record] = []
    for name, source, encoding in (("DBLP2.csv", "dblp", "latin-1"), ("ACM.csv", "acm", "utf-8")):
        with open(data / "dblp-acm" / name, encoding=encoding, newline="") as handle:
            for row in csv.DictReader(handle):
                records.append(
                    article_record(source, row["id"], row["title"], row["authors"], row["venue"], row["year"])
                )
    with open(data / "dblp-acm" / "DBLP-ACM_perfectMapping.csv", encoding="utf-8", newline="") as handle:
        gold = {(f"dblp:{r['idDBLP']}", f"acm:{r['idACM']}") for r in csv.DictReader(handle)}
    return records, gold


def article_record(source: str, local_id: str, title: str, authors: str, venue: str, year: str) -> Record:
    """A CSV row of a bibliographic-article benchmark as a normalized Record (HTML entities decoded,
    as a harvester decodes them: ACM.csv writes "&#199;etintemel")."""
    title, authors, venue = html.unescape(title), html.unescape(authors), html.unescape(venue)
    names = [n.strip() for n in authors.split(",") if n.strip()]
    return Record(
        id=f"{source}:{local_id}",
        source_id=source,
        local_id=local_id,
        title=title.strip(),
        authors=tuple(Author(name=n, primary=(k == 0)) for k, n in enumerate(names)),
        series=(venue.strip(),) if venue.strip() else (),
        year=int(year) if year.strip().isdigit() else None,
        format="article",
    )


def cluster_timed(matcher: DedupMatcher, records: list[Record]) -> tuple[dict[str, int], float]:
    start = time.perf_counter()
    groups = matcher.cluster(records, NO_OVERRIDES)
    elapsed = time.perf_counter() - start
    return {rid: n for n, group in enumerate(groups) for rid in group}, elapsed


def prf(pairs: Iterable[Pair], same: Callable[[str, str], bool]) -> tuple[float, float, float, int]:
    tp = fp = fn = n = 0
    for a, b, label in pairs:
        n += 1
        predicted = same(a, b)
        tp += predicted and label == 1
        fp += predicted and label == 0
        fn += (not predicted) and label == 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, n


def line(name: str, result: tuple[float, float, float, int]) -> str:
    p, r, f, n = result
    return f"  {name:<22} pairs {n:>6}  P {p:.4f}  R {r:.4f}  F1 {f:.4f}"


def eval_goldfinch(
    data: Path, matcher: DedupMatcher | None = None, tuning_only: bool = False
) -> dict[str, tuple[float, float, float, int]]:
    t0 = time.perf_counter()
    records = goldfinch_records(data)
    print(f"Goldfinch: {len(records)} records normalized in {time.perf_counter() - t0:.1f}s")
    matcher = matcher or DedupMatcher(within_source=frozenset({"goldfinch"}))
    cluster_of, elapsed = cluster_timed(matcher, records)
    print(f"  clustering: {elapsed:.1f}s = {len(records) / elapsed:,.0f} records/s")
    labels = goldfinch_labels(data)
    same = lambda a, b: cluster_of[a] == cluster_of[b]  # noqa: E731
    results = {"tuning half": prf([p for p in labels if is_tuning(p[0], p[1])], same)}
    if not tuning_only:
        results["held-out half"] = prf([p for p in labels if not is_tuning(p[0], p[1])], same)
        results["all pairs"] = prf(labels, same)
    for name, result in results.items():
        print(line(name, result))
    return results


def eval_dblp_acm(data: Path, matcher: DedupMatcher | None = None) -> tuple[float, float, float, int]:
    records, gold = dblp_acm_records(data)
    matcher = matcher or DedupMatcher()
    cluster_of, elapsed = cluster_timed(matcher, records)
    print(
        f"DBLP-ACM: {len(records)} records; clustering {elapsed:.1f}s"
        f" = {len(records) / elapsed:,.0f} records/s"
    )
    groups: dict[int, list[str]] = {}
    for rid, n in cluster_of.items():
        groups.setdefault(n, []).append(rid)
    predicted = {
        (a, b) for g in groups.values() for a in g if a.startswith("dblp:") for b in g if b.startswith("acm:")
    }
    tp = len(predicted & gold)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    result = (precision, recall, f1, len(gold))
    print(line("perfect mapping", result))
    return result


def magellan_pairs(
    data: Path, split: str = "train", flavour: str = "structured"
) -> list[tuple[Record, Record, int]]:
    """dblp-acm-magellan labelled pairs ("COL title VAL … COL year VAL …" left, right, label)."""
    pairs = []
    path = data / "dblp-acm-magellan" / flavour / f"{split}.txt"
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        left, right, label = line.split("\t")
        records = []
        for side, text in (("dblp", left), ("acm", right)):
            values = {}
            for part in text.split("COL ")[1:]:
                name, _, value = (part + " ").partition(" VAL ")
                values[name.strip()] = value.strip()
            records.append(article_record(side, f"{split}{n}", values.get("title", ""),
                                          values.get("authors", ""), values.get("venue", ""),
                                          values.get("year", "")))  # fmt: skip
        pairs.append((records[0], records[1], int(label)))
    return pairs


def eval_magellan(data: Path, split: str) -> tuple[float, float, float, int]:
    """Pairwise decisions on a dblp-acm-magellan split (a development check; the train split only was
    looked at while building the matcher)."""
    matcher = DedupMatcher()
    pairs = magellan_pairs(data, split)
    same = {(a.id, b.id): matcher.explain(a, b).same for a, b, _ in pairs}
    result = prf([(a.id, b.id, y) for a, b, y in pairs], lambda x, y: same[(x, y)])
    print(line(f"magellan {split}", result))
    return result


def eval_synthetic(n: int) -> None:
    from dedup_data import synthetic_records  # bench/dedup_data.py

    t0 = time.perf_counter()
    records, truth = synthetic_records(n)
    print(
        f"synthetic: {len(records):,} records ({len(truth):,} injected duplicate pairs) built in "
        f"{time.perf_counter() - t0:.0f}s"
    )
    cluster_of, elapsed = cluster_timed(DedupMatcher(), records)
    found = sum(cluster_of[a] == cluster_of[b] for a, b in truth)
    sizes: dict[int, int] = {}
    for c in cluster_of.values():
        sizes[c] = sizes.get(c, 0) + 1
    print(
        f"  clustering: {elapsed:.0f}s = {len(records) / elapsed:,.0f} records/s; "
        f"injected pairs found {found / max(1, len(truth)):.4f}; clusters {len(sizes):,}, "
        f"largest {max(sizes.values())}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--synthetic", type=int, default=0, help="cluster N synthetic records instead")
    parser.add_argument("--only", choices=("goldfinch", "dblp-acm"), default=None)
    parser.add_argument("--tuning-only", action="store_true",
                        help="Goldfinch: print the tuning half only (use this while developing)")  # fmt: skip
    parser.add_argument("--magellan", choices=("train", "valid", "test"), default=None,
                        help="pairwise check on a dblp-acm-magellan split instead")  # fmt: skip
    args = parser.parse_args(argv)
    if args.synthetic:
        eval_synthetic(args.synthetic)
        return
    if args.magellan:
        eval_magellan(args.data, args.magellan)
        return
    if args.only in (None, "goldfinch"):
        eval_goldfinch(args.data, tuning_only=args.tuning_only)
    if args.only in (None, "dblp-acm"):
        eval_dblp_acm(args.data)


if __name__ == "__main__":
    main()
