"""The deduplicator: are two records the same item? Vetoes first, then a small, explainable score.

A pair is decided in two steps, and `explain` reports both:

1. **Vetoes** — evidence that two records are different items no matter how alike the titles are:
   incompatible formats (a book is not a sound recording), different edition numbers ("2nd ed." vs
   "3rd ed."), different volume/part numbers (v. 2 vs v. 3 of a set that shares its title and ISBN),
   disjoint ISSNs, years far apart. One veto keeps the pair apart.
2. **Score** — a logistic model over a dozen features (title and author similarity on folded text via
   rapidfuzz, year, page count, publisher, series, language, shared or conflicting identifiers, 880
   alternate-script titles). Each feature's contribution (weight × value) is one `Reason`; with the
   ``baseline`` line they add up to the log-odds in the ``decision`` line. The weights live in
   ``indexer/data/dedup_model.json`` and are trained by ``bench/train_dedup.py`` on the tuning half of
   the Goldfinch pairs (see that script).

`DedupMatcher` implements `indexer.dedup.matching.Matcher`; clustering (candidate pairs, the chaining guard,
the one-record-per-source rule, overrides) is in `indexer.dedup.clustering`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from harvester.record import Record
from indexer.dedup.clustering import cluster_records
from indexer.dedup.keys import Profile, blocking_keys, profile
from indexer.dedup.matching import NO_OVERRIDES, Explanation, Overrides, Reason

MODEL_PATH = Path(__file__).parent.parent / "data" / "dedup_model.json"
RULES_VERSION = 1
"""Bump when keys or vetoes change meaning, so stored clusters are rebuilt (see `DedupMatcher.name`)."""

FORMAT_FAMILIES = {
    "book": "text", "e-book": "text", "microform": "text", "thesis": "text",
    "serial": "serial", "e-journal": "serial",
    "audio": "audio", "music-recording": "music", "score": "score", "map": "map", "video": "video",
    "image": "image", "manuscript": "manuscript", "archive": "archive", "computer-file": "computer",
    "dataset": "computer", "kit": "kit", "object": "object", "article": "article", "mixed": "mixed",
}  # fmt: skip
"""Formats in one family may be the same item in another carrier (print / e-book / microfilm of one
edition); formats in different families never are."""

ARTICLE_TITLE_MIN = 70
"""Article titles less similar than this (rapidfuzz ratio on folded text) are different articles."""

YEAR_VETO = 30
"""Years further apart than this veto a match; closer gaps only lower the score (a reprint of one
edition, or a record giving the original date where another gives the printing, is the same item)."""

FEATURES = (
    "title_sim", "title_set", "title_exact", "author_match", "author_conflict", "author_missing",
    "resp_sim", "year_equal", "year_near", "year_far", "year_very_far",
    "pages_equal", "pages_close", "pages_far",
    "edition_same", "edition_one_sided", "volume_same", "volume_one_sided", "series_sim",
    "series_one_sided", "publisher_sim", "publisher_conflict", "edition_text_conflict", "place_sim",
    "language_conflict", "format_variant", "title_number_conflict",
    "id_shared", "id_conflict", "alt_title_sim",
)  # fmt: skip

DESCRIPTIONS = {
    "title_sim": "title similarity (word order ignored)",
    "title_set": "title + subtitle overlap",
    "title_exact": "identical folded titles",
    "author_match": "an author surname in common",
    "author_conflict": "both name authors, none in common",
    "author_missing": "only one record names an author",
    "resp_sim": "statement of responsibility similarity",
    "year_equal": "same year",
    "year_near": "years 1-2 apart",
    "year_far": "years 3-10 apart",
    "year_very_far": "years more than 10 apart",
    "pages_equal": "same page count",
    "pages_close": "page counts within 10%",
    "pages_far": "page counts differ by more than 10%",
    "edition_same": "same edition number",
    "edition_one_sided": "only one record states an edition number",
    "volume_same": "same volume/part number",
    "volume_one_sided": "only one record has a volume/part number",
    "series_sim": "series similarity",
    "series_one_sided": "only one record names a series",
    "publisher_sim": "publisher similarity",
    "publisher_conflict": "publishers have little in common",
    "edition_text_conflict": "edition statements differ",
    "place_sim": "place of publication similarity",
    "language_conflict": "different languages",
    "format_variant": "same kind of material in another carrier",
    "title_number_conflict": "the titles carry different numbers",
    "id_shared": "a standard number in common",
    "id_conflict": "both have OCLC numbers/ISBNs, none in common",
    "alt_title_sim": "880 alternate-script title similarity",
}


@dataclass(frozen=True, slots=True)
class Model:
    """Logistic weights: P(same) = sigmoid(bias + Σ weight·feature); same when P ≥ threshold."""

    weights: dict[str, float]
    bias: float
    threshold: float

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            weights={k: float(v) for k, v in data["weights"].items()},
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
        )

    def logit(self, features: dict[str, float]) -> float:
        return self.bias + sum(self.weights.get(k, 0.0) * v for k, v in features.items())


@lru_cache(maxsize=1)
def default_model() -> Model:
    return Model.load()


def _sim(a: str, b: str) -> float:
    """Centered similarity in [-1, 1] when both sides have text, 0 (no evidence) otherwise."""
    if not a or not b:
        return 0.0
    return 2.0 * fuzz.token_set_ratio(a, b) / 100.0 - 1.0


def vetoes(a: Profile, b: Profile) -> list[Reason]:
    """Hard evidence that two records are different items."""
    found: list[Reason] = []
    fam_a, fam_b = FORMAT_FAMILIES.get(a.format, a.format), FORMAT_FAMILIES.get(b.format, b.format)
    if fam_a != fam_b and "other" not in (a.format, b.format):
        found.append(Reason("format-veto", f"formats differ: {a.format} vs {b.format}", -10.0, True))
    if a.edition and b.edition and a.edition != b.edition:
        found.append(Reason("edition-veto", f"edition {a.edition} vs edition {b.edition}", -10.0, True))
    if a.part_numbers and b.part_numbers and not a.part_numbers & b.part_numbers:
        found.append(Reason("volume-veto", f"volume/part {_nums(a.part_numbers)} vs {_nums(b.part_numbers)}",
                            -10.0, True))  # fmt: skip
    elif _series_numbers_differ(a, b):
        numbers = f"{_nums(a.series_numbers)} vs {_nums(b.series_numbers)}"
        found.append(Reason("volume-veto", f"numbers {numbers} in one series ({a.series})", -10.0, True))
    if a.title_parts and b.title_parts and not a.title_parts & b.title_parts:
        numbers = f"{_nums(a.title_parts)} vs {_nums(b.title_parts)}"
        found.append(Reason("volume-veto", f"the titles name different parts ({numbers})", -10.0, True))
    if a.issns and b.issns and not (a.issns & b.issns):
        found.append(
            Reason(
                "issn-veto",
                f"ISSNs differ: {', '.join(sorted(a.issns))} vs {', '.join(sorted(b.issns))}",
                -10.0,
                True,
            )
        )
    if _disagree_everywhere(a, b):
        found.append(Reason("imprint-veto", "authors, publishers and page counts all differ", -10.0, True))
    if a.format == b.format == "article" and a.year and b.year and a.year != b.year:
        # an article is printed once: recurring column titles ("Editorial") differ only by issue/year
        found.append(Reason("year-veto", f"articles from different years ({a.year} / {b.year})", -10.0, True))
    elif a.year is not None and b.year is not None and abs(a.year - b.year) > YEAR_VETO:
        found.append(
            Reason("year-veto", f"years {a.year} and {b.year} more than {YEAR_VETO} apart", -10.0, True)
        )
    if a.format == b.format == "article" and fuzz.ratio(a.full_title, b.full_title) < ARTICLE_TITLE_MIN:
        # no subtitle games in article titles: "Multi-dimensional substring selectivity estimation" is
        # not "Multi-dimensional selectivity estimation using compressed histogram information"
        found.append(Reason("title-veto", "article titles differ", -10.0, True))
    return found


def _nums(numbers: frozenset[str]) -> str:
    return ",".join(sorted(numbers, key=lambda n: (len(n), n)))


def _series_numbers_differ(a: Profile, b: Profile) -> bool:
    """Different numbers in the same series (490 $v): two issues of a monograph series. Numbers in two
    different series (a reissue in another publisher's library) say nothing."""
    if a.part_numbers or b.part_numbers:
        return False  # the part numbers decided (or one side has none: no evidence)
    if not (a.series_numbers and b.series_numbers) or a.series_numbers & b.series_numbers:
        return False
    if not (a.series and b.series):
        return bool(a.volumes and b.volumes and not a.volumes & b.volumes)
    return fuzz.token_sort_ratio(a.series, b.series) >= 85


def _disagree_everywhere(a: Profile, b: Profile) -> bool:
    """Same title, but no author in common, unrelated publishers and page counts >10% apart: two
    different books that happen to share a title (every such tuning pair in Goldfinch is a non-match)."""
    if not (a.surnames and b.surnames and a.publisher and b.publisher and a.pages and b.pages):
        return False
    if abs(a.pages - b.pages) / max(a.pages, b.pages) <= 0.1:
        return False
    if a.surnames & b.surnames or _fuzzy_common(a.surnames, b.surnames):
        return False
    return fuzz.token_set_ratio(a.publisher, b.publisher) < 50


def _fuzzy_common(x: frozenset[str], y: frozenset[str]) -> set[str]:
    return {s for s in x for t in y if len(s) > 3 and fuzz.ratio(s, t) >= 85}


def features(a: Profile, b: Profile, blocked: frozenset[str] = frozenset()) -> dict[str, float]:
    """The model's inputs for one pair; missing data gives 0 (no evidence either way)."""
    f: dict[str, float] = {}
    if a.title and b.title:  # a record without a title (rare, but it happens) is no evidence
        f["title_sim"] = 2.0 * fuzz.token_sort_ratio(a.title, b.title) / 100.0 - 1.0
    f["title_set"] = _sim(a.full_title, b.full_title)
    f["title_exact"] = 1.0 if a.title and a.title == b.title else 0.0
    if a.surnames and b.surnames:
        common = a.surnames & b.surnames or _fuzzy_common(a.surnames, b.surnames)
        f["author_match"] = 1.0 if common else 0.0
        f["author_conflict"] = 0.0 if common else 1.0
    elif a.surnames or b.surnames:
        f["author_missing"] = 1.0
    f["resp_sim"] = _sim(a.responsibility, b.responsibility)
    if a.year is not None and b.year is not None:
        gap = abs(a.year - b.year)
        name = (
            "year_equal"
            if gap == 0
            else "year_near"
            if gap <= 2
            else "year_far"
            if gap <= 10
            else "year_very_far"
        )
        f[name] = 1.0
    if a.pages and b.pages:
        gap = abs(a.pages - b.pages)
        rel = gap / max(a.pages, b.pages)
        f["pages_equal" if gap <= 2 else "pages_close" if rel <= 0.1 else "pages_far"] = 1.0
    if a.edition and a.edition == b.edition:
        f["edition_same"] = 1.0
    elif bool(a.edition) != bool(b.edition):
        f["edition_one_sided"] = 1.0
    if a.volumes and b.volumes and a.volumes & b.volumes:
        f["volume_same"] = 1.0
    elif bool(a.volumes) != bool(b.volumes):
        f["volume_one_sided"] = 1.0
    f["series_sim"] = _sim(a.series, b.series)
    f["series_one_sided"] = 1.0 if bool(a.series) != bool(b.series) else 0.0
    f["publisher_sim"] = _sim(a.publisher, b.publisher)
    if f["publisher_sim"] and f["publisher_sim"] < 0.0:
        f["publisher_conflict"] = 1.0
    if a.edition_text and b.edition_text and fuzz.token_set_ratio(a.edition_text, b.edition_text) < 80:
        f["edition_text_conflict"] = 1.0
    f["place_sim"] = _sim(a.place, b.place)
    f["language_conflict"] = 1.0 if a.language and b.language and a.language != b.language else 0.0
    f["format_variant"] = 1.0 if a.format != b.format else 0.0
    shared = _ids(a, blocked) & _ids(b, blocked)
    if shared and (not all(k.startswith("isbn:") for k in shared) or _isbn_trusted(a, b)):
        f["id_shared"] = 1.0
    elif (a.oclc and b.oclc and not a.oclc & b.oclc) or (a.isbns and b.isbns and not a.isbns & b.isbns):
        f["id_conflict"] = 1.0
    f["alt_title_sim"] = _sim(a.alt_title, b.alt_title)
    if a.title_numbers and b.title_numbers and a.title_numbers != b.title_numbers:
        f["title_number_conflict"] = 1.0
    return {k: v for k, v in f.items() if v}


def _isbn_trusted(a: Profile, b: Profile) -> bool:
    """A shared ISBN is evidence only when the composite key agrees: same year (±1 for a late
    printing), same kind of material and the same volume numbers (`indexer.dedup.keys.composite_keys`)."""
    if a.year is not None and b.year is not None and abs(a.year - b.year) > 1:
        return False
    if FORMAT_FAMILIES.get(a.format, a.format) != FORMAT_FAMILIES.get(b.format, b.format):
        return False
    return a.volumes == b.volumes


def _ids(p: Profile, blocked: frozenset[str]) -> set[str]:
    keys = {f"isbn:{v}" for v in p.isbns} | {f"oclc:{v}" for v in p.oclc} | {f"lccn:{v}" for v in p.lccns}
    keys |= p.other_ids
    return keys - blocked if blocked else keys


@dataclass(frozen=True, slots=True)
class Decision:
    """A pairwise decision: probability, veto, and the reasons (built lazily only for `explain`)."""

    same: bool
    probability: float
    vetoed: bool


class DedupMatcher:
    """Identifier, title/author and veto based deduplication (the `Matcher` unioncat uses)."""

    def __init__(self, within_source: frozenset[str] = frozenset(), model: Model | None = None) -> None:
        self.within_source = frozenset(within_source)
        self.model = model or default_model()
        # ClusterStore re-clusters everything when the name changes: new weights, rules version or
        # a source switching dedup_within_source all change what the clusters should be.
        fingerprint = [self.model.bias, self.model.threshold, sorted(self.model.weights.items())]
        state = json.dumps([RULES_VERSION, fingerprint, sorted(self.within_source)])
        self.name = "dedup-" + hashlib.blake2b(state.encode(), digest_size=4).hexdigest()

    def blocking_keys(self, record: Record, overrides: Overrides = NO_OVERRIDES) -> list[str]:
        return blocking_keys(record, overrides.blocked_identifiers)

    def decide(self, a: Profile, b: Profile, blocked: frozenset[str] = frozenset()) -> Decision:
        """Fast path used by clustering: no strings built."""
        if vetoes(a, b):
            return Decision(False, 0.0, True)
        z = self.model.logit(features(a, b, blocked))
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        return Decision(p >= self.model.threshold, p, False)

    def cluster(self, records: Sequence[Record], overrides: Overrides = NO_OVERRIDES) -> list[list[str]]:
        return cluster_records(self, records, overrides)

    def explain(self, a: Record, b: Record, overrides: Overrides = NO_OVERRIDES) -> Explanation:
        pa, pb = profile(a), profile(b)
        reasons = vetoes(pa, pb)
        feats = features(pa, pb, overrides.blocked_identifiers)
        reasons.append(Reason("baseline", "the model's starting point before any evidence", self.model.bias))
        for name in FEATURES:
            if name in feats:
                contribution = self.model.weights.get(name, 0.0) * feats[name]
                reasons.append(Reason(name, _detail(name, feats[name], pa, pb), round(contribution, 3)))
        shared_isbns = sorted(k for k in _ids(pa, overrides.blocked_identifiers) & _ids(pb, frozenset())
                              if k.startswith("isbn:"))  # fmt: skip
        if shared_isbns and not _isbn_trusted(pa, pb):
            reasons.append(Reason("isbn-not-trusted", f"share {', '.join(shared_isbns)}, but year, format or "
                                  "volume differ (ISBN + year + format + volume key)"))  # fmt: skip
        shared_blocked = _ids(pa, frozenset()) & _ids(pb, frozenset()) & overrides.blocked_identifiers
        for key in sorted(shared_blocked):
            reasons.append(Reason("blocked-identifier", f"share {key}, but staff marked it not unique"))
        if pa.source_id not in self.within_source and pa.source_id == pb.source_id:
            reasons.append(
                Reason(
                    "same-source",
                    f"both from source {pa.source_id}; at most one record per source joins a cluster",
                    0.0,
                    True,
                )
            )
        z = self.model.logit(feats)
        probability = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        vetoed = any(r.veto for r in reasons)
        same = probability >= self.model.threshold and not vetoed
        override = overrides.pair(a.id, b.id)
        if override == "force-merge":
            reasons.append(Reason("override", "staff force-merged these records", 10.0))
            same = True
        elif override == "force-split":
            reasons.append(Reason("override", "staff force-split these records", -10.0, True))
            same = False
        reasons.append(
            Reason(
                "decision",
                f"P(same) = {probability:.3f}, threshold {self.model.threshold:.2f}"
                + ("; vetoed" if vetoed else ""),
                round(z, 3),
            )
        )
        return Explanation(
            a=a.id, b=b.id, same=same, score=round(probability, 4), reasons=tuple(reasons), override=override
        )


def _detail(name: str, value: float, a: Profile, b: Profile) -> str:
    text = DESCRIPTIONS[name]
    if name == "title_sim":
        return f"{text}: {(value + 1) * 50:.0f}% ({a.title!r} / {b.title!r})"
    if name == "title_set":
        return f"{text}: {(value + 1) * 50:.0f}% ({a.full_title!r} / {b.full_title!r})"
    if name.endswith("_sim"):
        return f"{text}: {(value + 1) * 50:.0f}%"
    if name.startswith("year"):
        return f"{text} ({a.year} / {b.year})"
    if name.startswith("pages"):
        return f"{text} ({a.pages} / {b.pages})"
    if name.startswith("author"):
        return f"{text} ({', '.join(sorted(a.surnames)) or '-'} / {', '.join(sorted(b.surnames)) or '-'})"
    if name.startswith("edition"):
        return f"{text} ({a.edition_text or '-'} / {b.edition_text or '-'})"
    if name == "format_variant":
        return f"{text} ({a.format} / {b.format})"
    if name == "language_conflict":
        return f"{text} ({a.language} / {b.language})"
    return text
