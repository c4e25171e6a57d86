"""Measure the deduplicator on labelled data: P / R / F1 of "same cluster", blocking completeness, cost.

    .venv/bin/python bench/dedup_eval.py [--data /work/shared/data/dedup] [--dev] [--synthetic N]

Every set is clustered with ONE `DedupMatcher.cluster` call over all its records (no labels seen);
a labelled pair is predicted "same" when both records end up in one cluster. For each set it prints

- **P, R, F1** over the labelled pairs;
- **pairs-completeness**: the share of true pairs that blocking lets be compared at all (records
  sharing at least one blocking key, after the block caps of `indexer.dedup.clustering`) — recall
  can never be higher;
- **comparisons per record**: pairwise decisions made by clustering (blocking pairs plus the checks
  of the chaining guard), divided by the number of records.

The sets (loaders in `bench/dedup_sets.py`) and how tuning and reporting are kept apart:

(a) **Goldfinch** (HathiTrust monographs, 18,976 records, 10,208 labelled pairs, one source with
    ``dedup_within_source``): a pair belongs to the *tuning* half when the first byte of sha1 of
    its sorted ids is even, else to the *held-out* half. Rules and the main model's weights
    (`bench/train_dedup.py`) are chosen on the tuning half only; the held-out half is reported.
(b) **DBLP-ACM structured / dirty test** (the DeepMatcher/Magellan split: the records of the test
    pairs, DBLP rows in source ``dblp``, ACM rows in ``acm``): the part model (articles, chapters)
    is trained on the *train* pairs and its threshold chosen on the *valid* pairs, structured and
    dirty together; the test pairs are never used for a choice.
(c) **DBLP-ACM Leipzig** (both full tables, 4,910 records, the 2,224-pair perfect mapping): every
    record against every other, scored against the mapping. It overlaps the Magellan pairs (the
    same papers), so it is printed as a scale check, not as an independent test.

``--dev`` prints only what may be looked at while developing: the Goldfinch tuning half, the
Magellan *valid* pairs, and a robustness set of our own (`dedup_sets.degraded_set`: the structured
*train* and *valid* pairs with the ACM side degraded — no year, no or abbreviated venue, initials,
truncated titles, authors pasted into the title — with a fixed seed) and a second one
(`dedup_sets.noisy_set`: words dropped from the middle of titles, typos and OCR confusions, subtitles
dropped or added, capitals, citation-abbreviated or missing venues, authors reordered or cut with
"et al.", dotless initials, years one off or missing). ``--synthetic N`` times
clustering of N synthetic records (`dedup_data.py`) and prints records/s and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(Path(__file__).resolve().parent)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from dedup_sets import (  # noqa: E402
    DATA,
    Pair,
    dblp_acm_records,
    degraded_set,
    goldfinch_labels,
    goldfinch_records,
    is_tuning,
    magellan_set,
    noisy_set,
)

from harvester.record import Record  # noqa: E402
from indexer.dedup.clustering import candidate_pairs  # noqa: E402
from indexer.dedup.decide import DedupMatcher  # noqa: E402
from indexer.dedup.matching import NO_OVERRIDES  # noqa: E402


@dataclass(frozen=True)
class Result:
    name: str
    pairs: int
    precision: float
    recall: float
    f1: float
    completeness: float
    comparisons: float  # per record
    seconds: float

    def line(self) -> str:
        return (
            f"  {self.name:<30} pairs {self.pairs:>6}  P {self.precision:.4f}  R {self.recall:.4f}  "
            f"F1 {self.f1:.4f}  pairs-completeness {self.completeness:.4f}  "
            f"comparisons/record {self.comparisons:.1f}"
        )


class CountingMatcher(DedupMatcher):
    """A DedupMatcher that counts its pairwise decisions (comparisons)."""

    decisions = 0

    def decide(self, a, b, blocked=frozenset()):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
        self.decisions += 1
        return super().decide(a, b, blocked)


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


def measure(
    records: list[Record], scored: dict[str, list[Pair]], within: frozenset[str] = frozenset()
) -> list[Result]:
    """Cluster `records` once; one Result per named list of labelled pairs."""
    matcher = CountingMatcher(within_source=within)
    start = time.perf_counter()
    groups = matcher.cluster(records, NO_OVERRIDES)
    seconds = time.perf_counter() - start
    cluster_of = {rid: n for n, group in enumerate(groups) for rid in group}
    index = {r.id: i for i, r in enumerate(records)}
    candidates = candidate_pairs(records)
    results = []
    for name, pairs in scored.items():
        p, r, f, n = prf(pairs, lambda a, b: cluster_of[a] == cluster_of[b])
        positives = [(index[a], index[b]) for a, b, y in pairs if y]
        reachable = sum(1 for i, j in positives if (min(i, j), max(i, j)) in candidates)
        completeness = reachable / len(positives) if positives else 1.0
        per_record = matcher.decisions / len(records)
        results.append(Result(name, n, p, r, f, completeness, per_record, seconds))
    return results


def eval_goldfinch(data: Path, dev: bool) -> list[Result]:
    records = goldfinch_records(data)
    labels = goldfinch_labels(data)
    scored = {"Goldfinch tuning half": [p for p in labels if is_tuning(p[0], p[1])]}
    if not dev:
        scored = {"Goldfinch held-out half": [p for p in labels if not is_tuning(p[0], p[1])], **scored}
    return measure(records, scored, frozenset({"goldfinch"}))


def eval_magellan(data: Path, split: str, flavour: str) -> list[Result]:
    records, pairs = magellan_set(data, split, flavour)
    return measure(records, {f"DBLP-ACM {flavour} {split}": pairs})


def eval_degraded(data: Path, split: str) -> list[Result]:
    records, pairs = degraded_set(data, split)
    return measure(records, {f"DBLP-ACM degraded {split}": pairs})


def eval_noisy(data: Path, split: str) -> list[Result]:
    records, pairs = noisy_set(data, split)
    return measure(records, {f"DBLP-ACM noisy {split}": pairs})


def eval_leipzig(data: Path) -> list[Result]:
    records, gold = dblp_acm_records(data)
    matcher = CountingMatcher()
    start = time.perf_counter()
    groups = matcher.cluster(records, NO_OVERRIDES)
    seconds = time.perf_counter() - start
    predicted = {
        (a, b) for g in groups for a in g if a.startswith("dblp:") for b in g if b.startswith("acm:")
    }
    index = {r.id: i for i, r in enumerate(records)}
    candidates = candidate_pairs(records)
    tp = len(predicted & gold)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    reachable = sum(1 for a, b in gold if tuple(sorted((index[a], index[b]))) in candidates)
    per_record = matcher.decisions / len(records)
    name = "DBLP-ACM Leipzig (all pairs)"
    return [Result(name, len(gold), precision, recall, f1, reachable / len(gold), per_record, seconds)]


def eval_synthetic(n: int) -> None:
    from dedup_data import synthetic_records  # bench/dedup_data.py

    t0 = time.perf_counter()
    records, truth = synthetic_records(n)
    print(f"synthetic: {len(records):,} records ({len(truth):,} injected duplicate pairs) built in "
          f"{time.perf_counter() - t0:.0f}s")  # fmt: skip
    start = time.perf_counter()
    groups = DedupMatcher().cluster(records, NO_OVERRIDES)
    elapsed = time.perf_counter() - start
    cluster_of = {rid: k for k, group in enumerate(groups) for rid in group}
    found = sum(cluster_of[a] == cluster_of[b] for a, b in truth)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"  clustering: {elapsed:.0f}s = {len(records) / elapsed:,.0f} records/s; injected pairs found "
          f"{found / max(1, len(truth)):.4f}; clusters {len(groups):,}, largest "
          f"{max(len(g) for g in groups)}; peak RSS {peak:.2f} GB")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--synthetic", type=int, default=0, help="cluster N synthetic records instead")
    parser.add_argument("--dev", action="store_true",
                        help="development figures only: Goldfinch tuning half, DBLP-ACM valid pairs")  # fmt: skip
    parser.add_argument("--only", choices=("goldfinch", "dblp-acm"), default=None)
    args = parser.parse_args(argv)
    if args.synthetic:
        eval_synthetic(args.synthetic)
        return
    results: list[Result] = []
    if args.only in (None, "goldfinch"):
        results += eval_goldfinch(args.data, args.dev)
    if args.only in (None, "dblp-acm"):
        split = "valid" if args.dev else "test"
        for flavour in ("structured", "dirty"):
            results += eval_magellan(args.data, split, flavour)
        if args.dev:
            results += eval_degraded(args.data, "train") + eval_degraded(args.data, "valid")
            results += eval_noisy(args.data, "train") + eval_noisy(args.data, "valid")
        if not args.dev:
            results += eval_leipzig(args.data)
    for result in results:
        print(result.line())


if __name__ == "__main__":
    main()
