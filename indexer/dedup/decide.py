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
from indexer.dedup.keys import blocking_keys
from indexer.dedup.matching import NO_OVERRIDES, Explanation, Overrides, Reason
from indexer.dedup.parts import PART_DESCRIPTIONS, PART_FEATURES, part_features
from indexer.dedup.profiles import COMPONENT_FORMATS, Profile, profile
from indexer.dedup.vetoes import FORMAT_FAMILIES, fuzzy_common, vetoes

MODEL_PATH = Path(__file__).parent.parent / "data" / "dedup_model.json"
RULES_VERSION = 6
"""Bump when keys or vetoes change meaning, so stored clusters are rebuilt (see `DedupMatcher.name`)."""

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


SHARED_WITH_PARTS = frozenset({"id_shared", "id_conflict", "language_conflict"})
"""Main-model features the part model reads too (a DOI in common decides for articles as well)."""


@dataclass(frozen=True, slots=True)
class Model:
    """Logistic weights: P(same) = sigmoid(bias + Σ weight·feature); same when P ≥ threshold."""

    weights: dict[str, float]
    bias: float
    threshold: float
    parts: Model | None = None  # the weights for two component parts (articles, chapters)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict) -> Model:  # type: ignore[type-arg]
        return cls(
            weights={k: float(v) for k, v in data["weights"].items()},
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            parts=cls.from_dict(data["parts"]) if data.get("parts") else None,
        )

    def fingerprint(self) -> list[object]:
        own: list[object] = [self.bias, self.threshold, sorted(self.weights.items())]
        return own + ([self.parts.fingerprint()] if self.parts else [])

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


def features(a: Profile, b: Profile, blocked: frozenset[str] = frozenset()) -> dict[str, float]:
    """The model's inputs for one pair; missing data gives 0 (no evidence either way)."""
    f: dict[str, float] = {}
    if a.title and b.title:  # a record without a title (rare, but it happens) is no evidence
        f["title_sim"] = 2.0 * fuzz.token_sort_ratio(a.title, b.title) / 100.0 - 1.0
    f["title_set"] = _sim(a.full_title, b.full_title)
    f["title_exact"] = 1.0 if a.title and a.title == b.title else 0.0
    if a.surnames and b.surnames:
        common = a.surnames & b.surnames or fuzzy_common(a.surnames, b.surnames)
        f["author_match"] = 1.0 if common else 0.0
        f["author_conflict"] = 0.0 if common else 1.0
    elif a.surnames or b.surnames:
        f["author_missing"] = 1.0
    f["resp_sim"] = _sim(a.responsibility, b.responsibility)
    if a.year is not None and b.year is not None and (a.year == b.year or (a.year % 100 and b.year % 100)):
        # a round century ("1800") is what an 008 "18uu" becomes: no evidence of a gap
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
    keys = set(p.other_ids)
    if p.isbns:  # most records carry few identifiers: build only the non-empty parts (every pair asks)
        keys.update([f"isbn:{v}" for v in p.isbns])
    if p.oclc:
        keys.update([f"oclc:{v}" for v in p.oclc])
    if p.lccns:
        keys.update([f"lccn:{v}" for v in p.lccns])
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
        state = json.dumps([RULES_VERSION, self.model.fingerprint(), sorted(self.within_source)])
        self.name = "dedup-" + hashlib.blake2b(state.encode(), digest_size=4).hexdigest()

    def blocking_keys(self, record: Record, overrides: Overrides = NO_OVERRIDES) -> list[str]:
        return blocking_keys(record, overrides.blocked_identifiers)

    def scoring(self, a: Profile, b: Profile, blocked: frozenset[str] = frozenset()) -> tuple[Model, dict[str, float]]:
        """The model that decides this pair and its features: two component parts (articles,
        chapters) are scored by the part model (`indexer.dedup.parts`), everything else by the main one."""
        parts = self.model.parts
        if parts is not None and a.format in COMPONENT_FORMATS and b.format in COMPONENT_FORMATS:
            shared = {k: v for k, v in features(a, b, blocked).items() if k in SHARED_WITH_PARTS}
            return parts, {**part_features(a, b), **shared}
        return self.model, features(a, b, blocked)

    def decide(self, a: Profile, b: Profile, blocked: frozenset[str] = frozenset()) -> Decision:
        """Fast path used by clustering: no strings built."""
        if vetoes(a, b):
            return Decision(False, 0.0, True)
        model, feats = self.scoring(a, b, blocked)
        z = model.logit(feats)
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        return Decision(p >= model.threshold, p, False)

    def cluster(self, records: Sequence[Record], overrides: Overrides = NO_OVERRIDES) -> list[list[str]]:
        return cluster_records(self, records, overrides)

    def explain(self, a: Record, b: Record, overrides: Overrides = NO_OVERRIDES) -> Explanation:
        pa, pb = profile(a), profile(b)
        reasons = vetoes(pa, pb)
        model, feats = self.scoring(pa, pb, overrides.blocked_identifiers)
        which = "the part model's" if model is not self.model else "the model's"
        reasons.append(Reason("baseline", f"{which} starting point before any evidence", model.bias))
        for name in dict.fromkeys((*FEATURES, *PART_FEATURES)):
            if name in feats:
                contribution = model.weights.get(name, 0.0) * feats[name]
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
        z = model.logit(feats)
        probability = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        vetoed = any(r.veto for r in reasons)
        same = probability >= model.threshold and not vetoed
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
                f"P(same) = {probability:.3f}, threshold {model.threshold:.2f}"
                + ("; vetoed" if vetoed else ""),
                round(z, 3),
            )
        )
        return Explanation(
            a=a.id, b=b.id, same=same, score=round(probability, 4), reasons=tuple(reasons), override=override
        )


def _detail(name: str, value: float, a: Profile, b: Profile) -> str:
    if name in PART_DESCRIPTIONS:
        return _part_detail(name, value, a, b)
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


def _part_detail(name: str, value: float, a: Profile, b: Profile) -> str:
    text = PART_DESCRIPTIONS[name]
    if name.startswith("core") or name == "title_set":
        return f"{text}: {value * 100:.0f}% ({a.full_title!r} / {b.full_title!r})"
    if name.startswith("host_place"):
        return f"{text} ({a.host_place or '-'} / {b.host_place or '-'})"
    if name.startswith("year_off"):
        return f"{text} ({a.year} / {b.year})"
    if name.startswith("host"):
        return f"{text} ({a.host or '-'} / {b.host or '-'})"
    if name.startswith("author"):
        return f"{text} ({', '.join(sorted(a.surnames)) or '-'} / {', '.join(sorted(b.surnames)) or '-'})"
    return text
