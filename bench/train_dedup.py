"""Fit the deduplicator's logistic weights and threshold; writes ``indexer/data/dedup_model.json``.

    .venv/bin/python bench/train_dedup.py [--data /work/shared/data/dedup] [--dry-run] [--cv 5]

Two models, each fitted and thresholded on data the reported figures never use:

- the **main model** (books and everything that is not a component part): ONLY the *tuning* half of
  the Goldfinch labelled pairs (`dedup_eval.is_tuning`: first
byte of sha1 of the sorted pair ids even), records normalized by the real harvester pipeline with the
answer-bearing CID field dropped (`dedup_eval.goldfinch_records`). Pairs a veto already separates are
left out (the model never sees them in use either). The held-out half and DBLP-ACM are never read here.

- the **part model** (two articles or chapters, `indexer.dedup.parts`): weights fitted on the
  dblp-acm-magellan *train* pairs (structured and dirty together: clean records and records whose
  authors, venue and year were pasted into the title, plus `dedup_sets.degraded_set` of the same
  train pairs — no year, abbreviated venue, initials, truncated titles — and `dedup_sets.noisy_set` —
  typos, words dropped, subtitles dropped or added, "et al.", years one off — so that the weights do
  not assume DBLP-ACM's clean fields), threshold chosen on the *valid* pairs (structured and dirty); the
  *test* pairs are never read here. Features the benchmark cannot show (a shared DOI, the same host
  pages) keep the stated priors.

The fit is L2-regularised logistic regression by Newton's method (26 features, a few thousand pairs:
pure Python is quick enough and keeps numpy out of the dependencies). The threshold is the one that
maximises F1 of the pairwise decisions on the same tuning pairs, with precision preferred on ties.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_sets import (  # noqa: E402
    DATA,
    degraded_set,
    goldfinch_labels,
    goldfinch_records,
    is_tuning,
    magellan_set,
    noisy_set,
)

from indexer.dedup.decide import FEATURES, MODEL_PATH, features  # noqa: E402
from indexer.dedup.profiles import profile  # noqa: E402
from indexer.dedup.vetoes import vetoes  # noqa: E402

L2 = 1.0
MIN_SUPPORT = 20
PRIORS = {
    "id_shared": 4.0,
    "id_conflict": -2.0,
    "format_variant": -1.5,
    "alt_title_sim": 1.0,
    "language_conflict": -3.0,
    "edition_same": 0.5,
    "volume_same": 0.5,
}
"""Weights for features the Goldfinch pairs barely exercise (they carry no ISBN/OCLC, nearly all are
English print books): a feature non-zero in fewer than MIN_SUPPORT training pairs is not fitted but
gets this hand-set weight — a shared standard number is strong evidence, a different language means a
translation, a different carrier is a mild negative. Stated here so the model file stays explainable."""


SIGNS = {
    "title_sim": 1, "title_set": 1, "title_exact": 1, "author_match": 1, "resp_sim": 1, "year_equal": 1,
    "pages_equal": 1, "edition_same": 1, "volume_same": 1, "series_sim": 1, "publisher_sim": 1,
    "place_sim": 1, "id_shared": 1, "alt_title_sim": 1,
    "author_conflict": -1, "author_missing": -1, "edition_text_conflict": -1, "year_far": -1,
    "year_very_far": -1, "pages_far": -1, "publisher_conflict": -1,
    "language_conflict": -1, "id_conflict": -1, "title_number_conflict": -1,
}  # fmt: skip
"""Expected sign of a weight. Correlated features can pull a weight the "wrong" way (publisher
similarity negative because publisher conflict carries the evidence); an explanation that says "same
publisher: -0.4" is useless to staff, so such a feature is pinned to 0 and the rest refitted."""


def fit(
    rows: list[tuple[dict[str, float], int]],
    names: tuple[str, ...] = FEATURES,
    l2: float = L2,
    iterations: int = 25,
) -> tuple[dict[str, float], float]:
    """Newton-Raphson logistic regression; returns (weights by feature name, bias)."""
    d = len(names) + 1
    xs = [[1.0] + [f.get(name, 0.0) for name in names] for f, _ in rows]
    ys = [y for _, y in rows]
    w = [0.0] * d
    for _ in range(iterations):
        grad = [0.0] * d
        hess = [[0.0] * d for _ in range(d)]
        for x, y in zip(xs, ys, strict=True):
            z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = p - y
            s = p * (1 - p)
            for i in range(d):
                if x[i]:
                    grad[i] += g * x[i]
                    row = hess[i]
                    sx = s * x[i]
                    for j in range(d):
                        if x[j]:
                            row[j] += sx * x[j]
        for i in range(1, d):
            grad[i] += l2 * w[i]
            hess[i][i] += l2
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return {name: round(w[k + 1], 4) for k, name in enumerate(names)}, round(w[0], 4)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a is small and positive definite)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            m[col][col] = 1e-12
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            if factor:
                for c in range(col, n + 1):
                    m[r][c] -= factor * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def best_threshold(scored: list[tuple[float, int]], positives: int) -> tuple[float, float]:
    """The probability threshold with the best F1 over `scored` (prob, label); `positives` counts
    every positive pair including those a veto keeps apart (they are recall lost either way)."""
    best = (0.0, 0.5)
    for t in [x / 100 for x in range(5, 100)]:
        tp = sum(1 for p, y in scored if p >= t and y)
        fp = sum(1 for p, y in scored if p >= t and not y)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / positives if positives else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best[0] + 1e-9:
            best = (f1, t)
    return best


def tuning_pairs(data: Path) -> list[tuple[str, str, dict[str, float] | None, int]]:
    """(id, id, features or None when a veto separates the pair, label) for every tuning pair."""
    records = {r.id: profile(r) for r in goldfinch_records(data)}
    out: list[tuple[str, str, dict[str, float] | None, int]] = []
    for a, b, label in goldfinch_labels(data):
        if is_tuning(a, b):
            pa, pb = records[a], records[b]
            out.append((a, b, None if vetoes(pa, pb) else features(pa, pb), label))
    return out


def training_rows(data: Path) -> tuple[list[tuple[dict[str, float], int]], int]:
    pairs = tuning_pairs(data)
    return [(f, y) for _, _, f, y in pairs if f is not None], sum(y for *_, y in pairs)


def cross_validate(data: Path, k: int) -> None:
    """k-fold cross-validation INSIDE the tuning half (folds by a hash of the pair ids): each fold is
    scored pairwise by weights and threshold fitted on the other k-1, exactly as `main` fits them, so
    a rule or feature that only helps a few tuning pairs shows up as noise. Vetoed positives count as
    misses. The held-out half is never read."""
    pairs = tuning_pairs(data)
    folds = [hashlib.sha1(f"cv|{min(a, b)}|{max(a, b)}".encode()).digest()[0] % k for a, b, _, _ in pairs]
    tp = fp = fn = 0
    for fold in range(k):
        train = [(f, y) for (_, _, f, y), n in zip(pairs, folds, strict=True) if f is not None and n != fold]
        weights, bias, _, _ = fit_with_priors(train, FEATURES, PRIORS, SIGNS)
        positives = sum(y for (*_, y), n in zip(pairs, folds, strict=True) if n != fold)
        _, threshold = best_threshold(scored_rows(train, weights, bias), positives)
        for (_, _, f, y), n in zip(pairs, folds, strict=True):
            if n == fold:
                same = f is not None and scored_rows([(f, y)], weights, bias)[0][0] >= threshold
                tp, fp, fn = tp + (same and y == 1), fp + (same and y == 0), fn + (not same and y == 1)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    print(f"{k}-fold CV inside the Goldfinch tuning half (pairwise): P {precision:.4f}  R {recall:.4f}  "
          f"F1 {f1:.4f}  ({fp} false merges, {fn} misses)")  # fmt: skip


PART_PRIORS = {
    "id_shared": 4.0, "id_conflict": -2.0, "language_conflict": -3.0,
    "host_conflict": -1.5, "host_place_same": 3.0, "host_place_conflict": -3.0,
}  # fmt: skip
"""Part-model weights for features DBLP-ACM barely exercises (no identifiers, no pages, five venues):
the same host and pages is strong evidence, another host or other pages in the same host strong
evidence against (two "Editorial"s); stated here so the model file stays explainable."""

PART_SIGNS = {
    "core_overlap": 1, "core_set": 1, "core_order": 1, "core_extra": -1, "title_set": 1,
    "author_overlap": 1, "author_conflict": -1, "host_same": 1, "host_conflict": -1,
    "host_place_same": 1, "host_place_conflict": -1, "id_shared": 1, "id_conflict": -1,
    "language_conflict": -1, "year_off": -1,
}  # fmt: skip


def part_rows(
    data: Path, split: str, degraded: bool = False
) -> tuple[list[tuple[dict[str, float], int]], int]:
    """Features of the unvetoed Magellan pairs of `split` (both flavours, and with `degraded` the
    robustness copies of `dedup_sets.degraded_set` and `dedup_sets.noisy_set` too), and all its
    positives."""
    rows: list[tuple[dict[str, float], int]] = []
    positives = 0
    loaders = {"degraded": degraded_set, "noisy": noisy_set}
    for flavour in ("structured", "dirty") + (("degraded", "noisy") if degraded else ()):
        load = loaders.get(flavour)
        records, pairs = load(data, split) if load else magellan_set(data, split, flavour)
        profiles = {r.id: profile(r) for r in records}
        for a, b, label in pairs:
            positives += label
            pa, pb = profiles[a], profiles[b]
            if vetoes(pa, pb):
                continue
            rows.append((_part_features(pa, pb), label))
    return rows, positives


def _part_features(pa, pb) -> dict[str, float]:  # noqa: ANN001 - Profiles
    from indexer.dedup.decide import SHARED_WITH_PARTS
    from indexer.dedup.parts import part_features

    shared = {k: v for k, v in features(pa, pb).items() if k in SHARED_WITH_PARTS}
    return {**part_features(pa, pb), **shared}


def fit_with_priors(
    rows: list[tuple[dict[str, float], int]], names: tuple[str, ...], priors_given: dict[str, float],
    signs: dict[str, int],
) -> tuple[dict[str, float], float, dict[str, float], dict[str, int]]:
    """Fit the supported features, keep priors for the rest, pin wrong-signed weights to 0."""
    support = {name: sum(1 for f, _ in rows if f.get(name)) for name in names}
    fitted = tuple(name for name in names if support[name] >= MIN_SUPPORT)
    priors = {name: priors_given.get(name, 0.0) for name in names if name not in fitted}
    offset_rows = rows
    if priors:
        offset_rows = [({**f, "_prior": sum(priors[k] * f.get(k, 0.0) for k in priors)}, y) for f, y in rows]
    while True:
        weights, bias = fit(offset_rows, fitted + (("_prior",) if priors else ()))
        wrong = [n for n in fitted if signs.get(n, 0) * weights[n] < 0]
        if not wrong:
            break
        fitted = tuple(n for n in fitted if n not in wrong)
        for name in wrong:
            priors[name] = 0.0
    weights.pop("_prior", None)
    return {name: weights.get(name, priors.get(name, 0.0)) for name in names}, bias, priors, support


def scored_rows(rows, weights: dict[str, float], bias: float) -> list[tuple[float, int]]:  # noqa: ANN001
    out = []
    for f, y in rows:
        z = bias + sum(weights.get(k, 0.0) * v for k, v in f.items())
        out.append((1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), y))
    return out


def train_parts(data: Path) -> dict[str, object]:
    from indexer.dedup.decide import SHARED_WITH_PARTS
    from indexer.dedup.parts import PART_FEATURES

    names = PART_FEATURES + tuple(sorted(SHARED_WITH_PARTS))
    rows, _ = part_rows(data, "train", degraded=True)
    weights, bias, priors, support = fit_with_priors(rows, names, PART_PRIORS, PART_SIGNS)
    valid, valid_positives = part_rows(data, "valid")
    f1, threshold = best_threshold(scored_rows(valid, weights, bias), valid_positives)
    return {
        "about": "Part model (articles, chapters): fitted on dblp-acm-magellan train + its degraded and "
        "noisy copies, threshold on valid.",
        "training_pairs": len(rows), "valid_pairwise_f1": round(f1, 4), "bias": bias,
        "threshold": threshold, "weights": weights, "priors_not_fitted": priors, "support": support,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--dry-run", action="store_true", help="print the model, do not write it")
    parser.add_argument("--parts-only", action="store_true",
                        help="refit only the part model, keep the main model of --out")  # fmt: skip
    parser.add_argument("--cv", type=int, default=0, metavar="K",
                        help="print K-fold cross-validation figures inside the tuning half, write nothing")  # fmt: skip
    args = parser.parse_args(argv)
    if args.cv:
        cross_validate(args.data, args.cv)
        return
    if args.parts_only:
        model = json.loads(args.out.read_text(encoding="utf-8"))
        model["parts"] = train_parts(args.data)
        _write(model, args.out, args.dry_run)
        return
    rows, positives = training_rows(args.data)
    support = {name: sum(1 for f, _ in rows if f.get(name)) for name in FEATURES}
    fitted = tuple(name for name in FEATURES if support[name] >= MIN_SUPPORT)
    priors = {name: PRIORS.get(name, 0.0) for name in FEATURES if name not in fitted}
    offset_rows = rows
    if priors:
        offset_rows = [({**f, "_prior": sum(priors[k] * f.get(k, 0.0) for k in priors)}, y) for f, y in rows]
    while True:
        names = fitted + (("_prior",) if priors else ())
        weights, bias = fit(offset_rows, names)
        wrong = [n for n in fitted if SIGNS.get(n, 0) * weights[n] < 0]
        if not wrong:
            break
        fitted = tuple(n for n in fitted if n not in wrong)
        for name in wrong:
            priors[name] = 0.0
    weights.pop("_prior", None)
    weights = {name: weights.get(name, priors.get(name, 0.0)) for name in FEATURES}
    scored = []
    for f, y in rows:
        z = bias + sum(weights[k] * v for k, v in f.items())
        scored.append((1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), y))
    f1, threshold = best_threshold(scored, positives)
    model = {
        "about": "Logistic weights of indexer.dedup.decide; trained by bench/train_dedup.py on the tuning half "
        "of the Goldfinch val pairs (sha1 split, see bench/dedup_eval.py). Do not edit by hand.",
        "trained": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "training_pairs": len(rows),
        "tuning_pairwise_f1": round(f1, 4),
        "bias": bias,
        "threshold": threshold,
        "weights": weights,
        "priors_not_fitted": priors,
        "support": support,
        "parts": train_parts(args.data),
    }
    _write(model, args.out, args.dry_run)


def _write(model: dict[str, object], out: Path, dry_run: bool) -> None:
    text = json.dumps(model, indent=2) + "\n"
    print(text)
    if not dry_run:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
